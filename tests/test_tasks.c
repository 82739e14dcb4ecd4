/*
 * Every task (models/tasks.h) on a fake dump: a process of three threads
 * through signal->thread_head/thread_node and, in an older fake, through
 * thread_group; pid, tgid, ppid (real_parent) and comm of each; each state
 * letter from the raw __state/exit_state the kernel sets; each present
 * CPU's idle task from runqueues + __per_cpu_offset and the running mark
 * (runqueues.curr -> active); a cycle in a thread list (bounded, reported),
 * garbage pointers (an entry with an error, not a crash), a live target's
 * list changing under the walk (walked again, bounded) and missing layout
 * facts (named).
 */
#include <string.h>

#include "fake_target.h"
#include "models/models.h"
#include "models/tasks.h"
#include "unit.h"

/*
 * TASK_* as include/linux/sched.h defines them (v6.1+, unchanged through
 * v6.18; the low bits are the same since v4.14, TASK_RTLOCK_WAIT since
 * v5.14, TASK_FREEZABLE/TASK_FROZEN since v6.1). __task_state_index() is
 * v6.14's (and 6.1.y/6.6.y/6.12.y stable's): "(tsk_state & TASK_IDLE) ==
 * TASK_IDLE" reports I, TASK_RTLOCK_WAIT or TASK_FROZEN reports D.
 */
enum {
	TASK_RUNNING = 0x0, TASK_INTERRUPTIBLE = 0x1, TASK_UNINTERRUPTIBLE = 0x2,
	__TASK_STOPPED = 0x4, __TASK_TRACED = 0x8, EXIT_DEAD = 0x10, EXIT_ZOMBIE = 0x20,
	TASK_PARKED = 0x40, TASK_DEAD = 0x80, TASK_WAKEKILL = 0x100, TASK_WAKING = 0x200,
	TASK_NOLOAD = 0x400, TASK_NEW = 0x800, TASK_RTLOCK_WAIT = 0x1000,
	TASK_FREEZABLE = 0x2000, TASK_FROZEN = 0x8000,
	TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE,
	TASK_STOPPED = TASK_WAKEKILL | __TASK_STOPPED,
	TASK_TRACED_OLD = TASK_WAKEKILL | __TASK_TRACED,	/* before v5.19 */
	TASK_TRACED = __TASK_TRACED,				/* v5.19+ */
	TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD,
};

/* struct task_struct members where this test puts them */
enum {
	T_STATE = 0x0, T_TASKS = 0x10, T_MM = 0x20, T_PID = 0x30, T_TGID = 0x34,
	T_COMM = 0x40, T_PARENT = 0x50, T_EXIT = 0x58, T_CPU = 0x5c, T_NODE = 0x60,
	T_SIGNAL = 0x70, T_GROUP = 0x80,
};
enum { S_THREAD_HEAD = 0x10, RQ_IDLE = 0x8, RQ_CURR = 0x10 };

#define INIT_TASK 0x100000u
#define TASK(i) (0x101000u + (i) * 0x1000u)
#define SIG(i) (0x140000u + (i) * 0x100u)
#define RUNQUEUES 0x180000u
#define RQ_OFF(cpu) (0x10000u * (cpu))	/* __per_cpu_offset[cpu] */
#define PCPU 0x1c0000u
#define PRESENT 0x1c1000u
#define NR_CPU_IDS 0x1c2000u

enum { NCPU_IDS = 4 };

static void task(struct fake *f, uint64_t at, int pid, int tgid, uint64_t parent,
		 const char *comm, uint32_t state, uint32_t exit_state, int cpu)
{
	fake_put32(f, at + T_STATE, state);
	fake_put64(f, at + T_MM, pid ? KV(0x1f0000) : 0);
	fake_put32(f, at + T_PID, (uint32_t)pid);
	fake_put32(f, at + T_TGID, (uint32_t)tgid);
	fake_puts(f, at + T_COMM, comm);
	fake_put64(f, at + T_PARENT, KV(parent));
	fake_put32(f, at + T_EXIT, exit_state);
	fake_put32(f, at + T_CPU, (uint32_t)cpu);
}

/* A circular list through member off of each of at[0..n-1], headed by head
 * (a list_head address), or headless (head 0: at[0]'s member is the head). */
static void ring(struct fake *f, uint64_t head, const uint64_t *at, int n, uint64_t off)
{
	uint64_t node[20];
	int m = 0;

	if (head)
		node[m++] = head;
	for (int i = 0; i < n; i++)
		node[m++] = at[i] + off;
	for (int i = 0; i < m; i++) {
		fake_put64(f, node[i], KV(node[(i + 1) % m]));
		fake_put64(f, node[(i + 1) % m] + 8, KV(node[i]));
	}
}

/* One thread group: its signal_struct and thread list, the new or old way. */
static void group(struct fake *f, bool by_node, uint64_t sig, const uint64_t *threads, int n)
{
	for (int i = 0; i < n; i++)
		fake_put64(f, threads[i] + T_SIGNAL, KV(sig));
	if (by_node)
		ring(f, sig + S_THREAD_HEAD, threads, n, T_NODE);
	else
		ring(f, 0, threads, n, T_GROUP);
}

/*
 * pid 1 systemd (S), pid 2 kthreadd (S), pid 100 "app" of three threads
 * (100 R, 101 D, 102 I), pid 200 a zombie; CPUs 0, 1 and 3 present of 4,
 * idle tasks init_task, TASK(10), TASK(11); running: 101 on CPU 0, the idle
 * task on CPU 1, systemd on CPU 3.
 */
static void build(struct fake *f, bool by_node, const char *release)
{
	const uint64_t leaders[] = { TASK(0), TASK(1), TASK(2), TASK(5) };
	const uint64_t app[] = { TASK(2), TASK(3), TASK(4) };

	fake_init(f, release, 65536);
	fake_vi(f, "SYMBOL(init_task)=%llx", (unsigned long long)KV(INIT_TASK));
	fake_vi(f, "SYMBOL(runqueues)=%llx", (unsigned long long)KV(RUNQUEUES));
	fake_vi(f, "SYMBOL(__per_cpu_offset)=%llx", (unsigned long long)KV(PCPU));
	fake_vi(f, "SYMBOL(__cpu_present_mask)=%llx", (unsigned long long)KV(PRESENT));
	fake_vi(f, "SYMBOL(nr_cpu_ids)=%llx", (unsigned long long)KV(NR_CPU_IDS));
	fake_vi(f, "OFFSET(task_struct.%s)=%d", by_node ? "__state" : "state", T_STATE);
	fake_vi(f, "OFFSET(task_struct.tasks)=%d", T_TASKS);
	fake_vi(f, "OFFSET(task_struct.mm)=%d", T_MM);
	fake_vi(f, "OFFSET(task_struct.pid)=%d", T_PID);
	fake_vi(f, "OFFSET(task_struct.tgid)=%d", T_TGID);
	fake_vi(f, "OFFSET(task_struct.comm)=%d", T_COMM);
	fake_vi(f, "OFFSET(task_struct.real_parent)=%d", T_PARENT);
	fake_vi(f, "OFFSET(task_struct.exit_state)=%d", T_EXIT);
	fake_vi(f, "OFFSET(task_struct.cpu)=%d", T_CPU);
	fake_vi(f, "OFFSET(task_struct.signal)=%d", T_SIGNAL);
	if (by_node) {
		fake_vi(f, "OFFSET(task_struct.thread_node)=%d", T_NODE);
		fake_vi(f, "OFFSET(signal_struct.thread_head)=%d", S_THREAD_HEAD);
	} else {
		fake_vi(f, "OFFSET(task_struct.thread_group)=%d", T_GROUP);
	}
	fake_vi(f, "OFFSET(list_head.next)=0");
	fake_vi(f, "OFFSET(list_head.prev)=8");
	fake_vi(f, "OFFSET(rq.idle)=%d", RQ_IDLE);
	fake_vi(f, "OFFSET(rq.curr)=%d", RQ_CURR);

	task(f, INIT_TASK, 0, 0, INIT_TASK, "swapper/0", TASK_RUNNING, 0, 0);
	task(f, TASK(0), 1, 1, INIT_TASK, "systemd", TASK_INTERRUPTIBLE, 0, 3);
	task(f, TASK(1), 2, 2, INIT_TASK, "kthreadd", TASK_INTERRUPTIBLE | TASK_FREEZABLE,
	     0, 1);
	task(f, TASK(2), 100, 100, TASK(0), "app", TASK_RUNNING, 0, 1);
	task(f, TASK(3), 101, 100, TASK(0), "app:worker", TASK_RUNNING, 0, 0);
	task(f, TASK(4), 102, 100, TASK(0), "app:io", TASK_UNINTERRUPTIBLE, 0, 3);
	/* a zombie: exit_notify() set EXIT_ZOMBIE, do_task_dead() TASK_DEAD */
	task(f, TASK(5), 200, 200, TASK(0), "defunct", TASK_DEAD, EXIT_ZOMBIE, 0);
	task(f, TASK(10), 0, 0, INIT_TASK, "swapper/1", TASK_RUNNING, 0, 1);
	task(f, TASK(11), 0, 0, INIT_TASK, "swapper/3", TASK_RUNNING, 0, 3);
	ring(f, INIT_TASK + T_TASKS, leaders, 4, T_TASKS);
	group(f, by_node, SIG(0), &leaders[0], 1);
	group(f, by_node, SIG(1), &leaders[1], 1);
	group(f, by_node, SIG(2), app, 3);
	group(f, by_node, SIG(5), &leaders[3], 1);
	group(f, by_node, SIG(9), (const uint64_t[]){ INIT_TASK }, 1);

	fake_put32(f, NR_CPU_IDS, NCPU_IDS);
	fake_put64(f, PRESENT, 0xb);			/* CPUs 0, 1, 3 */
	for (unsigned cpu = 0; cpu < NCPU_IDS; cpu++)
		fake_put64(f, PCPU + 8 * cpu, RQ_OFF(cpu));
	fake_put64(f, RUNQUEUES + RQ_OFF(0) + RQ_IDLE, KV(INIT_TASK));
	fake_put64(f, RUNQUEUES + RQ_OFF(0) + RQ_CURR, KV(TASK(3)));
	fake_put64(f, RUNQUEUES + RQ_OFF(1) + RQ_IDLE, KV(TASK(10)));
	fake_put64(f, RUNQUEUES + RQ_OFF(1) + RQ_CURR, KV(TASK(10)));
	/* CPU 2 is not present: garbage that must not be read */
	fake_put64(f, RUNQUEUES + RQ_OFF(2) + RQ_IDLE, 0xdead);
	fake_put64(f, RUNQUEUES + RQ_OFF(3) + RQ_IDLE, KV(TASK(11)));
	fake_put64(f, RUNQUEUES + RQ_OFF(3) + RQ_CURR, KV(TASK(0)));
}

static const struct vt_task *find(const struct vt_task_list *l, uint64_t pa)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->tasks[i].addr == KV(pa))
			return &l->tasks[i];
	return NULL;
}

static void check_entry(const struct vt_task_list *l, uint64_t pa, int pid, int tgid,
			int ppid, const char *comm, const char *state, int cpu, bool active)
{
	const struct vt_task *e = find(l, pa);

	CHECK(e != NULL);
	if (!e)
		return;
	CHECK(e->pid == pid && e->tgid == tgid && e->ppid == ppid);
	CHECK(!strcmp(e->comm, comm));
	CHECK(!strcmp(e->state_name, state));
	CHECK(e->cpu == cpu && e->active == active && !*e->error);
	if (e->pid != pid || strcmp(e->state_name, state) || e->active != active || *e->error)
		fprintf(stderr, "  task %s: pid %d tgid %d ppid %d state %s cpu %d active %d "
			"error '%s'\n", comm, e->pid, e->tgid, e->ppid, e->state_name, e->cpu,
			e->active, e->error);
}

/* The whole list, in order: pid, then CPU. */
static void check_full(const struct vt_task_list *l)
{
	static const int pids[] = { 0, 0, 0, 1, 2, 100, 101, 102, 200 };

	CHECK(l->n == 9 && l->ncpus == 3 && !*l->cpu_error && !*l->state_error);
	for (size_t i = 0; i < l->n && i < 9; i++)
		CHECK(l->tasks[i].pid == pids[i]);
	if (l->n >= 3)
		CHECK(l->tasks[0].cpu == 0 && l->tasks[1].cpu == 1 && l->tasks[2].cpu == 3);
	check_entry(l, INIT_TASK, 0, 0, 0, "swapper/0", "RU", 0, false);
	check_entry(l, TASK(10), 0, 0, 0, "swapper/1", "RU", 1, true);
	check_entry(l, TASK(11), 0, 0, 0, "swapper/3", "RU", 3, false);
	check_entry(l, TASK(0), 1, 1, 0, "systemd", "IN", 3, true);
	check_entry(l, TASK(1), 2, 2, 0, "kthreadd", "IN", 1, false);
	check_entry(l, TASK(2), 100, 100, 1, "app", "RU", 1, false);
	check_entry(l, TASK(3), 101, 100, 1, "app:worker", "RU", 0, true);
	check_entry(l, TASK(4), 102, 100, 1, "app:io", "UN", 3, false);
	check_entry(l, TASK(5), 200, 200, 1, "defunct", "ZO", 0, false);
	for (size_t i = 0; i < l->n; i++)
		CHECK(l->tasks[i].idle == (l->tasks[i].pid == 0));
}

static void test_threads(void)
{
	struct fake f;
	struct vt_task_list l;

	/* v3.14+: signal->thread_head through thread_node */
	build(&f, true, "6.1.0-test");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	check_full(&l);
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* before v6.7 (no thread_node here): the headless thread_group ring,
	 * and task_struct.state (before v5.14) */
	build(&f, false, "5.4.0-test");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	check_full(&l);
	vt_tasks_list_deinit(&l);

	/* before v4.14 the TASK_* bits were elsewhere: said, letters '?' */
	fake_vi_drop(&f, "OSRELEASE");
	fake_vi(&f, "OSRELEASE=4.9.0-old");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 9 && strstr(l.state_error, "4.9.0-old"));
	for (size_t i = 0; i < l.n; i++)
		CHECK(l.tasks[i].state_char == '?' && !strcmp(l.tasks[i].state_name, "??"));
	if (l.n == 9)
		CHECK(l.tasks[7].pid == 102 && l.tasks[7].state == TASK_UNINTERRUPTIBLE);
	vt_tasks_list_deinit(&l);
	fake_free(&f);
}

static void test_states(void)
{
	static const struct {
		uint32_t state, exit_state;
		char c;
		const char *name;
	} cases[] = {
		{ TASK_RUNNING, 0, 'R', "RU" },
		{ TASK_WAKING, 0, 'R', "RU" },		/* try_to_wake_up() */
		{ TASK_NEW, 0, 'R', "RU" },		/* sched_fork() */
		{ TASK_INTERRUPTIBLE, 0, 'S', "IN" },
		{ TASK_INTERRUPTIBLE | TASK_FREEZABLE, 0, 'S', "IN" },
		{ TASK_UNINTERRUPTIBLE, 0, 'D', "UN" },
		{ TASK_KILLABLE, 0, 'D', "UN" },
		{ TASK_STOPPED, 0, 'T', "ST" },
		{ TASK_TRACED, 0, 't', "TR" },
		{ TASK_TRACED_OLD, 0, 't', "TR" },
		{ TASK_DEAD, EXIT_DEAD, 'X', "DE" },
		{ TASK_DEAD, EXIT_ZOMBIE, 'Z', "ZO" },
		{ TASK_RUNNING, EXIT_ZOMBIE, 'Z', "ZO" },	/* exit_notify() to do_task_dead() */
		{ TASK_PARKED, 0, 'P', "PA" },
		{ TASK_IDLE, 0, 'I', "ID" },
		{ TASK_IDLE | TASK_FREEZABLE, 0, 'I', "ID" },	/* the mask rule, v5.14+ */
		{ TASK_RTLOCK_WAIT, 0, 'D', "UN" },	/* PREEMPT_RT sleeping spinlock */
		{ TASK_FROZEN, 0, 'D', "UN" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char c = vt_task_state_char(cases[i].state, cases[i].exit_state);

		CHECK(c == cases[i].c && !strcmp(vt_task_state_name(c), cases[i].name));
		if (c != cases[i].c)
			fprintf(stderr, "  state 0x%x exit 0x%x: '%c', want '%c'\n",
				cases[i].state, cases[i].exit_state, c, cases[i].c);
	}
	CHECK(!strcmp(vt_task_state_name('?'), "??"));

	/* The same values read from the dump: each letter through the model. */
	{
		static const uint32_t st[] = { TASK_STOPPED, TASK_TRACED, TASK_PARKED,
					       TASK_IDLE, TASK_RTLOCK_WAIT, TASK_FROZEN };
		static const char *want[] = { "ST", "TR", "PA", "ID", "UN", "UN" };
		struct fake f;
		struct vt_task_list l;

		build(&f, true, "6.12.0-test");
		fake_put32(&f, TASK(5) + T_EXIT, EXIT_DEAD);
		for (int i = 0; i < 6; i++) {
			fake_put32(&f, TASK(1) + T_STATE, st[i]);
			CHECK_OK(fake_open(&f));
			CHECK_OK(vt_tasks_list(f.t, f.s, &l));
			CHECK(find(&l, TASK(1)) && !strcmp(find(&l, TASK(1))->state_name, want[i]));
			CHECK(find(&l, TASK(1)) && find(&l, TASK(1))->state == st[i]);
			CHECK(find(&l, TASK(5)) && find(&l, TASK(5))->state_char == 'X');
			vt_tasks_list_deinit(&l);
		}
		fake_free(&f);
	}
}

static void test_cpus(void)
{
	struct fake f;
	struct vt_task_list l;
	const struct vt_task *e;

	/* A garbage idle pointer: an entry with an error, its CPU from the rq. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, RUNQUEUES + RQ_OFF(3) + RQ_IDLE, 0x1234);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 9 && l.ncpus == 3 && !*l.cpu_error);
	e = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (l.tasks[i].addr == 0x1234)
			e = &l.tasks[i];
	CHECK(e && e->idle && e->cpu == 3 && strstr(e->error, "task 0x1234"));
	CHECK((e = find(&l, TASK(0))) && e->active);	/* curr is still read */
	vt_tasks_list_deinit(&l);

	/* No rq.curr: the tasks stay, the per-CPU part says what is missing. */
	fake_vi_drop(&f, "OFFSET(rq.curr)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 6 && strstr(l.cpu_error, "curr"));
	for (size_t i = 0; i < l.n; i++)
		CHECK(!l.tasks[i].idle && !l.tasks[i].active);
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* !CONFIG_SMP: no __per_cpu_offset, runqueues is CPU 0's rq. */
	build(&f, true, "6.1.0-test");
	fake_vi_drop(&f, "SYMBOL(__per_cpu_offset)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 7 && l.ncpus == 1 && !*l.cpu_error);
	CHECK((e = find(&l, INIT_TASK)) && e->idle && e->cpu == 0);
	CHECK((e = find(&l, TASK(3))) && e->active);
	vt_tasks_list_deinit(&l);
	fake_free(&f);
}

static void test_damaged(void)
{
	struct fake f;
	struct vt_task_list l;
	struct vt_error *err;
	const struct vt_task *e;

	/* The last thread's thread_node points back at the second's: bounded. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, TASK(4) + T_NODE, KV(TASK(3) + T_NODE));
	CHECK_OK(fake_open(&f));
	err = vt_tasks_list(f.t, f.s, &l);
	CHECK(err && err->code == VT_ERR_FORMAT && strstr(err->message, "thread list") &&
	      strstr(err->message, "cyclic"));
	CHECK(l.n == 0 && !l.tasks);
	vt_error_destroy(err);
	vt_tasks_list_deinit(&l);	/* a no-op unless it wrongly succeeded */
	fake_free(&f);

	/* The same in the old thread_group ring. */
	build(&f, false, "5.4.0-test");
	fake_put64(&f, TASK(4) + T_GROUP, KV(TASK(3) + T_GROUP));
	CHECK_OK(fake_open(&f));
	err = vt_tasks_list(f.t, f.s, &l);
	CHECK(err && err->code == VT_ERR_FORMAT && strstr(err->message, "cyclic"));
	vt_error_destroy(err);
	vt_tasks_list_deinit(&l);	/* a no-op unless it wrongly succeeded */
	fake_free(&f);

	/* A garbage thread link: the task it names is an entry with an error,
	 * the rest of the list stands. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, TASK(3) + T_NODE, 0xdeadbeef);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 9);
	CHECK((e = find(&l, TASK(3))) && !*e->error && e->pid == 101);
	e = NULL;
	for (size_t i = 0; i < l.n; i++)
		if (l.tasks[i].addr == 0xdeadbeef - T_NODE)
			e = &l.tasks[i];
	CHECK(e && *e->error && e->pid == -1 && !strcmp(e->state_name, "??"));
	CHECK(!find(&l, TASK(4)));	/* behind the garbage link: lost */
	CHECK((e = find(&l, TASK(5))) && e->pid == 200 && !*e->error);
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* A garbage signal pointer: the leader stays, saying its threads are lost. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, TASK(2) + T_SIGNAL, 0x40);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 7);
	CHECK((e = find(&l, TASK(2))) && e->pid == 100 && strstr(e->error, "thread list"));
	CHECK(!find(&l, TASK(3)) && !find(&l, TASK(4)));
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* A garbage real_parent: the task's fields are read, the error names it. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, TASK(4) + T_PARENT, 0x99);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 9);
	CHECK((e = find(&l, TASK(4))) && e->pid == 102 && e->ppid == -1 &&
	      strstr(e->error, "real_parent"));
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* A leader in filtered memory: listed as unreadable, walked round. */
	build(&f, true, "6.1.0-test");
	fake_filter(&f, TASK(1), 0x100);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_tasks_list(f.t, f.s, &l));
	CHECK(l.n == 9);
	CHECK((e = find(&l, TASK(1))) && *e->error && e->pid == -1);
	CHECK((e = find(&l, TASK(4))) && e->pid == 102 && !*e->error);
	vt_tasks_list_deinit(&l);
	fake_free(&f);

	/* The leaders' list cycles: bounded. */
	build(&f, true, "6.1.0-test");
	fake_put64(&f, TASK(5) + T_TASKS, KV(TASK(1) + T_TASKS));
	CHECK_OK(fake_open(&f));
	err = vt_tasks_list(f.t, f.s, &l);
	CHECK(err && err->code == VT_ERR_FORMAT && strstr(err->message, "init_task.tasks"));
	vt_error_destroy(err);
	vt_tasks_list_deinit(&l);	/* a no-op unless it wrongly succeeded */
	fake_free(&f);
}

/* A link out of the fake memory: the read faults, as kcore does for an
 * address a task that exited left behind. */
#define GONE (FAKE_MEM_SIZE + 0x1000u)
#define LINK (TASK(1) + T_TASKS)	/* the link that goes wrong */

/* Counts the reads of LINK; from the second on (the walk after the failed
 * one), the kernel has finished unlinking: TASK(1)'s next is TASK(2). */
static void mend_on_second(struct fake *f, uint64_t pa)
{
	if (pa == LINK && ++f->hook_count == 2)
		fake_put64(f, LINK, KV(TASK(2) + T_TASKS));
}

static void count_link(struct fake *f, uint64_t pa)
{
	f->hook_count += pa == LINK;
}

/* The fake with LINK broken, live or not, hook on its reads; its models. */
static struct vt_models *broken_link(struct fake *f, bool live,
				     void (*hook)(struct fake *, uint64_t))
{
	struct vt_models *m = NULL;

	build(f, true, "6.1.0-test");
	fake_put64(f, LINK, KV(GONE));
	f->live = live;
	f->on_read = hook;
	CHECK_OK(fake_open(f));
	CHECK_OK(vt_models_create(f->t, f->s, &m));
	return m;
}

/* Live: a leader's link changes under the walk (models.c walks again). */
static void test_live_race(void)
{
	struct fake f;
	struct vt_models *m;
	const struct vt_task_list *l;
	const struct vt_error *err;

	/* Broken for the first walk only: the second one sees every task. */
	m = broken_link(&f, true, mend_on_second);
	l = vt_models_tasks(m, &err);
	CHECK(l && l->n == 9 && find(l, TASK(5)));
	CHECK(f.hook_count == 2);
	vt_models_destroy(m);
	fake_free(&f);

	/* Broken for good: 1 + VT_LIVE_RETRIES walks, then the model is unknown
	 * with the race named, nothing salvaged as if it were the kernel's state. */
	m = broken_link(&f, true, count_link);
	l = vt_models_tasks(m, &err);
	CHECK(!l && err && strstr(err->message, "reads of the running kernel all failed") &&
	      strstr(err->message, "init_task.tasks"));
	CHECK(f.hook_count == 1 + VT_LIVE_RETRIES);
	vt_models_destroy(m);
	fake_free(&f);

	/* The same in a dump: read once, salvaged (walked back to the break). */
	m = broken_link(&f, false, count_link);
	l = vt_models_tasks(m, &err);
	CHECK(l && find(l, TASK(1)) && find(l, TASK(5)) && f.hook_count == 1);
	vt_models_destroy(m);
	fake_free(&f);
}

static void test_missing(void)
{
	static const struct {
		const char *key, *named;
	} cases[] = {
		{ "OFFSET(task_struct.tgid)", "tgid" },
		{ "OFFSET(task_struct.real_parent)", "real_parent" },
		{ "OFFSET(task_struct.exit_state)", "exit_state" },
		{ "OFFSET(task_struct.__state)", "state" },
		{ "OFFSET(task_struct.cpu)", "thread_info" },
		{ "OFFSET(task_struct.thread_node)", "thread_group" },
		{ "OFFSET(task_struct.signal)", "signal" },
		{ "OFFSET(signal_struct.thread_head)", "thread_head" },
		{ "OFFSET(task_struct.tasks)", "tasks" },
		{ "SYMBOL(init_task)", "init_task" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fake f;
		struct vt_task_list l;
		struct vt_error *err;

		build(&f, true, "6.1.0-test");
		fake_vi_drop(&f, cases[i].key);
		CHECK_OK(fake_open(&f));
		err = vt_tasks_list(f.t, f.s, &l);
		CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, cases[i].named));
		if (err && !strstr(err->message, cases[i].named))
			fprintf(stderr, "  without %s: %s\n", cases[i].key, err->message);
		vt_error_destroy(err);
		vt_tasks_list_deinit(&l);
		fake_free(&f);
	}
}

int main(void)
{
	test_threads();
	test_states();
	test_cpus();
	test_damaged();
	test_live_race();
	test_missing();
	return unit_done("test_tasks");
}
