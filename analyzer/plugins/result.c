#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "plugins/plugin.h"

const char *vt_verdict_name(enum vt_verdict v)
{
	static const char *const names[] = {
		"not-applicable", "clean", "unknown", "latent", "fired",
	};

	return (unsigned)v < 5 ? names[v] : "?";
}

void vt_result_set(struct vt_result *res, enum vt_verdict v, const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

void vt_result_raise(struct vt_result *res, enum vt_verdict v, const char *fmt, ...)
{
	va_list ap;

	if (v <= res->verdict)
		return;
	res->verdict = v;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
}

struct vt_evidence *vt_result_evidence(struct vt_result *res, const char *kind)
{
	struct vt_evidence *e;

	if (res->nevidence >= VT_MAX_EVIDENCE) {
		res->evidence_omitted++;
		return NULL;
	}
	e = &res->evidence[res->nevidence++];
	memset(e, 0, sizeof(*e));
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	return e;
}

void vt_evidence_add(struct vt_evidence *e, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->nfields >= VT_MAX_FIELDS)
		return;
	snprintf(e->fields[e->nfields].key, sizeof(e->fields[0].key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(e->fields[e->nfields].value, sizeof(e->fields[0].value), fmt, ap);
	va_end(ap);
	e->nfields++;
}

void vt_regs_role_add(struct vt_traces *tr, char *buf, size_t len, uint64_t mask,
		      const char *role)
{
	char regs[96];
	size_t used = strlen(buf);

	if (!mask || used >= len)
		return;
	vt_traces_reg_list(tr, mask, regs, sizeof(regs));
	snprintf(buf + used, len - used, "%s%s: %s", used ? "; " : "", regs, role);
}

bool vt_result_crash_regs(struct vt_result *res, struct vt_models *m, struct vt_crash_regs *cr)
{
	struct vt_error *err = vt_models_crash_regs(m, cr);

	if (err) {
		vt_evidence_add(vt_result_evidence(res, "crash-registers"), "unreadable", "%s",
				err->message);
		vt_error_destroy(err);
		return false;
	}
	return true;
}

void vt_result_crash_regs_none(struct vt_result *res, const struct vt_crash_regs *cr,
			       const char *what, const char *why)
{
	struct vt_evidence *e = vt_result_evidence(res, "crash-registers");

	vt_evidence_add(e, "taken_from", "%s", cr->from);
	vt_evidence_add(e, what, "%s", why);
}
