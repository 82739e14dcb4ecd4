/* `vmtriage memmap`: sections, nodes, zones and a scan of every struct page. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "models/memdev.h"
#include "models/memmap.h"
#include "models/memmap_ranges.h"

#define MAX_UNKNOWN_RANGES 4096

struct totals {
	const struct vt_memmap *m;
	uint64_t flag_mask;		/* bits below NR_PAGEFLAGS */
	uint64_t valid, unknown;
	uint64_t flags[64];
	uint64_t zones[VT_MAX_ZONES];
	uint64_t types[VT_PAGE_TYPE_COUNT];
	struct { uint64_t start, end; } ranges[MAX_UNKNOWN_RANGES];
	size_t nranges;
	uint64_t ranges_omitted;
	bool tty;
};

static int visit(void *arg, const struct vt_page *pages, size_t n)
{
	struct totals *tt = arg;

	for (size_t i = 0; i < n; i++) {
		const struct vt_page *p = &pages[i];
		uint64_t f = p->flags;

		tt->valid++;
		/* Only flag bits (zone, node, cpupid live above), only set ones. */
		for (f &= tt->flag_mask; f; f &= f - 1)
			tt->flags[__builtin_ctzll(f)]++;
		if (p->zone < VT_MAX_ZONES)
			tt->zones[p->zone]++;
		tt->types[vt_memmap_page_type(tt->m, p)]++;
	}
	return 0;
}

/*
 * The page types a listing shows: the four every encoding has, the newer
 * ones where this kernel's encoding has them, and "unknown" when the
 * encoding itself is not known (every page is counted there then).
 */
static bool type_listed(const struct vt_memmap *m, int ty)
{
	const struct vt_pagetype_encoding *e = vt_memmap_pagetype_encoding(m);

	if (ty == VT_PAGE_TYPE_UNKNOWN)
		return e->kind == VT_PAGETYPE_UNKNOWN;
	return ty <= VT_PAGE_TYPE_GUARD || e->value[ty];
}

static void unknown(void *arg, uint64_t start, uint64_t end, const struct vt_error *why)
{
	struct totals *tt = arg;

	tt->unknown += end - start;
	if (tt->nranges && tt->ranges[tt->nranges - 1].end == start) {
		tt->ranges[tt->nranges - 1].end = end;
	} else if (tt->nranges < MAX_UNKNOWN_RANGES) {
		tt->ranges[tt->nranges].start = start;
		tt->ranges[tt->nranges].end = end;
		tt->nranges++;
	} else {
		tt->ranges_omitted++;
	}
}

static void progress(void *arg, uint64_t done, uint64_t total)
{
	struct totals *tt = arg;

	if (tt->tty && total)
		fprintf(stderr, "\rscanning struct pages: %3u%%", (unsigned)(done * 100 / total));
}

static const char *const section_flag_names[] = {
	"present", "has_mem_map", "online", "early", "zone_device",
};

static void section_state(unsigned flags, char *buf)
{
	/* crash's `kmem -n` letters: P present, M mem_map, O online, E early, D device */
	static const char letters[] = "PMOED";
	int n = 0;

	for (int i = 0; i < 5; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	if (flags & VT_SECTION_BAD_MAP)
		buf[n++] = '!';
	buf[n] = '\0';
}

static const char *zone_name(const struct vt_memmap *m, int idx)
{
	const struct vt_node *nodes;
	size_t nn = vt_memmap_nodes(m, &nodes);

	return nn && idx < nodes[0].nzones ? nodes[0].zones[idx].name : "?";
}

static void json_page(struct vt_json *j, const struct vt_memmap *m, const struct vt_page *p)
{
	vt_json_hex(j, "pfn", p->pfn);
	vt_json_hex(j, "page", p->addr);
	vt_json_hex(j, "flags", p->flags);
	vt_json_array_begin(j, "flag_names");
	for (unsigned b = 0; b < vt_memmap_nflags(m); b++)
		if ((p->flags >> b) & 1 && vt_memmap_flag_name(m, b))
			vt_json_string(j, NULL, vt_memmap_flag_name(m, b));
	vt_json_array_end(j);
	vt_json_i64(j, "refcount", p->refcount);
	vt_json_i64(j, "mapcount", p->mapcount);
	vt_json_hex(j, "page_type", p->page_type);
	vt_json_string(j, "type", vt_page_type_name(vt_memmap_page_type(m, p)));
	vt_json_hex(j, "mapping", p->mapping);
	vt_json_hex(j, "index", p->index);
	vt_json_hex(j, "private", p->private_);
	vt_json_hex(j, "compound_head", p->compound_head);
	vt_json_u64(j, "zone", (uint64_t)p->zone);
	vt_json_string(j, "zone_name", zone_name(m, p->zone));
	vt_json_u64(j, "node", (uint64_t)p->node);
}

struct one_page {
	const struct vt_memmap *m;
	struct vt_page p;
};

static struct vt_error *page_json(struct vt_json *j, void *data)
{
	const struct one_page *o = data;

	vt_json_object_begin(j, NULL);
	json_page(j, o->m, &o->p);
	vt_json_object_end(j);
	return NULL;
}

static struct vt_error *page_text(void *data)
{
	const struct one_page *o = data;
	const struct vt_memmap *m = o->m;
	const struct vt_page *p = &o->p;

	printf("%-18s %-12s %-18s %-10s %4s %s\n", "PAGE", "PHYSICAL", "MAPPING", "INDEX",
	       "CNT", "FLAGS");
	printf("%-18" PRIx64 " %-12" PRIx64 " %-18" PRIx64 " %-10" PRIx64 " %4d %" PRIx64,
	       p->addr, p->pfn << vt_memmap_geometry(m)->page_shift, p->mapping, p->index,
	       p->refcount, p->flags);
	for (unsigned b = 0; b < vt_memmap_nflags(m); b++)
		if ((p->flags >> b) & 1 && vt_memmap_flag_name(m, b))
			printf(" %s", vt_memmap_flag_name(m, b));
	printf("\n  zone %d (%s), node %d, mapcount %d, type %s, compound_head 0x%" PRIx64 "\n",
	       p->zone, zone_name(m, p->zone), p->node, p->mapcount,
	       vt_page_type_name(vt_memmap_page_type(m, p)), p->compound_head);
	return NULL;
}

static int show_pfn(struct vt_cli *c, struct vt_memmap *m, const char *arg)
{
	unsigned char raw[256];
	struct one_page o = { .m = m };
	uint64_t pfn;
	struct vt_error *err = vt_cli_parse_addr(NULL, arg, &pfn);

	if (!err)
		err = vt_memmap_read_page(m, pfn, &o.p, raw);
	if (err)
		return vt_cli_fail(c, err);
	return vt_cli_emit(c, page_json, page_text, &o);
}

/* memmap --ranges: the merged map the model builds. */
static struct vt_error *ranges_json(struct vt_json *j, void *data)
{
	const struct vt_memmap_ranges *r = data;

	vt_json_object_begin(j, NULL);
	vt_json_array_begin(j, "sources");
	vt_json_string(j, NULL, "sections");
	vt_json_string(j, NULL, "zones");
	if (r->have_e820)
		vt_json_string(j, NULL, "e820_table");
	if (r->memblock_name)
		vt_json_string(j, NULL, r->memblock_name);
	vt_json_array_end(j);
	if (r->memblock_note)
		vt_json_string(j, "memblock_note", r->memblock_note);
	vt_json_array_begin(j, "ranges");
	for (size_t i = 0; i < r->n; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start", r->ranges[i].start);
		vt_json_hex(j, "end", r->ranges[i].end);
		vt_json_string(j, "e820", r->ranges[i].e820);
		vt_json_string(j, "memblock", r->ranges[i].memblock);
		vt_json_string(j, "section", r->ranges[i].section);
		vt_json_string(j, "zone", r->ranges[i].zone);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static struct vt_error *ranges_text(void *data)
{
	const struct vt_memmap_ranges *r = data;

	printf("%-18s %-18s %10s  %-13s %-8s %-7s %s\n", "START", "END", "SIZE",
	       "E820", "MEMBLOCK", "SECTION", "ZONE");
	for (size_t i = 0; i < r->n; i++) {
		const struct vt_memmap_range *p = &r->ranges[i];
		uint64_t sz = p->end - p->start;

		printf("0x%016" PRIx64 " 0x%016" PRIx64 " %8" PRIu64 "%s  %-13s %-8s %-7s %s\n",
		       p->start, p->end, sz >= (1u << 20) ? sz >> 20 : sz >> 10,
		       sz >= (1u << 20) ? "M" : "K", p->e820, p->memblock, p->section, p->zone);
	}
	printf("section: P present, M mem_map, O online, E early, D zone-device, "
	       "'-' invalid subsection, none = no section (hole)\n");
	if (r->memblock_note)
		printf("memblock: %s\n", r->memblock_note);
	return NULL;
}

static int show_ranges(struct vt_cli *c, struct vt_memmap *m)
{
	struct vt_memmap_ranges r;
	struct vt_error *err = vt_memmap_ranges_build(c->t, c->s, m, &r);
	int rc;

	if (err)
		return vt_cli_fail(c, err);
	rc = vt_cli_emit(c, ranges_json, ranges_text, &r);
	vt_memmap_ranges_deinit(&r);
	return rc;
}

/* Memory block devices, when the kernel has them (CONFIG_MEMORY_HOTPLUG). */
struct blocks {
	struct vt_memory_block *b;
	size_t n;
	char why[256];
};

static void load_blocks(struct vt_target *t, struct vt_symbols *s, struct blocks *bl)
{
	struct vt_error *err = vt_memory_blocks_read(t, s, &bl->b, &bl->n);

	if (err) {
		snprintf(bl->why, sizeof(bl->why), "%s", err->message);
		vt_error_destroy(err);
		bl->b = NULL;
		bl->n = 0;
	}
}

static void json_blocks(struct vt_json *j, const struct blocks *bl)
{
	if (*bl->why) {
		vt_json_null(j, "memory_blocks");
		vt_json_string(j, "memory_blocks_error", bl->why);
		return;
	}
	vt_json_array_begin(j, "memory_blocks");
	for (size_t i = 0; i < bl->n; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_u64(j, "index", bl->b[i].id);
		vt_json_u64(j, "start_section", bl->b[i].start_section_nr);
		vt_json_string(j, "state", vt_memory_block_state_name(bl->b[i].state));
		vt_json_i64(j, "nid", bl->b[i].nid);
		vt_json_i64(j, "online_type", bl->b[i].online_type);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
}

/* What the scan found, with the sections and the memory blocks. */
struct summary {
	struct vt_memmap *m;
	const struct totals *tt;
	bool sections;		/* list each section */
	struct blocks bl;
};

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct summary *sum = data;
	struct vt_memmap *m = sum->m;
	const struct totals *tt = sum->tt;
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_section *sec;
	const struct vt_node *nodes;
	size_t ns = vt_memmap_sections(m, &sec), nn = vt_memmap_nodes(m, &nodes);

	vt_json_object_begin(j, NULL);
	vt_json_object_begin(j, "geometry");
	vt_json_u64(j, "section_size_bits", g->section_size_bits);
	vt_json_u64(j, "pages_per_section", g->pages_per_section);
	vt_json_u64(j, "struct_page_size", g->page_struct_size);
	vt_json_bool(j, "sparsemem_extreme", g->extreme);
	vt_json_bool(j, "subsections_known", g->subsections_known);
	vt_json_u64(j, "zones_pgoff", g->zones_pgoff);
	vt_json_u64(j, "zones_width", g->zones_width);
	vt_json_u64(j, "nodes_pgoff", g->nodes_pgoff);
	vt_json_u64(j, "nodes_width", g->nodes_width);
	vt_json_u64(j, "zone_agreement_percent", (uint64_t)(g->zone_agreement * 100 + 0.5));
	vt_json_bool(j, "zones_known", !g->zones_unknown);
	vt_json_bool(j, "compound_head_known", g->compound_head_known);
	{
		const struct vt_pagetype_encoding *e = vt_memmap_pagetype_encoding(m);
		static const char *const kinds[] = { "unknown", "inverted-bits", "top-byte" };

		vt_json_object_begin(j, "page_type_encoding");
		vt_json_string(j, "kind", kinds[e->kind]);
		vt_json_string(j, "source", e->source);
		if (e->kind == VT_PAGETYPE_UNKNOWN)
			vt_json_string(j, "why", e->why);
		vt_json_object_end(j);
	}
	vt_json_object_end(j);
	if (sum->sections) {
		vt_json_array_begin(j, "sections");
		for (size_t i = 0; i < ns; i++) {
			vt_json_object_begin(j, NULL);
			vt_json_u64(j, "nr", sec[i].nr);
			vt_json_hex(j, "addr", sec[i].addr);
			vt_json_hex(j, "start_pfn", sec[i].nr * g->pages_per_section);
			vt_json_array_begin(j, "flags");
			for (int b = 0; b < 5; b++)
				if (sec[i].flags & (1u << b))
					vt_json_string(j, NULL, section_flag_names[b]);
			vt_json_array_end(j);
			vt_json_bool(j, "bad_mem_map", sec[i].flags & VT_SECTION_BAD_MAP);
			vt_json_hex(j, "coded_mem_map", sec[i].coded);
			vt_json_hex(j, "mem_map", sec[i].mem_map);
			vt_json_u64(j, "valid_subsections",
				    (uint64_t)__builtin_popcountll(sec[i].subsection_map));
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
	} else {
		vt_json_u64(j, "nsections", ns);
	}
	vt_json_array_begin(j, "nodes");
	for (size_t n = 0; n < nn; n++) {
		vt_json_object_begin(j, NULL);
		vt_json_u64(j, "id", (uint64_t)nodes[n].id);
		vt_json_hex(j, "start_pfn", nodes[n].start_pfn);
		vt_json_u64(j, "spanned", nodes[n].spanned);
		vt_json_u64(j, "present", nodes[n].present);
		if (nodes[n].first_deferred_pfn == UINT64_MAX)
			vt_json_null(j, "first_deferred_pfn");
		else
			vt_json_hex(j, "first_deferred_pfn", nodes[n].first_deferred_pfn);
		vt_json_array_begin(j, "zones");
		for (int z = 0; z < nodes[n].nzones; z++) {
			const struct vt_zone *zn = &nodes[n].zones[z];

			vt_json_object_begin(j, NULL);
			vt_json_u64(j, "index", (uint64_t)zn->index);
			vt_json_string(j, "name", zn->name);
			vt_json_hex(j, "start_pfn", zn->start_pfn);
			vt_json_u64(j, "spanned", zn->spanned);
			vt_json_u64(j, "present", zn->present);
			vt_json_u64(j, "managed", zn->managed);
			vt_json_object_end(j);
		}
		vt_json_array_end(j);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_begin(j, "totals");
	vt_json_u64(j, "valid_pfns", tt->valid);
	vt_json_u64(j, "unknown_pfns", tt->unknown);
	vt_json_object_begin(j, "flags");
	for (unsigned b = 0; b < vt_memmap_nflags(m); b++)
		if (vt_memmap_flag_name(m, b))
			vt_json_u64(j, vt_memmap_flag_name(m, b), tt->flags[b]);
	vt_json_object_end(j);
	vt_json_object_begin(j, "zones");
	for (unsigned z = 0; !g->zones_unknown && z < VT_MAX_ZONES; z++) {
		char name[16];

		/* An index past MAX_NR_ZONES is garbage in page->flags: count it. */
		if (z >= g->max_nr_zones && !tt->zones[z])
			continue;
		snprintf(name, sizeof(name), "zone%u", z);
		vt_json_u64(j, z < g->max_nr_zones ? zone_name(m, (int)z) : name, tt->zones[z]);
	}
	vt_json_object_end(j);
	vt_json_object_begin(j, "page_types");
	for (int ty = VT_PAGE_TYPE_BUDDY; ty < VT_PAGE_TYPE_COUNT; ty++)
		if (type_listed(m, ty))
			vt_json_u64(j, vt_page_type_name(ty), tt->types[ty]);
	vt_json_object_end(j);
	vt_json_object_end(j);
	vt_json_array_begin(j, "unknown_ranges");
	for (size_t i = 0; i < tt->nranges; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_hex(j, "start_pfn", tt->ranges[i].start);
		vt_json_hex(j, "end_pfn", tt->ranges[i].end);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_u64(j, "unknown_ranges_omitted", tt->ranges_omitted);
	json_blocks(j, &sum->bl);
	vt_json_object_end(j);
	return NULL;
}

static struct vt_error *print_text(void *data)
{
	const struct summary *sum = data;
	struct vt_memmap *m = sum->m;
	const struct totals *tt = sum->tt;
	const struct blocks *bl = &sum->bl;
	bool sections = sum->sections;
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_section *sec;
	const struct vt_node *nodes;
	size_t ns = vt_memmap_sections(m, &sec), nn = vt_memmap_nodes(m, &nodes);
	size_t online = 0, early = 0, device = 0;
	char st[8];

	for (size_t i = 0; i < ns; i++) {
		online += !!(sec[i].flags & VT_SECTION_ONLINE);
		early += !!(sec[i].flags & VT_SECTION_EARLY);
		device += !!(sec[i].flags & VT_SECTION_ZONE_DEVICE);
	}
	printf("sections: %zu present (%zu online, %zu early, %zu zone-device), "
	       "%" PRIu64 " MiB each, SPARSEMEM%s\n", ns, online, early, device,
	       (g->pages_per_section << g->page_shift) >> 20, g->extreme ? "_EXTREME" : "");
	if (sections) {
		printf("%6s %-18s %-18s %-18s %-6s %s\n", "NR", "SECTION", "CODED_MEM_MAP",
		       "MEM_MAP", "STATE", "PFN");
		for (size_t i = 0; i < ns; i++) {
			section_state(sec[i].flags, st);
			printf("%6" PRIu64 " %-18" PRIx64 " %-18" PRIx64 " %-18" PRIx64 " %-6s %" PRIu64 "\n",
			       sec[i].nr, sec[i].addr, sec[i].coded, sec[i].mem_map, st,
			       sec[i].nr * g->pages_per_section);
		}
	}
	if (*bl->why) {
		printf("memory blocks: unknown (%s)\n", bl->why);
	} else {
		size_t on = 0, off = 0;

		for (size_t i = 0; i < bl->n; i++) {
			on += bl->b[i].state == VT_MB_ONLINE;
			off += bl->b[i].state == VT_MB_OFFLINE;
		}
		printf("memory blocks: %zu (%zu online, %zu offline)\n", bl->n, on, off);
		for (size_t i = 0; sections && i < bl->n; i++)
			printf("  memory%-5" PRIu64 " first section %-6" PRIu64 " %-13s node %d\n",
			       bl->b[i].id, bl->b[i].start_section_nr,
			       vt_memory_block_state_name(bl->b[i].state), bl->b[i].nid);
	}
	for (size_t n = 0; n < nn; n++) {
		printf("node %d: start_pfn 0x%" PRIx64 " spanned %" PRIu64 " present %" PRIu64,
		       nodes[n].id, nodes[n].start_pfn, nodes[n].spanned, nodes[n].present);
		if (nodes[n].first_deferred_pfn != UINT64_MAX)
			printf(" first_deferred_pfn 0x%" PRIx64, nodes[n].first_deferred_pfn);
		printf("\n");
		for (int z = 0; z < nodes[n].nzones; z++) {
			const struct vt_zone *zn = &nodes[n].zones[z];

			printf("  zone %d %-8s start_pfn 0x%-8" PRIx64 " spanned %-8" PRIu64
			       " present %-8" PRIu64 " managed %" PRIu64 "\n", z, zn->name,
			       zn->start_pfn, zn->spanned, zn->present, zn->managed);
		}
	}
	if (g->zones_unknown)
		printf("zones: unknown (no BTF and no vmlinux: give the vmlinux for zones)\n");
	printf("pages: %" PRIu64 " valid pfns scanned, %" PRIu64 " unknown (not in the dump)\n",
	       tt->valid, tt->unknown);
	if (!g->zones_unknown) {
		printf("  by zone (page->flags):");
		for (unsigned z = 0; z < VT_MAX_ZONES; z++) {
			if (z < g->max_nr_zones)
				printf(" %s %" PRIu64, zone_name(m, (int)z), tt->zones[z]);
			else if (tt->zones[z])
				printf(" invalid-zone%u %" PRIu64, z, tt->zones[z]);
		}
		printf("\n");
	}
	printf("  page types (%s):", vt_memmap_pagetype_encoding(m)->source);
	for (int ty = VT_PAGE_TYPE_BUDDY, col = 0; ty < VT_PAGE_TYPE_COUNT; ty++)
		if (type_listed(m, ty))
			printf("%s %s %" PRIu64, col++ ? "," : "", vt_page_type_name(ty),
			       tt->types[ty]);
	printf("\n");
	if (vt_memmap_pagetype_encoding(m)->kind == VT_PAGETYPE_UNKNOWN)
		printf("  page types unknown: %s\n", vt_memmap_pagetype_encoding(m)->why);
	printf("  by flag:");
	for (unsigned b = 0, col = 0; b < vt_memmap_nflags(m); b++) {
		if (!vt_memmap_flag_name(m, b) || !tt->flags[b])
			continue;
		printf("%s%s %" PRIu64, col++ % 6 ? ", " : "\n    ", vt_memmap_flag_name(m, b),
		       tt->flags[b]);
	}
	printf("\n");
	for (size_t i = 0; i < tt->nranges && i < 16; i++)
		printf("  unknown pfns 0x%" PRIx64 "-0x%" PRIx64 "\n", tt->ranges[i].start,
		       tt->ranges[i].end);
	if (tt->nranges > 16)
		printf("  ... %zu more unknown ranges (see --json)\n", tt->nranges - 16);
	return NULL;
}

struct memmap_opts {
	bool sections, ranges;
	const char *pfn;
};

/* Every struct page counted, then the summary. */
static int scan(struct vt_cli *c, struct vt_memmap *m, bool sections)
{
	struct vt_memmap_scan_ops ops = { visit, unknown, progress };
	struct totals *tt = calloc(1, sizeof(*tt));
	struct summary sum = { .m = m, .tt = tt, .sections = sections };
	struct vt_error *err;
	int rc;

	if (!tt)
		return vt_cli_fail(c, &vt_enomem);
	tt->m = m;
	tt->flag_mask = vt_memmap_nflags(m) >= 64 ? ~0ull : (1ull << vt_memmap_nflags(m)) - 1;
	tt->tty = isatty(STDERR_FILENO);
	err = vt_memmap_scan(m, &ops, tt);
	if (tt->tty)
		fprintf(stderr, "\r%40s\r", "");
	if (err) {
		rc = vt_cli_fail(c, err);
	} else {
		load_blocks(c->t, c->s, &sum.bl);
		rc = vt_cli_emit(c, print_json, print_text, &sum);
		free(sum.bl.b);
	}
	free(tt);
	return rc;
}

static int run_memmap(struct vt_cli *c)
{
	const struct memmap_opts *o = c->opts;
	struct vt_memmap *m;
	struct vt_error *err = vt_memmap_create(c->t, c->s, &m);
	int rc;

	if (err)
		return vt_cli_fail(c, err);
	if (o->pfn)
		rc = show_pfn(c, m, o->pfn);
	else if (o->ranges)
		rc = show_ranges(c, m);
	else
		rc = scan(c, m, o->sections);
	vt_memmap_destroy(m);
	return rc;
}

/* Group 1: one of them at a time. */
static const struct vt_cli_option memmap_options[] = {
	{ .name = "sections", .group = 1,
	  .help = "list every present section, like crash's `kmem -n`",
	  VT_CLI_BOOL(struct memmap_opts, sections) },
	{ .name = "ranges", .group = 1,
	  .help = "the physical map merged from sections, zones, the e820\n"
		  "table (x86) and memblock.memory (ppc64), holes shown",
	  VT_CLI_BOOL(struct memmap_opts, ranges) },
	{ .name = "pfn", .arg = "N", .group = 1,
	  .help = "decode one struct page, like crash's `kmem -p`",
	  VT_CLI_TEXT(struct memmap_opts, pfn) },
	{ 0 },
};

const struct vt_command vt_cmd_memmap = {
	.flags = VT_CMD_LIVE,
	.name = "memmap",
	.summary = "Sections, nodes, zones and a scan of every struct page",
	.help = "Rebuilds SPARSEMEM sections (flags P present, M mem_map, O online,\n"
		"E early, D zone-device taint, ! bad mem_map), nodes and zones, then\n"
		"reads every valid pfn's struct page (pfn_valid as the kernel: early\n"
		"sections whole, others by subsection) and counts pages per flag, per\n"
		"zone (from page->flags) and per page type. Struct pages missing from a\n"
		"filtered dump are reported as unknown pfn ranges.\n",
	.options = memmap_options,
	.opts_size = sizeof(struct memmap_opts),
	.main = run_memmap,
};
