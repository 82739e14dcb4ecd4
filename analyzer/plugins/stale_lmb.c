/*
 * Class C (BUGCLASSES.md, seed 002): pseries device-tree LMB state stale
 * after DLPAR memory hot-remove (or hot-add). 063b8b1251fd moved
 * drmem_update_dt() to the end of dlpar_memory(), after each LMB's
 * KOBJ_REMOVE uevent: a kdump reload triggered by that uevent reads the
 * old /proc/device-tree and builds an elfcorehdr over memory that is gone,
 * and the capture kernel then faults in makedumpfile. The reordering was
 * never merged; 849599b702ef (v6.10, in-kernel crash hotplug) rebuilds the
 * elfcorehdr on memory events instead.
 *
 * Rule per LMB (analyzer/models/lmbcheck.c): dt = ASSIGNED in the live property,
 * dr = ASSIGNED in drmem_info, P = its sections present. STALE-DT when
 * dt=1, dr=0, P=0, or the mirror dt=0, dr=1, P=1 (an add). LMBs with
 * DRMEM_LMB_RESERVED mean a DLPAR operation is in flight: the tree is
 * updated only at its end, so disagreement then is expected and reported
 * as in flight, not stale. Firmware-reserved LMBs are outside DLPAR.
 * Escalation ("capture will fault"): a loaded crash kernel whose
 * elfcorehdr has a PT_LOAD over absent memory (any arch) or whose FDT
 * marks a stale LMB assigned.
 *
 * "fired" would need the capture kernel's log (Hashing failure ...
 * makedumpfile, SIGBUS, "kdump: saving vmcore failed"), which is not in the
 * dumped kernel; we only call it fired when the dumped kernel's own log
 * carries those lines (a dump taken of a failing capture kernel).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/lmbcheck.h"
#include "models/memdev.h"
#include "plugins/plugin.h"

static bool capture_signature(const struct vt_oops *o)
{
	static const char *const sigs[] = {
		"Hashing failure", "kdump: saving vmcore failed", "unhandled signal 7",
	};

	if (!o || !o->present)
		return false;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strstr(o->headline, sigs[i]) || strstr(o->panic, sigs[i]))
			return true;
	return false;
}

static void hist_summary(const struct vt_lmb_row *r, size_t ngen, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!r->nhist) {
		snprintf(buf, len, "no earlier generation");
		return;
	}
	used = snprintf(buf, len, "%zu gen(s), newest first:", ngen);
	for (unsigned g = 0; g < r->nhist && used < len; g++)
		used += snprintf(buf + used, len - used, "%s%s", g ? "," : " ",
				 r->hist[g] < 0 ? "unlisted" :
				 (r->hist[g] & VT_DRCONF_MEM_ASSIGNED) ? "assigned" : "free");
}

static void flags_field(struct vt_evidence *e, const char *key, int64_t f)
{
	char buf[80];

	if (f < 0)
		vt_evidence_add(e, key, "unknown");
	else
		vt_evidence_add(e, key, "0x%" PRIx64 " (%s)", (uint64_t)f,
				vt_drmem_flags_str((uint32_t)f, buf, sizeof(buf)));
}

static void lmb_evidence(struct vt_result *res, const struct vt_lmb_check *c,
			 const struct vt_lmb_row *r, const char *kind)
{
	struct vt_evidence *e = vt_result_evidence(res, kind);
	char hist[96];

	vt_evidence_add(e, "drc_index", "0x%08x", r->drc_index);
	vt_evidence_add(e, "base", "0x%" PRIx64, r->base);
	vt_evidence_add(e, "size", "0x%" PRIx64, r->size);
	flags_field(e, "dt_flags", r->dt);
	flags_field(e, "drmem_flags", r->drmem);
	flags_field(e, "boot_flags", r->boot);
	vt_evidence_add(e, "sections", "%u present, %u online of %u", r->present, r->online,
			r->nsections);
	if (c->have_memblock)
		vt_evidence_add(e, "memblock", "0x%" PRIx64 " of 0x%" PRIx64 " bytes",
				r->memblock, r->size);
	else
		vt_evidence_add(e, "memblock", "unknown");
	if (c->have_blocks)
		vt_evidence_add(e, "memory_block", "%s", r->block_state < 0 ? "none" :
				vt_memory_block_state_name((enum vt_mb_state)r->block_state));
	hist_summary(r, c->ngen, hist, sizeof(hist));
	vt_evidence_add(e, "history", "%s", hist);
	if (c->have_crash && c->crash.loaded) {
		flags_field(e, "crash_fdt_flags", r->crash_fdt);
		vt_evidence_add(e, "crash_load", "0x%" PRIx64 " bytes", r->crash_load);
	}
}

static void bad_load_evidence(struct vt_result *res, const struct vt_phys_span *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vt_evidence *e = vt_result_evidence(res, "crash-load-absent");

		vt_evidence_add(e, "start", "0x%" PRIx64, b[i].start);
		vt_evidence_add(e, "end", "0x%" PRIx64, b[i].end);
	}
}

/* x86_64 and other arches: no DT, but the elfcorehdr check applies. */
static struct vt_error *run_no_dt(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	struct vt_phys_span bad[64];
	size_t nbad = 0;
	uint64_t omitted = 0;
	const struct vt_error *merr, *err;
	struct vt_memmap *m;
	const struct vt_crashimage *ci = vt_models_crash_image(ctx->m, &err);

	if (!ci) {
		vt_result_set(res, VT_NOT_APPLICABLE, "LMBs are pseries-only (this is %s); crash image "
			      "unreadable (%s)", vt_models_arch(ctx->m)->name,
			      err->message);
		return NULL;
	}
	if (ci->loaded && !ci->have_hdr && vt_crashimage_segments_missing(ci)) {
		vt_result_set(res, VT_UNKNOWN, "a crash kernel is loaded, but %zu of its %zu "
			      "segments are not in the dump (a kdump-compressed vmcore leaves out the "
			      "crash kernel's reservation): its elfcorehdr cannot be checked",
			      vt_crashimage_segments_missing(ci), ci->nseg);
		return NULL;
	}
	if (!ci->loaded || !ci->have_hdr) {
		vt_result_set(res, VT_NOT_APPLICABLE, "LMBs are pseries-only (this is %s); %s",
			      vt_models_arch(ctx->m)->name,
			      ci->loaded ? ci->hdr_err : "no crash kernel loaded");
		return NULL;
	}
	m = vt_models_memmap(ctx->m, &merr);
	if (m)
		vt_crash_bad_loads(ci, m, bad, 64, &nbad, &omitted);
	if (nbad) {
		vt_result_set(res, VT_LATENT, "the loaded crash kernel's elfcorehdr has %zu "
			      "PT_LOAD range(s) over absent memory: capture will fault", nbad);
		bad_load_evidence(res, bad, nbad);
		res->evidence_omitted += omitted;
	} else {
		vt_result_set(res, VT_NOT_APPLICABLE, "LMBs are pseries-only (this is %s); the crash "
			      "kernel's %zu PT_LOAD ranges are present memory%s",
			      vt_models_arch(ctx->m)->name, ci->hdr.nload,
			      m ? "" : " (unchecked: no memmap)");
	}
	return NULL;
}

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	const struct vt_lmb_check *c;
	const struct vt_oops *oops = vt_models_crash(ctx->m);
	const struct vt_error *merr, *err;
	size_t escalate = 0, removed = 0;

	snprintf(res->rule, sizeof(res->rule),
		 "per LMB of " VT_DRCONF_PATH ": dt = ASSIGNED in the live property, dr = "
		 "ASSIGNED in drmem_info, P = sections present; STALE-DT: dt=1, dr=0, P=0 "
		 "(or dt=0, dr=1, P=1); DRMEM_LMB_RESERVED = in flight (not stale); "
		 "escalate when a loaded crash kernel's elfcorehdr covers absent memory "
		 "or its FDT marks a stale LMB assigned");
	if (!vt_models_arch(ctx->m)->pseries_lmbs)
		return run_no_dt(ctx, res);
	vt_models_memmap(ctx->m, &merr);
	c = vt_models_lmb_check(ctx->m, &err);
	if (!c) {
		vt_result_set(res, VT_UNKNOWN, "device tree unreadable%s: %s",
			      err->code == VT_ERR_NOT_FOUND ? " (give the vmlinux: the dump "
			      "has no device-tree types or data symbols)" : "", err->message);
		return NULL;
	}
	if (!c->have_node) {
		vt_result_set(res, VT_NOT_APPLICABLE, "no " VT_DRCONF_PATH " node (not a "
			      "pseries guest with dynamic memory)");
		return NULL;
	}
	if (!c->have_drmem) {
		vt_result_set(res, VT_UNKNOWN, "drmem_info unreadable: %s", c->drmem_err);
		return NULL;
	}
	if (!c->have_sections) {
		vt_result_set(res, VT_UNKNOWN, "memory sections unknown (%s)",
			      merr ? merr->message : "no memmap");
		return NULL;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct vt_lmb_row *r = &c->rows[i];

		if (r->state == VT_LMB_STALE_DT && (r->crash_load ||
		    (r->crash_fdt >= 0 && (r->crash_fdt & VT_DRCONF_MEM_ASSIGNED))))
			escalate++;
		/* While an operation runs, every disagreement is "in flight". */
		if (r->state == VT_LMB_IN_FLIGHT || (c->in_flight &&
		    (r->state == VT_LMB_STALE_DT || r->state == VT_LMB_MISMATCH))) {
			lmb_evidence(res, c, r, "lmb-in-flight");
		} else if (r->state == VT_LMB_STALE_DT) {
			lmb_evidence(res, c, r, "stale-lmb");
			removed += r->dt >= 0 && (r->dt & VT_DRCONF_MEM_ASSIGNED);
		} else if (r->state == VT_LMB_MISMATCH) {
			lmb_evidence(res, c, r, "lmb-mismatch");
		} else if (r->state == VT_LMB_OK && r->crash_fdt >= 0 &&
			   (r->crash_fdt & VT_DRCONF_MEM_ASSIGNED) && !r->present) {
			/* The tree is right, but the capture kernel was set up
			 * before this LMB left: its FDT still hands it over. */
			lmb_evidence(res, c, r, "crash-fdt-absent");
			escalate++;
		}
	}
	bad_load_evidence(res, c->bad_loads, c->nbad_loads);
	res->evidence_omitted += c->bad_loads_omitted;
	if (c->in_flight)
		vt_result_set(res, VT_CLEAN, "a DLPAR memory operation is in flight "
			      "(DRMEM_LMB_RESERVED on %zu LMB(s)): the device tree is updated at "
			      "its end, so %zu disagreeing LMB(s) are not stale", c->in_flight,
			      c->stale + c->mismatch);
	else if (c->stale)
		vt_result_set(res, VT_LATENT, "%zu LMB(s) still assigned in the live %s "
			      "after their memory was removed, %zu unassigned though added "
			      "(drmem_info and the sections agree with each other): a kdump "
			      "reload now builds its elfcorehdr from this stale tree%s", removed,
			      c->prop_name, c->stale - removed,
			      c->have_crash && c->crash.loaded ? "" : " (no crash kernel loaded)");
	else
		vt_result_set(res, VT_CLEAN, "%zu LMB(s): device tree, drmem_info and memory "
			      "sections agree%s", c->n, c->mismatch ? " on DLPAR state (see "
			      "lmb-mismatch evidence for other disagreements)" : "");
	if (escalate || c->nbad_loads)
		vt_result_raise(res, VT_LATENT, "capture will fault: the loaded crash kernel's "
				"%s memory that is gone (%zu LMB(s) gone but assigned in its FDT, "
				"%zu absent PT_LOAD range(s))", c->nbad_loads ? "elfcorehdr covers" :
				"FDT marks assigned", escalate, c->nbad_loads);
	else if (res->verdict == VT_CLEAN && c->have_crash && c->crash.loaded &&
		 !c->crash.have_hdr && vt_crashimage_segments_missing(&c->crash))
		/* The tree agrees, but the loaded capture setup may still be stale
		 * (loaded before a removal): not clean while it cannot be read. */
		vt_result_set(res, VT_UNKNOWN, "%zu LMB(s) agree, but a crash kernel is loaded "
			      "and %zu of its %zu segments are not in the dump (a kdump-compressed "
			      "vmcore leaves out the crash kernel's reservation): its elfcorehdr "
			      "cannot be checked", c->n, vt_crashimage_segments_missing(&c->crash), c->crash.nseg);
	if (capture_signature(oops))
		vt_result_set(res, VT_FIRED, "the log shows a failed capture (%s)",
			      oops->headline[0] ? oops->headline : oops->panic);
	return NULL;
}

const struct vt_plugin vt_plugin_stale_lmb = {
	.name = "stale-lmb",
	.bug_class = 'C',
	.summary = "pseries device-tree LMB state stale after DLPAR memory hotplug "
		   "(kdump capture faults)",
	.arches = "ppc64 (the elfcorehdr check: any)",
	.arch_gate = NULL,
	.versions = "since 063b8b1251fd (drmem_update_dt() at the end of dlpar_memory()); "
		    "kernels without in-kernel crash hotplug (before v6.10)",
	.fix = "849599b702ef (v6.10): in-kernel crash hotplug rebuilds the elfcorehdr on "
	       "memory events; the patch moving drmem_update_dt() back before the uevents "
	       "was never merged",
	.next_step = "Reload the kdump service (kdumpctl restart / kexec -p) after the DLPAR "
		     "operation finishes, and check `vmtriage lmbs`; move to a kernel and "
		     "kexec-tools with crash hotplug support (v6.10+).",
	.run = run,
};
