/*
 * The memmap model: SPARSEMEM sections, struct pages, nodes and zones, read
 * from the dump with layouts from the dump's own types (BTF/DWARF), falling
 * back to VMCOREINFO where that is all there is.
 */
#ifndef VT_MEMMAP_H
#define VT_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "models/pagetype.h"
#include "target/target.h"

/* ms->section_mem_map low bits (enum in mmzone.h; values from the dump). */
enum {
	VT_SECTION_PRESENT = 1 << 0,
	VT_SECTION_HAS_MEM_MAP = 1 << 1,
	VT_SECTION_ONLINE = 1 << 2,
	VT_SECTION_EARLY = 1 << 3,
	VT_SECTION_ZONE_DEVICE = 1 << 4,
	VT_SECTION_BAD_MAP = 1 << 8,	/* mem_map is not a kernel address */
};

struct vt_section {
	uint64_t nr;
	uint64_t addr;			/* the struct mem_section */
	uint64_t coded;			/* section_mem_map as stored */
	uint64_t mem_map;		/* struct page of the section's first pfn */
	uint64_t usage;
	uint64_t subsection_map;	/* bit i: subsection i valid */
	unsigned flags;			/* VT_SECTION_* */
};

#define VT_MAX_ZONES 8

struct vt_zone {
	int index;
	char name[16];
	uint64_t start_pfn, spanned, present, managed;
};

struct vt_node {
	int id;
	uint64_t addr;			/* the pglist_data */
	uint64_t start_pfn, spanned, present;
	uint64_t first_deferred_pfn;	/* UINT64_MAX: none or unknown */
	int nzones;
	struct vt_zone zones[VT_MAX_ZONES];
};

/* One decoded struct page. */
struct vt_page {
	uint64_t pfn, addr;
	uint64_t flags, compound_head, mapping, index, private_;
	uint32_t page_type;		/* _mapcount as unsigned */
	int32_t mapcount, refcount;
	int zone, node;			/* from page->flags */
	const unsigned char *raw;	/* sizeof(struct page) bytes */
};


struct vt_memmap;

struct vt_error *vt_memmap_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_memmap **ret);
void vt_memmap_destroy(struct vt_memmap *m);

/* The dump's byte order (struct page fields are in it). */
bool vt_memmap_big_endian(const struct vt_memmap *m);

/* Present sections, in order. */
size_t vt_memmap_sections(const struct vt_memmap *m,
			  const struct vt_section **ret);
size_t vt_memmap_nodes(const struct vt_memmap *m, const struct vt_node **ret);

struct vt_memmap_geometry {
	unsigned section_size_bits, page_shift;
	uint64_t pages_per_section;
	unsigned subsections_per_section;
	uint32_t page_struct_size;
	bool extreme;
	unsigned zones_pgoff, zones_width, nodes_pgoff, nodes_width;
	unsigned max_nr_zones;
	double zone_agreement;		/* sampled: decoded zone within its span */
	bool subsections_known;		/* false: usage layout unknown */
	bool zone_device_known;		/* false: the ZONE_DEVICE section bit is not
					 * known (v5.12+ without the types) */
	bool zones_unknown;		/* struct zone layout unknown (no types) */
	bool nodes_unknown;		/* no node_data/contig_page_data symbol */
	bool compound_head_known;	/* struct page.compound_head found */
};
const struct vt_memmap_geometry *vt_memmap_geometry(const struct vt_memmap *m);

/* The kernel's pfn_valid() for SPARSEMEM(_VMEMMAP). */
bool vt_memmap_pfn_valid(const struct vt_memmap *m, uint64_t pfn);
const struct vt_section *vt_memmap_section_of(const struct vt_memmap *m,
					      uint64_t pfn);
struct vt_error *vt_memmap_page_addr(const struct vt_memmap *m, uint64_t pfn,
				     uint64_t *ret);
/* The pfn whose struct page is at addr (inverse of vt_memmap_page_addr). */
struct vt_error *vt_memmap_pfn_of(const struct vt_memmap *m, uint64_t addr,
				  uint64_t *pfn_ret);
/* Is addr the start of a struct page (a pointer to one, not into one)? */
bool vt_memmap_is_page(const struct vt_memmap *m, uint64_t addr, uint64_t *pfn_ret);
/* Is addr inside a struct page (a pointer to a member)? Its pfn, and the
 * offset of addr in the struct page. */
bool vt_memmap_page_within(const struct vt_memmap *m, uint64_t addr, uint64_t *pfn_ret,
			   uint64_t *off);
struct vt_error *vt_memmap_read_page(struct vt_memmap *m, uint64_t pfn,
				     struct vt_page *ret, unsigned char *raw);

/* The page's type by the kernel's own encoding (VT_PAGE_TYPE_UNKNOWN when
 * the encoding could not be recognised: see vt_memmap_pagetype_encoding). */
enum vt_page_type vt_memmap_page_type(const struct vt_memmap *m,
				      const struct vt_page *p);
const struct vt_pagetype_encoding *vt_memmap_pagetype_encoding(const struct vt_memmap *m);

/* Page flag names from enum pageflags: "locked", "reserved", ... */
unsigned vt_memmap_nflags(const struct vt_memmap *m);
const char *vt_memmap_flag_name(const struct vt_memmap *m, unsigned bit);
/* Bit number of a flag ("reserved"), or -1. */
int vt_memmap_flag_bit(const struct vt_memmap *m, const char *name);

/*
 * Streaming scan of every valid pfn: the memmap is read a section chunk at
 * a time (never one read per page) into one reused buffer. visit() gets the
 * decoded pages of a chunk; unknown() gets pfn ranges whose struct pages
 * the dump lacks (filtered); progress() gets pfns done/total. A non-zero
 * return from visit stops the scan.
 */
struct vt_memmap_scan_ops {
	int (*visit)(void *arg, const struct vt_page *pages, size_t n);
	void (*unknown)(void *arg, uint64_t start_pfn, uint64_t end_pfn,
			const struct vt_error *why);
	void (*progress)(void *arg, uint64_t done, uint64_t total);
};
struct vt_error *vt_memmap_scan(struct vt_memmap *m,
				const struct vt_memmap_scan_ops *ops, void *arg);

#endif
