/*
 * arm64 unwinding by frame records (AAPCS64 and the kernel's
 * CONFIG_FRAME_POINTER, always on for arm64): x29 points to the frame
 * record {caller's x29, return address} each function with a frame stores
 * at the bottom of its frame. One step reads the record at x29: the caller's
 * pc is the record's lr with the pointer-authentication bits stripped (Debian
 * signs return addresses), its x29 the record's fp, and its stack pointer at
 * least the record's address + 16 (the record is the lowest part of the
 * callee's frame; the exact value needs the frame size, which the records do
 * not keep). That lower bound is what a frame's "sp" is here.
 *
 * Exception boundaries (facts from arch/arm64/kernel/entry.S):
 *  - up to 6.12, the entry code stores {interrupted x29, ELR} in
 *    pt_regs.stackframe and points x29 at it, so the chain runs through the
 *    interrupted function; a record whose pt_regs around it has pc == the
 *    record's lr and regs[29] == the record's fp, with PSTATE at EL1, is that
 *    boundary: the caller's registers are the whole pt_regs. An exception from
 *    EL0 stores {0, 0}: the task's final record.
 *  - from 6.13, pt_regs.stackframe is a struct frame_record_meta: {0, 0} and
 *    a type, FRAME_META_TYPE_FINAL (1) ends the task, FRAME_META_TYPE_PT_REGS
 *    (2) marks the pt_regs of an exception from EL1 (asm/stacktrace/frame.h).
 * Without struct frame_record_meta in the types, a {0, 0} record ends.
 *
 * Stacks: a task's (task->stack, THREAD_SIZE), and per CPU the IRQ stack
 * (irq_stack_ptr, IRQ_STACK_SIZE == THREAD_SIZE), the overflow stack
 * (overflow_stack, 4K) and the SDEI stacks (sdei_stack_{normal,critical}_ptr,
 * SDEI_STACK_SIZE == IRQ_STACK_SIZE). THREAD_SIZE is the init task's stack,
 * the linker's [__start_init_task, __end_init_task) (renamed
 * __{start,end}_init_stack in 6.2). A step whose caller is on another of
 * these stacks says so (new_stack), since its stack pointer may go down.
 *
 * The first frame of a CPU's registers (and an interrupted one) has live
 * registers, x30 among them: when its function has not yet set x29 (no
 * "add x29, sp, #imm" between its start and pc), the caller is x30 and x29
 * is the caller's already.
 */
#include "arch/unwind.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R_FP 29
#define R_LR 30
#define R_SP 31
#define R_PC 32
#define R_PSTATE 33
#define NREGS 34

#define OVERFLOW_STACK_SIZE 4096
#define META_FINAL 1
#define META_PT_REGS 2
/* Instructions scanned back for the prologue's x29 set-up. */
#define PROLOGUE_SCAN 64

static const char *const names[NREGS] = {
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
	"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19",
	"x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29",
	"lr", "sp", "pc", "pstate",
};

struct stack_range {
	uint64_t lo, hi;
	const char *name;
};

#define MAX_STACKS 5

struct state {
	uint64_t pacmask;		/* 0: return addresses are not signed */
	/* struct pt_regs */
	bool have_ptregs;
	uint64_t ptregs_regs, ptregs_sp, ptregs_pc, ptregs_pstate, ptregs_frame;
	bool have_meta;
	uint64_t meta_type;		/* offset of frame_record_meta.type */
	uint64_t thread_size;		/* 0 unknown */
	/* The stacks of the last (task, cpu) asked about. */
	bool ranges_valid;
	uint64_t ranges_task;
	int ranges_cpu;
	struct stack_range ranges[MAX_STACKS];
	unsigned nranges;
};

/* An error that only means "not this way": dropped. */
static bool failed(struct vt_error *err)
{
	vt_error_destroy(err);
	return err != NULL;
}

static void destroy(void *state)
{
	free(state);
}

static bool sym(const struct vt_unwind_env *env, const char *name, uint64_t *ret)
{
	struct vt_error *err = env->symbol(env->arg, name, ret);

	vt_error_destroy(err);
	return !err;
}

static bool off(const struct vt_unwind_env *env, const char *type, const char *member,
		uint64_t *ret)
{
	struct vt_error *err = (env->offsetof)(env->arg, type, member, ret);

	vt_error_destroy(err);
	return !err;
}

static struct vt_error *create(const struct vt_unwind_env *env, void **ret)
{
	struct state *s = calloc(1, sizeof(*s));
	int64_t mask;
	uint64_t a, b;
	struct vt_error *err;

	if (!s)
		return &vt_enomem;
	/* VMCOREINFO NUMBER(KERNELPACMASK): absent when the kernel does not
	 * sign its return addresses (no CONFIG_ARM64_PTR_AUTH_KERNEL, < 5.8). */
	err = env->constant ? env->constant(env->arg, "KERNELPACMASK", &mask) :
			      vt_error_create(VT_ERR_NOT_FOUND, "no constants");
	if (!err)
		s->pacmask = (uint64_t)mask;
	vt_error_destroy(err);
	s->have_ptregs = off(env, "struct pt_regs", "regs", &s->ptregs_regs) &&
			 off(env, "struct pt_regs", "sp", &s->ptregs_sp) &&
			 off(env, "struct pt_regs", "pc", &s->ptregs_pc) &&
			 off(env, "struct pt_regs", "pstate", &s->ptregs_pstate) &&
			 off(env, "struct pt_regs", "stackframe", &s->ptregs_frame);
	/* 6.13's pt_regs.stackframe is a struct frame_record_meta (24 bytes),
	 * before a u64[2]: ask for the struct only where the member says it is
	 * there (a type the dump lacks costs a full DWARF index to be sure). */
	{
		uint64_t bit_off;
		uint32_t bits = 0;
		struct vt_error *e = env->member_bits ?
			env->member_bits(env->arg, "struct pt_regs", "stackframe", &bit_off, &bits) :
			vt_error_create(VT_ERR_NOT_FOUND, "no member widths");

		vt_error_destroy(e);
		if (e || bits != 128)
			s->have_meta = off(env, "struct frame_record_meta", "type", &s->meta_type);
	}
	if ((sym(env, "__start_init_task", &a) && sym(env, "__end_init_task", &b)) ||
	    (sym(env, "__start_init_stack", &a) && sym(env, "__end_init_stack", &b)))
		if (b > a && b - a <= (1u << 20))
			s->thread_size = b - a;
	*ret = s;
	return NULL;
}

static uint64_t clean_pc(const struct vt_unwind_env *env, uint64_t pc)
{
	const struct state *s = env->state;

	if (!s || !s->pacmask)
		return pc;
	/* Bit 55 selects the half: a kernel address has the PAC bits set. */
	return pc >> 55 & 1 ? pc | s->pacmask : pc & ~s->pacmask;
}

/* ---- which stack an address is on */

static void add_range(struct state *s, uint64_t lo, uint64_t size, const char *name)
{
	if (lo && size && lo + size > lo && s->nranges < MAX_STACKS)
		s->ranges[s->nranges++] = (struct stack_range){ lo, lo + size, name };
}

static bool percpu_ptr(const struct vt_unwind_env *env, const char *name, int cpu,
		       bool deref, uint64_t *ret)
{
	uint64_t base, pcpu, addr;

	if (!sym(env, name, &addr) || !sym(env, "__per_cpu_offset", &base))
		return false;
	if (failed(vt_unwind_read_u64(env, base + 8 * (uint64_t)cpu, &pcpu)))
		return false;
	addr += pcpu;
	if (!deref) {
		*ret = addr;
		return true;
	}
	return !failed(vt_unwind_read_u64(env, addr, ret));
}

static void find_ranges(const struct vt_unwind_env *env, struct state *s)
{
	uint64_t a;

	if (s->ranges_valid && s->ranges_task == env->task && s->ranges_cpu == env->cpu)
		return;
	s->ranges_valid = true;
	s->ranges_task = env->task;
	s->ranges_cpu = env->cpu;
	s->nranges = 0;
	if (!s->thread_size)
		return;
	if (env->task && off(env, "struct task_struct", "stack", &a) &&
	    !failed(vt_unwind_read_u64(env, env->task + a, &a)))
		add_range(s, a, s->thread_size, "task");
	if (env->cpu < 0 || env->cpu > 65535)
		return;
	if (percpu_ptr(env, "irq_stack_ptr", env->cpu, true, &a))
		add_range(s, a, s->thread_size, "IRQ");
	if (percpu_ptr(env, "overflow_stack", env->cpu, false, &a))
		add_range(s, a, OVERFLOW_STACK_SIZE, "overflow");
	if (percpu_ptr(env, "sdei_stack_normal_ptr", env->cpu, true, &a))
		add_range(s, a, s->thread_size, "SDEI");
	if (percpu_ptr(env, "sdei_stack_critical_ptr", env->cpu, true, &a))
		add_range(s, a, s->thread_size, "SDEI critical");
}

/* The stack holding [addr, addr + len), or NULL. An sp may be the top. */
static const struct stack_range *stack_of(const struct state *s, uint64_t addr, bool top)
{
	for (unsigned i = 0; i < s->nranges; i++) {
		const struct stack_range *r = &s->ranges[i];

		if (addr >= r->lo && (top ? addr <= r->hi : addr < r->hi))
			return r;
	}
	return NULL;
}

/* ---- steps */

/* Caller's registers from the pt_regs at addr (an exception from EL1). */
static struct vt_error *from_ptregs(const struct vt_unwind_env *env, const struct state *s,
				    uint64_t addr, struct vt_regs *regs, struct vt_step_info *info)
{
	struct vt_regs n = { 0 };
	struct vt_error *err;
	uint64_t v;

	for (unsigned i = 0; i < 31; i++) {
		if ((err = vt_unwind_read_u64(env, addr + s->ptregs_regs + 8 * i, &v)))
			return vt_error_prefix(err, "pt_regs at 0x%" PRIx64, addr);
		vt_regs_set(&n, i, v);
	}
	if ((err = vt_unwind_read_u64(env, addr + s->ptregs_sp, &v)))
		return vt_error_prefix(err, "pt_regs at 0x%" PRIx64, addr);
	vt_regs_set(&n, R_SP, v);
	if ((err = vt_unwind_read_u64(env, addr + s->ptregs_pc, &v)))
		return vt_error_prefix(err, "pt_regs at 0x%" PRIx64, addr);
	vt_regs_set(&n, R_PC, v);
	if ((err = vt_unwind_read_u64(env, addr + s->ptregs_pstate, &v)))
		return vt_error_prefix(err, "pt_regs at 0x%" PRIx64, addr);
	vt_regs_set(&n, R_PSTATE, v);
	*regs = n;
	info->exception = true;
	info->regs_addr = addr;
	return NULL;
}

/* PSTATE.M[3:0] of EL1 (EL1t 0b0100, EL1h 0b0101), AArch64 (M[4] clear). */
static bool el1(uint64_t pstate)
{
	return (pstate & 0x1f) == 4 || (pstate & 0x1f) == 5;
}

/* Is the record at fp (holding rfp, rlr) a pre-6.13 pt_regs.stackframe? */
static bool in_ptregs(const struct vt_unwind_env *env, const struct state *s, uint64_t fp,
		      uint64_t rfp, uint64_t rlr, uint64_t *regs_addr)
{
	uint64_t a, pc, x29, pstate;

	if (!s->have_ptregs || fp < s->ptregs_frame)
		return false;
	a = fp - s->ptregs_frame;
	if (failed(vt_unwind_read_u64(env, a + s->ptregs_pc, &pc)) ||
	    failed(vt_unwind_read_u64(env, a + s->ptregs_regs + 8 * R_FP, &x29)) ||
	    failed(vt_unwind_read_u64(env, a + s->ptregs_pstate, &pstate)))
		return false;
	if (pc != rlr || x29 != rfp || !el1(pstate))
		return false;
	*regs_addr = a;
	return true;
}

/*
 * Live registers: has the function at pc set x29 to its own frame yet?
 * true also when that cannot be told (no function known, code unreadable).
 */
static bool frame_set_up(const struct vt_unwind_env *env, uint64_t pc)
{
	uint64_t start, size;

	if (!env->function || !env->function(env->arg, pc, &start, &size) || pc < start ||
	    pc - start > 4 * PROLOGUE_SCAN || pc % 4)
		return true;
	for (uint64_t a = start; a < pc; a += 4) {
		uint32_t insn;

		if (failed(vt_unwind_read_u32(env, a, &insn)))
			return true;
		/* ADD (immediate), 64-bit, Rn = sp, Rd = x29 ("mov x29, sp"). */
		if ((insn & 0xff8003ffu) == 0x910003fdu)
			return true;
	}
	return false;
}

static struct vt_error *step(const struct vt_unwind_env *env, struct vt_regs *regs,
			     struct vt_step_info *info)
{
	struct state *s = env->state;
	struct state none = { 0 };
	const struct stack_range *from, *to;
	uint64_t fp, sp, rec[2], type, ra;
	bool live = vt_regs_has(regs, R_LR);
	struct vt_regs n = { 0 };
	struct vt_error *err;

	if (!s)
		s = &none;
	if (!vt_regs_has(regs, R_FP))
		return vt_error_create(VT_ERR_NOT_FOUND, "no frame pointer (x29) to unwind from");
	fp = regs->r[R_FP];
	sp = regs->r[R_SP];
	find_ranges(env, s);
	from = stack_of(s, sp, true);

	if (live && !frame_set_up(env, clean_pc(env, regs->r[R_PC]))) {
		/* The first instructions of a function, or a leaf without a frame. */
		vt_regs_set(&n, R_PC, clean_pc(env, regs->r[R_LR]));
		vt_regs_set(&n, R_FP, fp);
		vt_regs_set(&n, R_SP, sp);
		*regs = n;
		info->method = "link register";
		info->leaf = true;	/* the caller is on the same sp */
		return NULL;
	}
	if (fp == 0) {
		info->end = true;
		return NULL;
	}
	if (fp % 8)
		return vt_error_create(VT_ERR_FORMAT, "frame pointer 0x%" PRIx64 " not aligned", fp);
	if (fp > UINT64_MAX - 32)
		return vt_error_create(VT_ERR_FORMAT, "frame pointer 0x%" PRIx64 " out of range", fp);
	if ((err = vt_unwind_read_u64(env, fp, &rec[0])) ||
	    (err = vt_unwind_read_u64(env, fp + 8, &rec[1])))
		return vt_error_prefix(err, "frame record at 0x%" PRIx64, fp);

	if (rec[0] == 0 && rec[1] == 0) {
		if (!s->have_meta) {
			info->end = true;
			return NULL;
		}
		if ((err = vt_unwind_read_u64(env, fp + s->meta_type, &type)))
			return vt_error_prefix(err, "frame record meta at 0x%" PRIx64, fp);
		if (type == META_FINAL) {
			info->end = true;
			return NULL;
		}
		if (type != META_PT_REGS || !s->have_ptregs || fp < s->ptregs_frame)
			return vt_error_create(VT_ERR_FORMAT, "frame record meta at 0x%" PRIx64
					       " of type %" PRIu64, fp, type);
		ra = fp - s->ptregs_frame;
		if ((err = from_ptregs(env, s, ra, regs, info)))
			return err;
	} else if (in_ptregs(env, s, fp, rec[0], rec[1], &ra)) {
		if ((err = from_ptregs(env, s, ra, regs, info)))
			return err;
	} else {
		/* The next record must be higher on the same stack, or on another. */
		if (rec[0] && rec[0] <= fp) {
			const struct stack_range *a = stack_of(s, fp, false);
			const struct stack_range *b = stack_of(s, rec[0], false);

			if (!a || !b || a == b)
				return vt_error_create(VT_ERR_FORMAT, "frame pointer went down "
						       "(0x%" PRIx64 " to 0x%" PRIx64 ")",
						       fp, rec[0]);
		}
		vt_regs_set(&n, R_PC, clean_pc(env, rec[1]));
		vt_regs_set(&n, R_FP, rec[0]);
		vt_regs_set(&n, R_SP, fp + 16);
		*regs = n;
	}
	to = stack_of(s, regs->r[R_SP], true);
	if (to && to != from)
		info->new_stack = to->name;
	return NULL;
}

static struct vt_error *task_regs(const struct vt_unwind_env *env, uint64_t task,
				  struct vt_regs *ret)
{
	static const char *const members[] = {
		"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
		"fp", "sp", "pc",
	};
	static const unsigned regno[] = { 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
					  R_FP, R_SP, R_PC };
	struct vt_regs r = { 0 };
	struct vt_error *err;

	for (unsigned i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		char path[64];
		uint64_t o, v;

		snprintf(path, sizeof(path), "thread.cpu_context.%s", members[i]);
		if ((err = (env->offsetof)(env->arg, "struct task_struct", path, &o)))
			return err;
		if ((err = vt_unwind_read_u64(env, task + o, &v)))
			return vt_error_prefix(err, "task 0x%" PRIx64 " %s", task, path);
		vt_regs_set(&r, regno[i], v);
	}
	*ret = r;
	return NULL;
}

/* user_pt_regs: regs[31], sp, pc, pstate. */
const struct vt_unwinder vt_unwinder_arm64 = {
	.nregs = NREGS,
	.reg_names = names,
	.pc = R_PC,
	.sp = R_SP,
	.prstatus_regs = names,
	.prstatus_nregs = NREGS,
	.task_regs = task_regs,
	.create = create,
	.destroy = destroy,
	.step = step,
	.clean_pc = clean_pc,
};
