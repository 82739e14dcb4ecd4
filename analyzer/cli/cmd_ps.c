/*
 * `vmtriage ps`: every task of the dump, like crash's ps: each thread and
 * each present CPU's idle task, '>' on the one running on each CPU.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"
#include "models/tasks.h"

static struct vt_error *print_text(void *data)
{
	const struct vt_task_list *l = data;

	/* Two columns of marker ('>' and a space) before PID, as in the rows. */
	printf("  %-7s %-7s %-3s %-16s %-2s %-18s %s\n", "PID", "PPID", "CPU", "TASK", "ST",
	       "MM", "COMM");
	for (size_t i = 0; i < l->n; i++) {
		const struct vt_task *e = &l->tasks[i];

		if (e->pid < 0) {
			printf("  %-7s %-7s %-3s %016" PRIx64 " %-2s %-18s (%s)\n", "?", "?", "?",
			       e->addr, "??", "?", e->error);
			continue;
		}
		printf("%s %-7d %-7d %-3d %016" PRIx64 " %-2s 0x%016" PRIx64 " %s%s%s%s\n",
		       e->active ? ">" : " ", e->pid, e->ppid, e->cpu, e->addr, e->state_name,
		       e->mm, e->mm ? "" : "[", e->comm, e->mm ? "" : "]",
		       *e->error ? " (incomplete)" : "");
		if (*e->error)
			printf("        %s\n", e->error);
	}
	if (*l->cpu_error)
		printf("%s\n", l->cpu_error);
	if (*l->state_error)
		printf("states unknown: %s\n", l->state_error);
	return NULL;
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct vt_task_list *l = data;
	char st[2] = "";

	vt_json_object_begin(j, NULL);
	vt_json_u64(j, "cpus", l->ncpus);
	vt_json_string_or_null(j, "cpu_error", l->cpu_error);
	vt_json_string_or_null(j, "state_error", l->state_error);
	vt_json_array_begin(j, "tasks");
	for (size_t i = 0; i < l->n; i++) {
		const struct vt_task *e = &l->tasks[i];

		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "task", e->addr);
		vt_json_i64(j, "pid", e->pid);
		vt_json_i64(j, "tgid", e->tgid);
		vt_json_i64(j, "ppid", e->ppid);
		vt_json_i64(j, "cpu", e->cpu);
		vt_json_string(j, "state", e->state_name);
		st[0] = e->state_char;
		vt_json_string(j, "state_char", st);
		vt_json_hex(j, "state_bits", e->state);
		vt_json_hex(j, "exit_state", e->exit_state);
		vt_json_string(j, "comm", e->comm);
		vt_json_hex(j, "mm", e->mm);
		vt_json_bool(j, "idle", e->idle);
		vt_json_bool(j, "active", e->active);
		vt_json_string_or_null(j, "error", e->error);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static int run_ps(struct vt_cli *c)
{
	struct vt_task_list l;
	struct vt_error *err = vt_tasks_list(c->t, c->s, &l);
	int rc;

	if (err)
		return vt_cli_fail(c, err);
	rc = vt_cli_emit(c, print_json, print_text, &l);
	vt_tasks_list_deinit(&l);
	return rc;
}

const struct vt_command vt_cmd_ps = {
	.flags = VT_CMD_LIVE,
	.name = "ps",
	.summary = "Every task: pid, ppid, cpu, state, comm, task and mm, like crash's ps",
	.help = "Lists every thread of the dump (init_task.tasks and each thread group's\n"
		"threads) and each present CPU's idle task (PID 0, from runqueues), by PID:\n"
		"PPID (the real parent's PID), CPU, the task_struct, the state in crash's\n"
		"letters (RU running, IN interruptible, UN uninterruptible, ST stopped, TR\n"
		"traced, ZO zombie, DE dead, PA parked, ID idle), the mm (0: a kernel\n"
		"thread, its name then in brackets). '>' marks the task each present CPU\n"
		"was running (runqueues.curr). A task that cannot be read is listed with\n"
		"the reason.\n",
	.main = run_ps,
};
