/*
 * Stack traces: the registers a trace starts from (a CPU's NT_PRSTATUS note
 * for a task running at the dump, the scheduler's saved state for one that
 * was not) and the bounded loop over the arch's unwinder steps: at most
 * VT_STACK_MAX_FRAMES frames, the stack pointer only moving up except where
 * the unwinder crossed to another stack, no frame twice. A trace that stops
 * early says why.
 */
#ifndef VT_STACK_H
#define VT_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/unwind.h"
#include "core/error.h"
#include "symbols/finder.h"

#define VT_STACK_MAX_FRAMES 96
/* Stack switches (IRQ, exception, entry stacks) one trace may cross. */
#define VT_STACK_MAX_SWITCHES 8
/* Source locations kept per frame: the function and what is inlined in it. */
#define VT_FRAME_SRC 4

struct vt_frame {
	uint64_t pc, sp;
	const char *symbol;		/* NULL: no symbol known */
	uint64_t offset, size;		/* pc - symbol start; size 0 unknown */
	const char *module;		/* NULL: the kernel image */
	/* This frame was interrupted, not calling: the next frame's
	 * registers came from the exception frame (pt_regs) at regs_addr. */
	bool exception;
	uint64_t regs_addr;
	/* The next frame is on another stack, this one's name ("IRQ"). */
	const char *next_stack;
	/* How the next frame was found when not the unwinder's first way. */
	const char *method;
	/* With a vmlinux: the inlined functions at pc (innermost first), then
	 * the function itself, each with file:line. */
	struct vt_srcloc src[VT_FRAME_SRC];
	unsigned nsrc;
};

struct vt_stack {
	struct vt_frame frames[VT_STACK_MAX_FRAMES];
	size_t n;
	/* Why the trace stopped before the stack's end; "" when it did not. */
	char stopped[200];
	/* Where the first frame's registers came from. */
	char regs_from[80];
};

/*
 * Names for pcs; the models give symbols (kallsyms, vmlinux) and modules.
 * name is NULL when nothing is known.
 */
struct vt_symbolizer {
	void *arg;
	void (*name)(void *arg, uint64_t pc, const char **name, uint64_t *offset,
		     uint64_t *size, const char **module);
	/* Source locations of pc (may be NULL); *n 0 when none. */
	void (*lines)(void *arg, uint64_t pc, struct vt_srcloc *out, size_t max, size_t *n);
};

/* Unwind from regs. Never fails: what stops it is in ret->stopped. */
void vt_stack_unwind(const struct vt_unwinder *u, const struct vt_unwind_env *env,
		     const struct vt_symbolizer *sym, const struct vt_regs *regs,
		     struct vt_stack *ret);

/*
 * Registers from an ELF NT_PRSTATUS note (elf_prstatus of a 64-bit kernel:
 * pr_pid at 32, pr_reg at 112) in the arch's pr_reg order. pid_ret may be
 * NULL.
 */
struct vt_error *vt_stack_regs_from_prstatus(const struct vt_unwinder *u,
					     const void *note, size_t len, bool big_endian,
					     struct vt_regs *ret, int32_t *pid_ret);

/*
 * Registers from the first len bytes of a kernel struct pt_regs: on
 * x86_64, ppc64 and arm64 it begins with pr_reg's words in pr_reg's order
 * (x86_64's 21 of user_regs_struct, ppc64's user_pt_regs, arm64's
 * user_pt_regs), so len, which the caller bounds by sizeof(struct pt_regs),
 * says how many are there.
 */
void vt_stack_regs_from_pt_regs(const struct vt_unwinder *u, const void *raw, size_t len,
				bool big_endian, struct vt_regs *ret);

#endif
