/*
 * The bug-class rules as pure functions of the facts a plugin gathered,
 * so each edge case of BUGCLASSES.md is unit-tested without a dump
 * (tests/test_rules.c). The plugins read the dump, these decide.
 */
#ifndef VT_RULES_H
#define VT_RULES_H

#include <stdbool.h>
#include <stdint.h>

/* Class A: is this kernel table page a finding? */
bool vt_rule_a_bad(int32_t frag_refcount, bool reserved, bool kernel_before_5_9);

/* Class B: one kernel pgd slot, R = init_top_pgt[i], P = the pgd's. */
enum vt_rule_b {
	VT_B_SAME,		/* equal pfns, or both none, or the LDT slot */
	VT_B_LAZY,		/* R present, P none: normal lazy sync, info only */
	VT_B_STALE,		/* R none, P present: latent */
	VT_B_CONFLICT,		/* both present, different pfns: BUG on next sync */
};
enum vt_rule_b vt_rule_b_slot(uint64_t r, uint64_t p, unsigned slot, unsigned ldt_slot,
			      uint64_t sme_mask);

/* Class D: why a fragment page is short, or NULL when it is fine. */
const char *vt_rule_d_why(int32_t frag_refcount, int32_t refcount, bool buddy,
			  unsigned used, unsigned cached, unsigned frag_nr);

/* Class E: one struct page, with what the plugin knows around it. */
enum vt_rule_e {
	VT_E_OK,
	VT_E_POISONED,		/* U1: flags and compound_head all ones */
	VT_E_GARBAGE,		/* U2: impossible zone or node */
};
struct vt_rule_e_page {
	uint64_t pfn, flags, compound_head;
	int zone, node;
	bool section_online_or_early, section_zone_device;
	bool in_device_zone;		/* pfn inside a Device zone span */
	bool in_any_zone;		/* pfn inside some zone's span */
	bool reserved;			/* PG_reserved */
	bool node_online;
	uint64_t first_deferred_pfn;	/* UINT64_MAX: none */
	bool zones_known;
	unsigned max_nr_zones;
};
enum vt_rule_e vt_rule_e_classify(const struct vt_rule_e_page *p);

#endif
