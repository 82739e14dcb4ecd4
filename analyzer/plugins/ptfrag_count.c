/*
 * Class D (BUGCLASSES.md, seed 003): ppc64 page-table fragment refcount
 * against the fragments really in use. Fix 4231aba000f5 (v4.19) gave
 * fragment pages a dedicated pt_frag_refcount; _refcount was the count
 * before. A page of PTE (PMD) fragments holds one count per fragment handed
 * out and one per fragment the mm still caches (mm->context.pte_frag points
 * at the next free one).
 *
 * Rule per live mm (mm_users > 0): group the PTE tables its PMD entries
 * reference (PMD tables under PUD entries) by page; used = distinct
 * fragments in use; cached = fragments from context.pte_frag (pmd_frag) to
 * the end of the page when it points into that page. BAD when cnt < used +
 * cached, cnt outside [1, FRAG_NR], _refcount 0, or the page is PageBuddy.
 * Only deficits are flagged: pages in an mmu_gather or RCU free are already
 * unlinked. 6.6+: pages with PG_active are deferred frees (pte_free_defer).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/mm.h"
#include "models/ptpage.h"
#include "plugins/plugin.h"
#include "plugins/rules.h"

#define MAX_FRAG_PAGES 65536

struct frag_page {
	uint64_t pfn;
	const char *level;		/* "PTE" or "PMD" fragments */
	uint32_t frag_bytes;
	uint64_t used_map[4];		/* bit per fragment index (<= 256) */
	unsigned used;
};

struct state {
	unsigned page_shift;
	struct frag_page *pages;
	size_t npages;
	uint64_t omitted;
};

static int on_table(void *arg, const char *level, uint64_t paddr, uint32_t bytes, uint64_t va)
{
	struct state *st = arg;
	uint64_t pfn = paddr >> st->page_shift;
	unsigned idx = (unsigned)((paddr & ((1ull << st->page_shift) - 1)) / bytes);
	struct frag_page *fp = NULL;

	if ((strcmp(level, "PTE") && strcmp(level, "PMD")) || idx >= 256)
		return 0;
	for (size_t i = 0; i < st->npages; i++)
		if (st->pages[i].pfn == pfn && st->pages[i].frag_bytes == bytes) {
			fp = &st->pages[i];
			break;
		}
	if (!fp) {
		if (st->npages >= MAX_FRAG_PAGES) {
			st->omitted++;
			return 0;
		}
		fp = &st->pages[st->npages++];
		memset(fp, 0, sizeof(*fp));
		fp->pfn = pfn;
		fp->level = level;
		fp->frag_bytes = bytes;
	}
	if (!(fp->used_map[idx / 64] >> (idx % 64) & 1)) {
		fp->used_map[idx / 64] |= 1ull << (idx % 64);
		fp->used++;
	}
	return 0;
}

/*
 * From v6.6 pte_free_defer() marks a PTE fragment page PG_active when its
 * last fragment goes to an RCU free (the count is already dropped): such
 * pages are not findings. The function's existence is the marker.
 */
static struct vt_error *has_pte_free_defer(struct vt_symbols *s, bool *ret)
{
	uint64_t addr;
	struct vt_error *err = vt_symbols_lookup(s, "pte_free_defer", &addr);

	*ret = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err;
}

static struct vt_error *check_mm(struct vt_plugin_ctx *ctx, struct vt_memmap *m,
				 const struct vt_mm *mm, uint64_t off_pte_frag,
				 uint64_t off_pmd_frag, struct vt_result *res, uint64_t *bad,
				 uint64_t *checked)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	struct vt_pgwalk_ops ops = { .table = on_table };
	struct state st = { .page_shift = g->page_shift };
	uint64_t pte_frag = 0, pmd_frag = 0, page_size = 1ull << g->page_shift;
	bool skip_active;
	struct vt_symbols *s = vt_models_symbols(ctx->m);
	struct vt_error *err = has_pte_free_defer(s, &skip_active);

	if (err)
		return err;
	st.pages = malloc(MAX_FRAG_PAGES * sizeof(*st.pages));
	if (!st.pages)
		return &vt_enomem;
	err = vt_models_walk_tables(ctx->m, mm->pgd_paddr, true, 1u << 20, &ops, &st);
	if (!err && off_pte_frag)
		err = vt_models_mm_word(ctx->m, mm, off_pte_frag, &pte_frag);
	if (!err && off_pmd_frag)
		err = vt_models_mm_word(ctx->m, mm, off_pmd_frag, &pmd_frag);
	for (size_t i = 0; !err && i < st.npages; i++) {
		struct frag_page *fp = &st.pages[i];
		uint64_t cache = !strcmp(fp->level, "PTE") ? pte_frag : pmd_frag;
		unsigned frag_nr = (unsigned)(page_size / fp->frag_bytes), cached = 0;
		struct vt_ptpage pp;
		const char *why = NULL;
		struct vt_error *e2;
		uint64_t cache_pfn;

		/* The cache points at the next free fragment of its page. */
		if (vt_models_linear_pfn(ctx->m, cache, &cache_pfn) && cache_pfn == fp->pfn)
			cached = frag_nr - (unsigned)((cache & (page_size - 1)) / fp->frag_bytes);
		e2 = vt_ptpage_read(m, s, fp->pfn, &pp);
		if (e2) {
			vt_result_raise(res, VT_UNKNOWN, "fragment page pfn 0x%" PRIx64
					" of pid %d unreadable: %s", fp->pfn, mm->pid, e2->message);
			vt_error_destroy(e2);
			continue;
		}
		if (!pp.frag_known || !pp.type_known) {
			vt_result_raise(res, VT_UNKNOWN, "fragment page pfn 0x%" PRIx64 " of pid %d: %s",
					fp->pfn, mm->pid, !pp.frag_known ? pp.frag_why :
					"the page_type encoding is not known (PageBuddy)");
			continue;
		}
		(*checked)++;
		if (skip_active && pp.active)
			continue;
		why = vt_rule_d_why(pp.frag_refcount, pp.refcount, pp.buddy, fp->used, cached,
				    frag_nr);
		if (!why)
			continue;
		(*bad)++;
		struct vt_evidence *e = vt_result_evidence(res, "fragment-page");

		vt_evidence_add(e, "pid", "%d", mm->pid);
		vt_evidence_add(e, "comm", "%s", mm->comm);
		vt_evidence_add(e, "mm", "0x%" PRIx64, mm->addr);
		vt_evidence_add(e, "level", "%s", fp->level);
		vt_evidence_add(e, "pfn", "0x%" PRIx64, fp->pfn);
		vt_evidence_add(e, "page", "0x%" PRIx64, pp.page);
		vt_evidence_add(e, pp.has_frag_refcount ? "pt_frag_refcount" : "_refcount",
				"%d", pp.frag_refcount);
		vt_evidence_add(e, "used", "%u", fp->used);
		vt_evidence_add(e, "cached", "%u", cached);
		vt_evidence_add(e, "frag_nr", "%u", frag_nr);
		vt_evidence_add(e, "why", "%s", why);
	}
	free(st.pages);
	return err;
}

/*
 * Fired: the fragment page pte_fragment_free()/pmd_fragment_free() found
 * with a count <= 0, from the registers the BUG trap saved. The function
 * holds the page's struct page (page = virt_to_page(table)), often a
 * pointer to its pt_frag_refcount, and the fragment itself (a linear-map
 * address in the page). By then the page may be free already (the count
 * reached 0 on an earlier fragment), so it is not looked up in any mm's
 * tree: the registers name it, and its count must satisfy the BUG_ON.
 */
#define MAX_CRASH_PAGES 8

struct crash_page {
	uint64_t pfn;
	uint64_t page_regs, member_regs, frag_regs;
	uint64_t member_off;
};

static struct crash_page *crash_page_of(struct crash_page *c, size_t *n, uint64_t pfn)
{
	for (size_t i = 0; i < *n; i++)
		if (c[i].pfn == pfn)
			return &c[i];
	if (*n == MAX_CRASH_PAGES)
		return NULL;
	c[*n] = (struct crash_page){ .pfn = pfn };
	return &c[(*n)++];
}

static void crash_evidence(struct vt_plugin_ctx *ctx, struct vt_memmap *mm,
			   struct vt_result *res)
{
	struct vt_models *m = ctx->m;
	struct vt_symbols *s = vt_models_symbols(m);
	struct vt_traces *tr = vt_models_traces(m);
	struct crash_page c[MAX_CRASH_PAGES];
	struct vt_crash_regs cr;
	size_t n = 0, named = 0;
	uint64_t frag_off = UINT64_MAX;
	struct vt_error *err;

	if (!tr || !vt_result_crash_regs(res, m, &cr))
		return;
	if ((err = vt_ptpage_member(s, "pt_frag_refcount", &frag_off)))
		vt_error_destroy(err);
	/* struct page pointers first (exact or to a member) */
	for (unsigned i = 0; i < VT_REGS_MAX; i++) {
		uint64_t pfn, off;
		struct crash_page *cp;

		if (!vt_regs_has(&cr.regs, i) ||
		    !vt_memmap_page_within(mm, cr.regs.r[i], &pfn, &off) ||
		    !(cp = crash_page_of(c, &n, pfn)))
			continue;
		if (!off) {
			cp->page_regs |= 1ull << i;
		} else {
			cp->member_regs |= 1ull << i;
			cp->member_off = off;
		}
	}
	/* then pointers into those pages (the fragment being freed) */
	for (unsigned i = 0; i < VT_REGS_MAX; i++) {
		uint64_t pfn;

		if (!vt_regs_has(&cr.regs, i) || !vt_models_linear_pfn(m, cr.regs.r[i], &pfn))
			continue;
		for (size_t k = 0; k < n; k++)
			if (c[k].pfn == pfn)
				c[k].frag_regs |= 1ull << i;
	}
	for (size_t k = 0; k < n; k++) {
		struct vt_ptpage pp;
		struct vt_evidence *e;
		char regs[96], roles[240];

		if ((err = vt_ptpage_read(mm, s, c[k].pfn, &pp))) {
			vt_error_destroy(err);
			continue;
		}
		/* the page the BUG_ON read has a count <= 0 */
		if (!pp.frag_known || pp.frag_refcount > 0)
			continue;
		named++;
		e = vt_result_evidence(res, "crash-table-page");
		vt_traces_reg_list(tr, c[k].page_regs | c[k].member_regs | c[k].frag_regs, regs,
				   sizeof(regs));
		vt_evidence_add(e, "registers", "%s", regs);
		*roles = '\0';
		vt_regs_role_add(tr, roles, sizeof(roles), c[k].page_regs, "the struct page");
		vt_regs_role_add(tr, roles, sizeof(roles), c[k].member_regs,
				 c[k].member_off == frag_off ? "&pt_frag_refcount"
							     : "a member of the struct page");
		vt_regs_role_add(tr, roles, sizeof(roles), c[k].frag_regs,
				 "an address in the page (the fragment)");
		vt_evidence_add(e, "register_roles", "%s", roles);
		vt_evidence_add(e, "taken_from", "%s", cr.from);
		vt_evidence_add(e, "pfn", "0x%" PRIx64, pp.pfn);
		vt_evidence_add(e, "page", "0x%" PRIx64, pp.page);
		vt_evidence_add(e, pp.has_frag_refcount ? "pt_frag_refcount" : "_refcount", "%d",
				pp.frag_refcount);
		if (pp.has_frag_refcount)
			vt_evidence_add(e, "_refcount", "%d", pp.refcount);
		vt_evidence_add(e, "state", "%s", pp.buddy ? "free (PageBuddy)" :
				pp.refcount == 0 ? "free (_refcount 0): freed by an earlier fragment's "
						   "free while this fragment was still in use" :
				pp.table ? "page table" : "in use");
	}
	if (!named)
		vt_result_crash_regs_none(res, &cr, "table_page", "none of the registers names a "
					  "fragment page whose count is <= 0");
}

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	struct vt_symbols *s = vt_models_symbols(ctx->m);
	const struct vt_oops *oops;
	const struct vt_error *merr;
	struct vt_memmap *m;
	const struct vt_mm *mms;
	size_t n = 0;
	uint64_t off_pte = 0, off_pmd = 0, bad = 0, checked = 0, live = 0, unreadable = 0;
	bool no_cache = false;
	struct vt_error *err;

	snprintf(res->rule, sizeof(res->rule),
		 "per live mm: fragment pages of its PTE (PMD) tables; BAD if pt_frag_refcount "
		 "< fragments in use + fragments cached from context.pte_frag (pmd_frag), outside "
		 "[1, FRAG_NR], _refcount 0 or PageBuddy");
	m = vt_models_memmap(ctx->m, &merr);
	if (!m) {
		vt_result_set(res, VT_UNKNOWN, "memmap unavailable: %s", merr->message);
		return NULL;
	}
	/* The per-mm fragment caches (v4.19+ pmd_frag); without them only the
	 * fragments in use are counted: fewer findings, never false ones. */
	err = vt_symbols_offsetof(s, "struct mm_struct", "context.pte_frag", &off_pte);
	if (!err)
		err = vt_symbols_offsetof(s, "struct mm_struct", "context.pmd_frag", &off_pmd);
	if (err && err->code != VT_ERR_NOT_FOUND)
		return err;
	if (err) {
		vt_error_destroy(err);
		off_pte = off_pmd = 0;
		no_cache = true;
	}
	mms = vt_models_mms(ctx->m, &n, &merr);
	if (merr) {
		vt_result_set(res, VT_UNKNOWN, "cannot list processes: %s", merr->message);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (*mms[i].error) {	/* filtered out of the dump: partial evidence */
			struct vt_evidence *e = vt_result_evidence(res, "unreadable");

			vt_evidence_add(e, mms[i].task_unreadable ? "task" : "mm", "0x%" PRIx64,
					mms[i].addr);
			vt_evidence_add(e, "error", "%s", mms[i].error);
			unreadable++;
			continue;
		}
		if (mms[i].users <= 0)	/* exiting: its tables are being freed */
			continue;
		live++;
		err = check_mm(ctx, m, &mms[i], off_pte, off_pmd, res, &bad, &checked);
		if (err) {
			vt_result_raise(res, VT_UNKNOWN, "pid %d: %s", mms[i].pid, err->message);
			vt_error_destroy(err);
		}
	}
	if (bad)
		vt_result_set(res, VT_LATENT, "%" PRIu64 " page-table fragment page(s) with fewer "
			      "counts than fragments in use: freeing the last fragment frees the "
			      "page under a live table (BUG_ON in pte_fragment_free or a "
			      "use-after-free)", bad);
	else if (unreadable && res->verdict != VT_UNKNOWN)
		vt_result_set(res, VT_UNKNOWN, "partial: %" PRIu64 " fragment page(s) of %" PRIu64
			      " live mm(s) hold enough counts, but %" PRIu64 " task(s)/mm(s) "
			      "could not be read%s", checked, live, unreadable,
			      no_cache ? " (fragment caches not known)" : "");
	else if (res->verdict != VT_UNKNOWN)
		vt_result_set(res, VT_CLEAN, "%" PRIu64 " fragment page(s) of %" PRIu64
			      " live mm(s) hold enough counts%s", checked, live,
			      no_cache ? " (fragment caches not known: deficits against the "
			      "fragments in use only)" : "");
	oops = vt_models_crash(ctx->m);
	if ((vt_oops_ip_is(oops, "pte_fragment_free") ||
	     vt_oops_ip_is(oops, "pmd_fragment_free")) &&
	    (vt_oops_mentions(oops, "__tlb_remove_table") ||
	     vt_oops_mentions(oops, "tlb_remove_table_rcu") ||
	     vt_oops_mentions(oops, "free_pgtables"))) {
		vt_result_set(res, VT_FIRED, "%s, NIP %s from the page-table free path",
			      oops->headline, oops->ip);
		crash_evidence(ctx, m, res);
	}
	if (strstr(oops->headline, "Bad page state") &&
	    strstr(oops->headline, "count:-1"))
		vt_result_set(res, VT_FIRED, "%s (pre-4.19 fragment count underflow)",
			      oops->headline);
	return NULL;
}

const struct vt_plugin vt_plugin_ptfrag_count = {
	.name = "ptfrag-count",
	.bug_class = 'D',
	.summary = "ppc64 page-table fragment count below the fragments in use",
	.arches = "ppc64",
	.arch_gate = "ppc64",
	.versions = "before v4.19 (_refcount as fragment count, raced by speculative "
		    "get_page); after it, any path that drops a fragment count twice",
	.fix = "4231aba000f5 \"powerpc/mm: Use a separate pt_frag_refcount for page-table "
	       "fragments\" (v4.19)",
	.next_step = "Check the kernel has 4231aba000f5; for a newer kernel, find what "
		     "dropped the listed page's count (tlb batching, pte_free_defer).",
	.run = run,
};
