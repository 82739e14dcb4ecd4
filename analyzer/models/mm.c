/*
 * Tasks come from init_task.tasks (every thread group leader); each task's
 * ->mm is deduplicated. Layouts from the dump's types.
 */
#include "models/mm.h"
#include "models/tasks.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct offs {
	uint64_t mm, pid, comm, pgd, users, pgtables;
	bool have_pgtables;
};

static struct vt_error *load_offs(struct vt_symbols *s, struct offs *o)
{
	struct vt_error *err;

	if ((err = vt_symbols_offsetof(s, "struct task_struct", "mm", &o->mm)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "pid", &o->pid)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "comm", &o->comm)) ||
	    (err = vt_symbols_offsetof(s, "struct mm_struct", "pgd", &o->pgd)) ||
	    (err = vt_symbols_offsetof(s, "struct mm_struct", "mm_users", &o->users)))
		return vt_error_prefix(err, "task/mm layout (give the vmlinux if the dump has no BTF)");
	/* pgtables_bytes is v4.16+ (nr_ptes/nr_pmds before): absent is "unknown". */
	err = vt_symbols_offsetof(s, "struct mm_struct", "pgtables_bytes", &o->pgtables);
	o->have_pgtables = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err;
}

static struct vt_error *fill_mm(struct vt_target *t, const struct offs *o, uint64_t mm,
				struct vt_mm *ret)
{
	uint32_t users = 0;
	uint64_t pgt = 0;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	ret->addr = mm;
	if ((err = vt_target_read_u64(t, mm + o->pgd, &ret->pgd)) ||
	    (err = vt_target_read_u32(t, mm + o->users, &users)) ||
	    (err = vt_target_vtop(t, ret->pgd, &ret->pgd_paddr, NULL)))
		return vt_error_prefix(err, "mm 0x%" PRIx64, mm);
	ret->users = (int32_t)users;
	ret->pgtables_bytes = -1;
	if (o->have_pgtables && !vt_error_failed(vt_target_read_u64(t, mm + o->pgtables, &pgt)))
		ret->pgtables_bytes = (int64_t)pgt;
	return NULL;
}

/* One task of the list, or (err set) one that could not be read. */
struct task_item {
	uint64_t task, mm;
	int pid;
	char comm[17];
	const struct vt_error *err;
};

typedef int (*task_fn)(void *arg, const struct task_item *ti);

/* Read one task's fields; the caller owns a returned error. */
static struct vt_error *read_task(struct vt_target *t, const struct offs *o, uint64_t task,
				  struct task_item *ti)
{
	uint32_t pid;
	struct vt_error *err;

	memset(ti, 0, sizeof(*ti));
	ti->task = task;
	ti->pid = -1;
	if ((err = vt_target_read_u64(t, task + o->mm, &ti->mm)) ||
	    (err = vt_target_read_u32(t, task + o->pid, &pid)) ||
	    (err = vt_target_read_kv(t, task + o->comm, ti->comm, 16)))
		return vt_error_prefix(err, "task 0x%" PRIx64, task);
	ti->pid = (int)pid;
	for (int i = 0; i < 16; i++)
		if (ti->comm[i] && (ti->comm[i] < 0x20 || ti->comm[i] > 0x7e))
			ti->comm[i] = '?';
	return NULL;
}

/* Visit tasks (vt_tasks_walk_leaders) with their fields read: an
 * unreadable task is passed with err set. */
struct walk {
	struct vt_target *t;
	const struct offs *o;
	task_fn fn;
	void *arg;
	struct vt_error *err;	/* out of memory */
};

static int visit(void *arg, uint64_t task)
{
	struct walk *w = arg;
	struct task_item ti;
	struct vt_error *terr = read_task(w->t, w->o, task, &ti);
	int stop;

	if (terr && terr->code == VT_ERR_NOMEM) {
		w->err = terr;
		return 1;
	}
	ti.err = terr;
	stop = w->fn(w->arg, &ti);
	vt_error_destroy(terr);
	return stop;
}

static struct vt_error *each_task(struct vt_target *t, struct vt_symbols *s,
				  const struct offs *o, task_fn fn, void *arg)
{
	struct walk w = { .t = t, .o = o, .fn = fn, .arg = arg };
	struct vt_error *err = vt_tasks_walk_leaders(t, s, visit, &w);

	if (err) {
		vt_error_destroy(w.err);
		return err;
	}
	return w.err;
}

struct list_ctx {
	struct vt_target *t;
	const struct offs *o;
	struct vt_mm *mms;
	size_t n, cap;
	struct vt_error *err;
	int want_pid;
	uint64_t found_mm;
	bool found;
	unsigned unreadable;
};

static struct vt_mm *new_entry(struct list_ctx *c)
{
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		struct vt_mm *p = realloc(c->mms, ncap * sizeof(*p));

		if (!p) {
			c->err = &vt_enomem;
			return NULL;
		}
		c->mms = p;
		c->cap = ncap;
	}
	memset(&c->mms[c->n], 0, sizeof(c->mms[c->n]));
	return &c->mms[c->n++];
}

static int add_mm(void *arg, const struct task_item *ti)
{
	struct list_ctx *c = arg;
	struct vt_mm *e;
	struct vt_error *err;

	if (!ti->err && !ti->mm)
		return 0;	/* a kernel thread */
	for (size_t i = 0; !ti->err && i < c->n; i++)
		if (c->mms[i].addr == ti->mm && !*c->mms[i].error) {
			c->mms[i].ntasks++;
			return 0;
		}
	if (!(e = new_entry(c)))
		return 1;
	if (ti->err) {
		e->addr = ti->task;
		e->task_unreadable = true;
		e->pid = ti->pid;
		snprintf(e->error, sizeof(e->error), "%s", ti->err->message);
		return 0;
	}
	err = fill_mm(c->t, c->o, ti->mm, e);
	if (err && err->code == VT_ERR_NOMEM) {
		c->err = err;
		return 1;
	}
	if (err) {
		snprintf(e->error, sizeof(e->error), "%s", err->message);
		vt_error_destroy(err);
	}
	e->pid = ti->pid;
	memcpy(e->comm, ti->comm, 16);
	e->comm[15] = '\0';
	e->ntasks = 1;
	return 0;
}

struct vt_error *vt_mm_list(struct vt_target *t, struct vt_symbols *s,
			    struct vt_mm **ret, size_t *nret)
{
	struct offs o;
	struct list_ctx c = { .t = t, .o = &o };
	struct vt_error *err = load_offs(s, &o);

	if (!err)
		err = each_task(t, s, &o, add_mm, &c);
	if (!err)
		err = c.err;
	if (err) {
		free(c.mms);
		return err;
	}
	*ret = c.mms;
	*nret = c.n;
	return NULL;
}

struct vt_error *vt_mm_init_mm(struct vt_target *t, struct vt_symbols *s,
			       struct vt_mm *ret)
{
	struct offs o;
	uint64_t init_mm;
	struct vt_error *err = load_offs(s, &o);

	if (!err)
		err = vt_symbols_lookup(s, "init_mm", &init_mm);
	if (!err)
		err = fill_mm(t, &o, init_mm, ret);
	if (!err) {
		ret->pid = 0;
		strcpy(ret->comm, "init_mm");
	}
	return err;
}

static int find_pid(void *arg, const struct task_item *ti)
{
	struct list_ctx *c = arg;

	if (ti->err) {
		c->unreadable++;
		return 0;
	}
	if (ti->pid != c->want_pid)
		return 0;
	c->found = true;
	c->found_mm = ti->mm;
	return 1;
}

struct vt_error *vt_mm_of_pid(struct vt_target *t, struct vt_symbols *s, int pid,
			      struct vt_mm *ret)
{
	struct offs o;
	struct list_ctx c = { .t = t, .o = &o, .want_pid = pid };
	struct vt_error *err = load_offs(s, &o);

	if (!err)
		err = each_task(t, s, &o, find_pid, &c);
	if (err)
		return err;
	if (!c.found && c.unreadable)
		return vt_error_create(VT_ERR_NOT_FOUND, "no task with pid %d among the readable "
				       "ones (%u task(s) could not be read)", pid, c.unreadable);
	if (!c.found)
		return vt_error_create(VT_ERR_NOT_FOUND, "no task with pid %d", pid);
	if (!c.found_mm)
		return vt_error_create(VT_ERR_NOT_FOUND, "pid %d is a kernel thread (no mm)", pid);
	err = fill_mm(t, &o, c.found_mm, ret);
	if (!err)
		ret->pid = pid;
	return err;
}

struct vt_error *vt_mm_of_pid_text(struct vt_target *t, struct vt_symbols *s,
				   const char *text, struct vt_mm *ret)
{
	char *end;
	long pid = strtol(text, &end, 10);

	if (!*text || *end || pid < 0 || pid > INT32_MAX)
		return vt_error_create(VT_ERR_USAGE, "bad pid '%s'", text);
	return vt_mm_of_pid(t, s, (int)pid, ret);
}
