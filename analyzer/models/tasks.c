/*
 * Tasks: the leaders from init_task.tasks, each leader's threads
 * (signal->thread_head through thread_node, or thread_group on kernels
 * without it), the idle task of each present CPU (runqueues). Layouts from
 * the dump's types; a missing member is an error naming it.
 */
#include "models/tasks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Brent's cycle check over a walk: true when pos was seen before. */
struct cycle {
	uint64_t saved;
	unsigned long power, lam;
};

static bool cycle_step(struct cycle *c, uint64_t pos)
{
	if (c->power && pos == c->saved)
		return true;
	if (++c->lam >= c->power) {
		c->saved = pos;
		c->power = c->power ? 2 * c->power : 1;
		c->lam = 0;
	}
	return false;
}

static struct vt_error *too_long(const char *what)
{
	return vt_error_create(VT_ERR_FORMAT, "%s: cyclic, or longer than %u "
			       "(garbage links?)", what, VT_MAX_TASKS);
}

struct vt_error *vt_tasks_walk_leaders(struct vt_target *t, struct vt_symbols *s,
				       vt_task_visit_fn fn, void *arg)
{
	uint64_t init_task, tasks, head, pos, next, brk = 0, link_off[2];
	struct vt_error *err;
	unsigned n = 0;
	bool live = vt_target_info(t)->live;

	if ((err = vt_symbols_lookup(s, "init_task", &init_task)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "tasks", &tasks)) ||
	    (err = vt_symbols_offsetof(s, "struct list_head", "next", &link_off[0])) ||
	    (err = vt_symbols_offsetof(s, "struct list_head", "prev", &link_off[1])))
		return err;
	head = init_task + tasks;
	for (int dir = 0; dir < 2; dir++) {
		struct cycle cy = { 0 };
		bool broken = false;

		if ((err = vt_target_read_u64(t, head + link_off[dir], &pos)))
			return vt_error_prefix(err, "init_task.tasks");
		while (pos != head && (dir == 0 || pos != brk)) {
			struct vt_error *lerr;
			int stop;

			if (++n > VT_MAX_TASKS || cycle_step(&cy, pos))
				return too_long("init_task.tasks");
			/* The task is visited even when its link cannot be read;
			 * the walk in this direction ends there. */
			lerr = vt_target_read_u64(t, pos + link_off[dir], &next);
			stop = fn(arg, pos - tasks);
			if (lerr && live && lerr->code != VT_ERR_NOMEM)
				/* A running kernel: the task left under us; the
				 * caller walks again (models.c) rather than salvage. */
				return vt_error_prefix(lerr, "init_task.tasks: link of 0x%" PRIx64,
						       pos);
			if (lerr) {
				bool nomem = lerr->code == VT_ERR_NOMEM;

				vt_error_destroy(lerr);
				if (nomem)
					return &vt_enomem;
				broken = true;
				brk = pos;
			}
			if (stop)
				return NULL;
			if (broken)
				break;
			pos = next;
		}
		if (!broken)
			break;	/* walked all the way round (or met the break) */
	}
	return NULL;
}

struct offs {
	uint64_t pid, tgid, comm, mm, parent, exit_state, state, cpu;
	uint64_t state_size;
	/* thread lists: thread_node in signal->thread_head, or thread_group */
	bool by_node;
	uint64_t node, signal, thread_head, next;
};

static struct vt_error *load_offs(struct vt_symbols *s, struct offs *o)
{
	const char *ts = "struct task_struct";
	struct vt_member_info mi;
	struct vt_error *err;

	if ((err = vt_symbols_offsetof(s, ts, "pid", &o->pid)) ||
	    (err = vt_symbols_offsetof(s, ts, "tgid", &o->tgid)) ||
	    (err = vt_symbols_offsetof(s, ts, "comm", &o->comm)) ||
	    (err = vt_symbols_offsetof(s, ts, "mm", &o->mm)) ||
	    (err = vt_symbols_offsetof(s, ts, "real_parent", &o->parent)) ||
	    (err = vt_symbols_offsetof(s, ts, "exit_state", &o->exit_state)) ||
	    (err = vt_symbols_offsetof(s, "struct list_head", "next", &o->next)))
		goto out;
	/* v5.14 renamed state to __state (and made it an unsigned int). */
	err = vt_symbols_member(s, ts, "__state", &mi);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_symbols_member(s, ts, "state", &mi);
	if (err)
		goto out;
	o->state = mi.offset;
	o->state_size = mi.size ? mi.size : 4;
	/* task_struct.cpu (THREAD_INFO_IN_TASK, v4.9-v5.15), thread_info.cpu
	 * inside the task (v5.16+ on those arches). */
	err = vt_symbols_offsetof(s, ts, "cpu", &o->cpu);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_symbols_offsetof(s, ts, "thread_info.cpu", &o->cpu);
	if (err)
		goto out;
	/* v3.14+: signal->thread_head; thread_group went in v6.7. */
	err = vt_symbols_offsetof(s, ts, "thread_node", &o->node);
	o->by_node = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_symbols_offsetof(s, ts, "thread_group", &o->node);
	else if (!err && !((err = vt_symbols_offsetof(s, ts, "signal", &o->signal))))
		err = vt_symbols_offsetof(s, "struct signal_struct", "thread_head",
					  &o->thread_head);
out:
	return err ? vt_error_prefix(err, "task layout (give the vmlinux if the dump has "
				     "no BTF)") : NULL;
}

char vt_task_state_char(uint32_t state, uint32_t exit_state)
{
	/* include/linux/sched.h, v4.14+: TASK_REPORT is the seven bits
	 * R S D T t X Z plus TASK_PARKED (0x40); TASK_IDLE =
	 * TASK_UNINTERRUPTIBLE | TASK_NOLOAD (0x400) reports as I; v5.15+
	 * TASK_RTLOCK_WAIT (0x1000) and v6.1+ TASK_FROZEN (0x8000) report as
	 * D (bits never set on the kernels before them). */
	static const char letters[] = "RSDTtXZPI";
	uint32_t r = (state | exit_state) & 0x7f;
	int idx = 0;

	if ((state & 0x402) == 0x402)
		r = 0x80;
	if (state & (0x1000 | 0x8000))
		r = 0x2;
	while (r) {
		idx++;
		r >>= 1;
	}
	return letters[idx];
}

const char *vt_task_state_name(char c)
{
	switch (c) {
	case 'R': return "RU";
	case 'S': return "IN";
	case 'D': return "UN";
	case 'T': return "ST";
	case 't': return "TR";
	case 'X': return "DE";
	case 'Z': return "ZO";
	case 'P': return "PA";
	case 'I': return "ID";
	default: return "??";
	}
}

struct ctx {
	struct vt_target *t;
	struct vt_symbols *s;
	const struct offs *o;
	struct vt_task_list *l;
	size_t cap;
	bool states_known;
	struct vt_error *err;	/* fatal: stops the walk */
};

static struct vt_error *read_fields(struct ctx *c, uint64_t task, struct vt_task *e)
{
	const struct offs *o = c->o;
	uint32_t pid, tgid, cpu, ppid, exit_state, st32;
	uint64_t parent, st64;
	struct vt_error *err;

	if ((err = vt_target_read_kv(c->t, task + o->comm, e->comm, 16)))
		return err;
	e->comm[15] = '\0';
	for (int i = 0; e->comm[i]; i++)
		if (e->comm[i] < 0x20 || e->comm[i] > 0x7e)
			e->comm[i] = '?';
	if ((err = vt_target_read_u32(c->t, task + o->pid, &pid)) ||
	    (err = vt_target_read_u32(c->t, task + o->tgid, &tgid)))
		return err;
	e->pid = (int32_t)pid;
	e->tgid = (int32_t)tgid;
	if ((err = vt_target_read_u64(c->t, task + o->mm, &e->mm)) ||
	    (err = vt_target_read_u32(c->t, task + o->cpu, &cpu)))
		return err;
	e->cpu = (int32_t)cpu;
	if (o->state_size == 8) {
		err = vt_target_read_u64(c->t, task + o->state, &st64);
		st32 = (uint32_t)st64;
	} else {
		err = vt_target_read_u32(c->t, task + o->state, &st32);
	}
	if (err || (err = vt_target_read_u32(c->t, task + o->exit_state, &exit_state)))
		return err;
	e->state = st32;
	e->exit_state = exit_state;
	if (c->states_known) {
		e->state_char = vt_task_state_char(st32, exit_state);
		e->state_name = vt_task_state_name(e->state_char);
	}
	if ((err = vt_target_read_u64(c->t, task + o->parent, &parent)))
		return err;
	if ((err = vt_target_read_u32(c->t, parent + o->pid, &ppid)))
		return vt_error_prefix(err, "real_parent 0x%" PRIx64, parent);
	e->ppid = (int32_t)ppid;
	return NULL;
}

/* Append the task at addr (read now); NULL, or a fatal error. */
static struct vt_task *add(struct ctx *c, uint64_t addr)
{
	struct vt_task_list *l = c->l;
	struct vt_task *e;
	struct vt_error *err;

	if (l->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 256;
		struct vt_task *p = realloc(l->tasks, ncap * sizeof(*p));

		if (!p) {
			c->err = &vt_enomem;
			return NULL;
		}
		l->tasks = p;
		c->cap = ncap;
	}
	e = &l->tasks[l->n++];
	memset(e, 0, sizeof(*e));
	*e = (struct vt_task){ .addr = addr, .pid = -1, .tgid = -1, .ppid = -1, .cpu = -1,
			       .state_char = '?', .state_name = "??" };
	err = read_fields(c, addr, e);
	if (err && err->code == VT_ERR_NOMEM) {
		c->err = err;
		l->n--;
		return NULL;
	}
	if (err) {
		snprintf(e->error, sizeof(e->error), "task 0x%" PRIx64 ": %s", addr,
			 err->message);
		vt_error_destroy(err);
	}
	return e;
}

/* A leader and its other threads. */
static int visit_leader(void *arg, uint64_t leader)
{
	struct ctx *c = arg;
	const struct offs *o = c->o;
	struct vt_task *e = add(c, leader);
	uint64_t head, pos;
	struct cycle cy = { 0 };
	struct vt_error *err = NULL;
	unsigned n = 0;

	if (!e)
		return 1;
	if (*e->error)
		return 0;	/* its thread list cannot be reached either */
	if (o->by_node) {
		uint64_t sig;

		err = vt_target_read_u64(c->t, leader + o->signal, &sig);
		head = sig + o->thread_head;
	} else {
		head = leader + o->node;
	}
	if (!err)
		err = vt_target_read_u64(c->t, head + o->next, &pos);
	while (!err && pos != head) {
		uint64_t task = pos - o->node;

		if (++n > VT_MAX_TASKS || cycle_step(&cy, pos)) {
			c->err = too_long("thread list");
			return 1;
		}
		if (task != leader) {
			if (!(e = add(c, task)))
				return 1;
			if (*e->error)
				break;	/* its link is as unreadable */
		}
		err = vt_target_read_u64(c->t, pos + o->next, &pos);
	}
	if (err && err->code == VT_ERR_NOMEM) {
		c->err = err;
		return 1;
	}
	if (err) {
		/* The leader stays; say where its threads were lost. */
		e = &c->l->tasks[c->l->n - 1];
		if (!*e->error)
			snprintf(e->error, sizeof(e->error), "thread list: %s", err->message);
		vt_error_destroy(err);
	}
	return 0;
}

/* The idle task and the running one of each present CPU. */
static struct vt_error *per_cpu(struct ctx *c, size_t nlisted)
{
	uint64_t rq0, pcpu, mask, rq_idle, rq_curr;
	uint32_t nr_ids;
	bool smp = true;
	struct vt_error *err;

	if ((err = vt_symbols_lookup(c->s, "runqueues", &rq0)) ||
	    (err = vt_symbols_offsetof(c->s, "struct rq", "idle", &rq_idle)) ||
	    (err = vt_symbols_offsetof(c->s, "struct rq", "curr", &rq_curr)))
		return err;
	err = vt_symbols_lookup(c->s, "__per_cpu_offset", &pcpu);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		smp = false;	/* !CONFIG_SMP: runqueues is the one rq */
	else if (err)
		return err;
	if (smp && ((err = vt_symbols_lookup(c->s, "nr_cpu_ids", &mask)) ||
		    (err = vt_target_read_u32(c->t, mask, &nr_ids)) ||
		    (err = vt_symbols_lookup(c->s, "__cpu_present_mask", &mask))))
		return err;
	if (!smp)
		nr_ids = 1;
	if (nr_ids > 65536)
		return vt_error_create(VT_ERR_FORMAT, "nr_cpu_ids %u", nr_ids);
	for (uint32_t cpu = 0; cpu < nr_ids; cpu++) {
		uint64_t word = 1, off = 0, idle, curr;
		struct vt_task *e;

		if (smp && ((err = vt_target_read_u64(c->t, mask + 8 * (cpu / 64), &word)) ||
			    (err = vt_target_read_u64(c->t, pcpu + 8 * cpu, &off))))
			return vt_error_prefix(err, "cpu %u", cpu);
		if (!(word >> (cpu % 64) & 1))
			continue;
		c->l->ncpus++;
		if ((err = vt_target_read_u64(c->t, rq0 + off + rq_idle, &idle)) ||
		    (err = vt_target_read_u64(c->t, rq0 + off + rq_curr, &curr)))
			return vt_error_prefix(err, "cpu %u: runqueues", cpu);
		if (!(e = add(c, idle)))
			return c->err;
		e->idle = true;
		if (e->cpu < 0 || *e->error)
			e->cpu = (int)cpu;
		if (curr == idle)
			e->active = true;
		for (size_t i = 0; i < nlisted; i++)
			if (c->l->tasks[i].addr == curr)
				c->l->tasks[i].active = true;
	}
	return NULL;
}

static int by_pid(const void *a, const void *b)
{
	const struct vt_task *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

struct vt_error *vt_tasks_list(struct vt_target *t, struct vt_symbols *s,
			       struct vt_task_list *ret)
{
	struct offs o;
	struct ctx c = { .t = t, .s = s, .o = &o, .l = ret };
	const char *rel = vt_target_info(t)->release;
	unsigned major = 0, minor = 0;
	struct vt_error *err;
	size_t nlisted;

	memset(ret, 0, sizeof(*ret));
	if ((err = load_offs(s, &o)))
		return err;
	/* The TASK_* bits took their present places in v4.14. */
	c.states_known = sscanf(rel, "%u.%u", &major, &minor) == 2 &&
			 (major > 4 || (major == 4 && minor >= 14));
	if (!c.states_known)
		snprintf(ret->state_error, sizeof(ret->state_error), "kernel '%s': the "
			 "TASK_* bits before v4.14 are not decoded", rel);
	err = vt_tasks_walk_leaders(t, s, visit_leader, &c);
	if (!err)
		err = c.err;
	if (err)
		goto fail;
	nlisted = ret->n;
	err = per_cpu(&c, nlisted);
	if (err && (err->code == VT_ERR_NOMEM || c.err))
		goto fail;
	if (err) {
		ret->n = nlisted;
		snprintf(ret->cpu_error, sizeof(ret->cpu_error), "per-CPU idle tasks: %s",
			 err->message);
		vt_error_destroy(err);
	}
	qsort(ret->tasks, ret->n, sizeof(*ret->tasks), by_pid);
	return NULL;
fail:
	vt_tasks_list_deinit(ret);
	return err;
}

void vt_tasks_list_deinit(struct vt_task_list *l)
{
	free(l->tasks);
	memset(l, 0, sizeof(*l));
}
