/*
 * The memmap model (models/memmap.h, memmap_ranges.h) on a fake ppc64 dump
 * with 64 KiB pages and the kernel's SPARSEMEM_EXTREME layout
 * (include/linux/mmzone.h): mem_section[] roots of PAGE_SIZE /
 * sizeof(struct mem_section) sections, section_mem_map = (mem_map -
 * section_start_pfn) | flag bits, usage->subsection_map for a hot-added
 * section (2 MiB subsections, 8 per 16 MiB section). struct page is the
 * v5.4 64-byte one (flags 0, compound_head 8, mapping 24, private 40,
 * _mapcount 48, _refcount 52), described by VMCOREINFO as a dump without
 * BTF does; one flat node (contig_page_data) with two zones, whose zone
 * number sits in the top bit of page->flags (ZONES_SHIFT 1, no node bits).
 */
#include <stdio.h>
#include <string.h>

#include "fake_target.h"
#include "models/memmap.h"
#include "models/memmap_ranges.h"
#include "unit.h"

#define PPS FAKE_PPS
#define SECS FAKE_SECS
#define ROOTS FAKE_ROOTS
#define USAGE 0x40000u			/* section 2's mem_section_usage */
#define PGDAT 0x50000u
#define NAMES 0x58000u
#define PAGE(pfn) FAKE_PAGE(pfn)
#define ZONE1 (1ull << 63)		/* page->flags zone bits (top) */


static void page(struct fake *f, uint64_t pfn, uint64_t flags, uint32_t mapcount,
		 uint32_t refcount)
{
	fake_put64(f, PAGE(pfn), flags);
	fake_put32(f, PAGE(pfn) + 48, mapcount);
	fake_put32(f, PAGE(pfn) + 52, refcount);
}

static void zone(struct fake *f, int z, uint64_t start, uint64_t spanned, const char *name)
{
	uint64_t za = PGDAT + 0x100 * z;

	fake_put64(f, za + 0x00, start);
	fake_put64(f, za + 0x08, spanned);
	fake_put64(f, za + 0x10, spanned);	/* present */
	fake_put64(f, za + 0x18, spanned - 1);	/* managed */
	fake_puts(f, NAMES + 16 * z, name);
	fake_put64(f, za + 0x20, KV(NAMES + 16 * z));
}

static void build(struct fake *f)
{
	fake_init(f, "5.4.0-test", 65536);
	fake_memmap_layout(f);
	fake_vi(f, "NUMBER(PG_lru)=4");
	fake_vi(f, "NUMBER(PG_slab)=9");
	fake_vi(f, "NUMBER(PG_reserved)=12");
	fake_vi(f, "NUMBER(PG_private)=13");
	fake_vi(f, "NUMBER(PG_head)=16");
	fake_vi(f, "SYMBOL(contig_page_data)=%llx", (unsigned long long)KV(PGDAT));
	fake_vi(f, "NUMBER(__MAX_NR_ZONES)=2");
	fake_vi(f, "OFFSET(pglist_data.node_zones)=0");
	fake_vi(f, "OFFSET(pglist_data.node_start_pfn)=%d", 0x200);
	fake_vi(f, "OFFSET(pglist_data.node_present_pages)=%d", 0x208);
	fake_vi(f, "OFFSET(pglist_data.node_spanned_pages)=%d", 0x210);
	fake_vi(f, "OFFSET(pglist_data.node_id)=%d", 0x218);
	fake_vi(f, "SIZE(zone)=256");
	fake_vi(f, "OFFSET(zone.zone_start_pfn)=0");
	fake_vi(f, "OFFSET(zone.spanned_pages)=8");
	fake_vi(f, "OFFSET(zone.present_pages)=16");
	fake_vi(f, "OFFSET(zone.managed_pages)=24");
	fake_vi(f, "OFFSET(zone.name)=32");

	/* present(0) mem_map(1) online(2) early(3) */
	fake_section(f, 0, 0xf, 0);
	fake_section(f, 1, 0xf, 0);
	fake_section(f, 2, 0x7, USAGE);		/* hot-added: subsections 0-3 valid */
	fake_put64(f, USAGE, 0x0f);
	fake_section(f, 5, 0x1, 0);			/* present, no memmap */
	for (uint64_t pfn = 0; pfn < 3 * PPS; pfn++)
		page(f, pfn, pfn >= 2 * PPS ? ZONE1 : 0, 0xffffffffu, 1);
	page(f, 3, 1ull << 12, 0xffffffffu, 1);			/* reserved */
	page(f, 4, 0, 0xffffff7fu, 0);				/* buddy */
	fake_put64(f, PAGE(5) + 8, KV(PAGE(4)) | 1);		/* a tail of 4 */
	page(f, 2 * PPS + 7, ZONE1 | 1ull << 9, 0xfffffbffu, 2);	/* slab | table */
	fake_put64(f, PAGE(2 * PPS + 7) + 24, 0xc000000000abc000ull);
	fake_put64(f, PAGE(2 * PPS + 7) + 40, 0x1234);

	fake_put64(f, PGDAT + 0x200, 0);
	fake_put64(f, PGDAT + 0x208, 3 * PPS);
	fake_put64(f, PGDAT + 0x210, 6 * PPS);
	fake_put32(f, PGDAT + 0x218, 0);
	zone(f, 0, 0, 2 * PPS, "DMA");
	zone(f, 1, 2 * PPS, 4 * PPS, "Normal");
}

static void test_model(void)
{
	struct fake f;
	struct vt_memmap *m;
	const struct vt_memmap_geometry *g;
	const struct vt_section *sec;
	const struct vt_node *nodes;
	struct vt_page p;
	unsigned char raw[64];
	uint64_t a, pfn;
	size_t n;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	g = vt_memmap_geometry(m);
	CHECK(g->section_size_bits == 24 && g->page_shift == 16 && g->pages_per_section == PPS);
	CHECK(g->subsections_per_section == 8 && g->page_struct_size == 64 && g->extreme);
	CHECK(g->subsections_known && g->compound_head_known);
	CHECK(!g->zones_unknown && !g->nodes_unknown && g->max_nr_zones == 2);
	CHECK(g->zones_width == 1 && g->zones_pgoff == 63 && g->nodes_width == 0);
	CHECK(g->zone_agreement > 0.999);	/* every sampled page in its zone */
	CHECK(!vt_memmap_big_endian(m));

	n = vt_memmap_sections(m, &sec);
	CHECK(n == 4);
	if (n == 4) {
		CHECK(sec[0].nr == 0 && sec[1].nr == 1 && sec[2].nr == 2 && sec[3].nr == 5);
		CHECK(sec[1].mem_map == KV(PAGE(PPS)) && sec[1].addr == KV(SECS + 16));
		CHECK(sec[0].flags == (VT_SECTION_PRESENT | VT_SECTION_HAS_MEM_MAP |
				       VT_SECTION_ONLINE | VT_SECTION_EARLY));
		CHECK(sec[0].subsection_map == 0xff);	/* no usage: all 8 */
		CHECK(sec[2].flags == (VT_SECTION_PRESENT | VT_SECTION_HAS_MEM_MAP |
				       VT_SECTION_ONLINE));
		CHECK(sec[2].usage == KV(USAGE) && sec[2].subsection_map == 0x0f);
		CHECK(sec[3].flags == VT_SECTION_PRESENT);
	}
	CHECK(vt_memmap_section_of(m, 2 * PPS + 9) == &sec[2]);
	CHECK(vt_memmap_section_of(m, 3 * PPS) == NULL);

	/* pfn_valid: early sections whole, hot-added by subsection (32 pages). */
	CHECK(vt_memmap_pfn_valid(m, 0) && vt_memmap_pfn_valid(m, 2 * PPS - 1));
	CHECK(vt_memmap_pfn_valid(m, 2 * PPS + 127));
	CHECK(!vt_memmap_pfn_valid(m, 2 * PPS + 128) && !vt_memmap_pfn_valid(m, 3 * PPS - 1));
	CHECK(!vt_memmap_pfn_valid(m, 3 * PPS) && !vt_memmap_pfn_valid(m, 5 * PPS));
	CHECK(!vt_memmap_pfn_valid(m, 1ull << 40));

	CHECK_OK(vt_memmap_page_addr(m, PPS + 3, &a));
	CHECK(a == KV(PAGE(PPS + 3)));
	CHECK_OK(vt_memmap_pfn_of(m, a, &pfn));
	CHECK(pfn == PPS + 3);
	CHECK_ERR(vt_memmap_pfn_of(m, a + 8, &pfn), VT_ERR_NOT_FOUND);	/* mid-page */
	CHECK_ERR(vt_memmap_page_addr(m, 2 * PPS + 200, &a), VT_ERR_NOT_FOUND);
	CHECK_ERR(vt_memmap_read_page(m, 5 * PPS, &p, raw), VT_ERR_NOT_FOUND);

	CHECK_OK(vt_memmap_read_page(m, 3, &p, raw));
	CHECK(p.pfn == 3 && p.addr == KV(PAGE(3)) && p.flags == 1ull << 12);
	CHECK(p.refcount == 1 && p.mapcount == -1 && p.zone == 0 && p.node == 0);
	CHECK(vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_NONE);
	CHECK_OK(vt_memmap_read_page(m, 4, &p, raw));
	CHECK(vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_BUDDY && p.refcount == 0);
	CHECK_OK(vt_memmap_read_page(m, 5, &p, raw));
	CHECK(p.compound_head == (KV(PAGE(4)) | 1));
	CHECK_OK(vt_memmap_read_page(m, 2 * PPS + 7, &p, raw));
	CHECK(p.zone == 1 && p.refcount == 2 && p.mapping == 0xc000000000abc000ull);
	CHECK(p.private_ == 0x1234 && p.index == 0);	/* index: not in VMCOREINFO */
	CHECK(vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_TABLE);	/* v4.18-5.10: 0x400 */
	CHECK(!memcmp(raw, f.mem + PAGE(2 * PPS + 7), 64));

	CHECK(vt_memmap_flag_bit(m, "reserved") == 12 && vt_memmap_flag_bit(m, "slab") == 9);
	CHECK(vt_memmap_flag_bit(m, "hwpoison") == -1 && vt_memmap_nflags(m) == 17);
	CHECK(!strcmp(vt_memmap_flag_name(m, 4), "lru") && !vt_memmap_flag_name(m, 5));
	CHECK(!vt_memmap_flag_name(m, 1000));

	n = vt_memmap_nodes(m, &nodes);
	CHECK(n == 1 && nodes[0].id == 0 && nodes[0].addr == KV(PGDAT));
	CHECK(n == 1 && nodes[0].spanned == 6 * PPS && nodes[0].present == 3 * PPS);
	CHECK(n == 1 && nodes[0].first_deferred_pfn == UINT64_MAX && nodes[0].nzones == 2);
	CHECK(n == 1 && !strcmp(nodes[0].zones[0].name, "DMA") && nodes[0].zones[0].spanned == 512);
	CHECK(n == 1 && !strcmp(nodes[0].zones[1].name, "Normal") &&
	      nodes[0].zones[1].start_pfn == 512 && nodes[0].zones[1].managed == 1023);
	vt_memmap_destroy(m);
	fake_free(&f);
}

struct tally {
	uint64_t pages, unknown, last_done, total, first_unknown;
	int zone1, stop_after;
};

static int visit(void *arg, const struct vt_page *pages, size_t n)
{
	struct tally *t = arg;

	for (size_t i = 0; i < n; i++)
		t->zone1 += pages[i].zone == 1;
	t->pages += n;
	return t->stop_after && t->pages >= (uint64_t)t->stop_after;
}

static void unknown(void *arg, uint64_t start, uint64_t end, const struct vt_error *why)
{
	struct tally *t = arg;

	if (!t->unknown)
		t->first_unknown = start;
	t->unknown += end - start;
	CHECK(why && why->code == VT_ERR_NODATA);
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct tally *t = arg;

	CHECK(done >= t->last_done && done <= total);
	t->last_done = done;
	t->total = total;
}

static void test_scan(void)
{
	static const struct vt_memmap_scan_ops ops = { visit, unknown, progress };
	struct fake f;
	struct vt_memmap *m;
	struct tally t;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	memset(&t, 0, sizeof(t));
	CHECK_OK(vt_memmap_scan(m, &ops, &t));
	CHECK(t.pages == 2 * PPS + 128 && t.zone1 == 128 && t.unknown == 0);
	CHECK(t.total == 4 * PPS && t.last_done >= 3 * PPS);
	/* The last section has no memmap: progress still reaches total. */
	CHECK(t.last_done == t.total);
	vt_memmap_destroy(m);

	/* 4 KiB of section 1's memmap filtered: its 64 struct pages unknown,
	 * reported once, every other page still visited. */
	fake_filter(&f, PAGE(PPS + 64), 4096);
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	memset(&t, 0, sizeof(t));
	CHECK_OK(vt_memmap_scan(m, &ops, &t));
	CHECK(t.unknown == 64 && t.first_unknown == PPS + 64);
	CHECK(t.pages == 2 * PPS + 128 - 64);
	/* ... and reading one of them is an error, not zeros. */
	{
		struct vt_page p;
		unsigned char raw[64];

		CHECK_ERR(vt_memmap_read_page(m, PPS + 70, &p, raw), VT_ERR_NODATA);
	}
	/* A visitor that says stop is obeyed. */
	memset(&t, 0, sizeof(t));
	t.stop_after = 1;
	CHECK_OK(vt_memmap_scan(m, &ops, &t));
	CHECK(t.pages == PPS);
	vt_memmap_destroy(m);
	fake_free(&f);
}

static void test_damaged(void)
{
	struct fake f;
	struct vt_memmap *m;
	const struct vt_section *sec;
	struct vt_error *err;

	/* A section whose mem_map is no kernel address: flagged, never read. */
	build(&f);
	fake_section(&f, 1, 0xf, 0);
	fake_put64(&f, SECS + 16, 0x0000000012340000ull | 0xf);	/* not a kernel address */
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK(vt_memmap_sections(m, &sec) == 4 && (sec[1].flags & VT_SECTION_BAD_MAP));
	CHECK(!vt_memmap_pfn_valid(m, PPS) && vt_memmap_pfn_valid(m, 0));
	vt_memmap_destroy(m);
	fake_free(&f);

	/* A root pointer into nowhere: an error, not sections made up. */
	build(&f);
	fake_put64(&f, ROOTS, KV(FAKE_MEM_SIZE + 0x10000));
	CHECK_OK(fake_open(&f));
	err = vt_memmap_create(f.t, f.s, &m);
	CHECK(err && err->code == VT_ERR_FAULT && strstr(err->message, "mem_section"));
	vt_error_destroy(err);
	/* An unreadable usage: the section is trusted whole. */
	fake_put64(&f, ROOTS, KV(SECS));
	fake_filter(&f, USAGE, 8);
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK(vt_memmap_sections(m, &sec) == 4 && sec[2].subsection_map == 0xff);
	vt_memmap_destroy(m);
	fake_free(&f);
}

/* A fact the dump lacks: create fails naming it, or the part that needs it
 * says unknown. */
static void test_missing(void)
{
	static const struct {
		const char *drop, *named;
		enum vt_error_code code;
	} cases[] = {
		{ "OFFSET(page._refcount)", "_refcount", VT_ERR_NOT_FOUND },
		{ "OFFSET(page.flags)", "flags", VT_ERR_NOT_FOUND },
		/* OFFSETs without SIZE: the symbols layer's partial struct has size 0 */
		{ "SIZE(page)", "sizeof(struct page) = 0", VT_ERR_FORMAT },
		{ "NUMBER(SECTION_SIZE_BITS)", "SECTION_SIZE_BITS", VT_ERR_UNSUPPORTED },
		{ "LENGTH(mem_section)", "LENGTH(mem_section)", VT_ERR_UNSUPPORTED },
		{ "SYMBOL(mem_section)", "mem_section", VT_ERR_NOT_FOUND },
		{ "OFFSET(pglist_data.node_id)", "pglist_data", VT_ERR_NOT_FOUND },
	};
	struct fake f;
	struct vt_memmap *m;
	struct vt_error *err;
	const struct vt_memmap_geometry *g;
	struct vt_page p;
	unsigned char raw[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build(&f);
		fake_vi_drop(&f, cases[i].drop);
		CHECK_OK(fake_open(&f));
		err = vt_memmap_create(f.t, f.s, &m);
		CHECK(err && err->code == cases[i].code && strstr(err->message, cases[i].named));
		if (err && !strstr(err->message, cases[i].named))
			fprintf(stderr, "  %s: %s\n", cases[i].drop, err->message);
		vt_error_destroy(err);
		fake_free(&f);
	}

	/* Section flag bits: the #defines before v5.12 are dated by the
	 * release; a newer kernel without its enum in the types has the first
	 * four bits at their places and no known ZONE_DEVICE bit. */
	build(&f);
	fake_vi_drop(&f, "OSRELEASE");
	fake_vi(&f, "OSRELEASE=6.1.0-test");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	if (m) {
		const struct vt_section *sec;

		CHECK(!vt_memmap_geometry(m)->zone_device_known);
		CHECK(vt_memmap_sections(m, &sec) >= 1 && sec[0].flags == (VT_SECTION_PRESENT |
		      VT_SECTION_HAS_MEM_MAP | VT_SECTION_ONLINE | VT_SECTION_EARLY));
		vt_memmap_destroy(m);
	}
	fake_vi_drop(&f, "OSRELEASE");
	CHECK_OK(fake_open(&f));
	err = vt_memmap_create(f.t, f.s, &m);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "SECTION_MAP_LAST_BIT"));
	vt_error_destroy(err);
	fake_vi(&f, "OSRELEASE=6.1.0-test");
	/* The enum, as ppc64 6.1 has it (no CONFIG_ZONE_DEVICE: no taint bit). */
	fake_vi(&f, "NUMBER(SECTION_MARKED_PRESENT_BIT)=0");
	fake_vi(&f, "NUMBER(SECTION_HAS_MEM_MAP_BIT)=1");
	fake_vi(&f, "NUMBER(SECTION_IS_ONLINE_BIT)=2");
	fake_vi(&f, "NUMBER(SECTION_IS_EARLY_BIT)=3");
	fake_vi(&f, "NUMBER(SECTION_MAP_LAST_BIT)=4");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	if (m) {
		const struct vt_section *sec;

		CHECK(vt_memmap_geometry(m)->zone_device_known);
		CHECK(vt_memmap_sections(m, &sec) >= 1 && sec[0].flags == (VT_SECTION_PRESENT |
		      VT_SECTION_HAS_MEM_MAP | VT_SECTION_ONLINE | VT_SECTION_EARLY));
		vt_memmap_destroy(m);
	}
	fake_free(&f);

	/* Both _mapcount and page_type missing: named. One is enough. */
	build(&f);
	fake_vi_drop(&f, "OFFSET(page._mapcount)");
	CHECK_OK(fake_open(&f));
	err = vt_memmap_create(f.t, f.s, &m);
	CHECK(err && strstr(err->message, "_mapcount"));
	vt_error_destroy(err);
	fake_vi(&f, "OFFSET(page.page_type)=48");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	vt_memmap_destroy(m);
	/* A member past the end of struct page is refused. */
	fake_vi_drop(&f, "OFFSET(page._refcount)");
	fake_vi(&f, "OFFSET(page._refcount)=62");
	CHECK_OK(fake_open(&f));
	CHECK_ERR(vt_memmap_create(f.t, f.s, &m), VT_ERR_FORMAT);
	fake_free(&f);

	/* No compound_head, no zones layout, no node symbol: still a memmap,
	 * with what is unknown said in the geometry, decodes not invented. */
	build(&f);
	fake_vi_drop(&f, "OFFSET(page.compound_head)");
	fake_vi_drop(&f, "OFFSET(zone.managed_pages)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	g = vt_memmap_geometry(m);
	CHECK(!g->compound_head_known && g->zones_unknown && !g->nodes_unknown);
	CHECK(g->zones_width == 0);
	CHECK_OK(vt_memmap_read_page(m, 5, &p, raw));
	CHECK(p.compound_head == 0);
	CHECK_OK(vt_memmap_read_page(m, 2 * PPS, &p, raw));
	CHECK(p.zone == 0);	/* zone bits unknown: not decoded */
	vt_memmap_destroy(m);
	fake_vi_drop(&f, "SYMBOL(contig_page_data)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	g = vt_memmap_geometry(m);
	CHECK(g->nodes_unknown && g->zones_unknown && vt_memmap_nodes(m, &(const struct vt_node *){ 0 }) == 0);
	CHECK(vt_memmap_pfn_valid(m, 10));
	vt_memmap_destroy(m);
	fake_free(&f);
}

/* A zone whose name pointer leads nowhere is still a zone, named by its
 * index (fuzz_dump found the read's error leaked there). */
static void test_zone_name_unreadable(void)
{
	struct fake f;
	struct vt_memmap *m;
	const struct vt_node *nodes;

	build(&f);
	fake_put64(&f, PGDAT + 0x100 + 0x20, KV(FAKE_MEM_SIZE + 0x1000));
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK(vt_memmap_nodes(m, &nodes) == 1 && nodes[0].nzones == 2 &&
	      !strcmp(nodes[0].zones[0].name, "DMA") && !strcmp(nodes[0].zones[1].name, "zone1") &&
	      nodes[0].zones[1].managed == 1023);
	vt_memmap_destroy(m);
	fake_free(&f);
}

/* The classic (non-EXTREME) layout: LENGTH(mem_section) is the section
 * count, the sections sit in the array itself. */
static void test_classic(void)
{
	struct fake f;
	struct vt_memmap *m;
	const struct vt_section *sec;

	build(&f);
	fake_vi_drop(&f, "NUMBER(MAX_PHYSMEM_BITS)");
	fake_vi_drop(&f, "LENGTH(mem_section)");
	fake_vi_drop(&f, "SYMBOL(mem_section)");
	fake_vi(&f, "NUMBER(MAX_PHYSMEM_BITS)=30");
	fake_vi(&f, "LENGTH(mem_section)=64");
	fake_vi(&f, "SYMBOL(mem_section)=%llx", (unsigned long long)KV(SECS));
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK(!vt_memmap_geometry(m)->extreme);
	CHECK(vt_memmap_sections(m, &sec) == 4 && sec[3].nr == 5 && sec[2].subsection_map == 0x0f);
	CHECK(vt_memmap_pfn_valid(m, PPS + 1) && !vt_memmap_pfn_valid(m, 2 * PPS + 200));
	vt_memmap_destroy(m);
	fake_free(&f);
}

/* The merged map of memmap --ranges (models/memmap_ranges.h). */
static void test_ranges(void)
{
	struct vt_memmap_ranges mr;
	struct fake f;
	struct vt_memmap *m;
	const struct vt_memmap_range *r;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK_OK(vt_memmap_ranges_build(f.t, f.s, m, &mr));
	r = mr.ranges;
	/* [0, 32M) early sections in DMA; [32M, 40M) section 2's valid
	 * subsections in Normal; [40M, 48M) its invalid ones; then holes.
	 * Where validity changes at a subsection boundary the map is cut. */
	CHECK(mr.n >= 4);
	if (mr.n >= 4) {
		size_t last = mr.n - 1;

		CHECK(r[0].start == 0 && r[0].end == 0x2000000);
		CHECK(!strcmp(r[0].section, "PMOE"));
		CHECK(!strcmp(r[0].zone, "DMA"));
		CHECK(r[1].start == 0x2000000);
		CHECK(!strcmp(r[1].section, "PMO"));
		CHECK(!strcmp(r[1].zone, "Normal"));
		CHECK(!strcmp(r[last - 1].section, "none"));
		CHECK(r[last - 1].end == 0x5000000);
		CHECK(!strcmp(r[last].section, "P-"));
		CHECK(r[last].end == 0x6000000);
	}
	CHECK(mr.n == 5);
	if (mr.n == 5) {
		CHECK(r[0].start == 0 && r[0].end == 0x2000000);
		CHECK(!strcmp(r[0].section, "PMOE"));
		CHECK(!strcmp(r[0].zone, "DMA"));
		CHECK(r[1].end == 0x2800000);
		CHECK(!strcmp(r[1].section, "PMO"));
		CHECK(!strcmp(r[1].zone, "Normal"));
		CHECK(r[2].end == 0x3000000);
		CHECK(!strcmp(r[2].section, "PMO-"));
		CHECK(!strcmp(r[3].section, "none"));
		CHECK(r[3].end == 0x5000000);
		CHECK(!strcmp(r[4].section, "P-"));
		CHECK(r[4].end == 0x6000000);
	}
	CHECK(mr.memblock_note != NULL);	/* no memblock layout here */
	vt_memmap_ranges_deinit(&mr);
	vt_memmap_destroy(m);
	fake_free(&f);
}

int main(void)
{
	test_model();
	test_scan();
	test_damaged();
	test_missing();
	test_zone_name_unreadable();
	test_classic();
	test_ranges();
	return unit_done("test_memmap");
}
