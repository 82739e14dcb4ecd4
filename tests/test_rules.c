/* The bug-class rules' edge cases from BUGCLASSES.md, without a dump. */
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "plugins/rules.h"
#include "unit.h"

static struct vt_rule_e_page healthy(void)
{
	struct vt_rule_e_page p = {
		.pfn = 0x1000, .flags = 0x0008000000000800ull, .compound_head = 0,
		.zone = 1, .node = 0, .section_online_or_early = true,
		.in_any_zone = true, .node_online = true,
		.first_deferred_pfn = UINT64_MAX, .zones_known = true, .max_nr_zones = 5,
	};
	return p;
}

int main(void)
{
	struct vt_rule_e_page p;

	/* A: reserved early tables are legitimate from v5.9, latent before. */
	CHECK(vt_rule_a_bad(0, false, false));
	CHECK(vt_rule_a_bad(-1, false, false));
	CHECK(!vt_rule_a_bad(0, true, false));
	CHECK(vt_rule_a_bad(0, true, true));
	CHECK(!vt_rule_a_bad(1, false, true));
	CHECK(!vt_rule_a_bad(16, false, false));

	/* B: R present / P none is lazy sync (info only); pfns, not flags. */
	CHECK(vt_rule_b_slot(0x1063, 0, 300, 272, 0) == VT_B_LAZY);
	CHECK(vt_rule_b_slot(0, 0x5063, 300, 272, 0) == VT_B_STALE);
	CHECK(vt_rule_b_slot(0x1063, 0x2067, 300, 272, 0) == VT_B_CONFLICT);
	CHECK(vt_rule_b_slot(0x1063, 0x1067, 300, 272, 0) == VT_B_SAME);	/* flags differ */
	CHECK(vt_rule_b_slot(0x8000000000001063ull, 0x1063, 300, 272, 0) == VT_B_SAME); /* NX */
	CHECK(vt_rule_b_slot(0, 0x5063, 272, 272, 0) == VT_B_SAME);	/* the LDT slot */
	CHECK(vt_rule_b_slot(0, 0, 300, 272, 0) == VT_B_SAME);
	CHECK(vt_rule_b_slot(0x1062, 0x5062, 300, 272, 0) == VT_B_SAME);	/* not present */
	/* SME: the encryption bit is not part of the pfn. */
	CHECK(vt_rule_b_slot(0x1063 | (1ull << 47), 0x1063, 300, 272, 1ull << 47) == VT_B_SAME);

	/* D: only deficits; the count's bounds; free pages. */
	CHECK(vt_rule_d_why(255, 1, false, 5, 250, 256) == NULL);
	CHECK(vt_rule_d_why(256, 1, false, 5, 250, 256) == NULL);	/* surplus: fine */
	CHECK(vt_rule_d_why(4, 1, false, 5, 250, 256) != NULL);
	CHECK(vt_rule_d_why(0, 1, false, 0, 0, 256) != NULL);
	CHECK(vt_rule_d_why(257, 1, false, 1, 0, 256) != NULL);
	CHECK(vt_rule_d_why(5, 0, false, 5, 0, 256) != NULL);
	CHECK(vt_rule_d_why(5, 1, true, 5, 0, 256) != NULL);
	CHECK(strstr(vt_rule_d_why(4, 1, false, 5, 0, 256), "below"));

	/* E */
	p = healthy();
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	p.flags = p.compound_head = ~0ull;
	CHECK(vt_rule_e_classify(&p) == VT_E_POISONED);
	/* ... but not in an offline section or zone-device memory */
	p.section_online_or_early = false;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	p = healthy();
	p.flags = p.compound_head = ~0ull;
	p.section_zone_device = true;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	/* all-ones flags alone (compound_head sane) is not U1 */
	p = healthy();
	p.flags = ~0ull;
	p.zone = 7;
	CHECK(vt_rule_e_classify(&p) == VT_E_GARBAGE);
	/* deferred init unfinished: pfns past first_deferred_pfn are not findings */
	p = healthy();
	p.zone = 7;
	p.first_deferred_pfn = 0x800;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	p.first_deferred_pfn = 0x2000;
	CHECK(vt_rule_e_classify(&p) == VT_E_GARBAGE);
	/* zone == MAX_NR_ZONES: legitimate for reserved pfns outside every zone */
	p = healthy();
	p.zone = 5;
	p.reserved = true;
	p.in_any_zone = false;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	p.in_any_zone = true;
	CHECK(vt_rule_e_classify(&p) == VT_E_GARBAGE);
	p.in_any_zone = false;
	p.reserved = false;
	CHECK(vt_rule_e_classify(&p) == VT_E_GARBAGE);
	/* a node that is not online */
	p = healthy();
	p.node_online = false;
	CHECK(vt_rule_e_classify(&p) == VT_E_GARBAGE);
	/* Device zone pages and unknown zone layouts are not judged by zone */
	p = healthy();
	p.zone = 9;
	p.in_device_zone = true;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	p.in_device_zone = false;
	p.zones_known = false;
	CHECK(vt_rule_e_classify(&p) == VT_E_OK);
	return unit_done("test_rules");
}
