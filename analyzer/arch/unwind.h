/*
 * Stack unwinding, the arch's half: register sets in the arch's own
 * numbering, where a sleeping task's state is saved, and one step from a
 * frame to its caller (x86_64 ORC, ppc64 back-chain, arm64 frame records).
 * The loop around the steps, its bounds and the symbols are the models'
 * (models/stack.c); an unwinder only reads the dump through the env the
 * models give it, so it stays testable on a fake stack.
 */
#ifndef VT_UNWIND_H
#define VT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VT_REGS_MAX 48

/* Registers in the arch's numbering (its unwinder's reg_names). */
struct vt_regs {
	uint64_t r[VT_REGS_MAX];
	uint64_t valid;			/* bit i: r[i] is known (i < 64) */
	/* The pc is a return address (a state saved at a call: a sleeping
	 * task's), not an interrupted instruction: its call is at pc - 1. */
	bool pc_is_return;
};

static inline void vt_regs_set(struct vt_regs *regs, unsigned i, uint64_t v)
{
	regs->r[i] = v;
	regs->valid |= 1ull << i;
}

static inline bool vt_regs_has(const struct vt_regs *regs, unsigned i)
{
	return regs->valid >> i & 1;
}

/*
 * What an unwinder may ask of the dump; the models fill it. Every callback
 * returns an error naming what is missing (a symbol, a member, a fault).
 */
struct vt_unwind_env {
	void *arg;
	bool big_endian;
	uint32_t page_size;
	/* Kernel-virtual read. */
	struct vt_error *(*read)(void *arg, uint64_t va, void *buf, size_t len);
	/* Runtime address of a kernel symbol. */
	struct vt_error *(*symbol)(void *arg, const char *name, uint64_t *ret);
	/* Offset of type.member ("struct task_struct", "thread.sp") and size of a type. */
	struct vt_error *(*offsetof)(void *arg, const char *type, const char *member,
				     uint64_t *ret);
	struct vt_error *(*size)(void *arg, const char *type, uint64_t *ret);
	/* A member's offset and width in bits (a bit field's own width, else
	 * the member's size); may be NULL (x86_64's struct orc_entry is all bit
	 * fields; arm64 tells pt_regs.stackframe's two layouts apart). */
	struct vt_error *(*member_bits)(void *arg, const char *type, const char *member,
					uint64_t *bit_offset, uint32_t *bit_size);
	/* An enumerator or VMCOREINFO NUMBER() (arm64's KERNELPACMASK). */
	struct vt_error *(*constant)(void *arg, const char *name, int64_t *ret);
	/* Start and size of the function holding pc (kallsyms, vmlinux, modules);
	 * false when none is known. */
	bool (*function)(void *arg, uint64_t pc, uint64_t *start, uint64_t *size);
	/* The struct module whose text holds pc; false for the kernel image. */
	bool (*module_of)(void *arg, uint64_t pc, uint64_t *module);
	/* The unwinder's own per-dump data (ORC tables ...), from create(). */
	void *state;
	/* The trace being unwound: its task (0 unknown) and the CPU it was
	 * running on (-1: not running; its stacks are the task's own). */
	uint64_t task;
	int cpu;
	/* The kernel release (VMCOREINFO OSRELEASE), "" when unknown: for
	 * layouts that no type or symbol describes (ppc64's interrupt frame). */
	const char *release;
};

/* Loads in the dump's byte order (errors from env->read). */
struct vt_error *vt_unwind_read_u64(const struct vt_unwind_env *env, uint64_t va,
				    uint64_t *ret);
struct vt_error *vt_unwind_read_u32(const struct vt_unwind_env *env, uint64_t va,
				    uint32_t *ret);

/* What one step found out about the frame it left. */
struct vt_step_info {
	/* The caller's registers came from an exception frame (pt_regs) at
	 * regs_addr: the frame left was interrupted, not a call. */
	bool exception;
	uint64_t regs_addr;
	/* The step moved to another stack (IRQ, exception, task); its name. */
	const char *new_stack;
	/* The stack ended normally (the entry frame, a zero back-chain ...). */
	bool end;
	/* The frame left had no stack frame of its own (a leaf, or a function
	 * stopped before its prologue or after its epilogue): its caller, found
	 * in a link register, shares its stack pointer. */
	bool leaf;
	/* The unwinder fell back to a weaker method for this step ("frame pointer"). */
	const char *method;
};

struct vt_unwinder {
	unsigned nregs;
	const char *const *reg_names;	/* also libkdumpfile's cpu.N.reg.NAME */
	unsigned pc, sp;		/* indexes of the program counter and stack pointer */
	/* An ELF NT_PRSTATUS's pr_reg, in order: a name per 8-byte slot, NULL to skip. */
	const char *const *prstatus_regs;
	size_t prstatus_nregs;
	/* The saved state of a task that is not running on a CPU. */
	struct vt_error *(*task_regs)(const struct vt_unwind_env *env, uint64_t task,
				      struct vt_regs *ret);
	/* Per-dump data (may be NULL): built once, kept in env->state. */
	struct vt_error *(*create)(const struct vt_unwind_env *env, void **state);
	void (*destroy)(void *state);
	/*
	 * One step: regs hold frame N's registers; replace them with the
	 * caller's. An error stops the trace, its message the reason.
	 */
	struct vt_error *(*step)(const struct vt_unwind_env *env, struct vt_regs *regs,
				 struct vt_step_info *info);
	/* Strip what is not address from a return address (arm64 PAC); may be NULL. */
	uint64_t (*clean_pc)(const struct vt_unwind_env *env, uint64_t pc);
};

/* The arches' unwinders (arch/unwind_ARCH.c). */
extern const struct vt_unwinder vt_unwinder_ppc64;

#endif
