/*
 * Plugins: one per bug class of BUGCLASSES.md. A plugin reads the models
 * and symbols through its context and records a verdict and evidence in
 * its result; it never prints and never touches the dump file directly.
 */
#ifndef VT_PLUGIN_H
#define VT_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "models/models.h"

/* Ordered by severity: a report leads with the highest. */
enum vt_verdict {
	VT_NOT_APPLICABLE,
	VT_CLEAN,
	VT_UNKNOWN,
	VT_LATENT,
	VT_FIRED,
};
const char *vt_verdict_name(enum vt_verdict v);

#define VT_MAX_EVIDENCE 256	/* items kept; the rest are counted */
#define VT_MAX_FIELDS 12

/* One piece of evidence: a kind ("pgd-slot", "pfn-range"...) and fields. */
struct vt_evidence {
	char kind[24];
	size_t nfields;
	struct { char key[24]; char value[96]; } fields[VT_MAX_FIELDS];
};

struct vt_result {
	enum vt_verdict verdict;
	char reason[512];		/* one line: why this verdict */
	char rule[512];			/* the rule applied */
	size_t nevidence;
	uint64_t evidence_omitted;
	struct vt_evidence evidence[VT_MAX_EVIDENCE];
};

/*
 * What a plugin may read: the dump's models (models/models.h), each built
 * on first use and shared by every plugin of a run. Nothing else: a
 * plugin never reads the target.
 */
struct vt_plugin_ctx {
	struct vt_models *m;
};

struct vt_plugin {
	const char *name;		/* "pgd-desync" */
	char bug_class;			/* 'A'..'E' */
	const char *summary;
	const char *arches;		/* where it applies, for people */
	const char *arch_gate;		/* run only on this arch (vt_arch_ops name);
					 * elsewhere the runner says not-applicable */
	const char *versions;		/* affected kernel versions */
	const char *fix;		/* fix commit(s) */
	const char *next_step;		/* what a support engineer does next */
	/* Fills res; returns an error only when it could not run at all. */
	struct vt_error *(*run)(struct vt_plugin_ctx *ctx, struct vt_result *res);
};

extern const struct vt_plugin *const vt_plugins[];
extern const size_t vt_nplugins;

/* The plugin named name, or NULL. */
const struct vt_plugin *vt_plugin_find(const char *name);

/*
 * The runner (report, the crash extension and the fuzz harness use it):
 * every plugin, or the one named only, on the models m, in table order.
 * results[i] gets plugins[i]'s verdict; a plugin the dump's arch does not
 * have is not-applicable without running; one that fails is unknown.
 * progress, when set, is called before each plugin. Returns the count.
 */
struct vt_plugin_ran {
	const struct vt_plugin *p;
	struct vt_result res;
};
size_t vt_plugins_run(struct vt_models *m, const char *only, struct vt_plugin_ran *ran,
		      void (*progress)(void *arg, size_t i, size_t n, const char *name),
		      void *arg);

/* Result helpers (analyzer/plugins/result.c). */
void vt_result_set(struct vt_result *res, enum vt_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Raise the verdict to v if higher; keep the first reason at that level. */
void vt_result_raise(struct vt_result *res, enum vt_verdict v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Start an evidence item; NULL when full (then it is only counted). */
struct vt_evidence *vt_result_evidence(struct vt_result *res, const char *kind);
/*
 * Fired evidence: the registers the crash saved (vt_models_crash_regs);
 * false, with a "crash-registers" item saying why, when they cannot be read.
 */
bool vt_result_crash_regs(struct vt_result *res, struct vt_models *m, struct vt_crash_regs *cr);
/* None of them named what a fired verdict is about: a "crash-registers"
 * item with where they came from and what (key) was not found (why). */
void vt_result_crash_regs_none(struct vt_result *res, const struct vt_crash_regs *cr,
			       const char *what, const char *why);
void vt_evidence_add(struct vt_evidence *e, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append "r4 r31: role" (the registers mask sets) to a "; "-separated list
 * in buf, for a fired item's register_roles; nothing when mask is 0. */
void vt_regs_role_add(struct vt_traces *tr, char *buf, size_t len, uint64_t mask,
		      const char *role);

#endif
