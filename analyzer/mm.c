/*
 * Tasks come from init_task.tasks (every thread group leader); each task's
 * ->mm is deduplicated. Layouts from the dump's types.
 */
#include "mm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct offs {
	uint64_t tasks, mm, pid, comm, pgd, users, pgtables;
	bool have_pgtables;
};

static struct vt_error *load_offs(struct vt_symbols *s, struct offs *o)
{
	struct vt_error *err;

	if ((err = vt_symbols_offsetof(s, "struct task_struct", "tasks", &o->tasks)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "mm", &o->mm)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "pid", &o->pid)) ||
	    (err = vt_symbols_offsetof(s, "struct task_struct", "comm", &o->comm)) ||
	    (err = vt_symbols_offsetof(s, "struct mm_struct", "pgd", &o->pgd)) ||
	    (err = vt_symbols_offsetof(s, "struct mm_struct", "mm_users", &o->users)))
		return vt_error_prefix(err, "task/mm layout (give the vmlinux if the dump has no BTF)");
	err = vt_symbols_offsetof(s, "struct mm_struct", "pgtables_bytes", &o->pgtables);
	o->have_pgtables = !err;
	vt_error_destroy(err);
	return NULL;
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
	if (o->have_pgtables && !vt_target_read_u64(t, mm + o->pgtables, &pgt))
		ret->pgtables_bytes = (int64_t)pgt;
	return NULL;
}

/* Visit tasks; fn returns 1 to stop. */
static struct vt_error *each_task(struct vt_target *t, struct vt_symbols *s,
				  const struct offs *o,
				  int (*fn)(void *, uint64_t task, uint64_t mm, int pid,
					    const char *comm), void *arg)
{
	uint64_t init_task, head, pos;
	struct vt_error *err;
	unsigned n = 0;

	if ((err = vt_symbols_lookup(s, "init_task", &init_task)))
		return err;
	head = init_task + o->tasks;
	if ((err = vt_target_read_u64(t, head, &pos)))
		return vt_error_prefix(err, "init_task.tasks");
	while (pos != head) {
		uint64_t task = pos - o->tasks, mm;
		uint32_t pid;
		char comm[17] = "";

		if (++n > VT_MAX_TASKS)
			return vt_error_create(VT_ERR_FORMAT, "task list longer than %u: cyclic?",
					       VT_MAX_TASKS);
		if ((err = vt_target_read_u64(t, task + o->mm, &mm)) ||
		    (err = vt_target_read_u32(t, task + o->pid, &pid)) ||
		    (err = vt_target_read_kv(t, task + o->comm, comm, 16)))
			return vt_error_prefix(err, "task 0x%" PRIx64, task);
		for (int i = 0; i < 16; i++)
			if (comm[i] && (comm[i] < 0x20 || comm[i] > 0x7e))
				comm[i] = '?';
		if (fn(arg, task, mm, (int)pid, comm))
			return NULL;
		if ((err = vt_target_read_u64(t, pos, &pos)))
			return vt_error_prefix(err, "task list");
	}
	return NULL;
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
};

static int add_mm(void *arg, uint64_t task, uint64_t mm, int pid, const char *comm)
{
	struct list_ctx *c = arg;

	if (!mm)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (c->mms[i].addr == mm) {
			c->mms[i].ntasks++;
			return 0;
		}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		struct vt_mm *p = realloc(c->mms, ncap * sizeof(*p));

		if (!p) {
			c->err = &vt_enomem;
			return 1;
		}
		c->mms = p;
		c->cap = ncap;
	}
	c->err = fill_mm(c->t, c->o, mm, &c->mms[c->n]);
	if (c->err)
		return 1;
	c->mms[c->n].pid = pid;
	memcpy(c->mms[c->n].comm, comm, 16);
	c->mms[c->n].comm[15] = '\0';
	c->mms[c->n].ntasks = 1;
	c->n++;
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

static int find_pid(void *arg, uint64_t task, uint64_t mm, int pid, const char *comm)
{
	struct list_ctx *c = arg;

	if (pid != c->want_pid)
		return 0;
	c->found = true;
	c->found_mm = mm;
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
