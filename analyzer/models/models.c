#include "models/models.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/target.h"

/* A model built on first use: the value, or the error that stopped it. */
struct lazy {
	bool tried;
	struct vt_error *err;
};

struct vt_models {
	struct vt_target *t;
	struct vt_symbols *s;
	struct lazy memmap_l, oops_l, kpgd_l, mms_l, init_mm_l, lmb_l, crash_l, e820_l;
	struct lazy tasks_l, ctrace_l, coverage_l;
	struct vt_ram_coverage coverage;
	struct vt_task_list tasks;
	struct vt_traces *traces;
	struct vt_crash_trace ctrace;
	struct vt_task ptask;		/* the crashed task when the task list has none */
	bool crash_done;
	struct vt_oops stack_oops;
	const struct vt_oops *crash_oops;
	struct vt_crash_sig sig;
	struct vt_memmap *memmap;
	struct vt_oops oops;
	struct vt_kernel_pgd kpgd;
	struct vt_mm *mms;
	size_t nmms;
	struct vt_mm init_mm;
	struct vt_lmb_check lmb;
	struct vt_crashimage crash;
	struct vt_map e820;
};

struct vt_error *vt_models_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_models **ret)
{
	struct vt_models *m = calloc(1, sizeof(*m));

	if (!m)
		return &vt_enomem;
	m->t = t;
	m->s = s;
	*ret = m;
	return NULL;
}

void vt_models_destroy(struct vt_models *m)
{
	struct lazy *all[] = { &m->memmap_l, &m->oops_l, &m->kpgd_l, &m->mms_l,
			       &m->init_mm_l, &m->lmb_l, &m->crash_l, &m->e820_l,
			       &m->tasks_l, &m->ctrace_l, &m->coverage_l };

	if (!m)
		return;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		vt_error_destroy(all[i]->err);
	vt_memmap_destroy(m->memmap);
	free(m->mms);
	if (m->lmb_l.tried && !m->lmb_l.err)
		vt_lmb_check_deinit(&m->lmb);
	if (m->crash_l.tried && !m->crash_l.err)
		vt_crashimage_deinit(&m->crash);
	vt_map_deinit(&m->e820);
	vt_tasks_list_deinit(&m->tasks);
	vt_traces_destroy(m->traces);
	free(m);
}

const struct vt_arch_ops *vt_models_arch(const struct vt_models *m)
{
	return vt_target_info(m->t)->arch_ops;
}

const char *vt_models_release(const struct vt_models *m)
{
	return vt_target_info(m->t)->release;
}

struct vt_symbols *vt_models_symbols(const struct vt_models *m)
{
	return m->s;
}

/*
 * A running kernel's lists change under a walk: a task exits and its links
 * point anywhere, so the walk meets garbage, a cycle or an unmapped
 * address. On a live target such a failure is not the kernel's state but
 * the race: the build is redone, at most VT_LIVE_RETRIES more times, and
 * then its error (said to be the race's) stands: the model is unknown.
 */
static bool raced(const struct vt_models *m, const struct vt_error *err)
{
	return err && vt_target_info(m->t)->live &&
	       (err->code == VT_ERR_FORMAT || err->code == VT_ERR_FAULT);
}

static struct vt_error *after_retries(struct vt_models *m, struct vt_error *err, unsigned tries)
{
	if (!raced(m, err))
		return err;
	return vt_error_prefix(err, "%u reads of the running kernel all failed (a list "
			       "changing under the walk?)", tries);
}

/* Run build once (a live target: until it does not race, bounded);
 * afterwards answer with what it gave. */
#define LAZY(m, l, build)						\
	do {								\
		if (!(m)->l.tried) {					\
			unsigned tries_ = 1;				\
									\
			(m)->l.tried = true;				\
			(m)->l.err = (build);				\
			while (raced(m, (m)->l.err) && tries_ <= VT_LIVE_RETRIES) { \
				vt_error_destroy((m)->l.err);		\
				(m)->l.err = (build);			\
				tries_++;				\
			}						\
			(m)->l.err = after_retries(m, (m)->l.err, tries_); \
		}							\
	} while (0)

struct vt_memmap *vt_models_memmap(struct vt_models *m, const struct vt_error **err)
{
	LAZY(m, memmap_l, vt_memmap_create(m->t, m->s, &m->memmap));
	*err = m->memmap_l.err;
	return m->memmap_l.err ? NULL : m->memmap;
}

const struct vt_oops *vt_models_oops(struct vt_models *m)
{
	/* An unreadable log is said in the oops itself (have_log, log_error). */
	LAZY(m, oops_l, vt_oops_from_log(m->t, m->s, &m->oops));
	return &m->oops;
}

const struct vt_kernel_pgd *vt_models_kernel_pgd(struct vt_models *m,
						  const struct vt_error **err)
{
	LAZY(m, kpgd_l, vt_kernel_pgd_read(m->t, &m->kpgd));
	*err = m->kpgd_l.err;
	return m->kpgd_l.err ? NULL : &m->kpgd;
}

static int pgd_ignore(void *arg, const struct vt_pgd *pgd)
{
	return 0;
}

/*
 * A running kernel's pgd_list changes as processes come and go, and the
 * caller's visitor cannot be undone: walk it with no visitor until it reads
 * whole (no garbage, no cycle, no unreadable pgd), at most VT_LIVE_RETRIES
 * more times, then let the caller walk. What still breaks in that walk is
 * the caller's unknown.
 */
static void settle_pgd_list(struct vt_models *m, struct vt_memmap *mm, uint64_t max)
{
	static const struct vt_pgd_list_ops none = { pgd_ignore, NULL };

	for (unsigned i = 0; i <= VT_LIVE_RETRIES; i++) {
		struct vt_pgd_list_walk dry;
		struct vt_error *err = vt_pgd_list_walk(m->t, m->s, mm, max, &none, NULL, &dry);
		bool whole = !err && !dry.truncated && !dry.unreadable;

		vt_error_destroy(err);
		if (whole)
			return;
	}
}

struct vt_error *vt_models_pgd_list(struct vt_models *m, uint64_t max,
				    const struct vt_pgd_list_ops *ops, void *arg,
				    struct vt_pgd_list_walk *ret)
{
	const struct vt_error *merr;
	struct vt_memmap *mm = vt_models_memmap(m, &merr);

	if (!mm)
		return vt_error_create(merr->code, "memmap unavailable: %s", merr->message);
	if (vt_target_info(m->t)->live)
		settle_pgd_list(m, mm, max);
	return vt_pgd_list_walk(m->t, m->s, mm, max, ops, arg, ret);
}

const struct vt_mm *vt_models_mms(struct vt_models *m, size_t *n, const struct vt_error **err)
{
	LAZY(m, mms_l, vt_mm_list(m->t, m->s, &m->mms, &m->nmms));
	*err = m->mms_l.err;
	*n = m->mms_l.err ? 0 : m->nmms;
	return m->mms_l.err ? NULL : m->mms;
}

const struct vt_mm *vt_models_init_mm(struct vt_models *m, const struct vt_error **err)
{
	LAZY(m, init_mm_l, vt_mm_init_mm(m->t, m->s, &m->init_mm));
	*err = m->init_mm_l.err;
	return m->init_mm_l.err ? NULL : &m->init_mm;
}

const struct vt_lmb_check *vt_models_lmb_check(struct vt_models *m,
					       const struct vt_error **err)
{
	const struct vt_error *merr;
	struct vt_memmap *mm = vt_models_memmap(m, &merr);

	LAZY(m, lmb_l, vt_lmb_check_build(m->t, m->s, mm, &m->lmb));
	*err = m->lmb_l.err;
	return m->lmb_l.err ? NULL : &m->lmb;
}

const struct vt_ram_coverage *vt_models_ram_coverage(struct vt_models *m,
						     const struct vt_error **err)
{
	const struct vt_error *merr;
	struct vt_memmap *mm = vt_models_memmap(m, &merr);

	LAZY(m, coverage_l, vt_ram_coverage_read(m->t, m->s, mm, &m->coverage));
	*err = m->coverage_l.err;
	return m->coverage_l.err ? NULL : &m->coverage;
}

const struct vt_crashimage *vt_models_crash_image(struct vt_models *m,
						  const struct vt_error **err)
{
	LAZY(m, crash_l, vt_crashimage_read(m->t, m->s, &m->crash));
	*err = m->crash_l.err;
	return m->crash_l.err ? NULL : &m->crash;
}

const struct vt_map *vt_models_e820(struct vt_models *m, const struct vt_error **err)
{
	static struct vt_error none = { .code = VT_ERR_NOT_FOUND,
					.message = (char *)"this architecture has no e820 table",
					.is_static = true };

	if (!vt_models_arch(m)->firmware_e820) {
		*err = &none;
		return NULL;
	}
	LAZY(m, e820_l, vt_e820_read(m->t, m->s, "e820_table", &m->e820));
	*err = m->e820_l.err;
	return m->e820_l.err ? NULL : &m->e820;
}

struct vt_error *vt_models_walk_tables(struct vt_models *m, uint64_t pgd_paddr, bool user,
				       uint64_t max_tables, const struct vt_pgwalk_ops *ops,
				       void *arg)
{
	return vt_target_walk_tables(m->t, pgd_paddr, user, max_tables, ops, arg);
}

struct vt_error *vt_models_mm_word(struct vt_models *m, const struct vt_mm *mm,
				   uint64_t off, uint64_t *ret)
{
	return vt_target_read_u64(m->t, mm->addr + off, ret);
}

bool vt_models_vmemmap_pfn(struct vt_models *m, uint64_t va, uint64_t *pfn)
{
	uint64_t start = vt_models_arch(m)->vmemmap_start;
	const struct vt_error *err;
	struct vt_memmap *mm = vt_models_memmap(m, &err);

	if (!start || va < start || !mm)
		return false;
	*pfn = (va - start) / vt_memmap_geometry(mm)->page_struct_size;
	return true;
}

bool vt_models_linear_pfn(struct vt_models *m, uint64_t va, uint64_t *pfn)
{
	const struct vt_arch_ops *a = vt_models_arch(m);
	const struct vt_arch_mmu *mmu;
	struct vt_error *err = vt_target_mmu(m->t, &mmu);
	uint64_t pa;

	if (err) {
		vt_error_destroy(err);
		return false;
	}
	if (!a->direct || !a->direct(mmu, va, &pa))
		return false;
	*pfn = pa >> __builtin_ctz(vt_target_info(m->t)->page_size);
	return true;
}

const struct vt_task_list *vt_models_tasks(struct vt_models *m, const struct vt_error **err)
{
	LAZY(m, tasks_l, vt_tasks_list(m->t, m->s, &m->tasks));
	*err = m->tasks_l.err;
	return m->tasks_l.err ? NULL : &m->tasks;
}

struct vt_traces *vt_models_traces(struct vt_models *m)
{
	if (!m->traces) {
		struct vt_error *err = vt_traces_create(m->t, m->s, &m->traces);

		vt_error_destroy(err);
	}
	return m->traces;
}

struct vt_error *vt_models_panic_cpu(struct vt_models *m, int *cpu, const char **from)
{
	struct vt_traces *tr = vt_models_traces(m);
	const struct vt_oops *o;
	struct vt_error *err;

	if (!tr)
		return &vt_enomem;
	*from = "panic_cpu";
	err = vt_traces_panic_cpu(tr, cpu);
	if (!err || err->code != VT_ERR_NOT_FOUND || strstr(err->message, "no CPU was"))
		return err;
	/* No panic_cpu symbol (no vmlinux, no data symbols in kallsyms): the
	 * CPU the log's panic or oops header names. */
	o = vt_models_oops(m);
	if (!o->present || o->cpu < 0)
		return err;
	vt_error_destroy(err);
	*cpu = o->cpu;
	*from = "the log's CPU header";
	return NULL;
}

static struct vt_error *build_crash_trace(struct vt_models *m)
{
	struct vt_crash_trace *c = &m->ctrace;
	const struct vt_task_list *l;
	const struct vt_error *lerr;
	struct vt_traces *tr = vt_models_traces(m);
	const char *from;
	struct vt_error *err;

	if (!tr)
		return &vt_enomem;
	if ((err = vt_models_panic_cpu(m, &c->cpu, &from)))
		return err;
	if ((l = vt_models_tasks(m, &lerr))) {
		for (size_t i = 0; i < l->n && !c->task; i++)
			if (l->tasks[i].active && l->tasks[i].cpu == c->cpu)
				c->task = &l->tasks[i];
	}
	if (!c->task) {
		/* No task list (no types for it) or no task on that CPU: its
		 * registers still unwind; the task is what the log says. */
		const struct vt_oops *o = vt_models_oops(m);

		m->ptask = (struct vt_task){ .pid = -1, .tgid = -1, .ppid = -1, .cpu = c->cpu,
					     .active = true, .state_char = '?',
					     .state_name = "??" };
		if (o->present && o->cpu == c->cpu) {
			m->ptask.pid = o->pid;
			snprintf(m->ptask.comm, sizeof(m->ptask.comm), "%.15s", o->comm);
		}
		snprintf(m->ptask.error, sizeof(m->ptask.error), "%s",
			 l ? "no task is running on this CPU in the task list" : lerr->message);
		c->task = &m->ptask;
	}
	err = vt_traces_task_stack(tr, c->task, &c->stack);
	if (err) {
		snprintf(c->error, sizeof(c->error), "%s", err->message);
		vt_error_destroy(err);
	}
	return NULL;
}

const struct vt_crash_trace *vt_models_crash_trace(struct vt_models *m,
						   const struct vt_error **err)
{
	LAZY(m, ctrace_l, build_crash_trace(m));
	*err = m->ctrace_l.err;
	return m->ctrace_l.err ? NULL : &m->ctrace;
}

/* Does the log tell a crash (an oops, a BUG, a panic)? */
static bool log_tells(const struct vt_oops *o)
{
	return o->have_log && o->present;
}

static void build_crash(struct vt_models *m)
{
	const struct vt_oops *o = vt_models_oops(m);
	const struct vt_crash_trace *ct;
	const struct vt_error *err;

	m->crash_done = true;
	m->crash_oops = o;
	if (vt_crash_sig_from_oops(o, &m->sig) && log_tells(o))
		return;
	ct = vt_models_crash_trace(m, &err);
	if (!ct || *ct->error)
		return;
	vt_oops_from_stack(&ct->stack, ct->cpu, ct->task->pid, ct->task->comm, &m->stack_oops);
	if (m->stack_oops.present) {
		m->crash_oops = &m->stack_oops;
		vt_crash_sig_from_stack(&ct->stack, &m->sig);
	}
}

const struct vt_oops *vt_models_crash(struct vt_models *m)
{
	if (!m->crash_done)
		build_crash(m);
	return m->crash_oops;
}

const struct vt_crash_sig *vt_models_crash_sig(struct vt_models *m)
{
	if (!m->crash_done)
		build_crash(m);
	return &m->sig;
}

struct vt_error *vt_models_crash_regs(struct vt_models *m, struct vt_crash_regs *ret)
{
	const struct vt_crash_trace *ct;
	const struct vt_error *cerr;
	struct vt_traces *tr = vt_models_traces(m);
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!(ct = vt_models_crash_trace(m, &cerr)))
		return vt_error_create(cerr->code, "%s", cerr->message);
	if (*ct->error)
		return vt_error_create(VT_ERR_NOT_FOUND, "%s", ct->error);
	if (!tr)
		return vt_error_create(VT_ERR_NOMEM, "no memory for the traces");
	for (size_t i = 0; i + 1 < ct->stack.n; i++) {
		const struct vt_frame *f = &ct->stack.frames[i];

		if (!f->exception || !f->regs_addr)
			continue;
		if ((err = vt_traces_pt_regs(tr, f->regs_addr, &ret->regs)))
			return err;
		ret->function = ct->stack.frames[i + 1].symbol;
		snprintf(ret->from, sizeof(ret->from), "pt_regs at 0x%" PRIx64 " (%s interrupted)",
			 f->regs_addr, ret->function ? ret->function : "?");
		return NULL;
	}
	if ((err = vt_traces_cpu_regs(tr, (unsigned)ct->cpu, &ret->regs, ret->from,
				      sizeof(ret->from))))
		return err;
	ret->function = ct->stack.n ? ct->stack.frames[0].symbol : NULL;
	return NULL;
}
