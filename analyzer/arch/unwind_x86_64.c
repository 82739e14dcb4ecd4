/*
 * x86_64 stack unwinding with the kernel's own ORC tables, read from the
 * dump (arch/x86/kernel/unwind_orc.c is the model; nothing of it is
 * copied): the vmlinux table between __start_orc_unwind_ip and
 * __stop_orc_unwind_ip with __start_orc_unwind beside it, a module's in
 * its struct module (arch.orc_unwind_ip, arch.orc_unwind, arch.num_orcs).
 *
 * Lookup: a binary search for the last entry at or below the pc over the
 * whole sorted table (the kernel sorts it at build or boot time). The
 * kernel's orc_lookup[] blocks only narrow that same search; skipping them
 * gives the same entry and needs no LOOKUP_BLOCK_SIZE or _stext fact. The
 * tables are searched in the dump, not read whole (unwind_orc.c).
 *
 * struct orc_entry has had three layouts; which one a dump has comes from
 * its types (BTF or the vmlinux's DWARF), never from its release:
 *   - v4.14..v6.2: sp_reg:4 bp_reg:4 type:2 end:1; CALL 0, REGS 1,
 *     REGS_PARTIAL 2; end of stack is sp_reg UNDEFINED with end set.
 *   - v6.3: the same with signal:1 before end.
 *   - v6.4 on: type:3 signal:1, no end; UNDEFINED 0, END_OF_STACK 1,
 *     CALL 2, REGS 3, REGS_PARTIAL 4.
 * A member `end` means the old type values, its absence the new ones; the
 * fields' bit positions are the types'.
 *
 * ORC_REG_* are #defines, not in the types, and have had two numberings:
 *   - v4.14 on: UNDEFINED 0, PREV_SP 1, DX 2, DI 3, BP 4, SP 5, R10 6,
 *     R13 7, BP_INDIRECT 8, SP_INDIRECT 9 (and AX 10 where a stable kernel
 *     took the clang fix that added it);
 *   - 7.x (Debian's 7.2): UNDEFINED 0, AX 1, DX 2, SP 3, BP 4, DI 5, R10 6,
 *     R13 7, PREV_SP 8, SP_INDIRECT 9, BP_INDIRECT 10.
 * Which one a dump has is read from the kernel's own data, not its release:
 * unwind_orc.c's null_orc_entry is {sp_reg SP, bp_reg UNDEFINED} and its
 * orc_fp_entry {sp_reg BP, bp_reg PREV_SP}; their values pick the
 * numbering, and values that fit neither stop the unwinder naming them.
 * SP_INDIRECT is (%rsp) + offset since v5.12 and was unused before.
 *
 * A pc with no ORC entry (BPF, ftrace trampolines) falls back to the frame
 * pointer chain, marked so. Stacks: the task's (task_struct.stack, THREAD_SIZE
 * = sizeof(struct irq_stack)), and for a running task its CPU's IRQ stack
 * (per-CPU hardirq_stack_ptr or pcpu_hot.hardirq_stack_ptr) and exception
 * stacks (per-CPU cea_exception_stacks).
 */
#include "arch/arch.h"
#include "arch/unwind_orc.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

enum {
	RAX, RDX, RCX, RBX, RSI, RDI, RBP, RSP,
	R8, R9, R10, R11, R12, R13, R14, R15, RIP, NREGS
};

/*
 * A private slot of struct vt_regs past the registers: how the frame's
 * registers were found. 0 (a CPU's note) is an exact pc with every
 * register known, like the kernel's unwind from a pt_regs.
 */
#define X86_STATE_SLOT (VT_REGS_MAX - 1)
#define ST_RETADDR 1ull		/* the pc is a return address: look up pc - 1 */
#define ST_NOT_FULL 2ull	/* not every register came from a pt_regs */

static const char *const reg_names[NREGS] = {
	"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

/* struct user_regs_struct, the pr_reg of an ELF NT_PRSTATUS. */
static const char *const prstatus_regs[] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", NULL /* orig_rax */, "rip",
	NULL /* cs */, NULL /* eflags */, "rsp", NULL /* ss */, NULL, NULL,
	NULL, NULL, NULL, NULL,
};

/* The base registers, as this file names them (not the kernel's numbers). */
enum { REG_UNDEFINED, REG_PREV_SP, REG_DX, REG_DI, REG_BP, REG_SP, REG_R10, REG_R13,
       REG_BP_INDIRECT, REG_SP_INDIRECT, REG_AX, REG_BAD };

/* The kernel's numbers -> ours, per numbering (see the top). */
static const uint8_t numbering_v414[16] = {
	REG_UNDEFINED, REG_PREV_SP, REG_DX, REG_DI, REG_BP, REG_SP, REG_R10, REG_R13,
	REG_BP_INDIRECT, REG_SP_INDIRECT, REG_AX, REG_BAD, REG_BAD, REG_BAD, REG_BAD, REG_BAD,
};
static const uint8_t numbering_v7[16] = {
	REG_UNDEFINED, REG_AX, REG_DX, REG_SP, REG_BP, REG_DI, REG_R10, REG_R13,
	REG_PREV_SP, REG_SP_INDIRECT, REG_BP_INDIRECT, REG_BAD, REG_BAD, REG_BAD, REG_BAD,
	REG_BAD,
};
enum { T_UNDEFINED, T_END, T_CALL, T_REGS, T_REGS_PARTIAL, T_BAD };

#define ORC_SIZE VT_ORC_SIZE
#define MAX_KERNEL_ORCS (8u << 20)
#define MAX_MODULE_ORCS (1u << 20)
#define MAX_MODULES 256
#define MAX_FP_FRAME 0x10000	/* a frame-pointer frame larger is not believed */

struct field {
	unsigned shift, width;
	bool present;
};

struct module_orc {
	uint64_t module;
	struct vt_orc_table t;
	char *error;		/* why this module has no table */
};

/* The pt_regs members the unwinder reads, by byte offset. */
enum { PT_R15, PT_R14, PT_R13, PT_R12, PT_BP, PT_BX, PT_R11, PT_R10, PT_R9, PT_R8,
       PT_AX, PT_CX, PT_DX, PT_SI, PT_DI, PT_IP, PT_CS, PT_SP, PT_N };
static const char *const pt_names[PT_N] = {
	"r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8",
	"ax", "cx", "dx", "si", "di", "ip", "cs", "sp",
};
static const unsigned pt_regno[PT_N] = {
	R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8,
	RAX, RCX, RDX, RSI, RDI, RIP, NREGS /* cs: none */, RSP,
};

struct stack_range {
	uint64_t lo, hi;	/* [lo, hi] */
	const char *name;
};

struct x86_state {
	struct vt_orc_table kernel;
	struct vt_orc_reader orc;	/* the tables' page cache, the entry found */
	uint64_t text_lo, text_hi;	/* [_stext, _etext) */
	uint64_t init_lo, init_hi;	/* [_sinittext, _einittext): freed code, kept ORC */
	struct field sp_reg, bp_reg, type, signal, end;
	bool new_types;			/* no `end`: v6.4 type values */
	const uint8_t *reg_map;		/* the kernel's register numbers -> REG_* */
	uint64_t pt_off[PT_N], pt_size;
	struct module_orc mods[MAX_MODULES];
	unsigned nmods;
	/* The stacks of the trace being unwound (task, cpu). */
	uint64_t for_task;
	int for_cpu;
	bool stacks_known;
	struct stack_range stacks[10];
	unsigned nstacks;
};

static struct vt_error *field_of(const struct vt_unwind_env *env, const char *name,
				 bool required, struct field *f)
{
	uint64_t bit;
	uint32_t width;
	struct vt_error *err = env->member_bits(env->arg, "struct orc_entry", name, &bit,
						&width);

	f->present = false;
	if (err) {
		if (!required) {
			vt_error_destroy(err);
			return NULL;
		}
		return vt_error_prefix(err, "the ORC entry's format");
	}
	if (width == 0 || width > 8 || bit < 32 || bit + width > 48)
		return vt_error_create(VT_ERR_FORMAT, "struct orc_entry.%s at bit %" PRIu64
				       " width %" PRIu32 ": not the 6-byte ORC entry this "
				       "unwinder knows", name, bit, width);
	f->shift = (unsigned)(bit - 32);
	f->width = width;
	f->present = true;
	return NULL;
}

static unsigned field_get(const struct field *f, const uint8_t *orc)
{
	unsigned bits = (unsigned)orc[4] | (unsigned)orc[5] << 8;

	return f->present ? (bits >> f->shift) & ((1u << f->width) - 1) : 0;
}

/* Which ORC_REG_* numbering: from null_orc_entry and orc_fp_entry's values. */
static struct vt_error *read_numbering(const struct vt_unwind_env *env, struct x86_state *st)
{
	static const struct { const char *name; const uint8_t *map; } known[] = {
		{ "v4.14", numbering_v414 }, { "7.x", numbering_v7 },
	};
	uint64_t null_at, fp_at;
	uint8_t null_e[ORC_SIZE], fp_e[ORC_SIZE];
	unsigned sp, undef, bp, prev_sp;
	struct vt_error *err;

	if ((err = env->symbol(env->arg, "null_orc_entry", &null_at)) ||
	    (err = env->symbol(env->arg, "orc_fp_entry", &fp_at)) ||
	    (err = env->read(env->arg, null_at, null_e, sizeof(null_e))) ||
	    (err = env->read(env->arg, fp_at, fp_e, sizeof(fp_e))))
		return vt_error_prefix(err, "the ORC register numbering (read from the kernel's "
				       "null_orc_entry and orc_fp_entry)");
	sp = field_get(&st->sp_reg, null_e);
	undef = field_get(&st->bp_reg, null_e);
	bp = field_get(&st->sp_reg, fp_e);
	prev_sp = field_get(&st->bp_reg, fp_e);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const uint8_t *m = known[i].map;

		if (m[sp] == REG_SP && m[undef] == REG_UNDEFINED && m[bp] == REG_BP &&
		    m[prev_sp] == REG_PREV_SP) {
			st->reg_map = m;
			return NULL;
		}
	}
	return vt_error_create(VT_ERR_UNSUPPORTED, "an ORC register numbering this unwinder "
			       "does not know: null_orc_entry says SP=%u UNDEFINED=%u, "
			       "orc_fp_entry BP=%u PREV_SP=%u", sp, undef, bp, prev_sp);
}

static struct vt_error *read_format(const struct vt_unwind_env *env, struct x86_state *st)
{
	uint64_t size, off;
	struct vt_error *err;

	if (!env->member_bits)
		return vt_error_create(VT_ERR_UNSUPPORTED, "the ORC entry's format: no bit-field "
				       "information from the dump's types");
	if ((err = env->size(env->arg, "struct orc_entry", &size)))
		return vt_error_prefix(err, "the ORC entry's format (struct orc_entry is "
				       "needed from BTF or the vmlinux)");
	if (size != ORC_SIZE)
		return vt_error_create(VT_ERR_FORMAT, "struct orc_entry of %" PRIu64 " bytes: "
				       "want %d", size, ORC_SIZE);
	if ((err = (env->offsetof)(env->arg, "struct orc_entry", "sp_offset", &off)) || off != 0 ||
	    (err = (env->offsetof)(env->arg, "struct orc_entry", "bp_offset", &off)) || off != 2) {
		if (!err)
			err = vt_error_create(VT_ERR_FORMAT, "struct orc_entry: sp_offset and "
					      "bp_offset not at bytes 0 and 2");
		return vt_error_prefix(err, "the ORC entry's format");
	}
	if ((err = field_of(env, "sp_reg", true, &st->sp_reg)) ||
	    (err = field_of(env, "bp_reg", true, &st->bp_reg)) ||
	    (err = field_of(env, "type", true, &st->type)) ||
	    (err = field_of(env, "signal", false, &st->signal)) ||
	    (err = field_of(env, "end", false, &st->end)))
		return err;
	st->new_types = !st->end.present;
	if (st->new_types && !st->signal.present)
		return vt_error_create(VT_ERR_FORMAT, "struct orc_entry has neither `end` nor "
				       "`signal`: an ORC format this unwinder does not know");
	return read_numbering(env, st);
}

static struct vt_error *read_pt_regs(const struct vt_unwind_env *env, struct x86_state *st)
{
	struct vt_error *err;

	if ((err = env->size(env->arg, "struct pt_regs", &st->pt_size)))
		return err;
	for (unsigned i = 0; i < PT_N; i++) {
		if ((err = (env->offsetof)(env->arg, "struct pt_regs", pt_names[i], &st->pt_off[i])))
			return err;
		if (st->pt_off[i] + 8 > st->pt_size || st->pt_size > 512)
			return vt_error_create(VT_ERR_FORMAT, "struct pt_regs.%s at %" PRIu64
					       " of %" PRIu64, pt_names[i], st->pt_off[i],
					       st->pt_size);
	}
	return NULL;
}

static void destroy(void *state)
{
	struct x86_state *st = state;

	if (!st)
		return;
	for (unsigned i = 0; i < st->nmods; i++)
		free(st->mods[i].error);
	vt_orc_reader_free(&st->orc);
	free(st);
}

static struct vt_error *create(const struct vt_unwind_env *env, void **ret)
{
	struct x86_state *st = calloc(1, sizeof(*st));
	uint64_t start_ip, stop_ip, start_orc, n, first, last;
	struct vt_error *err;

	if (!st)
		return &vt_enomem;
	st->for_cpu = -2;
	if ((err = read_format(env, st)) ||
	    (err = vt_error_prefix(read_pt_regs(env, st), "the exception frame")))
		goto fail;
	if ((err = env->symbol(env->arg, "__start_orc_unwind_ip", &start_ip)) ||
	    (err = env->symbol(env->arg, "__stop_orc_unwind_ip", &stop_ip)) ||
	    (err = env->symbol(env->arg, "__start_orc_unwind", &start_orc))) {
		err = vt_error_prefix(err, "the kernel's ORC table");
		goto fail;
	}
	if (stop_ip <= start_ip || (stop_ip - start_ip) % 4 ||
	    (n = (stop_ip - start_ip) / 4) > MAX_KERNEL_ORCS) {
		err = vt_error_create(VT_ERR_FORMAT, "the kernel's ORC table: __start_orc_unwind_ip "
				      "0x%" PRIx64 " to __stop_orc_unwind_ip 0x%" PRIx64 " is not "
				      "1 to %u entries", start_ip, stop_ip, MAX_KERNEL_ORCS);
		goto fail;
	}
	if ((err = vt_orc_table_open(env, &st->orc, start_ip, start_orc, (uint32_t)n, &st->kernel, &first,
			      &last))) {
		err = vt_error_prefix(err, "the kernel's ORC table");
		goto fail;
	}
	/* The vmlinux table covers its text; beyond, modules and generated code. */
	if ((err = env->symbol(env->arg, "_stext", &st->text_lo))) {
		vt_error_destroy(err);
		st->text_lo = first;
	}
	if ((err = env->symbol(env->arg, "_etext", &st->text_hi))) {
		vt_error_destroy(err);
		st->text_hi = last;
	}
	/* The idle task of CPU 0 still returns into freed init code. */
	if ((err = env->symbol(env->arg, "_sinittext", &st->init_lo)) ||
	    (err = env->symbol(env->arg, "_einittext", &st->init_hi))) {
		vt_error_destroy(err);
		st->init_lo = st->init_hi = 0;
	}
	*ret = st;
	return NULL;
fail:
	destroy(st);
	return err;
}

/* The module's table, read once; NULL with why when it has none. */
static const struct vt_orc_table *module_table(const struct vt_unwind_env *env,
					    struct x86_state *st, uint64_t module,
					    const char **why)
{
	struct module_orc *m = NULL;
	uint64_t o_ip, o_orc, o_num, ip_va, orc_va, first, last;
	uint32_t num;
	struct vt_error *err;

	for (unsigned i = 0; i < st->nmods; i++)
		if (st->mods[i].module == module)
			m = &st->mods[i];
	if (!m) {
		if (st->nmods == MAX_MODULES) {
			*why = "more modules on the stacks than the unwinder keeps";
			return NULL;
		}
		m = &st->mods[st->nmods++];
		m->module = module;
		if ((err = (env->offsetof)(env->arg, "struct module", "arch.orc_unwind_ip", &o_ip)) ||
		    (err = (env->offsetof)(env->arg, "struct module", "arch.orc_unwind", &o_orc)) ||
		    (err = (env->offsetof)(env->arg, "struct module", "arch.num_orcs", &o_num)) ||
		    (err = vt_unwind_read_u64(env, module + o_ip, &ip_va)) ||
		    (err = vt_unwind_read_u64(env, module + o_orc, &orc_va)) ||
		    (err = vt_unwind_read_u32(env, module + o_num, &num))) {
		} else if (!ip_va || !orc_va || !num || num > MAX_MODULE_ORCS) {
			err = vt_error_create(VT_ERR_FORMAT, "its ORC table has %" PRIu32
					      " entries (at 0x%" PRIx64 ", 0x%" PRIx64 ")",
					      num, ip_va, orc_va);
		} else {
			err = vt_orc_table_open(env, &st->orc, ip_va, orc_va, num, &m->t, &first, &last);
		}
		if (err) {
			struct vt_error *e = vt_error_prefix(err, "module 0x%" PRIx64, module);

			m->error = strdup(e->message);
			vt_error_destroy(e);
		}
	}
	if (m->error || !m->t.n) {
		*why = m->error ? m->error : "no memory";
		return NULL;
	}
	return &m->t;
}

/* The ORC entry for pc; NULL with why when none. */
static const uint8_t *orc_find(const struct vt_unwind_env *env, struct x86_state *st,
			       uint64_t pc, const char **why)
{
	uint64_t module;
	const struct vt_orc_table *t = NULL;

	*why = "no ORC entry";
	if ((pc >= st->text_lo && pc < st->text_hi) || (pc >= st->init_lo && pc < st->init_hi))
		t = &st->kernel;
	else if (env->module_of && env->module_of(env->arg, pc, &module) &&
		 !(t = module_table(env, st, module, why)))
		return NULL;
	return t && vt_orc_table_find(env, &st->orc, t, pc, why) ? st->orc.entry : NULL;
}

/* ---- stacks */

static void add_stack(struct x86_state *st, uint64_t lo, uint64_t hi, const char *name)
{
	if (st->nstacks < sizeof(st->stacks) / sizeof(st->stacks[0]) && lo < hi)
		st->stacks[st->nstacks++] = (struct stack_range){ lo, hi, name };
}

static bool percpu(const struct vt_unwind_env *env, const char *sym, const char *member,
		   int cpu, uint64_t *ret)
{
	uint64_t addr, base, off = 0, offsets;
	struct vt_error *err;

	if ((err = env->symbol(env->arg, sym, &addr)) ||
	    (member && (err = (env->offsetof)(env->arg, "struct pcpu_hot", member, &off))) ||
	    (err = env->symbol(env->arg, "__per_cpu_offset", &offsets)) ||
	    (err = vt_unwind_read_u64(env, offsets + 8 * (uint64_t)cpu, &base)) ||
	    (err = vt_unwind_read_u64(env, addr + base + off, ret))) {
		vt_error_destroy(err);
		return false;
	}
	return true;
}

static void find_stacks(const struct vt_unwind_env *env, struct x86_state *st)
{
	static const char *const est[][3] = {
		{ "DF_stack", "NMI_stack_guard", "exception" },
		{ "NMI_stack", "DB_stack_guard", "NMI" },
		{ "DB_stack", "MCE_stack_guard", "exception" },
		{ "MCE_stack", "VC_stack_guard", "exception" },
		{ "VC_stack", "VC2_stack_guard", "exception" },
		{ "VC2_stack", "IST_top_guard", "exception" },
	};
	uint64_t size, off, stack, ptr, ces;
	struct vt_error *err;

	if (st->stacks_known && st->for_task == env->task && st->for_cpu == env->cpu)
		return;
	st->stacks_known = true;
	st->for_task = env->task;
	st->for_cpu = env->cpu;
	st->nstacks = 0;
	/* THREAD_SIZE: x86_64's IRQ_STACK_SIZE is THREAD_SIZE. */
	if ((err = env->size(env->arg, "struct irq_stack", &size))) {
		vt_error_destroy(err);
		size = 0;
	}
	if (env->task && size &&
	    !(err = (env->offsetof)(env->arg, "struct task_struct", "stack", &off)) &&
	    !(err = vt_unwind_read_u64(env, env->task + off, &stack)))
		add_stack(st, stack, stack + size, "task");
	vt_error_destroy(err);
	if (env->cpu < 0)
		return;
	/* hardirq_stack_ptr: the IRQ stack's top (v5.12 on: top - 8). */
	if (size && (percpu(env, "hardirq_stack_ptr", NULL, env->cpu, &ptr) ||
		     percpu(env, "pcpu_hot", "hardirq_stack_ptr", env->cpu, &ptr)))
		add_stack(st, ptr - size, ptr + 8, "IRQ");
	if (percpu(env, "cea_exception_stacks", NULL, env->cpu, &ces)) {
		for (size_t i = 0; i < sizeof(est) / sizeof(est[0]); i++) {
			uint64_t lo, hi;

			if ((err = (env->offsetof)(env->arg, "struct cea_exception_stacks",
						 est[i][0], &lo)) ||
			    (err = (env->offsetof)(env->arg, "struct cea_exception_stacks",
						 est[i][1], &hi))) {
				vt_error_destroy(err);
				continue;
			}
			add_stack(st, ces + lo, ces + hi, est[i][2]);
		}
	}
}

static const struct stack_range *stack_of(const struct x86_state *st, uint64_t sp)
{
	for (unsigned i = 0; i < st->nstacks; i++)
		if (sp >= st->stacks[i].lo && sp <= st->stacks[i].hi)
			return &st->stacks[i];
	return NULL;
}

/* ---- the saved state of a sleeping task */

static struct vt_error *task_regs(const struct vt_unwind_env *env, uint64_t task,
				  struct vt_regs *ret)
{
	static const struct { const char *m; unsigned r; } saved[] = {
		{ "r15", R15 }, { "r14", R14 }, { "r13", R13 }, { "r12", R12 },
		{ "bx", RBX }, { "bp", RBP }, { "ret_addr", RIP },
	};
	uint64_t off, sp, size, v, rff;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = (env->offsetof)(env->arg, "struct task_struct", "thread.sp", &off)) ||
	    (err = vt_unwind_read_u64(env, task + off, &sp)) ||
	    (err = env->size(env->arg, "struct inactive_task_frame", &size)))
		return vt_error_prefix(err, "the task's saved state");
	for (size_t i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		if ((err = (env->offsetof)(env->arg, "struct inactive_task_frame", saved[i].m, &off)) ||
		    (err = vt_unwind_read_u64(env, sp + off, &v)))
			return vt_error_prefix(err, "the task's saved state at thread.sp 0x%" PRIx64,
					       sp);
		vt_regs_set(ret, saved[i].r, v);
	}
	vt_regs_set(ret, RSP, sp + size);
	/* A new task's frame returns to ret_from_fork (_asm since v6.6), an
	 * exact pc; a switched-out task's to after its call into the switch. */
	ret->r[X86_STATE_SLOT] = ST_RETADDR | ST_NOT_FULL;
	for (int i = 0; i < 2; i++) {
		err = env->symbol(env->arg, i ? "ret_from_fork" : "ret_from_fork_asm", &rff);
		if (!err && rff == ret->r[RIP])
			ret->r[X86_STATE_SLOT] = ST_NOT_FULL;
		vt_error_destroy(err);
	}
	return NULL;
}

/* ---- one step */

static struct vt_error *stack_read(const struct vt_unwind_env *env, uint64_t va, uint64_t *v,
				   const char *what)
{
	struct vt_error *err = vt_unwind_read_u64(env, va, v);

	return err ? vt_error_prefix(err, "reading the %s at 0x%" PRIx64, what, va) : NULL;
}

static struct vt_error *frame_pointer(const struct vt_unwind_env *env, struct x86_state *st,
				      struct vt_regs *regs, const char *why,
				      struct vt_step_info *info)
{
	uint64_t pc = regs->r[RIP], sp = regs->r[RSP], bp = regs->r[RBP], nbp, ret;
	const struct stack_range *s = stack_of(st, sp);
	struct vt_error *err;

	if (!vt_regs_has(regs, RBP) || bp < sp || bp - sp > MAX_FP_FRAME ||
	    (s && (bp < s->lo || bp + 16 > s->hi)) || bp % 8)
		return vt_error_create(VT_ERR_NOT_FOUND, "%s for pc 0x%" PRIx64 " and the frame "
				       "pointer 0x%" PRIx64 " is not a frame above sp 0x%" PRIx64,
				       why, pc, bp, sp);
	if ((err = stack_read(env, bp, &nbp, "saved frame pointer")) ||
	    (err = stack_read(env, bp + 8, &ret, "return address")))
		return err;
	vt_regs_set(regs, RBP, nbp);
	vt_regs_set(regs, RSP, bp + 16);
	vt_regs_set(regs, RIP, ret);
	regs->r[X86_STATE_SLOT] = ST_RETADDR | ST_NOT_FULL;
	info->method = "frame pointer";
	return NULL;
}

static unsigned entry_type(const struct x86_state *st, const uint8_t *orc)
{
	unsigned t = field_get(&st->type, orc);

	if (st->new_types)
		return t <= T_REGS_PARTIAL ? t : T_BAD;
	if (st->reg_map[field_get(&st->sp_reg, orc)] == REG_UNDEFINED)
		return field_get(&st->end, orc) ? T_END : T_UNDEFINED;
	return t <= 2 ? t + T_CALL : T_BAD;
}

/*
 * A function objtool gave no ORC at all (STACK_FRAME_NON_STANDARD):
 * __crash_kexec, where crash_setup_regs() saves a kdump vmcore's crashing
 * CPU's registers, is one. From registers saved there, look up the stack
 * (at most SCAN_WORDS words) for the return address of the call into the
 * function: a kernel text address right after a `call rel32` whose target
 * is at or below pc and within SCAN_FUNC bytes of it. Only for the first
 * frame of saved registers; the frame above then unwinds by ORC.
 */
#define SCAN_WORDS 512
#define SCAN_FUNC 0x4000

static bool scan_for_caller(const struct vt_unwind_env *env, struct x86_state *st,
			    struct vt_regs *regs)
{
	uint64_t pc = regs->r[RIP], sp = regs->r[RSP];

	for (unsigned i = 0; i < SCAN_WORDS; i++) {
		uint64_t w, code, target;
		int32_t rel;
		struct vt_error *err;

		if ((err = vt_unwind_read_u64(env, sp + 8ull * i, &w))) {
			vt_error_destroy(err);
			return false;
		}
		if (!((w >= st->text_lo && w < st->text_hi) || (w >= st->init_lo && w < st->init_hi)))
			continue;
		if ((err = vt_unwind_read_u64(env, w - 8, &code))) {
			vt_error_destroy(err);
			continue;
		}
		/* bytes w-5..w-1 are e8 rel32 (little-endian) */
		if (((code >> 24) & 0xff) != 0xe8)
			continue;
		rel = (int32_t)(uint32_t)(code >> 32);
		target = w + (uint64_t)(int64_t)rel;
		if (target > pc || pc - target >= SCAN_FUNC)
			continue;
		vt_regs_set(regs, RIP, w);
		vt_regs_set(regs, RSP, sp + 8ull * i + 8);
		regs->r[X86_STATE_SLOT] = ST_RETADDR | ST_NOT_FULL;
		return true;
	}
	return false;
}

static struct vt_error *step(const struct vt_unwind_env *env, struct vt_regs *regs,
			     struct vt_step_info *info)
{
	struct x86_state *st = env->state;
	uint64_t flags = regs->r[X86_STATE_SLOT];
	uint64_t pc = regs->r[RIP], sp = regs->r[RSP], cfa, look;
	const struct stack_range *from, *to;
	const uint8_t *orc;
	const char *why;
	unsigned type, sp_reg, bp_reg;
	int16_t sp_off, bp_off;
	bool indirect = false, signal;
	struct vt_error *err;

	if (!st)
		return vt_error_create(VT_ERR_UNSUPPORTED, "no ORC tables");
	find_stacks(env, st);
	from = stack_of(st, sp);
	look = flags & ST_RETADDR ? pc - 1 : pc;
	if (pc == 0 && !(flags & ST_RETADDR)) {
		/* A call through a NULL pointer: the return address is at sp. */
		if ((err = stack_read(env, sp, &pc, "return address")))
			return err;
		vt_regs_set(regs, RIP, pc);
		vt_regs_set(regs, RSP, sp + 8);
		regs->r[X86_STATE_SLOT] = ST_RETADDR | ST_NOT_FULL;
		return NULL;
	}
	if (!(orc = orc_find(env, st, look, &why)))
		return frame_pointer(env, st, regs, why, info);
	type = entry_type(st, orc);
	if (type == T_END) {
		info->end = true;
		return NULL;
	}
	if (type == T_UNDEFINED && !(flags & (ST_RETADDR | ST_NOT_FULL)) &&
	    scan_for_caller(env, st, regs)) {
		info->method = "stack scan for the call into a function without ORC";
		return NULL;
	}
	if (type == T_UNDEFINED || type == T_BAD)
		return vt_error_create(VT_ERR_FORMAT, "the ORC entry for pc 0x%" PRIx64 " is %s",
				       look, type == T_BAD ? "of an unknown type" :
				       "undefined (no unwind information there)");
	sp_reg = st->reg_map[field_get(&st->sp_reg, orc)];
	bp_reg = st->reg_map[field_get(&st->bp_reg, orc)];
	sp_off = (int16_t)vt_load16(orc, false);
	bp_off = (int16_t)vt_load16(orc + 2, false);
	signal = field_get(&st->signal, orc);

	switch (sp_reg) {
	case REG_SP: cfa = sp + (uint64_t)(int64_t)sp_off; break;
	case REG_BP: cfa = regs->r[RBP] + (uint64_t)(int64_t)sp_off; break;
	case REG_SP_INDIRECT: cfa = sp; indirect = true; break;
	case REG_BP_INDIRECT:
		cfa = regs->r[RBP] + (uint64_t)(int64_t)sp_off;
		indirect = true;
		break;
	case REG_R10: case REG_R13: case REG_DI: case REG_DX: case REG_AX:
		if (flags & ST_NOT_FULL)
			return vt_error_create(VT_ERR_NOT_FOUND, "the ORC entry for pc 0x%" PRIx64
					       " takes the stack pointer from a register this "
					       "frame did not save", look);
		cfa = regs->r[sp_reg == REG_R10 ? R10 : sp_reg == REG_R13 ? R13 :
			      sp_reg == REG_DI ? RDI : sp_reg == REG_AX ? RAX : RDX];
		break;
	default:
		return vt_error_create(VT_ERR_FORMAT, "the ORC entry for pc 0x%" PRIx64 " has "
				       "the unknown sp base register %u", look, sp_reg);
	}
	if ((sp_reg == REG_BP || sp_reg == REG_BP_INDIRECT) && !vt_regs_has(regs, RBP))
		return vt_error_create(VT_ERR_NOT_FOUND, "the ORC entry for pc 0x%" PRIx64
				       " needs rbp, which is not known", look);
	if (indirect) {
		if ((err = stack_read(env, cfa, &cfa, "stack pointer saved by the entry code")))
			return err;
		if (sp_reg == REG_SP_INDIRECT)
			cfa += (uint64_t)(int64_t)sp_off;
	}

	if (type == T_CALL) {
		uint64_t ret;

		if ((err = stack_read(env, cfa - 8, &ret, "return address")))
			return err;
		vt_regs_set(regs, RIP, ret);
		vt_regs_set(regs, RSP, cfa);
		regs->r[X86_STATE_SLOT] = (signal ? 0 : ST_RETADDR) | ST_NOT_FULL;
	} else {
		/* REGS: a whole pt_regs at cfa; REGS_PARTIAL: its iret frame. */
		uint64_t base = type == T_REGS ? cfa : cfa - st->pt_off[PT_IP], cs;
		uint64_t first = type == T_REGS ? 0 : st->pt_off[PT_IP];
		uint8_t buf[512];

		if ((err = env->read(env->arg, base + first, buf + first, st->pt_size - first)))
			return vt_error_prefix(err, "reading the exception frame at 0x%" PRIx64,
					       base);
		for (unsigned i = 0; i < PT_N; i++) {
			if (pt_regno[i] == NREGS)
				continue;
			if (type == T_REGS_PARTIAL && st->pt_off[i] < st->pt_off[PT_IP])
				continue;
			vt_regs_set(regs, pt_regno[i], vt_load64(buf + st->pt_off[i], false));
		}
		cs = vt_load64(buf + st->pt_off[PT_CS], false);
		regs->r[X86_STATE_SLOT] = type == T_REGS ? 0 : ST_NOT_FULL;
		info->exception = true;
		info->regs_addr = base;
		if (cs & 3) {
			/* Interrupted in user mode: the kernel stack ends here. */
			info->end = true;
			return NULL;
		}
	}

	switch (bp_reg) {
	case REG_UNDEFINED:
		break;	/* unchanged, or the pt_regs' */
	case REG_PREV_SP: {
		uint64_t bp;

		if ((err = stack_read(env, cfa + (uint64_t)(int64_t)bp_off, &bp, "saved rbp")))
			return err;
		vt_regs_set(regs, RBP, bp);
		break;
	}
	case REG_BP: {
		uint64_t bp;

		if ((err = stack_read(env, regs->r[RBP] + (uint64_t)(int64_t)bp_off, &bp,
				      "saved rbp")))
			return err;
		vt_regs_set(regs, RBP, bp);
		break;
	}
	default:
		return vt_error_create(VT_ERR_FORMAT, "the ORC entry for pc 0x%" PRIx64 " has "
				       "the unknown bp base register %u", look, bp_reg);
	}

	to = stack_of(st, regs->r[RSP]);
	if (to && to != from)
		info->new_stack = to->name;
	else if (!to && indirect && (from || regs->r[RSP] - sp + 16384 > 2 * 16384))
		/* Off the known stacks, or far from this one: a switch the
		 * stack bounds did not name; the loop bounds the switches. */
		info->new_stack = "unknown (the entry code's saved stack pointer)";
	return NULL;
}

const struct vt_unwinder vt_unwinder_x86_64 = {
	.nregs = NREGS,
	.reg_names = reg_names,
	.pc = RIP,
	.sp = RSP,
	.prstatus_regs = prstatus_regs,
	.prstatus_nregs = sizeof(prstatus_regs) / sizeof(prstatus_regs[0]),
	.task_regs = task_regs,
	.create = create,
	.destroy = destroy,
	.step = step,
};
