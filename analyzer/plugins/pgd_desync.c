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
#include "arch/pgtable.h"
#include "models/ptpage.h"
#include "plugins/plugin.h"
#include "plugins/rules.h"

#define MAX_PGDS 65536

static uint64_t entry_pfn(uint64_t e, uint64_t sme)
{
	return ((e & ~sme) & VT_X86_ADDR_MASK) >> 12;
}

/* Is the page a table pointed at free? (evidence of a use-after-free) */
static const char *pfn_state(struct vt_plugin_ctx *ctx, uint64_t pfn)
{
	const struct vt_error *merr;
	struct vt_memmap *m = vt_plugin_memmap(ctx, &merr);
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

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	const struct vt_error *merr;
	struct vt_memmap *m;
	uint64_t root_pa, sme, head, entry, off_lru, off_mm, npgds = 0, lazy = 0;
	uint64_t conflicts = 0, latents = 0, unreadable = 0;
	unsigned char R[4096], P[4096];
	unsigned ldt, shift;
	const struct vt_arch_mmu *mmu;
	bool la57, mm_known;
	struct vt_error *err;

	if (vt_target_info(ctx->t)->arch != VT_ARCH_X86_64) {
		vt_result_set(res, VT_NOT_APPLICABLE, "x86_64 only; this dump is %s",
			      vt_arch_name(vt_target_info(ctx->t)->arch));
		return NULL;
	}
	snprintf(res->rule, sizeof(res->rule),
		 "for each pgd on pgd_list and kernel slot 256..511 (not the LDT slot): "
		 "R=init_top_pgt[i], P=pgd[i]; both present with different pfns = conflict; "
		 "R none and P present = latent (stale); pfns compared");
	m = vt_plugin_memmap(ctx, &merr);
	if (!m) {
		vt_result_set(res, VT_UNKNOWN, "memmap unavailable: %s", merr->message);
		return NULL;
	}
	if ((err = vt_target_mmu(ctx->t, &mmu)) ||
	    (root_pa = mmu->kernel_pgd, la57 = mmu->la57, sme = mmu->sme_mask, false) ||
	    (err = vt_target_read_phys(ctx->t, root_pa, R, sizeof(R))) ||
	    (err = vt_symbols_lookup(ctx->s, "pgd_list", &head)) ||
	    (err = vt_symbols_offsetof(ctx->s, "struct page", "lru", &off_lru)) ||
	    (err = vt_target_read_u64(ctx->t, head, &entry))) {
		vt_result_set(res, VT_UNKNOWN, "cannot read init_top_pgt or pgd_list: %s",
			      err->message);
		vt_error_destroy(err);
		return NULL;
	}
	/* The pgd's owner mm (evidence only): ptdesc/page pt_mm, page->index
	 * before v4.18; not known is said, not guessed. */
	err = vt_ptpage_member(ctx->s, "pt_mm", &off_mm);
	if (err && err->code == VT_ERR_NOT_FOUND) {
		bool complete;

		vt_error_destroy(err);
		err = vt_ptpage_types_complete(ctx->s, &complete);
		if (!err)
			err = complete ? vt_symbols_offsetof(ctx->s, "struct page", "index",
							     &off_mm) :
			      vt_error_create(VT_ERR_NOT_FOUND, "pt_mm: struct page's layout "
					      "is not fully known");
	}
	mm_known = !err;
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND) && err) {
		vt_result_set(res, VT_UNKNOWN, "pgd owner: %s", err->message);
		vt_error_destroy(err);
		return NULL;
	}
	/* LDT_PGD_ENTRY: -240 (4-level) or -112 (5-level) pgd slots from the top. */
	ldt = la57 ? 512 - 112 : 512 - 240;
	shift = la57 ? 48 : 39;
	for (; entry != head && npgds < MAX_PGDS; npgds++) {
		uint64_t page = entry - off_lru, pfn, mm = 0, next;

		err = vt_memmap_pfn_of(m, page, &pfn);
		if (!err)
			err = vt_target_read_phys(ctx->t, pfn << 12, P, sizeof(P));
		if (!err && mm_known)
			err = vt_target_read_u64(ctx->t, page + off_mm, &mm);
		if (!err)
			err = vt_target_read_u64(ctx->t, entry, &next);
		if (err) {
			struct vt_evidence *e = vt_result_evidence(res, "unreadable-pgd");

			vt_evidence_add(e, "page", "0x%" PRIx64, page);
			vt_evidence_add(e, "error", "%s", err->message);
			vt_error_destroy(err);
			unreadable++;
			break;	/* the list cannot be followed further */
		}
		for (unsigned i = 256; i < 512; i++) {
			uint64_t r = vt_le64(R + 8 * i), p = vt_le64(P + 8 * i);
			enum vt_rule_b verdict = vt_rule_b_slot(r, p, i, ldt, sme);
			bool rp = verdict == VT_B_CONFLICT;
			struct vt_evidence *e;

			lazy += verdict == VT_B_LAZY;
			if (verdict != VT_B_STALE && verdict != VT_B_CONFLICT)
				continue;
			e = vt_result_evidence(res, rp ? "pgd-conflict" : "pgd-stale");
			vt_evidence_add(e, "pgd_pfn", "0x%" PRIx64, pfn);
			if (mm_known)
				vt_evidence_add(e, "mm", "0x%" PRIx64, mm);
			else
				vt_evidence_add(e, "mm", "unknown (no pt_mm in the types)");
			vt_evidence_add(e, "slot", "%u", i);
			/* kernel slots have the top index bit set: sign-extend */
			vt_evidence_add(e, "va", "0x%016" PRIx64,
					(uint64_t)(((uint64_t)i << shift) | ~((UINT64_C(1) << (shift + 9)) - 1)));
			vt_evidence_add(e, "init_top_pgt", "0x%016" PRIx64, r);
			vt_evidence_add(e, "pgd", "0x%016" PRIx64, p);
			vt_evidence_add(e, "pgd_table_pfn", "0x%" PRIx64, entry_pfn(p, sme));
			vt_evidence_add(e, "table_state", "%s", pfn_state(ctx, entry_pfn(p, sme)));
			if (rp)
				conflicts++;
			else
				latents++;
		}
		entry = next;
	}
	if (conflicts || latents)
		vt_result_set(res, VT_LATENT,
			      "%" PRIu64 " conflicting and %" PRIu64 " stale kernel pgd slot(s) "
			      "in %" PRIu64 " pgd(s): the next sync_global_pgds() over them %s",
			      conflicts, latents, npgds,
			      conflicts ? "hits BUG_ON" : "finds a table init_mm no longer has");
	else if (unreadable)
		vt_result_set(res, VT_UNKNOWN, "a pgd on pgd_list could not be read");
	else
		vt_result_set(res, VT_CLEAN, "%" PRIu64 " pgd(s) agree with init_top_pgt on every "
			      "kernel slot (%" PRIu64 " lazily unsynced slots, normal)", npgds, lazy);
	if (npgds >= MAX_PGDS)
		vt_result_raise(res, VT_UNKNOWN, "pgd_list longer than %d: cyclic or corrupt",
				MAX_PGDS);
	/* The crash this class causes: BUG in sync_global_pgds(). */
	if (ctx->oops && strstr(ctx->oops->bug_site, "arch/x86/mm/init_64.c") &&
	    (vt_oops_ip_is(ctx->oops, "sync_global_pgds") ||
	     vt_oops_ip_is(ctx->oops, "sync_global_pgds_l4") ||
	     vt_oops_ip_is(ctx->oops, "sync_global_pgds_l5")))
		vt_result_set(res, VT_FIRED, "%s, RIP %s: the kernel PGD desync BUG",
			      ctx->oops->headline, ctx->oops->ip);
	return NULL;
}

const struct vt_plugin vt_plugin_pgd_desync = {
	.name = "pgd-desync",
	.bug_class = 'B',
	.summary = "x86_64 kernel PGD entries out of sync with init_top_pgt after hot-remove",
	.arches = "x86_64",
	.versions = "v4.12-rc1 (f2a6a7050109) until the fix; 5-level paging still frees PUDs",
	.fix = "98fe3633c5a4 \"x86/mm/hotplug: Don't remove PGD entries in remove_pagetable()\" (v4.12)",
	.next_step = "Check the kernel has 98fe3633c5a4; the listed pgd slots point at tables "
		     "init_mm no longer maps (see table_state). Avoid memory hot-remove until fixed.",
	.run = run,
};
