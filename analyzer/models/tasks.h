/*
 * Every task of the dump, as crash's `ps` lists them: each thread of each
 * thread group (init_task.tasks for the leaders, their thread lists for the
 * others) and each present CPU's idle task (runqueues.idle, not on the task
 * list). Layouts from the dump's types.
 */
#ifndef VT_TASKS_H
#define VT_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_MAX_TASKS (1u << 20)

/*
 * Visit each thread-group leader on init_task.tasks (init_task itself
 * excluded); fn returns 1 to stop. The list is walked forward while its
 * links can be read, then backward from the head up to the break, so a
 * task whose link cannot be read hides only the stretch behind it. fn gets
 * every task address the links give, readable or not. Fails for a missing
 * layout, an unreadable head, a cycle or a list longer than VT_MAX_TASKS;
 * on a live target also for an unreadable link (a task that exited under
 * the walk: the models walk again instead of salvaging, models.c).
 */
typedef int (*vt_task_visit_fn)(void *arg, uint64_t task);
struct vt_error *vt_tasks_walk_leaders(struct vt_target *t, struct vt_symbols *s,
				       vt_task_visit_fn fn, void *arg);

struct vt_task {
	uint64_t addr;			/* struct task_struct */
	uint64_t mm;			/* 0: a kernel thread */
	int pid, tgid;
	int ppid;			/* real_parent->pid; -1 unknown */
	int cpu;			/* -1 unknown */
	uint32_t state, exit_state;	/* __state (or state) and exit_state */
	char state_char;		/* the kernel's letter (RSDTtXZPI), '?' unknown */
	const char *state_name;		/* crash's: RU IN UN ST TR DE ZO PA ID, "??" */
	bool idle;			/* a CPU's idle task (runqueues.idle) */
	bool active;			/* runqueues.curr of its CPU */
	char comm[16];
	/* Non-empty: the task could not be read fully; addr is meaningful. */
	char error[200];
};

struct vt_task_list {
	struct vt_task *tasks;		/* by pid, then CPU (idle tasks: pid 0) */
	size_t n;
	unsigned ncpus;
	/* Non-empty: the per-CPU idle tasks and '>' marks could not be read. */
	char cpu_error[200];
	/* Non-empty: the kernel's state bits are not known for this release. */
	char state_error[120];
};

/*
 * Build the list. Fails only for a missing task layout (naming the member),
 * no init_task, a cycle, or no memory; an unreadable task is an entry
 * with error set.
 */
struct vt_error *vt_tasks_list(struct vt_target *t, struct vt_symbols *s,
			       struct vt_task_list *ret);
void vt_tasks_list_deinit(struct vt_task_list *l);

/* The kernel's state letter (v4.14+ encoding) and crash's name for it. */
char vt_task_state_char(uint32_t state, uint32_t exit_state);
const char *vt_task_state_name(char state_char);

#endif
