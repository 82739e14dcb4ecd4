/*
 * `vmtriage memmap --ranges`: one physical map merged from the sections,
 * the zones, the e820 table (x86) and memblock.memory (ppc64), with holes.
 * Every boundary of any source cuts the address space; consecutive pieces
 * with the same attributes are merged again.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/bootlog.h"
#include "models/memmap.h"
#include "models/physmap.h"
#include "models/memmap_ranges.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void attrs(const struct vt_memmap *m, const struct vt_map *e820,
		  const struct vt_map *mb, uint64_t addr, struct vt_memmap_range *p)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_section *s = vt_memmap_section_of(m, addr >> g->page_shift);
	const struct vt_node *nodes;
	size_t nn = vt_memmap_nodes(m, &nodes);
	static const char letters[] = "PMOED";

	strcpy(p->e820, e820 ? "hole" : "-");
	for (size_t i = 0; e820 && i < e820->n; i++)
		if (addr >= e820->entries[i].start && addr < e820->entries[i].end)
			snprintf(p->e820, sizeof(p->e820), "%s",
				 vt_e820_type_name(e820->entries[i].type));
	strcpy(p->memblock, mb ? "no" : "-");
	for (size_t i = 0; mb && i < mb->n; i++)
		if (addr >= mb->entries[i].start && addr < mb->entries[i].end)
			strcpy(p->memblock, "yes");
	strcpy(p->section, "none");
	if (s) {
		int n = 0;

		for (int i = 0; i < 5; i++)
			if (s->flags & (1u << i))
				p->section[n++] = letters[i];
		p->section[n] = '\0';
		if (!vt_memmap_pfn_valid(m, addr >> g->page_shift))
			strcat(p->section, "-");	/* invalid subsection */
	}
	strcpy(p->zone, "-");
	for (size_t n = 0; n < nn; n++)
		for (int z = 0; z < nodes[n].nzones; z++) {
			const struct vt_zone *zn = &nodes[n].zones[z];
			uint64_t pfn = addr >> g->page_shift;

			if (zn->spanned && pfn >= zn->start_pfn && pfn < zn->start_pfn + zn->spanned)
				snprintf(p->zone, sizeof(p->zone), "%s", zn->name);
		}
}

static bool same(const struct vt_memmap_range *a, const struct vt_memmap_range *b)
{
	return !strcmp(a->e820, b->e820) && !strcmp(a->memblock, b->memblock) &&
	       !strcmp(a->section, b->section) && !strcmp(a->zone, b->zone);
}

struct vt_error *vt_memmap_ranges_build(struct vt_target *t, struct vt_symbols *s,
					struct vt_memmap *m, struct vt_memmap_ranges *ret)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	const struct vt_section *sec;
	const struct vt_node *nodes;
	size_t ns = vt_memmap_sections(m, &sec), nn = vt_memmap_nodes(m, &nodes);
	struct vt_map e820 = { 0 }, mb = { 0 };
	bool have_e820 = false, have_mb = false, mb_from_log;
	uint64_t *cuts;
	size_t ncuts = 0, cap, npieces = 0;
	struct vt_memmap_range *pieces;
	struct vt_error *err;
	const char *mb_note = NULL;

	if (vt_target_info(t)->arch_ops->firmware_e820) {
		err = vt_e820_read(t, s, "e820_table", &e820);
		have_e820 = !err;
		vt_error_destroy(err);
	}
	err = vt_memblock_memory(t, s, &mb, &mb_from_log);
	have_mb = !err;
	vt_error_destroy(err);
	if (mb_from_log)
		mb_note = have_mb ? "x86 discards memblock after boot: memory regions rebuilt "
				    "from the boot log's node ranges" :
				    "x86 discards memblock after boot, and the log no longer "
				    "holds its node ranges";
	else if (!have_mb)
		mb_note = "memblock layout unknown (give the vmlinux)";
	/* Sized by the cuts really made: a subsection bound only where its
	 * validity changes (rare), not 64 per section (MiBs on a TiB machine). */
	cap = 2 * (ns + e820.n + mb.n + nn * VT_MAX_ZONES) + 2;
	for (size_t i = 0; i < ns; i++)
		cap += (size_t)__builtin_popcountll((sec[i].subsection_map ^
						    (sec[i].subsection_map >> 1)) &
						   ((1ull << (g->subsections_per_section - 1)) - 1));
	cuts = malloc(cap * sizeof(*cuts));
	pieces = malloc(cap * sizeof(*pieces));
	if (!cuts || !pieces) {
		free(cuts);
		free(pieces);
		vt_map_deinit(&e820);
		vt_map_deinit(&mb);
		return &vt_enomem;
	}
	for (size_t i = 0; i < ns; i++) {
		uint64_t a = (sec[i].nr * g->pages_per_section) << g->page_shift;

		cuts[ncuts++] = a;
		cuts[ncuts++] = a + (g->pages_per_section << g->page_shift);
		/* Where a subsection's validity changes (attrs()'s "-"): else a
		 * piece of the section takes its first subsection's for all. */
		for (unsigned b = 1; b < g->subsections_per_section; b++)
			if (((sec[i].subsection_map >> b) ^ (sec[i].subsection_map >> (b - 1))) & 1)
				cuts[ncuts++] = a + ((b * (g->pages_per_section /
							 g->subsections_per_section))
						     << g->page_shift);
	}
	for (size_t i = 0; i < e820.n; i++) {
		cuts[ncuts++] = e820.entries[i].start;
		cuts[ncuts++] = e820.entries[i].end;
	}
	for (size_t i = 0; i < mb.n; i++) {
		cuts[ncuts++] = mb.entries[i].start;
		cuts[ncuts++] = mb.entries[i].end;
	}
	for (size_t n = 0; n < nn; n++)
		for (int z = 0; z < nodes[n].nzones; z++)
			if (nodes[n].zones[z].spanned) {
				cuts[ncuts++] = nodes[n].zones[z].start_pfn << g->page_shift;
				cuts[ncuts++] = (nodes[n].zones[z].start_pfn +
						 nodes[n].zones[z].spanned) << g->page_shift;
			}
	qsort(cuts, ncuts, sizeof(*cuts), cmp_u64);
	for (size_t i = 0; i + 1 < ncuts; i++) {
		struct vt_memmap_range p;

		if (cuts[i] == cuts[i + 1])
			continue;
		attrs(m, have_e820 ? &e820 : NULL, have_mb ? &mb : NULL, cuts[i], &p);
		p.start = cuts[i];
		p.end = cuts[i + 1];
		if (npieces && pieces[npieces - 1].end == p.start && same(&pieces[npieces - 1], &p))
			pieces[npieces - 1].end = p.end;
		else
			pieces[npieces++] = p;
	}
	*ret = (struct vt_memmap_ranges){
		.have_e820 = have_e820, .memblock_name = have_mb ? mb.name : NULL,
		.memblock_note = mb_note, .ranges = pieces, .n = npieces,
	};
	free(cuts);
	vt_map_deinit(&e820);
	vt_map_deinit(&mb);
	return NULL;
}

void vt_memmap_ranges_deinit(struct vt_memmap_ranges *r)
{
	free(r->ranges);
	r->ranges = NULL;
	r->n = 0;
}
