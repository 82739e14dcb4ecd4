/* The RAM the kernel had against the memory the dump holds: coverage.h. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "models/coverage.h"

/* IORESOURCE_SYSRAM (v4.6+); older kernels are matched by name alone. */
#define IORESOURCE_SYSRAM 0x01000000ull

struct res_layout {
	uint64_t start, end, name, flags, sibling, child, size;
};

struct ram_list {
	struct vt_phys_range *r;
	size_t n, cap;
};

static struct vt_error *layout(struct vt_symbols *s, struct res_layout *l)
{
	static const char *const names[] = { "start", "end", "name", "flags", "sibling",
					     "child" };
	uint64_t *dst[] = { &l->start, &l->end, &l->name, &l->flags, &l->sibling, &l->child };
	struct vt_error *err;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((err = vt_symbols_offsetof(s, "struct resource", names[i], dst[i])))
			return err;
	return vt_symbols_sizeof(s, "struct resource", &l->size);
}

static struct vt_error *push(struct ram_list *l, uint64_t start, uint64_t end)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 32;
		struct vt_phys_range *n = realloc(l->r, cap * sizeof(*n));

		if (!n)
			return &vt_enomem;
		l->r = n;
		l->cap = cap;
	}
	l->r[l->n++] = (struct vt_phys_range){ start, end };
	return NULL;
}

/* One struct resource: its fields, and whether its name starts with prefix. */
struct res {
	uint64_t start, end, flags, sibling, child;
	char name[32];
};

static struct vt_error *read_res(struct vt_target *t, const struct res_layout *l, uint64_t addr,
				 struct res *r)
{
	unsigned char buf[256];
	bool be = vt_target_info(t)->big_endian;
	uint64_t name;
	struct vt_error *err;

	if (l->size > sizeof(buf))
		return vt_error_create(VT_ERR_FORMAT, "struct resource of %" PRIu64 " bytes",
				       l->size);
	if ((err = vt_target_read_kv(t, addr, buf, l->size)))
		return err;
	r->start = vt_load64(buf + l->start, be);
	r->end = vt_load64(buf + l->end, be);
	r->flags = vt_load64(buf + l->flags, be);
	r->sibling = vt_load64(buf + l->sibling, be);
	r->child = vt_load64(buf + l->child, be);
	name = vt_load64(buf + l->name, be);
	memset(r->name, 0, sizeof(r->name));
	/* a name that cannot be read is only an empty name */
	if (name && (err = vt_target_read_kv(t, name, r->name, sizeof(r->name) - 1)))
		vt_error_destroy(err);
	return NULL;
}

static bool is_sysram(const struct res *r)
{
	return (r->flags & IORESOURCE_SYSRAM) || strncmp(r->name, "System RAM", 10) == 0;
}

/*
 * System RAM resources (top level, where every arch puts them) minus their
 * "Crash kernel" children, into ram; bounded by VT_MAX_RESOURCES reads.
 */
static struct vt_error *system_ram(struct vt_target *t, struct vt_symbols *s,
				   struct ram_list *ram, size_t *nres)
{
	struct res_layout l;
	struct res root, r, c;
	uint64_t iomem, budget = VT_MAX_RESOURCES;
	struct vt_error *err;

	if ((err = layout(s, &l)) || (err = vt_symbols_lookup(s, "iomem_resource", &iomem)) ||
	    (err = read_res(t, &l, iomem, &root)))
		return err;
	*nres = 0;
	for (uint64_t a = root.child; a && budget; a = r.sibling, budget--) {
		uint64_t from;

		if ((err = read_res(t, &l, a, &r)))
			return vt_error_prefix(err, "iomem_resource's list");
		if (!is_sysram(&r) || r.end < r.start)
			continue;
		(*nres)++;
		from = r.start;
		for (uint64_t ca = r.child; ca && budget; ca = c.sibling, budget--) {
			if ((err = read_res(t, &l, ca, &c)))
				return vt_error_prefix(err, "iomem_resource's list");
			if (strcmp(c.name, "Crash kernel") || c.start < from || c.end > r.end)
				continue;
			if (c.start > from && (err = push(ram, from, c.start)))
				return err;
			from = c.end + 1;
		}
		if (from <= r.end && (err = push(ram, from, r.end + 1)))
			return err;
	}
	if (!budget)
		return vt_error_create(VT_ERR_FORMAT, "iomem_resource: more than %d resources "
				       "(cyclic or corrupt)", VT_MAX_RESOURCES);
	return NULL;
}

/* "hot-added memory: sections 32-33, online" for [start, end). */
static void label(const struct vt_memmap *mm, bool early_used, struct vt_missing_ram *x)
{
	const struct vt_memmap_geometry *g;
	uint64_t first, last, pps;
	unsigned early = 0, online = 0, present = 0, n = 0;
	char secs[48];

	if (!mm) {
		snprintf(x->what, sizeof(x->what), "System RAM (no memmap to say more)");
		return;
	}
	g = vt_memmap_geometry(mm);
	pps = g->pages_per_section;
	first = (x->start >> g->page_shift) / pps;
	last = ((x->end - 1) >> g->page_shift) / pps;
	for (uint64_t nr = first; nr <= last && n < 1u << 20; nr++, n++) {
		const struct vt_section *sec = vt_memmap_section_of(mm, nr * pps);

		if (!sec)
			continue;
		present++;
		early += !!(sec->flags & VT_SECTION_EARLY);
		online += !!(sec->flags & VT_SECTION_ONLINE);
	}
	x->hot_added = early_used && present && !early;
	if (first == last)
		snprintf(secs, sizeof(secs), "section %" PRIu64, first);
	else
		snprintf(secs, sizeof(secs), "sections %" PRIu64 "-%" PRIu64, first, last);
	snprintf(x->what, sizeof(x->what), "%s: %s, %s",
		 !present ? "System RAM with no sections" :
		 !early_used ? "memory (this kernel marks no early sections: boot or hot-added)" :
		 x->hot_added ? "hot-added memory" : early == present ? "boot memory" :
		 "boot and hot-added memory", secs,
		 !present ? "not in mem_section" : online == present ? "online" :
		 online ? "partly online" : "offline");
}

struct vt_error *vt_ram_coverage_read(struct vt_target *t, struct vt_symbols *s,
				      const struct vt_memmap *mm, struct vt_ram_coverage *ret)
{
	const struct vt_phys_range *dr;
	size_t ndr;
	uint64_t omitted;
	struct ram_list ram = { 0 };
	bool early_used = false;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if (strcmp(vt_target_info(t)->format, "elf") != 0)
		return vt_error_create(VT_ERR_UNSUPPORTED, "not an ELF dump (%s): its bitmaps do "
				       "not tell memory never dumped from pages filtered out on "
				       "purpose", vt_target_info(t)->format);
	if ((err = vt_target_phys_ranges(t, &dr, &ndr, &omitted)))
		return err;
	if (omitted)
		return vt_error_create(VT_ERR_UNSUPPORTED, "the dump has more than %zu data "
				       "ranges: coverage not compared", ndr);
	if ((err = system_ram(t, s, &ram, &ret->nram))) {
		free(ram.r);
		return err;
	}
	/* pseries: a resource per LMB, adjacent ones are one range */
	ram.n = vt_phys_ranges_merge(ram.r, ram.n);
	/* Boot memory is always early on kernels that mark it (v5.3+). */
	if (mm && ram.n) {
		const struct vt_memmap_geometry *g = vt_memmap_geometry(mm);
		const struct vt_section *sec = vt_memmap_section_of(mm, ram.r[0].start >>
								    g->page_shift);

		early_used = sec && (sec->flags & VT_SECTION_EARLY);
	}
	for (size_t i = 0; i < ram.n; i++) {
		uint64_t at = ram.r[i].start, end = ram.r[i].end;

		ret->ram_bytes += end - at;
		/* dr is sorted and merged: walk the gaps of [at, end) */
		for (size_t k = 0; k <= ndr && at < end; k++) {
			uint64_t gap_end = k < ndr ? dr[k].start : UINT64_MAX;

			if (k < ndr && dr[k].end <= at)
				continue;
			if (gap_end > at) {
				uint64_t hi = gap_end < end ? gap_end : end;

				ret->missing_bytes += hi - at;
				if (ret->nmissing < VT_MAX_MISSING_RAM) {
					struct vt_missing_ram *x = &ret->missing[ret->nmissing++];

					x->start = at;
					x->end = hi;
					label(mm, early_used, x);
				} else {
					ret->omitted++;
				}
			}
			if (k < ndr)
				at = dr[k].end > at ? dr[k].end : at;
		}
	}
	free(ram.r);
	return NULL;
}
