#include "plugins/rules.h"

#include "models/pgdlist.h"

bool vt_rule_a_bad(int32_t frag_refcount, bool reserved, bool kernel_before_5_9)
{
	/* From v5.9 early (PG_reserved) tables are freed as reserved pages. */
	return frag_refcount <= 0 && (!reserved || kernel_before_5_9);
}

enum vt_rule_b vt_rule_b_slot(uint64_t r, uint64_t p, unsigned slot, unsigned ldt_slot,
			      uint64_t sme_mask)
{
	bool rp = vt_pgd_entry_present(r), pp = vt_pgd_entry_present(p);

	if (slot == ldt_slot)
		return VT_B_SAME;	/* per-mm LDT mapping differs by design */
	if (!pp)
		return rp ? VT_B_LAZY : VT_B_SAME;
	if (!rp)
		return VT_B_STALE;
	/* Compare pfns, not raw entries: flag bits legitimately differ. */
	return vt_pgd_entry_paddr(r, sme_mask) == vt_pgd_entry_paddr(p, sme_mask) ?
	       VT_B_SAME : VT_B_CONFLICT;
}

const char *vt_rule_d_why(int32_t frag_refcount, int32_t refcount, bool buddy,
			  unsigned used, unsigned cached, unsigned frag_nr)
{
	if (buddy)
		return "page is free (PageBuddy)";
	if (refcount == 0)
		return "_refcount is 0";
	if (frag_refcount < 1 || (unsigned)frag_refcount > frag_nr)
		return "fragment count outside [1, FRAG_NR]";
	/* Only deficits: pages being freed (mmu_gather, RCU) are already unlinked. */
	if ((unsigned)frag_refcount < used + cached)
		return "fragment count below fragments in use + cached";
	return NULL;
}

enum vt_rule_e vt_rule_e_classify(const struct vt_rule_e_page *p)
{
	if (!p->section_online_or_early || p->section_zone_device)
		return VT_E_OK;		/* offline or device memory: not checked */
	if (p->flags == ~0ull && p->compound_head == ~0ull)
		return VT_E_POISONED;
	/* Deferred struct page init unfinished: not yet initialized, by design. */
	if (p->first_deferred_pfn != UINT64_MAX && p->pfn >= p->first_deferred_pfn)
		return VT_E_OK;
	if (p->in_device_zone || !p->zones_known)
		return VT_E_OK;
	if ((unsigned)p->zone > p->max_nr_zones)
		return VT_E_GARBAGE;
	/* 6.1 init_reserved_page(): a reserved pfn no zone spans gets zone ==
	 * MAX_NR_ZONES; anything else with that zone is garbage. */
	if ((unsigned)p->zone == p->max_nr_zones && !(p->reserved && !p->in_any_zone))
		return VT_E_GARBAGE;
	if (!p->node_online)
		return VT_E_GARBAGE;
	return VT_E_OK;
}
