/*
 * Every model of one dump, each built on first use and then shared: what
 * plugins (and the report around them) read instead of the target. A model
 * that cannot be built is built once too: its error is kept and returned
 * to every reader, so a missing member is reported the same way by all.
 */
#ifndef VT_MODELS_H
#define VT_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "core/error.h"
#include "models/coverage.h"
#include "models/crashimage.h"
#include "models/crashsig.h"
#include "models/lmbcheck.h"
#include "models/memmap.h"
#include "models/mm.h"
#include "models/oops.h"
#include "models/pgdlist.h"
#include "models/physmap.h"
#include "models/tasks.h"
#include "models/traces.h"
#include "symbols/symbols.h"

struct vt_target;
struct vt_models;

/* On a live target, how many more times a model whose walk met garbage or
 * an unmapped link (the kernel changed under it) is rebuilt. */
#define VT_LIVE_RETRIES 3u

/* t and s are borrowed: they must outlive the models. */
struct vt_error *vt_models_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_models **ret);
void vt_models_destroy(struct vt_models *m);

/* What the dump is. */
const struct vt_arch_ops *vt_models_arch(const struct vt_models *m);
const char *vt_models_release(const struct vt_models *m);	/* "" when unknown */
struct vt_symbols *vt_models_symbols(const struct vt_models *m);

/* The models; NULL with *err set when one cannot be built. */
struct vt_memmap *vt_models_memmap(struct vt_models *m, const struct vt_error **err);
const struct vt_oops *vt_models_oops(struct vt_models *m);	/* always answers */
const struct vt_kernel_pgd *vt_models_kernel_pgd(struct vt_models *m,
						  const struct vt_error **err);
/* pgd_list, read as it is walked (pgdlist.h). */
struct vt_error *vt_models_pgd_list(struct vt_models *m, uint64_t max,
				    const struct vt_pgd_list_ops *ops, void *arg,
				    struct vt_pgd_list_walk *ret);
const struct vt_mm *vt_models_mms(struct vt_models *m, size_t *n,
				  const struct vt_error **err);
const struct vt_mm *vt_models_init_mm(struct vt_models *m, const struct vt_error **err);
const struct vt_lmb_check *vt_models_lmb_check(struct vt_models *m,
					       const struct vt_error **err);
const struct vt_crashimage *vt_models_crash_image(struct vt_models *m,
						  const struct vt_error **err);
/* The kernel's System RAM against the dump's data (ELF dumps; coverage.h). */
const struct vt_ram_coverage *vt_models_ram_coverage(struct vt_models *m,
						     const struct vt_error **err);
/* The firmware map: x86's e820_table; NULL where the arch has none. */
const struct vt_map *vt_models_e820(struct vt_models *m, const struct vt_error **err);

/* Every task (ps's list). */
const struct vt_task_list *vt_models_tasks(struct vt_models *m, const struct vt_error **err);
/* Stack traces of any task (traces.h); NULL only without memory. */
struct vt_traces *vt_models_traces(struct vt_models *m);
/* The CPU in panic(): panic_cpu, else the CPU the log's panic or oops
 * header names (from says which); an error when neither is known. */
struct vt_error *vt_models_panic_cpu(struct vt_models *m, int *cpu, const char **from);
/* The task that crashed: the one running on the CPU in panic(), and its
 * trace, unwound once. NULL with *err when there is none or it is not known. */
struct vt_crash_trace {
	/* The task: from the task list, else (its error set, addr 0) only its
	 * CPU, and its PID and comm when the log names them. */
	const struct vt_task *task;
	int cpu;
	struct vt_stack stack;
	char error[200];		/* non-empty: no trace, why (the task is known) */
};
const struct vt_crash_trace *vt_models_crash_trace(struct vt_models *m,
						   const struct vt_error **err);

/*
 * The registers at the crash, for evidence: those the first exception frame
 * of the crashed task's trace saved (the oops's or BUG's pt_regs), else the
 * crashed CPU's own (its note). Not kept: each call reads them again.
 */
struct vt_crash_regs {
	struct vt_regs regs;
	const char *function;		/* the function they were taken in; NULL unknown */
	char from[120];			/* "pt_regs at 0x... (pmd_fragment_free interrupted)" */
};
struct vt_error *vt_models_crash_regs(struct vt_models *m, struct vt_crash_regs *ret);

/*
 * The crash the plugins' "fired" rules match: the log's oops when the log
 * tells one, else the one the crashed task's unwound trace tells
 * (from_stack set; present false when neither). Always answers.
 */
const struct vt_oops *vt_models_crash(struct vt_models *m);
/* The crash's signature (title and top frames): from the log when it tells
 * the crash, else from the unwound trace; source NULL when neither. */
const struct vt_crash_sig *vt_models_crash_sig(struct vt_models *m);

/*
 * Per-mm page tables, walked on demand (a tree can be large: not kept):
 * the user or kernel half of the tree at pgd_paddr, at most max_tables.
 */
struct vt_error *vt_models_walk_tables(struct vt_models *m, uint64_t pgd_paddr, bool user,
				       uint64_t max_tables, const struct vt_pgwalk_ops *ops,
				       void *arg);
/* A word of a task's mm_struct (e.g. context.pte_frag), off from types. */
struct vt_error *vt_models_mm_word(struct vt_models *m, const struct vt_mm *mm,
				   uint64_t off, uint64_t *ret);
/* A kernel linear-map address as a pfn; false when va is not one. */
bool vt_models_linear_pfn(struct vt_models *m, uint64_t va, uint64_t *pfn);
/* The pfn whose struct page holds va in the arch's fixed vmemmap; false
 * when va is not in one (or the arch's vmemmap moves: x86 KASLR). */
bool vt_models_vmemmap_pfn(struct vt_models *m, uint64_t va, uint64_t *pfn);

#endif
