/*
 * Class A (BUGCLASSES.md, seed 000): ppc64 radix, early page tables and
 * pt_frag_refcount underflow on memory hot-unplug. Fix 645d5ce2f7d6 (v5.9)
 * made early tables whole memblock pages and frees PageReserved tables with
 * free_reserved_page() before the BUG_ON. Affected v4.19..v5.8, radix only.
 *
 * Latent rule: a kernel (init_mm) PMD or PTE table page that maps a
 * hot-removable range (a present, non-early section, through the linear map
 * or the vmemmap) with pt_frag_refcount <= 0 and not PG_reserved: unplug of
 * that range hits the BUG_ON on every version. Before v5.9 PG_reserved
 * early tables with pt_frag_refcount <= 0 are latent too; from v5.9 they
 * are legitimate.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/ptpage.h"
#include "models/traces.h"
#include "plugins/plugin.h"
#include "plugins/rules.h"

#define MAX_PAGES 65536

struct table_page {
	uint64_t pfn;
	uint64_t first_table, va_lo, va_hi;
	const char *level;
	unsigned ntables;
};

struct state {
	struct vt_plugin_ctx *ctx;
	struct vt_memmap *m;
	const struct vt_memmap_geometry *g;
	struct table_page *pages;
	size_t npages;
	uint64_t omitted;
};

/* Does [va, va+len) map memory of a present, non-early (hot-added) section? */
static bool maps_hotplug(const struct state *st, uint64_t va, uint64_t len)
{
	struct vt_models *m = st->ctx->m;
	uint64_t lo_pfn, hi_pfn;

	/* [lo, hi): the pfns whose struct pages, or whose memory, it maps. */
	if (vt_models_vmemmap_pfn(m, va, &lo_pfn) &&
	    vt_models_vmemmap_pfn(m, va + len - 1, &hi_pfn))
		hi_pfn++;
	else if (vt_models_linear_pfn(m, va, &lo_pfn) &&
		 vt_models_linear_pfn(m, va + len - 1, &hi_pfn))
		hi_pfn++;
	else
		return false;
	const struct vt_section *sec;
	size_t ns = vt_memmap_sections(st->m, &sec);

	for (size_t i = 0; i < ns; i++) {
		uint64_t s0 = sec[i].nr * st->g->pages_per_section;

		if (!(sec[i].flags & VT_SECTION_EARLY) && s0 < hi_pfn &&
		    s0 + st->g->pages_per_section > lo_pfn)
			return true;
	}
	return false;
}

static int on_table(void *arg, const char *level, uint64_t paddr, uint32_t bytes, uint64_t va)
{
	struct state *st = arg;
	uint64_t pfn = paddr >> st->g->page_shift, span;
	unsigned entries = bytes / 8;

	if (strcmp(level, "PMD") && strcmp(level, "PTE"))
		return 0;
	/* What one entry maps: a page (PTE), or a PTE table's 2 MiB (PMD; both
	 * radix geometries, 64K/5 bits and 4K/9 bits, give 2 MiB). */
	span = !strcmp(level, "PTE") ? 1ull << st->g->page_shift : 1ull << 21;
	if (!maps_hotplug(st, va, span * entries))
		return 0;
	for (size_t i = 0; i < st->npages; i++)
		if (st->pages[i].pfn == pfn) {
			st->pages[i].ntables++;
			if (va + span * entries - 1 > st->pages[i].va_hi)
				st->pages[i].va_hi = va + span * entries - 1;
			return 0;
		}
	if (st->npages >= MAX_PAGES) {
		st->omitted++;
		return 0;
	}
	st->pages[st->npages++] = (struct table_page){ pfn, paddr, va, va + span * entries - 1,
						       level, 1 };
	return 0;
}

/*
 * ---- fired: the table page the BUG was about. pmd/pte_fragment_free(table)
 * hold the table and its struct page in registers when they hit the BUG_ON,
 * and remove_pagetable() frees a table before it clears the entry linking
 * it, so the page is still in init_mm's tree: every register value that is
 * a struct page or a linear-map address of such a table page names it.
 */

#define MAX_CANDIDATES VT_REGS_MAX

struct candidate {
	uint64_t pfn;
	uint64_t regs;			/* bit i: register i points into the page */
	unsigned ntables;		/* init_mm PMD/PTE tables in it (0: not linked) */
	/* The table the most registers point into (the one being freed):
	 * its level, address, what it maps and those registers. */
	const char *level;
	uint64_t table, va_lo, va_hi, table_regs;
};

struct crash_pages {
	const struct vt_memmap_geometry *g;
	uint64_t pa[VT_REGS_MAX];	/* register i's physical address (linear ones) */
	uint64_t linear;		/* bit i: pa[i] is set */
	struct candidate c[MAX_CANDIDATES];
	size_t n;
};

static void add_candidate(struct crash_pages *cp, uint64_t pfn, unsigned reg)
{
	for (size_t i = 0; i < cp->n; i++)
		if (cp->c[i].pfn == pfn) {
			cp->c[i].regs |= 1ull << reg;
			return;
		}
	if (cp->n < MAX_CANDIDATES)
		cp->c[cp->n++] = (struct candidate){ .pfn = pfn, .regs = 1ull << reg };
}

static int on_crash_table(void *arg, const char *level, uint64_t paddr, uint32_t bytes,
			  uint64_t va)
{
	struct crash_pages *cp = arg;
	uint64_t pfn = paddr >> cp->g->page_shift, span, hits = 0;

	if (strcmp(level, "PMD") && strcmp(level, "PTE"))
		return 0;
	span = !strcmp(level, "PTE") ? 1ull << cp->g->page_shift : 1ull << 21;
	for (unsigned r = 0; r < VT_REGS_MAX; r++)
		if (cp->linear >> r & 1 && cp->pa[r] >= paddr && cp->pa[r] < paddr + bytes)
			hits |= 1ull << r;
	for (size_t i = 0; i < cp->n; i++) {
		struct candidate *c = &cp->c[i];

		if (c->pfn != pfn)
			continue;
		c->ntables++;
		if (!c->level || __builtin_popcountll(hits) > __builtin_popcountll(c->table_regs)) {
			c->level = level;
			c->table = paddr;
			c->va_lo = va;
			c->va_hi = va + span * (bytes / 8) - 1;
			c->table_regs = hits;
		}
	}
	return 0;
}

/* The LMBs (drc indexes) of pseries memory [lo, hi], when the tree tells. */
static void lmb_list(struct vt_models *m, uint64_t lo, uint64_t hi, char *buf, size_t len)
{
	const struct vt_error *err;
	const struct vt_lmb_check *lc = vt_models_lmb_check(m, &err);
	size_t used = 0;

	buf[0] = '\0';
	if (!lc || !lc->have_node)
		return;
	for (size_t i = 0; i < lc->n && used < len; i++) {
		const struct vt_lmb_row *r = &lc->rows[i];

		if (r->base <= hi && r->base + r->size > lo)
			used += (size_t)snprintf(buf + used, len - used, "%s0x%" PRIx32,
						 used ? " " : "", r->drc_index);
	}
}

static void crash_evidence(struct state *st, const struct vt_mm *init_mm,
			   struct vt_result *res)
{
	struct vt_models *m = st->ctx->m;
	struct vt_traces *tr = vt_models_traces(m);
	struct vt_pgwalk_ops ops = { .table = on_crash_table };
	struct crash_pages cp = { .g = st->g };
	struct vt_crash_regs cr;
	struct vt_error *err;
	size_t named = 0;

	if (!tr || !init_mm)
		return;
	if (!vt_result_crash_regs(res, m, &cr))
		return;
	for (unsigned i = 0; i < VT_REGS_MAX; i++) {
		uint64_t pfn;

		if (!vt_regs_has(&cr.regs, i))
			continue;
		if (vt_models_linear_pfn(m, cr.regs.r[i], &pfn)) {
			cp.pa[i] = pfn << st->g->page_shift |
				   (cr.regs.r[i] & ((1ull << st->g->page_shift) - 1));
			cp.linear |= 1ull << i;
			add_candidate(&cp, pfn, i);
		} else if (vt_memmap_is_page(st->m, cr.regs.r[i], &pfn)) {
			add_candidate(&cp, pfn, i);	/* the struct page itself */
		}
	}
	if (!cp.n)
		return;
	if ((err = vt_models_walk_tables(m, init_mm->pgd_paddr, false, 1u << 22, &ops, &cp))) {
		vt_error_destroy(err);	/* the latent walk above said so already */
		return;
	}
	for (size_t i = 0; i < cp.n; i++) {
		const struct candidate *c = &cp.c[i];
		struct vt_ptpage pp;
		struct vt_evidence *e;
		char regs[96], lmbs[96] = "";
		uint64_t lo, hi;

		if ((err = vt_ptpage_read(st->m, vt_models_symbols(m), c->pfn, &pp))) {
			vt_error_destroy(err);
			continue;
		}
		/* A table page: linked as one, or typed PageTable. */
		if (!c->ntables && !(pp.type_known && pp.table))
			continue;
		named++;
		vt_traces_reg_list(tr, c->regs, regs, sizeof(regs));
		e = vt_result_evidence(res, "crash-table-page");
		vt_evidence_add(e, "registers", "%s", regs);
		vt_evidence_add(e, "taken_from", "%s", cr.from);
		vt_evidence_add(e, "pfn", "0x%" PRIx64, pp.pfn);
		vt_evidence_add(e, "page", "0x%" PRIx64, pp.page);
		if (pp.frag_known)
			vt_evidence_add(e, "pt_frag_refcount", "%d", pp.frag_refcount);
		else
			vt_evidence_add(e, "pt_frag_refcount", "unknown: %s", pp.frag_why);
		vt_evidence_add(e, "reserved", "%s", pp.reserved ? "yes" : "no");
		if (!c->ntables) {
			vt_evidence_add(e, "linked", "no (PageTable, not in init_mm's tree)");
			continue;
		}
		vt_evidence_add(e, "tables_in_page", "%u", c->ntables);
		vt_traces_reg_list(tr, c->table_regs, regs, sizeof(regs));
		vt_evidence_add(e, "table", "init_mm %s table 0x%" PRIx64 "%s%s%s", c->level,
				c->table, *regs ? " (" : "", regs, *regs ? ")" : "");
		vt_evidence_add(e, "maps", "0x%" PRIx64 "-0x%" PRIx64, c->va_lo, c->va_hi);
		if (vt_models_linear_pfn(m, c->va_lo, &lo) && vt_models_linear_pfn(m, c->va_hi, &hi)) {
			lo <<= st->g->page_shift;
			hi = ((hi + 1) << st->g->page_shift) - 1;
			vt_evidence_add(e, "memory", "0x%" PRIx64 "-0x%" PRIx64, lo, hi);
			lmb_list(m, lo, hi, lmbs, sizeof(lmbs));
		} else if (vt_models_vmemmap_pfn(m, c->va_lo, &lo) &&
			   vt_models_vmemmap_pfn(m, c->va_hi, &hi)) {
			vt_evidence_add(e, "struct_pages_of", "pfn 0x%" PRIx64 "-0x%" PRIx64, lo, hi);
			lmb_list(m, lo << st->g->page_shift,
				 ((hi + 1) << st->g->page_shift) - 1, lmbs, sizeof(lmbs));
		}
		if (*lmbs)
			vt_evidence_add(e, "lmbs", "%s", lmbs);
	}
	if (!named)
		vt_result_crash_regs_none(res, &cr, "table_page", "none of the registers points "
					  "into a page-table page");
}

static int version_below(const char *release, int major, int minor)
{
	int a = 0, b = 0;

	if (sscanf(release, "%d.%d", &a, &b) != 2)
		return -1;
	return a < major || (a == major && b < minor);
}

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	struct vt_pgwalk_ops ops = { .table = on_table };
	struct state st = { .ctx = ctx };
	const struct vt_error *merr;
	const struct vt_mm *init_mm;
	const struct vt_oops *oops;
	uint64_t bad = 0;
	int pre59 = version_below(vt_models_release(ctx->m), 5, 9);
	struct vt_error *err = NULL;
	snprintf(res->rule, sizeof(res->rule),
		 "init_mm PMD/PTE table pages mapping hot-added (non-early) sections, via "
		 "the linear map or vmemmap: pt_frag_refcount <= 0 and not PG_reserved%s",
		 pre59 == 1 ? ", or PG_reserved with pt_frag_refcount <= 0 (before v5.9)" : "");
	st.m = vt_models_memmap(ctx->m, &merr);
	if (!st.m) {
		vt_result_set(res, VT_UNKNOWN, "memmap unavailable: %s", merr->message);
		return NULL;
	}
	st.g = vt_memmap_geometry(st.m);
	st.pages = calloc(MAX_PAGES, sizeof(*st.pages));
	if (!st.pages)
		return &vt_enomem;
	init_mm = vt_models_init_mm(ctx->m, &merr);
	err = init_mm ? vt_models_walk_tables(ctx->m, init_mm->pgd_paddr, false, 1u << 22,
					      &ops, &st) :
	      vt_error_create(merr->code, "%s", merr->message);
	if (err) {
		vt_result_set(res, VT_UNKNOWN, "cannot walk init_mm's page tables: %s",
			      err->message);
		vt_error_destroy(err);
		free(st.pages);
		return NULL;
	}
	for (size_t i = 0; i < st.npages; i++) {
		struct vt_ptpage pp;
		struct vt_evidence *e;

		err = vt_ptpage_read(st.m, vt_models_symbols(ctx->m), st.pages[i].pfn, &pp);
		if (err) {
			vt_result_raise(res, VT_UNKNOWN, "struct page of table pfn 0x%" PRIx64
					" unreadable: %s", st.pages[i].pfn, err->message);
			vt_error_destroy(err);
			continue;
		}
		if (!pp.frag_known) {
			vt_result_raise(res, VT_UNKNOWN, "table pfn 0x%" PRIx64 ": %s",
					st.pages[i].pfn, pp.frag_why);
			continue;
		}
		if (!vt_rule_a_bad(pp.frag_refcount, pp.reserved, pre59 == 1))
			continue;
		bad++;
		e = vt_result_evidence(res, "table-page");
		vt_evidence_add(e, "level", "%s", st.pages[i].level);
		vt_evidence_add(e, "table", "0x%" PRIx64, st.pages[i].first_table);
		vt_evidence_add(e, "pfn", "0x%" PRIx64, pp.pfn);
		vt_evidence_add(e, "page", "0x%" PRIx64, pp.page);
		vt_evidence_add(e, "pt_frag_refcount", "%d", pp.frag_refcount);
		vt_evidence_add(e, "reserved", "%s", pp.reserved ? "yes" : "no");
		vt_evidence_add(e, "maps", "0x%" PRIx64 "-0x%" PRIx64, st.pages[i].va_lo,
				st.pages[i].va_hi);
		vt_evidence_add(e, "tables_in_page", "%u", st.pages[i].ntables);
	}
	if (bad)
		vt_result_set(res, VT_LATENT, "%" PRIu64 " kernel page-table page(s) mapping "
			      "hot-removable memory have pt_frag_refcount <= 0 without PG_reserved: "
			      "unplugging that memory hits BUG_ON in pte/pmd_fragment_free", bad);
	else if (res->verdict != VT_UNKNOWN)
		vt_result_set(res, VT_CLEAN, "%zu kernel table page(s) map hot-removable memory, "
			      "all with a positive pt_frag_refcount or PG_reserved", st.npages);
	oops = vt_models_crash(ctx->m);
	if ((vt_oops_ip_is(oops, "pte_fragment_free") ||
	     vt_oops_ip_is(oops, "pmd_fragment_free") ||
	     vt_oops_ip_is(oops, "__pud_free")) &&
	    (vt_oops_mentions(oops, "remove_pagetable") ||
	     vt_oops_mentions(oops, "radix__remove_section_mapping") ||
	     vt_oops_mentions(oops, "vmemmap_free") ||
	     vt_oops_mentions(oops, "arch_remove_memory")))
	{
		vt_result_set(res, VT_FIRED, "%s, NIP %s via the hot-unplug path",
			      oops->headline, oops->ip);
		crash_evidence(&st, init_mm, res);
	}
	free(st.pages);
	return NULL;
}

const struct vt_plugin vt_plugin_ptfrag_early = {
	.name = "ptfrag-early",
	.bug_class = 'A',
	.summary = "ppc64 radix kernel page-table pt_frag_refcount underflow on hot-unplug",
	.arches = "ppc64",
	.arch_gate = "ppc64",
	.versions = "v4.19 to v5.8 (radix MMU only; hash removes no page tables on unplug)",
	.fix = "645d5ce2f7d6 \"powerpc/mm/radix: Fix PTE/PMD fragment count for early page "
	       "table mappings\" (v5.9)",
	.next_step = "Do not hot-remove the memory the listed tables map; check the kernel "
		     "has 645d5ce2f7d6 and look for what dropped the table's count.",
	.run = run,
};
