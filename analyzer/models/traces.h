/*
 * The stack traces of a dump's tasks: which CPU panicked and which task
 * it ran, each CPU's registers (its NT_PRSTATUS note), a sleeping task's
 * saved state, and the arch's unwinder given the dump to read through.
 */
#ifndef VT_TRACES_H
#define VT_TRACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "models/stack.h"
#include "models/tasks.h"
#include "symbols/symbols.h"
#include "target/target.h"

struct vt_traces;

/* t and s are borrowed. Fails only for no memory. */
struct vt_error *vt_traces_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_traces **ret);
void vt_traces_destroy(struct vt_traces *tr);

/* The CPU in panic() (panic_cpu); an error when none or not known. */
struct vt_error *vt_traces_panic_cpu(struct vt_traces *tr, int *cpu_ret);

/* A CPU's registers at the dump, and where they came from. */
struct vt_error *vt_traces_cpu_regs(struct vt_traces *tr, unsigned cpu,
				    struct vt_regs *ret, char *from, size_t from_len);

/*
 * Unwind a task: from its CPU's registers when it was running there
 * (task->active), else from the state the scheduler saved. Fails when the
 * starting registers cannot be had (the reason names what is missing); a
 * trace that stops early is not a failure (ret->stopped).
 */
struct vt_error *vt_traces_task_stack(struct vt_traces *tr, const struct vt_task *task,
				      struct vt_stack *ret);

/* A name for an address: kernel symbols, then modules. */
void vt_traces_symbolize(struct vt_traces *tr, uint64_t pc, const char **name,
			 uint64_t *offset, uint64_t *size, const char **module);

/*
 * The registers an exception frame saved (struct pt_regs at addr: a
 * frame's regs_addr), in the unwinder's numbering.
 */
struct vt_error *vt_traces_pt_regs(struct vt_traces *tr, uint64_t addr, struct vt_regs *ret);
/* Register i's name ("r3", "rdi", "x0"), NULL past the arch's set. */
const char *vt_traces_reg_name(struct vt_traces *tr, unsigned i);
/* "r4 r22 r31": the names of the registers whose bits mask sets. */
void vt_traces_reg_list(struct vt_traces *tr, uint64_t mask, char *buf, size_t len);

#endif
