/*
 * Class E (BUGCLASSES.md, seed 004): uninitialized struct pages in memory
 * holes. Cause f7f99100d8d9 (v4.15, vmemmap no longer zeroed); fixes
 * 124049decbb1, e181ae0c5db9 (v4.18), 907ec5fca3dc (v4.20), 4b094b7851bf
 * (v5.6), 0740a50b9baa (v5.12). Reading /proc/kpageflags over such a pfn
 * oopses in stable_page_flags() at fffffffffffffffe.
 *
 * Rule, for every valid pfn of a present section with a memmap that is
 * online or early (not zone-device, not past first_deferred_pfn while
 * deferred init is unfinished, not in a Device zone):
 *   U1 (certain) flags == ~0 and compound_head == ~0 (poisoned, never init);
 *   U2 (garbage) zone index past MAX_NR_ZONES, or a node that is not online.
 * 6.1 writes zone == MAX_NR_ZONES into PG_reserved pages no zone spans
 * (init_reserved_page finds no zone): those are initialized, not findings.
 * A U2 page inside a zone's and its node's span and in e820 RAM is no hole
 * page (memmap_init initializes those on every kernel): that is a corrupt
 * memmap or a damaged dump, reported as "corrupt-pages" and verdict
 * unknown, never as this class (tests/real_corrupt.py scribbles on pages).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/physmap.h"
#include "models/traces.h"
#include "plugins/plugin.h"
#include "plugins/rules.h"

enum kind { K_NONE, K_POISONED, K_GARBAGE, K_CORRUPT };

struct run_state {
	struct vt_plugin_ctx *ctx;
	struct vt_result *res;
	struct vt_memmap *m;
	const struct vt_memmap_geometry *geo;	/* m's, looked up once */
	const struct vt_node *nodes;
	size_t nnodes;
	bool device_zone;	/* some node has a Device zone with pages */
	int reserved_bit;
	const struct vt_map *e820;	/* NULL where unknown or the arch has none */
	/* The section of the last page (a scan chunk lies in one section:
	 * no search per page). */
	const struct vt_section *sec;
	uint64_t sec_nr;
	/* the open range */
	enum kind kind;
	uint64_t start, end, first_flags;
	uint64_t poisoned, garbage, corrupt, unknown, ranges;
	/* the poisoned ranges closed (as many as the evidence lists), for
	 * naming the one a fired crash's page is in */
	struct { uint64_t start, end; } poisoned_ranges[VT_MAX_EVIDENCE];
	size_t npoisoned_ranges;
};

static const struct vt_section *section_of(struct run_state *st, uint64_t pfn)
{
	const struct vt_memmap_geometry *g = st->geo;
	uint64_t nr = pfn >> (g->section_size_bits - g->page_shift);

	if (!st->sec || st->sec_nr != nr) {
		st->sec = vt_memmap_section_of(st->m, pfn);
		st->sec_nr = nr;
	}
	return st->sec;
}

static bool in_zone_span(const struct run_state *st, uint64_t pfn, const char *only)
{
	for (size_t n = 0; n < st->nnodes; n++)
		for (int z = 0; z < st->nodes[n].nzones; z++) {
			const struct vt_zone *zn = &st->nodes[n].zones[z];

			if (only && strcmp(zn->name, only) != 0)
				continue;
			if (zn->spanned && pfn >= zn->start_pfn && pfn < zn->start_pfn + zn->spanned)
				return true;
		}
	return false;
}

/*
 * Memory every kernel initializes: inside some zone's span and its node's
 * span, and (x86) in an e820 RAM range. Hole pages are outside one of them.
 */
static bool in_ram(const struct run_state *st, uint64_t pfn)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(st->m);
	uint64_t addr = pfn << g->page_shift;
	bool node = false, ram = !st->e820;

	for (size_t n = 0; n < st->nnodes; n++)
		node |= pfn >= st->nodes[n].start_pfn &&
			pfn - st->nodes[n].start_pfn < st->nodes[n].spanned;
	for (size_t i = 0; st->e820 && i < st->e820->n; i++)
		if (addr >= st->e820->entries[i].start && addr < st->e820->entries[i].end)
			ram = st->e820->entries[i].type == 1;	/* E820_TYPE_RAM */
	return node && ram && in_zone_span(st, pfn, NULL);
}

static const struct vt_node *node_of(const struct run_state *st, int id)
{
	for (size_t n = 0; n < st->nnodes; n++)
		if (st->nodes[n].id == id)
			return &st->nodes[n];
	return NULL;
}

static void close_range(struct run_state *st)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(st->m);
	struct vt_evidence *e;
	const char *e820 = "-";
	bool past_end = true;
	uint64_t addr = st->start << g->page_shift;

	if (st->kind == K_NONE)
		return;
	st->ranges++;
	if (st->kind == K_POISONED && st->npoisoned_ranges < VT_MAX_EVIDENCE) {
		st->poisoned_ranges[st->npoisoned_ranges].start = st->start;
		st->poisoned_ranges[st->npoisoned_ranges++].end = st->end;
	}
	for (size_t i = 0; st->e820 && i < st->e820->n; i++)
		if (addr >= st->e820->entries[i].start && addr < st->e820->entries[i].end)
			e820 = vt_e820_type_name(st->e820->entries[i].type);
	if (st->e820 && !strcmp(e820, "-"))
		e820 = "hole";
	for (size_t n = 0; n < st->nnodes; n++)
		if (st->start < st->nodes[n].start_pfn + st->nodes[n].spanned)
			past_end = false;
	e = vt_result_evidence(st->res, st->kind == K_POISONED ? "poisoned-pages" :
				    st->kind == K_CORRUPT ? "corrupt-pages" : "garbage-pages");
	vt_evidence_add(e, "start_pfn", "0x%" PRIx64, st->start);
	vt_evidence_add(e, "end_pfn", "0x%" PRIx64, st->end);
	vt_evidence_add(e, "pages", "%" PRIu64, st->end - st->start);
	vt_evidence_add(e, "flags", "0x%016" PRIx64, st->first_flags);
	vt_evidence_add(e, "e820", "%s", e820);
	/* no node spans known: not a guess either way */
	vt_evidence_add(e, "past_node_end", "%s", !st->nnodes ? "unknown" : past_end ? "yes" : "no");
	{
		uint64_t a;
		struct vt_error *err = vt_memmap_page_addr(st->m, st->start, &a);

		if (!err)
			vt_evidence_add(e, "struct_page", "0x%" PRIx64, a);
		vt_error_destroy(err);
	}
	st->kind = K_NONE;
}

static enum kind classify(struct run_state *st, const struct vt_page *p)
{
	const struct vt_memmap_geometry *g = st->geo;
	const struct vt_section *s = section_of(st, p->pfn);
	const struct vt_node *nd = node_of(st, p->node);
	struct vt_rule_e_page in = {
		.pfn = p->pfn, .flags = p->flags, .compound_head = p->compound_head,
		.zone = p->zone, .node = p->node,
		.section_online_or_early = s && (s->flags & (VT_SECTION_ONLINE | VT_SECTION_EARLY)),
		.section_zone_device = s && (s->flags & VT_SECTION_ZONE_DEVICE),
		.reserved = st->reserved_bit >= 0 && (p->flags >> st->reserved_bit & 1),
		.node_online = nd != NULL,
		.first_deferred_pfn = nd ? nd->first_deferred_pfn : UINT64_MAX,
		.zones_known = !g->zones_unknown,
		.max_nr_zones = g->max_nr_zones,
	};

	/* The span lookups cost most: only for pages the cheap tests leave. */
	if (in.section_online_or_early && !in.section_zone_device &&
	    !(p->flags == ~0ull && p->compound_head == ~0ull)) {
		in.in_device_zone = st->device_zone && in_zone_span(st, p->pfn, "Device");
		if ((unsigned)p->zone >= g->max_nr_zones)
			in.in_any_zone = in_zone_span(st, p->pfn, NULL);
	}
	switch (vt_rule_e_classify(&in)) {
	case VT_E_POISONED: return K_POISONED;
	case VT_E_GARBAGE: return in_ram(st, p->pfn) ? K_CORRUPT : K_GARBAGE;
	default: return K_NONE;
	}
}

static int visit(void *arg, const struct vt_page *pages, size_t n)
{
	struct run_state *st = arg;

	for (size_t i = 0; i < n; i++) {
		enum kind k = classify(st, &pages[i]);

		if (k != st->kind || (k != K_NONE && pages[i].pfn != st->end))
			close_range(st);
		if (k == K_NONE)
			continue;
		if (st->kind == K_NONE) {
			st->kind = k;
			st->start = pages[i].pfn;
			st->first_flags = pages[i].flags;
		}
		st->end = pages[i].pfn + 1;
		if (k == K_POISONED)
			st->poisoned++;
		else if (k == K_CORRUPT)
			st->corrupt++;
		else
			st->garbage++;
	}
	return 0;
}

static void unknown(void *arg, uint64_t start, uint64_t end, const struct vt_error *why)
{
	struct run_state *st = arg;

	close_range(st);
	st->unknown += end - start;
}

/*
 * A poisoned struct page reads compound_head as ~0, so its head is
 * ~0 - 1 = 0xfffffffffffffffe, and the oops faults there or at a member of
 * that head (arm64 6.12 reads folio->mapping first: +0x18 wraps to 0x16).
 * True, with the member's offset, for such an address (hex, no 0x).
 */
static bool poisoned_head_member(const char *fault_address, uint64_t *member)
{
	char *end;
	uint64_t a;

	if (!*fault_address)
		return false;
	a = strtoull(fault_address, &end, 16);
	if (*end)
		return false;
	*member = a - 0xfffffffffffffffeull;	/* mod 2^64 */
	return *member < 64;			/* within one struct page */
}

/* The poisoned range holding pfn (its index), or -1. */
static long range_of(const struct run_state *st, uint64_t pfn)
{
	for (size_t i = 0; i < st->npoisoned_ranges; i++)
		if (pfn >= st->poisoned_ranges[i].start && pfn < st->poisoned_ranges[i].end)
			return (long)i;
	return -1;
}

/*
 * Fired: the struct page stable_page_flags() was reading when it faulted.
 * Its argument (and the copies the compiler keeps) is in the registers the
 * fault saved; name each that holds the start of an all-ones struct page,
 * its pfn and the poisoned range around it.
 */
static void crash_evidence(struct run_state *st, struct vt_result *res, const char *fault)
{
	struct vt_models *m = st->ctx->m;
	struct vt_traces *tr = vt_models_traces(m);
	struct vt_crash_regs cr;
	struct vt_error *err;
	struct crash_page { uint64_t pfn, addr, regs; } found[4];
	size_t nfound = 0;
	unsigned char raw[512];		/* one struct page */

	if (!tr || vt_memmap_geometry(st->m)->page_struct_size > sizeof(raw))
		return;
	if (!vt_result_crash_regs(res, m, &cr))
		return;
	for (unsigned i = 0; i < VT_REGS_MAX; i++) {
		uint64_t pfn, addr = cr.regs.r[i];
		struct vt_page pg;
		size_t k;

		if (!vt_regs_has(&cr.regs, i) || !vt_memmap_is_page(st->m, addr, &pfn))
			continue;
		if ((err = vt_memmap_read_page(st->m, pfn, &pg, raw)) ||
		    pg.flags != UINT64_MAX || pg.compound_head != UINT64_MAX) {
			vt_error_destroy(err);
			continue;
		}
		for (k = 0; k < nfound && found[k].pfn != pfn; k++)
			;
		if (k == nfound) {
			if (nfound == sizeof(found) / sizeof(found[0]))
				continue;
			found[nfound++] = (struct crash_page){ pfn, addr, 0 };
		}
		found[k].regs |= 1ull << i;
	}
	for (size_t k = 0; k < nfound; k++) {
		long range = range_of(st, found[k].pfn);
		struct vt_evidence *e = vt_result_evidence(res, "crash-page");
		char regs[96];

		vt_traces_reg_list(tr, found[k].regs, regs, sizeof(regs));
		vt_evidence_add(e, "registers", "%s", regs);
		vt_evidence_add(e, "taken_from", "%s", cr.from);
		vt_evidence_add(e, "pfn", "0x%" PRIx64, found[k].pfn);
		vt_evidence_add(e, "struct_page", "0x%" PRIx64, found[k].addr);
		vt_evidence_add(e, "flags", "0xffffffffffffffff");
		vt_evidence_add(e, "compound_head", "0xffffffffffffffff");
		if (*fault)
			vt_evidence_add(e, "fault_address", "0x%s", fault);
		if (range >= 0)
			vt_evidence_add(e, "in_range", "0x%" PRIx64 "-0x%" PRIx64
					" (start_pfn-end_pfn)", st->poisoned_ranges[range].start,
					st->poisoned_ranges[range].end);
	}
	if (!nfound)
		vt_result_crash_regs_none(res, &cr, "struct_page", "no register holds an "
					  "all-ones struct page");
}

static struct vt_error *run(struct vt_plugin_ctx *ctx, struct vt_result *res)
{
	struct vt_memmap_scan_ops ops = { visit, unknown, NULL };
	struct run_state st = { .ctx = ctx, .res = res };
	const struct vt_error *merr;
	const struct vt_oops *oops;
	uint64_t member;
	struct vt_error *err;

	snprintf(res->rule, sizeof(res->rule),
		 "valid pfns of online/early sections (not zone-device, not deferred): "
		 "U1 flags == ~0 && compound_head == ~0; U2 zone index past MAX_NR_ZONES "
		 "or node not online (6.1's reserved pfns outside every zone carry "
		 "zone == MAX_NR_ZONES legitimately)");
	st.m = vt_models_memmap(ctx->m, &merr);
	if (!st.m) {
		vt_result_set(res, VT_UNKNOWN, "memmap unavailable: %s", merr->message);
		return NULL;
	}
	st.geo = vt_memmap_geometry(st.m);
	st.nnodes = vt_memmap_nodes(st.m, &st.nodes);
	st.reserved_bit = vt_memmap_flag_bit(st.m, "reserved");
	/* Most machines have none: no span search per page for it. */
	for (size_t n = 0; n < st.nnodes; n++)
		for (int z = 0; z < st.nodes[n].nzones; z++)
			st.device_zone |= st.nodes[n].zones[z].spanned &&
					  strcmp(st.nodes[n].zones[z].name, "Device") == 0;
	st.e820 = vt_models_e820(ctx->m, &merr);
	err = vt_memmap_scan(st.m, &ops, &st);
	close_range(&st);
	if (err) {
		vt_result_set(res, VT_UNKNOWN, "memmap scan failed: %s", err->message);
		vt_error_destroy(err);
		return NULL;
	}
	if (st.poisoned || st.garbage)
		vt_result_set(res, VT_LATENT,
			      "%" PRIu64 " never-initialized (all-ones) and %" PRIu64 " garbage struct "
			      "page(s) in %" PRIu64 " range(s): reading /proc/kpageflags over them "
			      "oopses in stable_page_flags()%s", st.poisoned, st.garbage, st.ranges,
			      vt_memmap_geometry(st.m)->zone_device_known ? "" :
			      " (ZONE_DEVICE sections not told apart: no types)");
	else if (st.corrupt)
		vt_result_set(res, VT_UNKNOWN, "%" PRIu64 " struct page(s) inside RAM and zone "
			      "spans hold an impossible zone or node: a corrupt memmap or dump, "
			      "not uninitialized hole pages", st.corrupt);
	else if (st.unknown)
		vt_result_set(res, VT_UNKNOWN, "no bad struct page found, but %" PRIu64
			      " pfns' struct pages are not in the dump", st.unknown);
	else if (vt_memmap_geometry(st.m)->zones_unknown)
		vt_result_set(res, VT_CLEAN, "no struct page is all-ones (U1); the zone/node test "
			      "(U2) was not applied: %s unknown (give the vmlinux)",
			      vt_memmap_geometry(st.m)->nodes_unknown ? "node_data" :
			      "struct zone's layout");
	else
		vt_result_set(res, VT_CLEAN, "every checked struct page is initialized%s",
			      vt_memmap_geometry(st.m)->zone_device_known ? "" :
			      " (ZONE_DEVICE sections not told apart: no types)");
	oops = vt_models_crash(ctx->m);
	if ((vt_oops_ip_is(oops, "stable_page_flags") ||
	     vt_oops_mentions(oops, "kpageflags_read")) &&
	    poisoned_head_member(oops->fault_address, &member)) {
		vt_result_set(res, VT_FIRED, "%s, IP %s: the uninitialized-struct-page oops "
			      "(the fault is at +0x%" PRIx64 " of the all-ones compound_head - 1)",
			      oops->headline, oops->ip, member);
		crash_evidence(&st, res, oops->fault_address);
	}
	/* No log: the unwound trace shows a page fault that interrupted
	 * stable_page_flags (the fault address is not in the registers). */
	else if (oops->from_stack && vt_oops_ip_is(oops, "stable_page_flags") &&
		 strcmp(oops->headline, "BUG: unable to handle page fault") == 0)
	{
		vt_result_set(res, VT_FIRED, "the unwound trace of the crashed task: a page "
			      "fault in %s (the log has no oops): the uninitialized-struct-page "
			      "oops", oops->ip);
		crash_evidence(&st, res, "");
	}
	return NULL;
}

const struct vt_plugin vt_plugin_uninit_pages = {
	.name = "uninit-pages",
	.bug_class = 'E',
	.summary = "uninitialized struct pages in memory holes (kpageflags oops)",
	.arches = "any",
	.versions = "v4.15 (f7f99100d8d9) to v5.11; fixed in steps 124049decbb1, e181ae0c5db9 "
		    "(v4.18), 907ec5fca3dc (v4.20), 4b094b7851bf (v5.6), 0740a50b9baa (v5.12)",
	.fix = "0740a50b9baa \"mm/page_alloc.c: refactor initialization of struct page for "
	       "holes in memory layout\" (v5.12), with its predecessors",
	.next_step = "Check the kernel carries the hole-initialization fixes; until then do not "
		     "read /proc/kpageflags (page-types, some monitoring agents) over the listed pfns.",
	.run = run,
};
