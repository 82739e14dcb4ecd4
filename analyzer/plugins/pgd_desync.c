/*
 * Class B (BUGCLASSES.md, seed 001): x86_64 kernel PGD entries out of sync
 * after memory hot-remove. Cause f2a6a7050109 freed PUD tables in
 * remove_pagetable() and cleared only init_mm's entry; fix 98fe3633c5a4.
 *
 * Rule, R = init_top_pgt: for every pgd P on pgd_list (struct pages linked
 * by page->lru; with PTI the kernel half is the first page) and every kernel
 * slot i (256..511) but the LDT slot:
 *   CONFLICT  R[i] and P[i] present, different pfns: the next
 *             sync_global_pgds() hits BUG_ON (fired when the log shows it);
 *   LATENT    R[i] none, P[i] present: a stale table (escalated when the
 *             pfn P[i] names is free: PageBuddy or _refcount 0);
 *   R[i] present, P[i] none: normal lazy sync on older kernels, counted only.
 * Pfns are compared, not raw entries (flag bits legitimately differ).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "plugins/plugin.h"
#include "plugins/rules.h"

#define MAX_PGDS 65536

static uint64_t entry_pfn(uint64_t e, uint64_t sme)
{
	return vt_pgd_entry_paddr(e, sme) >> 12;
}

/* Is the page a table pointed at free? (evidence of a use-after-free) */
static const char *pfn_state(struct vt_plugin_ctx *ctx, uint64_t pfn)
{
	const struct vt_error *merr;
	struct vt_memmap *m = vt_models_memmap(ctx->m, &merr);
	unsigned char raw[256];
	struct vt_page p;
	struct vt_error *err;

	if (!m)
		return "unknown";
	err = vt_memmap_read_page(m, pfn, &p, raw);
	if (err) {
		vt_error_destroy(err);
		return "no struct page";
	}
	if (vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_UNKNOWN)
		return p.refcount == 0 ? "free (_refcount 0)" : "unknown (page_type encoding)";
	if (vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_BUDDY)
		return "free (PageBuddy)";
	if (p.refcount == 0)
		return "free (_refcount 0)";
	if (vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_TABLE)
		return "page table";
	return "in use";
}

/* A conflicting (pgd, slot), kept for the fired evidence to match the
 * crash's registers against. */
struct conflict {
	uint64_t pfn, page, mm;		/* the pgd's */
	bool mm_known;
	unsigned slot;
	uint64_t r, p;			/* init_top_pgt[slot], pgd[slot] */
};

#define MAX_CONFLICTS 256

struct walk {
	struct vt_plugin_ctx *ctx;
	struct vt_result *res;
	const struct vt_kernel_pgd *root;
	unsigned ldt, shift;
	uint64_t conflicts, latents, lazy, unreadable;
	struct conflict conf[MAX_CONFLICTS];
	size_t nconf;
};

static void on_unreadable(void *arg, uint64_t page, const char *why)
{
	struct walk *w = arg;
	struct vt_evidence *e = vt_result_evidence(w->res, "unreadable-pgd");

	vt_evidence_add(e, "page", "0x%" PRIx64, page);
	vt_evidence_add(e, "error", "%s", why);
	w->unreadable++;
}

/* Compare one pgd's kernel slots with init_top_pgt's. */
static int on_pgd(void *arg, const struct vt_pgd *pgd)
{
	struct walk *w = arg;
	uint64_t sme = w->root->sme_mask;

	for (unsigned i = 256; i < 512; i++) {
		uint64_t r = vt_le64(w->root->table + 8 * i), p = vt_le64(pgd->table + 8 * i);
		enum vt_rule_b verdict = vt_rule_b_slot(r, p, i, w->ldt, sme);
		bool rp = verdict == VT_B_CONFLICT;
		struct vt_evidence *e;

		w->lazy += verdict == VT_B_LAZY;
		if (verdict != VT_B_STALE && verdict != VT_B_CONFLICT)
			continue;
		e = vt_result_evidence(w->res, rp ? "pgd-conflict" : "pgd-stale");
		vt_evidence_add(e, "pgd_pfn", "0x%" PRIx64, pgd->pfn);
		if (pgd->mm_known)
			vt_evidence_add(e, "mm", "0x%" PRIx64, pgd->mm);
		else
			vt_evidence_add(e, "mm", "unknown (no pt_mm in the types)");
		vt_evidence_add(e, "slot", "%u", i);
		/* kernel slots have the top index bit set: sign-extend */
		vt_evidence_add(e, "va", "0x%016" PRIx64,
				(uint64_t)(((uint64_t)i << w->shift) |
					   ~((UINT64_C(1) << (w->shift + 9)) - 1)));
		vt_evidence_add(e, "init_top_pgt", "0x%016" PRIx64, r);
		vt_evidence_add(e, "pgd", "0x%016" PRIx64, p);
		vt_evidence_add(e, "pgd_table_pfn", "0x%" PRIx64, entry_pfn(p, sme));
		vt_evidence_add(e, "table_state", "%s", pfn_state(w->ctx, entry_pfn(p, sme)));
		if (rp && w->nconf < MAX_CONFLICTS)
			w->conf[w->nconf++] = (struct conflict){ pgd->pfn, pgd->page, pgd->mm,
								  pgd->mm_known, i, r, p };
		if (rp)
			w->conflicts++;
		else
			w->latents++;
	}
	return 0;
}

/* How a register relates to one conflicting (pgd, slot). */
enum reg_role { ROLE_SLOT_PTR, ROLE_PGD_PTR, ROLE_PGD_PAGE, ROLE_ENTRY, ROLE_TABLE, ROLE_ADDR,
		NROLES };
static const char *const role_names[NROLES] = {
	"pointer to the slot", "pointer into the pgd", "the pgd's struct page",
	"an entry compared", "a table the slot names", "an address in the slot",
};

/*
 * Fired: which pgd and slot sync_global_pgds() was comparing, from the
 * registers the BUG trap saved. The loop holds the pgd's struct page (the
 * pgd_list iterator), a pointer to its slot (p4d_offset), the two entries
 * and the address being synced; each register is matched against every
 * conflicting (pgd, slot) the walk listed.
 */
static void crash_evidence(struct walk *w)
{
	struct vt_models *m = w->ctx->m;
	struct vt_traces *tr = vt_models_traces(m);
	const struct vt_error *merr;
	struct vt_memmap *mm = vt_models_memmap(m, &merr);
	uint64_t sme = w->root->sme_mask, slot_span = 1ull << w->shift;
	struct vt_crash_regs cr;
	size_t named = 0;

	if (!tr || !vt_result_crash_regs(w->res, m, &cr))
		return;
	for (size_t c = 0; c < w->nconf; c++) {
		const struct conflict *k = &w->conf[c];
		uint64_t roles[NROLES] = { 0 }, any = 0;
		struct vt_evidence *e;
		char regs[96], rolebuf[240];

		for (unsigned i = 0; i < VT_REGS_MAX; i++) {
			uint64_t v, pfn;

			if (!vt_regs_has(&cr.regs, i))
				continue;
			v = cr.regs.r[i];
			if (vt_models_linear_pfn(m, v, &pfn)) {
				if (pfn == k->pfn && (v & 0xfff) == 8ull * k->slot)
					roles[ROLE_SLOT_PTR] |= 1ull << i;
				else if (pfn == k->pfn)
					roles[ROLE_PGD_PTR] |= 1ull << i;
				else if (pfn == entry_pfn(k->r, sme) || pfn == entry_pfn(k->p, sme))
					roles[ROLE_TABLE] |= 1ull << i;
			}
			if (mm && (v == k->page || v == k->page + 8) &&
			    vt_memmap_is_page(mm, k->page, &pfn))
				roles[ROLE_PGD_PAGE] |= 1ull << i;
			if (v && (v == k->r || v == k->p))
				roles[ROLE_ENTRY] |= 1ull << i;
		}
		for (unsigned r = 0; r < NROLES; r++)
			any |= roles[r];
		/* The address being synced: a kernel address in the slot's span
		 * that is nothing else (the pgd's struct page is in the vmemmap,
		 * itself the slot of this class's usual conflict). */
		for (unsigned i = 0; i < VT_REGS_MAX; i++) {
			uint64_t v = cr.regs.r[i], pfn;

			if (vt_regs_has(&cr.regs, i) && !(any >> i & 1) && (v >> 63) &&
			    ((v >> w->shift) & 511) == k->slot && !vt_models_linear_pfn(m, v, &pfn))
				roles[ROLE_ADDR] |= 1ull << i;
		}
		any |= roles[ROLE_ADDR];
		/* the pgd itself must be named: an entry value or an address
		 * alone fits every pgd with this conflict */
		if (!(roles[ROLE_SLOT_PTR] | roles[ROLE_PGD_PTR] | roles[ROLE_PGD_PAGE]))
			continue;
		named++;
		e = vt_result_evidence(w->res, "crash-pgd");
		vt_traces_reg_list(tr, any, regs, sizeof(regs));
		vt_evidence_add(e, "registers", "%s", regs);
		*rolebuf = '\0';
		for (unsigned r = 0; r < NROLES; r++)
			vt_regs_role_add(tr, rolebuf, sizeof(rolebuf), roles[r], role_names[r]);
		vt_evidence_add(e, "register_roles", "%s", rolebuf);
		vt_evidence_add(e, "taken_from", "%s", cr.from);
		vt_evidence_add(e, "pgd_pfn", "0x%" PRIx64, k->pfn);
		vt_evidence_add(e, "pgd_page", "0x%" PRIx64, k->page);
		if (k->mm_known)
			vt_evidence_add(e, "mm", "0x%" PRIx64, k->mm);
		vt_evidence_add(e, "slot", "%u", k->slot);
		vt_evidence_add(e, "va", "0x%016" PRIx64 "-0x%016" PRIx64,
				((uint64_t)k->slot << w->shift) | ~((slot_span << 9) - 1),
				(((uint64_t)k->slot << w->shift) | ~((slot_span << 9) - 1)) +
				slot_span - 1);
		vt_evidence_add(e, "init_top_pgt", "0x%016" PRIx64, k->r);
		vt_evidence_add(e, "pgd", "0x%016" PRIx64, k->p);
	}
	if (!named)
		vt_result_crash_regs_none(w->res, &cr, "pgd", w->nconf ?
					  "none of the registers names a conflicting pgd" :
					  "no conflicting pgd slot to match them against");
}

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	static const struct vt_pgd_list_ops ops = { on_pgd, on_unreadable };
	struct walk w = { .ctx = ctx, .res = res };
	struct vt_pgd_list_walk lw;
	const struct vt_oops *oops = vt_models_crash(ctx->m);
	const struct vt_error *rerr;
	struct vt_error *err;

	snprintf(res->rule, sizeof(res->rule),
		 "for each pgd on pgd_list and kernel slot 256..511 (not the LDT slot): "
		 "R=init_top_pgt[i], P=pgd[i]; both present with different pfns = conflict; "
		 "R none and P present = latent (stale); pfns compared");
	w.root = vt_models_kernel_pgd(ctx->m, &rerr);
	if (!w.root) {
		vt_result_set(res, VT_UNKNOWN, "cannot read init_top_pgt: %s", rerr->message);
		return NULL;
	}
	/* LDT_PGD_ENTRY: -240 (4-level) or -112 (5-level) pgd slots from the top. */
	w.ldt = w.root->la57 ? 512 - 112 : 512 - 240;
	w.shift = w.root->la57 ? 48 : 39;
	err = vt_models_pgd_list(ctx->m, MAX_PGDS, &ops, &w, &lw);
	if (err) {
		vt_result_set(res, VT_UNKNOWN, "cannot read pgd_list: %s", err->message);
		vt_error_destroy(err);
		return NULL;
	}
	if (w.conflicts || w.latents)
		vt_result_set(res, VT_LATENT,
			      "%" PRIu64 " conflicting and %" PRIu64 " stale kernel pgd slot(s) "
			      "in %" PRIu64 " pgd(s): the next sync_global_pgds() over them %s",
			      w.conflicts, w.latents, lw.npgds,
			      w.conflicts ? "hits BUG_ON" : "finds a table init_mm no longer has");
	else if (w.unreadable)
		vt_result_set(res, VT_UNKNOWN, "a pgd on pgd_list could not be read");
	else
		vt_result_set(res, VT_CLEAN, "%" PRIu64 " pgd(s) agree with init_top_pgt on every "
			      "kernel slot (%" PRIu64 " lazily unsynced slots, normal)", lw.npgds,
			      w.lazy);
	if (lw.truncated)
		vt_result_raise(res, VT_UNKNOWN, "pgd_list longer than %d: cyclic or corrupt",
				MAX_PGDS);
	/* The crash this class causes: BUG in sync_global_pgds() (its file
	 * from the log's BUG line; a trace unwound without a log knows only
	 * that a BUG trap interrupted the function). */
	if ((strstr(oops->bug_site, "arch/x86/mm/init_64.c") ||
	     (oops->from_stack && strcmp(oops->headline, "kernel BUG") == 0)) &&
	    (vt_oops_ip_is(oops, "sync_global_pgds") ||
	     vt_oops_ip_is(oops, "sync_global_pgds_l4") ||
	     vt_oops_ip_is(oops, "sync_global_pgds_l5"))) {
		vt_result_set(res, VT_FIRED, "%s, RIP %s: the kernel PGD desync BUG",
			      oops->headline, oops->ip);
		crash_evidence(&w);
	}
	return NULL;
}

const struct vt_plugin vt_plugin_pgd_desync = {
	.name = "pgd-desync",
	.bug_class = 'B',
	.summary = "x86_64 kernel PGD entries out of sync with init_top_pgt after hot-remove",
	.arches = "x86_64",
	.arch_gate = "x86_64",
	.versions = "v4.12-rc1 (f2a6a7050109) until the fix; 5-level paging still frees PUDs",
	.fix = "98fe3633c5a4 \"x86/mm/hotplug: Don't remove PGD entries in remove_pagetable()\" (v4.12)",
	.next_step = "Check the kernel has 98fe3633c5a4; the listed pgd slots point at tables "
		     "init_mm no longer maps (see table_state). Avoid memory hot-remove until fixed.",
	.run = run,
};
