/* Processes and their address spaces: tasks from init_task, mms deduplicated. */
#ifndef VT_MM_H
#define VT_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"
#include "models/tasks.h"

struct vt_mm {
	uint64_t addr;			/* struct mm_struct (0: init_mm) */
	uint64_t pgd;			/* virtual */
	uint64_t pgd_paddr;
	int32_t users;			/* mm_users */
	int64_t pgtables_bytes;		/* the kernel's own accounting; -1 unknown */
	int pid;			/* first task seen using it */
	char comm[16];
	unsigned ntasks;
	/*
	 * Non-empty: this entry could not be read and only addr (the mm, or
	 * the task when task_unreadable), pid (-1 if unknown) and comm are
	 * meaningful. Lists keep such entries so callers report them.
	 */
	char error[200];
	bool task_unreadable;
};

/*
 * Every user mm (tasks with ->mm), in task-list order, with one entry per
 * task or mm that could not be read (error set): the list is walked from
 * both ends so a filtered task_struct hides only itself. Fails only for a
 * missing layout, no init_task, a cycle, or no memory.
 */
struct vt_error *vt_mm_list(struct vt_target *t, struct vt_symbols *s,
			    struct vt_mm **ret, size_t *nret);
/* init_mm (the kernel's page tables). */
struct vt_error *vt_mm_init_mm(struct vt_target *t, struct vt_symbols *s,
			       struct vt_mm *ret);
/* The mm of the task whose pid is written in text (a --pid argument). */
struct vt_error *vt_mm_of_pid_text(struct vt_target *t, struct vt_symbols *s,
				   const char *text, struct vt_mm *ret);
/* The mm of the task with this pid. */
struct vt_error *vt_mm_of_pid(struct vt_target *t, struct vt_symbols *s, int pid,
			      struct vt_mm *ret);

#endif
