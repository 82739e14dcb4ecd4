/*
 * `vmtriage bt`: stack traces unwound from the dump itself, like crash's
 * bt: the task that crashed (the one running on the CPU in panic()), one
 * task, the task on one CPU, or every task.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/models.h"

struct bt_opts {
	const char *pid, *cpu;
	bool all;
};

/* One task's trace, or why there is none. */
struct bt_row {
	const struct vt_task *task;
	bool crashed;
	struct vt_stack stack;
	char error[240];
};

struct bt_result {
	int panic_cpu;			/* -1: none or not known */
	char panic_error[200];
	struct bt_row *rows;
	size_t n;
};

static void print_frame(const struct vt_frame *f, size_t level)
{
	printf(" #%-2zu [%016" PRIx64 "] ", level, f->sp);
	if (f->symbol && f->size)
		printf("%s+0x%" PRIx64 "/0x%" PRIx64, f->symbol, f->offset, f->size);
	else if (f->symbol)
		printf("%s+0x%" PRIx64, f->symbol, f->offset);
	else
		printf("?");
	printf(" at %016" PRIx64, f->pc);
	if (f->module)
		printf(" [%s]", f->module);
	if (f->method)
		printf(" (caller by %s)", f->method);
	printf("\n");
	for (unsigned i = 0; i < f->nsrc; i++)
		printf("      %s%s at %s:%d\n", f->src[i].function ? f->src[i].function : "?",
		       f->src[i].inlined ? " (inlined)" : "",
		       f->src[i].file ? f->src[i].file : "?", f->src[i].line);
	if (f->exception)
		printf("    --- <exception frame at %016" PRIx64 "> ---\n", f->regs_addr);
	if (f->next_stack)
		printf("    --- <%s stack> ---\n", f->next_stack);
}

static struct vt_error *print_text(void *data)
{
	const struct bt_result *r = data;

	for (size_t i = 0; i < r->n; i++) {
		const struct bt_row *row = &r->rows[i];
		const struct vt_task *t = row->task;

		if (i)
			printf("\n");
		char addr[20] = "?";	/* unknown without a task list */

		if (t->addr)
			snprintf(addr, sizeof(addr), "%016" PRIx64, t->addr);
		printf("PID: %-7d TASK: %-16s  CPU: %-3d COMMAND: \"%s\"%s\n", t->pid, addr,
		       t->cpu, t->comm, row->crashed ? "  (panic)" : "");
		if (*row->error) {
			printf(" (no trace: %s)\n", row->error);
			continue;
		}
		for (size_t k = 0; k < row->stack.n; k++)
			print_frame(&row->stack.frames[k], k);
		if (*row->stack.stopped)
			printf(" (unwind stopped: %s)\n", row->stack.stopped);
	}
	if (*r->panic_error && r->n == 0)
		printf("no crashed task: %s\n", r->panic_error);
	return NULL;
}

static void json_frame(struct vt_json *j, const struct vt_frame *f, size_t level)
{
	vt_json_object_begin(j, NULL);
	vt_json_u64(j, "level", level);
	vt_json_hex(j, "pc", f->pc);
	vt_json_hex(j, "sp", f->sp);
	vt_json_string_or_null(j, "symbol", f->symbol);
	if (f->symbol) {
		vt_json_hex(j, "offset", f->offset);
		vt_json_hex(j, "size", f->size);
	} else {
		vt_json_null(j, "offset");
		vt_json_null(j, "size");
	}
	vt_json_string_or_null(j, "module", f->module);
	vt_json_bool(j, "exception", f->exception);
	if (f->exception)
		vt_json_hex(j, "regs_addr", f->regs_addr);
	else
		vt_json_null(j, "regs_addr");
	vt_json_string_or_null(j, "next_stack", f->next_stack);
	vt_json_string_or_null(j, "method", f->method);
	vt_json_array_begin(j, "source");
	for (unsigned i = 0; i < f->nsrc; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_string_or_null(j, "function", f->src[i].function);
		vt_json_string_or_null(j, "file", f->src[i].file);
		vt_json_i64(j, "line", f->src[i].line);
		vt_json_bool(j, "inlined", f->src[i].inlined);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct bt_result *r = data;

	vt_json_object_begin(j, NULL);
	if (r->panic_cpu >= 0)
		vt_json_i64(j, "panic_cpu", r->panic_cpu);
	else
		vt_json_null(j, "panic_cpu");
	vt_json_string_or_null(j, "panic_error", r->panic_error);
	vt_json_array_begin(j, "tasks");
	for (size_t i = 0; i < r->n; i++) {
		const struct bt_row *row = &r->rows[i];

		vt_json_object_begin(j, NULL);
		if (row->task->addr)
			vt_json_hex(j, "task", row->task->addr);
		else
			vt_json_null(j, "task");
		vt_json_i64(j, "pid", row->task->pid);
		vt_json_string(j, "comm", row->task->comm);
		vt_json_i64(j, "cpu", row->task->cpu);
		vt_json_bool(j, "active", row->task->active);
		vt_json_bool(j, "crashed", row->crashed);
		vt_json_string_or_null(j, "error", row->error);
		vt_json_string_or_null(j, "regs_from", *row->error ? NULL : row->stack.regs_from);
		vt_json_array_begin(j, "frames");
		for (size_t k = 0; !*row->error && k < row->stack.n; k++)
			json_frame(j, &row->stack.frames[k], k);
		vt_json_array_end(j);
		vt_json_string_or_null(j, "stopped", row->stack.stopped);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static const char *parse_int(const char *text, long max, long *ret)
{
	char *end;

	*ret = strtol(text, &end, 0);
	if (!*text || *end || *ret < 0 || *ret > max)
		return "not a number in range";
	return NULL;
}

static int check_bt(struct vt_cli *c)
{
	const struct bt_opts *o = c->opts;
	long v;

	if (!!o->pid + !!o->cpu + o->all > 1)
		return vt_cli_failf(c, VT_ERR_USAGE, "give at most one of --pid, --cpu and --all");
	if (o->pid && parse_int(o->pid, 1 << 30, &v))
		return vt_cli_failf(c, VT_ERR_USAGE, "--pid %s: not a PID", o->pid);
	if (o->cpu && parse_int(o->cpu, 1 << 20, &v))
		return vt_cli_failf(c, VT_ERR_USAGE, "--cpu %s: not a CPU number", o->cpu);
	return VT_CLI_GO_ON;
}

/* Is this task one the options ask for? */
static bool wanted(const struct bt_opts *o, const struct vt_task *t, int panic_cpu)
{
	if (o->all)
		return true;
	if (o->pid)
		return t->pid == atoi(o->pid);
	if (o->cpu)
		return t->active && t->cpu == atoi(o->cpu);
	return t->active && t->cpu == panic_cpu;
}

/*
 * Without a task list: the task on one CPU, known only by its CPU (and, for
 * the crashed one, the PID and comm the log names), unwound from the CPU's
 * registers.
 */
static int one_cpu(struct vt_cli *c, struct vt_models *m, struct bt_result *r, int cpu,
		   const struct vt_error *why)
{
	const struct vt_crash_trace *ct;
	const struct vt_error *cterr;
	struct vt_task task = { .pid = -1, .tgid = -1, .ppid = -1, .cpu = cpu, .active = true };
	struct bt_row row = { .task = &task };
	struct vt_error *err;

	if (cpu < 0)
		return vt_cli_fail(c, vt_error_create(VT_ERR_NOT_FOUND, "no crashed task (%s) "
						      "and no task list (%s): use --cpu N",
						      r->panic_error, why->message));
	snprintf(task.comm, sizeof(task.comm), "?");
	if (cpu == r->panic_cpu && (ct = vt_models_crash_trace(m, &cterr))) {
		row.task = ct->task;
		row.crashed = true;
		row.stack = ct->stack;
		snprintf(row.error, sizeof(row.error), "%s", ct->error);
	} else if ((err = vt_traces_task_stack(vt_models_traces(m), &task, &row.stack))) {
		snprintf(row.error, sizeof(row.error), "%s", err->message);
		vt_error_destroy(err);
	}
	fprintf(stderr, "vmtriage bt: no task list (%s): CPU %d's registers only\n",
		why->message, cpu);
	r->rows = &row;
	r->n = 1;
	return vt_cli_emit(c, print_json, print_text, r);
}

static int run_bt(struct vt_cli *c)
{
	const struct bt_opts *o = c->opts;
	struct bt_result r = { .panic_cpu = -1 };
	const struct vt_task_list *l;
	const struct vt_error *lerr;
	struct vt_models *m;
	struct vt_traces *tr;
	struct vt_error *err;
	const char *panic_from;
	int rc;

	if ((err = vt_models_create(c->t, c->s, &m)))
		return vt_cli_fail(c, err);
	if (!(tr = vt_models_traces(m))) {
		vt_models_destroy(m);
		return vt_cli_fail(c, &vt_enomem);
	}
	if ((err = vt_models_panic_cpu(m, &r.panic_cpu, &panic_from))) {
		snprintf(r.panic_error, sizeof(r.panic_error), "%s", err->message);
		vt_error_destroy(err);
		r.panic_cpu = -1;
	}
	if (!(l = vt_models_tasks(m, &lerr))) {
		/* No task list (no types for it): a CPU's registers still unwind. */
		rc = o->pid || o->all ? vt_cli_fail(c, vt_error_create(lerr->code, "tasks: %s",
								       lerr->message)) :
					one_cpu(c, m, &r, o->cpu ? atoi(o->cpu) : r.panic_cpu, lerr);
		vt_models_destroy(m);
		return rc;
	}
	if (!(r.rows = calloc(l->n ? l->n : 1, sizeof(*r.rows)))) {
		vt_models_destroy(m);
		return vt_cli_fail(c, &vt_enomem);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct vt_task *t = &l->tasks[i];
		struct bt_row *row = &r.rows[r.n];

		if (!wanted(o, t, r.panic_cpu))
			continue;
		row->task = t;
		row->crashed = t->active && t->cpu == r.panic_cpu && r.panic_cpu >= 0;
		if (*t->error)
			snprintf(row->error, sizeof(row->error), "the task is unreadable: %s",
				 t->error);
		else if ((err = vt_traces_task_stack(tr, t, &row->stack))) {
			snprintf(row->error, sizeof(row->error), "%s", err->message);
			vt_error_destroy(err);
		}
		r.n++;
	}
	if (r.n == 0 && (o->pid || o->cpu))
		rc = vt_cli_fail(c, vt_error_create(VT_ERR_NOT_FOUND, "no task %s %s",
						    o->pid ? "with PID" : "running on CPU",
						    o->pid ? o->pid : o->cpu));
	else if (r.n == 0 && !o->all)
		rc = vt_cli_fail(c, vt_error_create(VT_ERR_NOT_FOUND, "no crashed task (%s); use "
						    "--cpu N or --all", *r.panic_error ?
						    r.panic_error :
						    "no task runs on the CPU in panic()"));
	else
		rc = vt_cli_emit(c, print_json, print_text, &r);
	free(r.rows);
	vt_models_destroy(m);
	return rc;
}

static const struct vt_cli_option bt_options[] = {
	{ .name = "pid", .arg = "PID", .group = 1,
	  .help = "the task(s) with this PID (0: every CPU's idle task)",
	  VT_CLI_TEXT(struct bt_opts, pid) },
	{ .name = "cpu", .arg = "N", .group = 1, .help = "the task running on CPU N",
	  VT_CLI_TEXT(struct bt_opts, cpu) },
	{ .name = "all", .group = 1, .help = "every task, in ps's order",
	  VT_CLI_BOOL(struct bt_opts, all) },
	{ 0 },
};

const struct vt_command vt_cmd_bt = {
	.flags = VT_CMD_LIVE,
	.name = "bt",
	.summary = "Stack traces unwound from the dump: the crashed task, one task, or all",
	.help = "Without options: the task that crashed, the one running on the CPU in\n"
		"panic() (panic_cpu). A running task starts from its CPU's registers (the\n"
		"dump's NT_PRSTATUS note of that CPU); any other task from the state the\n"
		"scheduler saved when it last switched out. Each frame: its number, the\n"
		"stack pointer, the function+offset/size (kallsyms, the vmlinux or the\n"
		"module's own symbols), the pc and the module; with a vmlinux, also the\n"
		"functions inlined at the pc and each one's file:line (DWARF). Exception\n"
		"frames and stack switches are marked. A trace that cannot go on says\n"
		"\"(unwind stopped: reason)\"; it never guesses past that point.\n",
	.options = bt_options,
	.opts_size = sizeof(struct bt_opts),
	.check = check_bt,
	.main = run_bt,
};
