/*
 * The stack unwinders over a fuzzed "stack": the input after a 48-byte
 * header is memory at a kernel-virtual base address, reads outside it fail
 * (VT_ERR_FAULT). Every arch whose vt_arch_ops has an unwinder runs the
 * models' loop (vt_stack_unwind) from the header's registers, then its
 * task_regs on a task in the image and the loop again from those.
 * Header (little-endian):
 *   u8  flags: 1 KERNELPACMASK known, 2 struct frame_record_meta known,
 *       4 stack symbols (per-CPU offsets, irq_stack_ptr, init stack),
 *       8 a function around pc (its code in the image), 16 big-endian,
 *       32 running on CPU 0 (else not running)
 *   u8  base selector: the image starts at one of a few kernel addresses
 *   u16 task offset in the image
 *   u8  x86_64: ORC entries in the image's table (low 6 bits)
 *   u8  flags2: 1 release 6.12 (ppc64's interrupt frame layout since 6.2,
 *       else 6.1's), 2 the pre-6.4 struct orc_entry (type:2 end:1)
 *   u16 unused
 *   u64 pc, sp, fp, lr, other (the other registers: other + 8 * index)
 * Symbols and members resolve to fixed offsets into the image, so what the
 * unwinder reads through them is fuzzed too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/unwind.h"
#include "fuzz.h"
#include "models/stack.h"

#define HDR 48

struct image {
	const uint8_t *mem;
	size_t len;
	uint64_t base;
	unsigned flags, flags2, norc;
	uint64_t pc;
};

/*
 * x86_64's ORC: the ip table at +0x1000, the entries at +0x1400, the two
 * static entries that tell the register numbering at +0x1800, the text
 * from the image's base: all fuzzed bytes.
 */
#define X86_ORC_IP 0x1000
#define X86_ORC 0x1400
#define X86_NUMBERING 0x1800

static struct vt_error *f_read(void *arg, uint64_t va, void *buf, size_t len)
{
	const struct image *im = arg;

	if (va < im->base || va - im->base > im->len || len > im->len - (va - im->base))
		return vt_error_create(VT_ERR_FAULT, "0x%llx not in the image",
				       (unsigned long long)va);
	memcpy(buf, im->mem + (va - im->base), len);
	return NULL;
}

static struct vt_error *f_symbol(void *arg, const char *name, uint64_t *ret)
{
	static const struct { const char *n; uint64_t off; } syms[] = {
		{ "__per_cpu_offset", 0x10 }, { "irq_stack_ptr", 0x20 },
		{ "overflow_stack", 0x40 }, { "sdei_stack_normal_ptr", 0x28 },
		{ "sdei_stack_critical_ptr", 0x30 },
		{ "__start_init_task", 0 }, { "__end_init_task", 0x4000 },
		{ "__start_init_stack", 0 }, { "__end_init_stack", 0x4000 },
	};
	static const struct { const char *n; uint64_t off; } x86[] = {
		{ "__start_orc_unwind_ip", X86_ORC_IP }, { "__start_orc_unwind", X86_ORC },
		{ "null_orc_entry", X86_NUMBERING }, { "orc_fp_entry", X86_NUMBERING + 6 },
		{ "_stext", 0 }, { "_etext", 0x10000 },
	};
	const struct image *im = arg;

	if (!strcmp(name, "__stop_orc_unwind_ip")) {
		*ret = im->base + X86_ORC_IP + 4 * im->norc;
		return NULL;
	}
	for (unsigned i = 0; i < sizeof(x86) / sizeof(x86[0]); i++)
		if (!strcmp(x86[i].n, name)) {
			*ret = im->base + x86[i].off;
			return NULL;
		}
	for (unsigned i = 0; im->flags & 4 && i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!strcmp(syms[i].n, name)) {
			*ret = im->base + syms[i].off;
			return NULL;
		}
	return vt_error_create(VT_ERR_NOT_FOUND, "symbol %s not found", name);
}

/* Members at offsets a hash of their names picks (< 0x200): fuzzed too. */
static struct vt_error *f_offsetof(void *arg, const char *type, const char *member,
				   uint64_t *ret)
{
	const struct image *im = arg;
	uint64_t h = 1469598103934665603ull;

	if (!(im->flags & 2) && !strcmp(type, "struct frame_record_meta"))
		return vt_error_create(VT_ERR_NOT_FOUND, "no struct frame_record_meta");
	if (!strcmp(type, "struct orc_entry")) {	/* s16 sp_offset, s16 bp_offset */
		if (strcmp(member, "sp_offset") && strcmp(member, "bp_offset"))
			return vt_error_create(VT_ERR_NOT_FOUND, "a bit field");
		*ret = member[0] == 's' ? 0 : 2;
		return NULL;
	}
	for (const char *p = type; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	for (const char *p = member; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	/* (x86's pt_regs must fit its 512-byte bound) */
	*ret = (h >> 20) % (strcmp(type, "struct pt_regs") ? 0x200 : 0x1f0) & ~7ull;
	return NULL;
}

static struct vt_error *f_size(void *arg, const char *type, uint64_t *ret)
{
	(void)arg;
	*ret = !strcmp(type, "struct orc_entry") ? 6 : !strcmp(type, "struct pt_regs") ? 0x1f8 :
	       0x150;
	return NULL;
}

/* struct orc_entry's bit fields, in the 6.4 or the older layout; other
 * members: their hashed offset, 64 bits wide. */
static struct vt_error *f_member_bits(void *arg, const char *type, const char *member,
				      uint64_t *bit_offset, uint32_t *bit_size)
{
	static const struct { const char *m; unsigned off, width; } v64[] = {
		{ "sp_reg", 32, 4 }, { "bp_reg", 36, 4 }, { "type", 40, 3 }, { "signal", 43, 1 },
	}, old[] = {
		{ "sp_reg", 32, 4 }, { "bp_reg", 36, 4 }, { "type", 40, 2 }, { "end", 42, 1 },
	};
	const struct image *im = arg;
	uint64_t off;
	struct vt_error *err;

	if (!strcmp(type, "struct orc_entry")) {
		bool o = im->flags2 & 2;

		for (unsigned i = 0; i < 4; i++)
			if (!strcmp(member, o ? old[i].m : v64[i].m)) {
				*bit_offset = o ? old[i].off : v64[i].off;
				*bit_size = o ? old[i].width : v64[i].width;
				return NULL;
			}
		return vt_error_create(VT_ERR_NOT_FOUND, "no member %s", member);
	}
	if ((err = f_offsetof(arg, type, member, &off)))
		return err;
	*bit_offset = off * 8;
	*bit_size = 64;
	return NULL;
}

static struct vt_error *f_constant(void *arg, const char *name, int64_t *ret)
{
	const struct image *im = arg;

	if (im->flags & 1 && !strcmp(name, "KERNELPACMASK")) {
		*ret = (int64_t)0xffff000000000000ull;
		return NULL;
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "no constant %s", name);
}

static bool f_function(void *arg, uint64_t pc, uint64_t *start, uint64_t *size)
{
	const struct image *im = arg;

	if (!(im->flags & 8) || pc < im->base || pc - im->base >= im->len)
		return false;
	*start = pc & ~0xffull;
	*size = 0x100;
	return true;
}

static bool f_module_of(void *arg, uint64_t pc, uint64_t *module)
{
	(void)arg;
	(void)pc;
	(void)module;
	return false;
}

static uint64_t sink;

static void run(const struct vt_unwinder *u, struct vt_unwind_env *env,
		const struct vt_regs *regs)
{
	static struct vt_stack st;

	vt_stack_unwind(u, env, NULL, regs, &st);
	if (st.n > VT_STACK_MAX_FRAMES || strlen(st.stopped) >= sizeof(st.stopped))
		__builtin_trap();
	for (size_t i = 0; i < st.n; i++) {
		sink += st.frames[i].pc + st.frames[i].sp + st.frames[i].regs_addr;
		if (st.frames[i].next_stack)
			sink += strlen(st.frames[i].next_stack);
		if (st.frames[i].method)
			sink += strlen(st.frames[i].method);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t bases[4] = {
		0xffff800008000000ull, 0xffffffff81000000ull, 0xc000000000000000ull, 0x1000,
	};
	static const enum vt_arch arches[] = { VT_ARCH_X86_64, VT_ARCH_PPC64, VT_ARCH_ARM64 };
	const uint8_t *p = data;
	size_t left = size;
	struct image im;
	uint64_t task, pc, sp, fp, lr, other;

	if (size < HDR)
		return 0;
	im.flags = (unsigned)fuzz_take(&p, &left, 1);
	im.base = bases[fuzz_take(&p, &left, 1) & 3];
	task = fuzz_take(&p, &left, 2);
	im.norc = (unsigned)fuzz_take(&p, &left, 1) & 63;
	im.flags2 = (unsigned)fuzz_take(&p, &left, 1);
	fuzz_take(&p, &left, 2);
	pc = fuzz_take(&p, &left, 8);
	sp = fuzz_take(&p, &left, 8);
	fp = fuzz_take(&p, &left, 8);
	lr = fuzz_take(&p, &left, 8);
	other = fuzz_take(&p, &left, 8);
	im.mem = p;
	im.len = left;

	for (unsigned a = 0; a < sizeof(arches) / sizeof(arches[0]); a++) {
		const struct vt_arch_ops *ops = vt_arch_ops(arches[a]);
		const struct vt_unwinder *u = ops ? ops->unwinder : NULL;
		struct vt_unwind_env env = {
			.arg = &im, .big_endian = im.flags & 16, .page_size = 4096,
			.read = f_read, .symbol = f_symbol, .offsetof = f_offsetof,
			.size = f_size, .constant = f_constant, .function = f_function,
			.module_of = f_module_of, .member_bits = f_member_bits,
			.release = im.flags2 & 1 ? "6.12.0" : "6.1.0",
			.task = im.base + task, .cpu = im.flags & 32 ? 0 : -1,
		};
		struct vt_regs regs = { 0 };
		struct vt_error *err;

		if (!u)
			continue;
		if (u->create && (err = u->create(&env, &env.state))) {
			if (getenv("FUZZ_UNWIND_DEBUG"))
				fprintf(stderr, "%s: %s\n", ops->name, err->message);
			vt_error_destroy(err);
			continue;
		}
		for (unsigned i = 0; i < u->nregs && i < VT_REGS_MAX; i++)
			vt_regs_set(&regs, i, other + 8 * (uint64_t)i);
		vt_regs_set(&regs, u->pc, pc);
		vt_regs_set(&regs, u->sp, sp);
		if (arches[a] == VT_ARCH_ARM64) {
			vt_regs_set(&regs, 29, fp);
			vt_regs_set(&regs, 30, lr);
		}
		run(u, &env, &regs);
		memset(&regs, 0, sizeof(regs));
		err = u->task_regs(&env, env.task, &regs);
		if (!err)
			run(u, &env, &regs);
		vt_error_destroy(err);
		if (u->clean_pc)
			sink += u->clean_pc(&env, pc);
		if (u->destroy && env.state)
			u->destroy(env.state);
	}
	return 0;
}
