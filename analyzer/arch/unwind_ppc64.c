/*
 * ppc64 stack unwinding: the ABI's back chain. Every frame starts with the
 * caller's stack pointer (0(r1)) and a callee saves its return address in
 * its caller's frame (16(r1) of the caller's frame, ELFv1 and ELFv2 alike).
 * So from a frame at sp: the caller's sp is *(sp), its pc *(*(sp) + 16).
 *
 * Facts used (the kernel's arch/powerpc, read for their values):
 *  - Interrupt frames carry STACK_FRAME_REGS_MARKER at a fixed offset of the
 *    frame and a struct pt_regs after the frame's header. Until v6.1 the
 *    header was STACK_FRAME_OVERHEAD (112) with the marker at 12 longs (96);
 *    from v6.2 (the "powerpc/64: ELFv2 use minimal stack frames in int and
 *    switch frame sizes" series, queued for 6.2) an ELFv2 kernel uses
 *    STACK_FRAME_MIN_SIZE (32) + 16: marker at 32, pt_regs at 48. ELFv1
 *    kept 96 and 112. No type or symbol records these (asm-offsets), so the
 *    release picks them; ELFv1 is a big-endian kernel whose text symbols
 *    are dot symbols (".panic"); little-endian ppc64 is always ELFv2.
 *  - The marker's value: "regshere" (0x7265677368657265) in old kernels;
 *    since ~v6.1 0x53474552 little-endian / 0x52454753 big-endian, stored
 *    as a long so memory reads "REGS". Both are accepted.
 *  - pt_regs begins with the uapi user_pt_regs: gpr[32], nip, msr,
 *    orig_gpr3, ctr, link, xer, ccr, softe, trap, dar, dsisr, result (the
 *    PT_* indexes of asm/ptrace.h): the same order as an NT_PRSTATUS pr_reg.
 *  - _switch (entry_64.S) makes a switch frame, saves the non-volatile
 *    registers and its return address (into the caller, __switch_to) as
 *    NIP in the pt_regs at the frame's top, and stores its sp in
 *    thread.ksp. So a sleeping task resumes at that nip, with r1 = the back
 *    chain of the switch frame (drgn reads it the same way: the pt_regs
 *    just below *(ksp)).
 *  - MSR_PR (bit 14) set in a pt_regs: the interrupted context was user
 *    mode, the kernel stack ends there. A zero back chain ends a stack
 *    (kernel threads, the boot stack).
 *
 * The first frame (registers from a CPU's note or a pt_regs, so the link
 * register is known) may be a leaf, or a function stopped in its prologue
 * or epilogue, with no frame of its own: r1 is then its caller's frame and
 * the caller is only in LR. The kernel's show_stack prints the first
 * frame's saved LR as "(unreliable)" for that reason. Here: when LR is a
 * return address in another function than pc's (LR - 4 is the call) and is
 * not the return address the back chain gives, the caller is LR, on the
 * same sp (step_info.leaf); else the back chain. A function stopped after
 * restoring r1 but before restoring LR loses its caller (no disassembly).
 */
#include "arch/unwind.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	PPC_R1 = 1,
	PPC_PC = 32, PPC_MSR, PPC_OR3, PPC_CTR, PPC_LR, PPC_XER, PPC_CCR, PPC_SOFTE,
	PPC_TRAP, PPC_DAR, PPC_DSISR, PPC_RES,
	PPC_NREGS
};

#define PPC_KERNEL_START 0xc000000000000000ull
#define PPC_MSR_PR (1ull << 14)
#define PPC_LR_SAVE 16
#define PPC_MARKER_OLD 0x7265677368657265ull	/* "regshere" */
#define PPC_MARKER_LE 0x53474552ull		/* "REGS" in memory, LE */
#define PPC_MARKER_BE 0x52454753ull		/* "REGS" in memory, BE */

static const char *const reg_names[PPC_NREGS] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
	"r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22",
	"r23", "r24", "r25", "r26", "r27", "r28", "r29", "r30", "r31",
	"pc", "msr", "or3", "ctr", "lr", "xer", "ccr", "softe", "trap", "dar",
	"dsisr", "res",
};

struct ppc64_state {
	uint64_t marker_off, regs_off;	/* interrupt frame: marker, pt_regs */
	const char *layout;
	uint64_t thread_size;		/* 0: unknown (no union thread_union) */
	/* Optional, for naming stacks; 0 when unknown. */
	uint64_t task_stack_off;	/* task_struct.stack, +1 when known */
	uint64_t hardirq_ctx, softirq_ctx, paca_ptrs;
	uint64_t paca_emerg[3];		/* paca_struct offsets, +1 when known */
};

static const char *const paca_emerg_members[3] = {
	"emergency_sp", "nmi_emergency_sp", "mc_emergency_sp",
};
static const char *const paca_emerg_names[3] = {
	"emergency", "NMI emergency", "machine-check emergency",
};

static bool release_at_least(const char *rel, unsigned major, unsigned minor, bool *known)
{
	unsigned a, b;

	*known = rel && sscanf(rel, "%u.%u", &a, &b) == 2;
	if (!*known)
		return false;
	return a > major || (a == major && b >= minor);
}

static struct vt_error *create(const struct vt_unwind_env *env, void **ret)
{
	struct ppc64_state *st = calloc(1, sizeof(*st));
	uint64_t v;
	bool elfv1 = false, known, v62;
	struct vt_error *err;

	if (!st)
		return &vt_enomem;
	if (env->big_endian) {
		err = env->symbol(env->arg, ".panic", &v);
		elfv1 = !err;
		vt_error_destroy(err);
	}
	v62 = release_at_least(env->release, 6, 2, &known);
	if (!known && !elfv1) {
		free(st);
		return vt_error_create(VT_ERR_NOT_FOUND, "ppc64 interrupt frames: the kernel "
				       "release is unknown (no VMCOREINFO OSRELEASE) and their "
				       "layout changed in 6.2");
	}
	if (v62 && !elfv1) {
		st->marker_off = 32;
		st->regs_off = 48;
		st->layout = "ELFv2 6.2+: marker at 32, pt_regs at 48";
	} else {
		st->marker_off = 96;
		st->regs_off = 112;
		st->layout = elfv1 ? "ELFv1: marker at 96, pt_regs at 112"
				   : "before 6.2: marker at 96, pt_regs at 112";
	}
	err = env->size(env->arg, "union thread_union", &st->thread_size);
	if (err || !st->thread_size || (st->thread_size & (st->thread_size - 1)))
		st->thread_size = 0;
	vt_error_destroy(err);
	if (!(err = (env->offsetof)(env->arg, "struct task_struct", "stack", &v)))
		st->task_stack_off = v + 1;
	vt_error_destroy(err);
	for (unsigned i = 0; i < 3; i++) {
		if (!(err = (env->offsetof)(env->arg, "struct paca_struct",
					  paca_emerg_members[i], &v)))
			st->paca_emerg[i] = v + 1;
		vt_error_destroy(err);
	}
	vt_error_destroy(env->symbol(env->arg, "hardirq_ctx", &st->hardirq_ctx));
	vt_error_destroy(env->symbol(env->arg, "softirq_ctx", &st->softirq_ctx));
	vt_error_destroy(env->symbol(env->arg, "paca_ptrs", &st->paca_ptrs));
	*ret = st;
	return NULL;
}

static void destroy(void *state)
{
	free(state);
}

static bool on_stack(uint64_t sp, uint64_t base, uint64_t size)
{
	return base && sp >= base && sp - base < size;
}

/* Which known stack holds sp; NULL if none (or nothing is known). */
static const char *stack_name(const struct vt_unwind_env *env,
			      const struct ppc64_state *st, uint64_t sp)
{
	uint64_t ts = st->thread_size, base;

	if (!ts)
		return NULL;
	if (env->task && st->task_stack_off &&
	    !vt_unwind_read_u64(env, env->task + st->task_stack_off - 1, &base) &&
	    on_stack(sp, base, ts))
		return "task";
	if (env->cpu < 0)
		return NULL;
	if (st->hardirq_ctx &&
	    !vt_unwind_read_u64(env, st->hardirq_ctx + 8 * (uint64_t)env->cpu, &base) &&
	    on_stack(sp, base, ts))
		return "hardirq";
	if (st->softirq_ctx &&
	    !vt_unwind_read_u64(env, st->softirq_ctx + 8 * (uint64_t)env->cpu, &base) &&
	    on_stack(sp, base, ts))
		return "softirq";
	if (st->paca_ptrs) {
		uint64_t paca, top;

		if (vt_unwind_read_u64(env, st->paca_ptrs + 8 * (uint64_t)env->cpu, &paca))
			return NULL;	/* (the read's error: no name, not a stop) */
		for (unsigned i = 0; i < 3; i++)
			if (st->paca_emerg[i] &&
			    !vt_unwind_read_u64(env, paca + st->paca_emerg[i] - 1, &top) &&
			    top > ts && on_stack(sp, top - ts, ts))
				return paca_emerg_names[i];
	}
	return NULL;
}

static bool is_marker(const struct vt_unwind_env *env, uint64_t v)
{
	return v == PPC_MARKER_OLD || v == (env->big_endian ? PPC_MARKER_BE : PPC_MARKER_LE);
}

static struct vt_error *read_at(const struct vt_unwind_env *env, uint64_t va,
				const char *what, uint64_t *ret)
{
	struct vt_error *err = vt_unwind_read_u64(env, va, ret);

	return err ? vt_error_prefix(err, "%s at 0x%" PRIx64, what, va) : NULL;
}

/* A struct pt_regs's registers (PT_R0 .. PT_RESULT) into regs. */
static struct vt_error *read_pt_regs(const struct vt_unwind_env *env, uint64_t addr,
				     struct vt_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	for (unsigned i = 0; i < PPC_NREGS; i++) {
		uint64_t v;
		struct vt_error *err = read_at(env, addr + 8 * i, "pt_regs", &v);

		if (err)
			return err;
		vt_regs_set(regs, i, v);
	}
	return NULL;
}

static bool same_function(const struct vt_unwind_env *env, uint64_t a, uint64_t b,
			  bool *known)
{
	uint64_t sa, za, sb, zb;

	*known = env->function(env->arg, a, &sa, &za) && env->function(env->arg, b, &sb, &zb);
	return *known && sa == sb;
}

static struct vt_error *step(const struct vt_unwind_env *env, struct vt_regs *regs,
			     struct vt_step_info *info)
{
	const struct ppc64_state *st = env->state;
	uint64_t sp = regs->r[PPC_R1], pc = regs->r[PPC_PC];
	uint64_t chain, marker, caller_sp, caller_pc, base;
	bool exc;
	struct vt_error *err;

	if (!st)
		return vt_error_create(VT_ERR_OTHER, "ppc64 unwinder without its state");
	if (vt_regs_has(regs, PPC_MSR) && (regs->r[PPC_MSR] & PPC_MSR_PR)) {
		info->end = true;	/* user mode: no kernel frames */
		return NULL;
	}
	if (sp < PPC_KERNEL_START || (sp & 15))
		return vt_error_create(VT_ERR_FORMAT, "stack pointer 0x%" PRIx64 " is not a "
				       "16-byte aligned kernel address", sp);
	if ((err = read_at(env, sp, "back chain", &chain)))
		return err;
	if ((err = read_at(env, sp + st->marker_off, "frame", &marker)))
		return err;
	exc = is_marker(env, marker);

	if (exc) {
		/* The frame at sp is an interrupt's: the caller is what it interrupted. */
		uint64_t addr = sp + st->regs_off;

		if ((err = read_pt_regs(env, addr, regs)))
			return err;
		info->exception = true;
		info->regs_addr = addr;
		if (chain == 0 || (regs->r[PPC_MSR] & PPC_MSR_PR) || regs->r[PPC_PC] == 0) {
			/* from user mode, or a new thread's first frame */
			info->end = true;
			return NULL;
		}
		caller_sp = regs->r[PPC_R1];
		caller_pc = regs->r[PPC_PC];
	} else {
		if (chain == 0) {
			info->end = true;
			return NULL;
		}
		if (chain < PPC_KERNEL_START || (chain & 15))
			return vt_error_create(VT_ERR_FORMAT, "back chain 0x%" PRIx64 " at 0x%"
					       PRIx64 " is not a 16-byte aligned kernel "
					       "address", chain, sp);
		if ((err = read_at(env, chain + PPC_LR_SAVE, "saved LR", &caller_pc)))
			return vt_error_prefix(err, "back chain 0x%" PRIx64 " of the frame at 0x%"
					       PRIx64, chain, sp);
		caller_sp = chain;
		if (vt_regs_has(regs, PPC_LR)) {
			/* The first frame: is pc's function frameless (LR its caller)? */
			uint64_t lr = regs->r[PPC_LR];
			bool known, same = same_function(env, lr - 4, pc, &known);

			if (lr >= PPC_KERNEL_START && known && !same && lr != caller_pc) {
				memset(regs, 0, sizeof(*regs));
				vt_regs_set(regs, PPC_PC, lr);
				vt_regs_set(regs, PPC_R1, sp);
				info->leaf = true;
				info->method = "link register";
				return NULL;
			}
		}
		memset(regs, 0, sizeof(*regs));
		vt_regs_set(regs, PPC_PC, caller_pc);
		vt_regs_set(regs, PPC_R1, caller_sp);
	}
	if (caller_pc < PPC_KERNEL_START)
		return vt_error_create(VT_ERR_FORMAT, "return address 0x%" PRIx64 " (frame at 0x%"
				       PRIx64 ") is not a kernel address", caller_pc, sp);
	if (caller_sp < PPC_KERNEL_START || (caller_sp & 15))
		return vt_error_create(VT_ERR_FORMAT, "caller's stack pointer 0x%" PRIx64
				       " is not a 16-byte aligned kernel address", caller_sp);
	if (st->thread_size) {
		base = sp & ~(st->thread_size - 1);
		if ((caller_sp & ~(st->thread_size - 1)) != base) {
			const char *name = stack_name(env, st, caller_sp);

			info->new_stack = name ? name : "another";
		}
	} else if (caller_sp < sp) {
		/* Without THREAD_SIZE only a move down shows a switch. */
		info->new_stack = "another";
		info->method = "back chain, THREAD_SIZE unknown (no union thread_union)";
	}
	return NULL;
}

static struct vt_error *task_regs(const struct vt_unwind_env *env, uint64_t task,
				  struct vt_regs *ret)
{
	const struct ppc64_state *st = env->state;
	uint64_t off, ksp, chain, nip, size;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!st)
		return vt_error_create(VT_ERR_OTHER, "ppc64 unwinder without its state");
	if ((err = (env->offsetof)(env->arg, "struct task_struct", "thread.ksp", &off)))
		return err;
	if ((err = read_at(env, task + off, "task_struct.thread.ksp", &ksp)))
		return err;
	if (ksp < PPC_KERNEL_START || (ksp & 15))
		return vt_error_create(VT_ERR_FORMAT, "thread.ksp 0x%" PRIx64 " is not a "
				       "16-byte aligned kernel address", ksp);
	if ((err = read_at(env, ksp, "switch frame", &chain)))
		return err;
	if (chain <= ksp || (st->thread_size && chain - ksp >= st->thread_size))
		return vt_error_create(VT_ERR_FORMAT, "switch frame at thread.ksp 0x%" PRIx64
				       ": back chain 0x%" PRIx64 " is not above it on its "
				       "stack", ksp, chain);
	/*
	 * The switch frame's pt_regs: at the interrupt frame's offset, and
	 * ending where the switch frame does; with the type's size known, the
	 * two must agree (a check of the layout the release picked).
	 */
	err = env->size(env->arg, "struct pt_regs", &size);
	if (!err && chain - size != ksp + st->regs_off)
		return vt_error_create(VT_ERR_FORMAT, "switch frame at thread.ksp 0x%" PRIx64
				       " ends at 0x%" PRIx64 ", not where a pt_regs at +%"
				       PRIu64 " (%s) would: not this kernel's layout", ksp,
				       chain, st->regs_off, st->layout);
	vt_error_destroy(err);
	if ((err = read_at(env, ksp + st->regs_off + 8 * PPC_PC, "switch frame nip", &nip)))
		return err;
	vt_regs_set(ret, PPC_PC, nip);
	vt_regs_set(ret, PPC_R1, chain);
	return NULL;
}

static const char *const prstatus_regs[PPC_NREGS] = {
	"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11",
	"r12", "r13", "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22",
	"r23", "r24", "r25", "r26", "r27", "r28", "r29", "r30", "r31",
	"pc", "msr", "or3", "ctr", "lr", "xer", "ccr", "softe", "trap", "dar",
	"dsisr", "res",
};

const struct vt_unwinder vt_unwinder_ppc64 = {
	.nregs = PPC_NREGS,
	.reg_names = reg_names,
	.pc = PPC_PC,
	.sp = PPC_R1,
	.prstatus_regs = prstatus_regs,
	.prstatus_nregs = PPC_NREGS,
	.task_regs = task_regs,
	.create = create,
	.destroy = destroy,
	.step = step,
};
