#ifndef VT_MEMMAP_RANGES_H
#define VT_MEMMAP_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/memmap.h"

/* One piece of the merged physical map: the same attributes throughout. */
struct vt_memmap_range {
	uint64_t start, end;
	char e820[16];		/* e820 type, "hole", or "-" (no e820 table) */
	char memblock[4];	/* "yes", "no", or "-" (memblock unknown) */
	char section[8];	/* section flags PMOED, '-' invalid subsection; "none" */
	char zone[16];		/* zone name, or "-" */
};

/* The merged physical map (memmap --ranges) and where it comes from. */
struct vt_memmap_ranges {
	bool have_e820;			/* e820_table was read */
	const char *memblock_name;	/* the memblock source read, or NULL */
	const char *memblock_note;	/* why memblock is rebuilt or missing, or NULL */
	struct vt_memmap_range *ranges;
	size_t n;
};

/*
 * Cut the physical address space at every boundary of the sections, the
 * zones, the e820 table (x86) and memblock.memory, then merge neighbours
 * with the same attributes again. Free with vt_memmap_ranges_deinit().
 */
struct vt_error *vt_memmap_ranges_build(struct vt_target *t, struct vt_symbols *s,
					struct vt_memmap *m, struct vt_memmap_ranges *ret);
void vt_memmap_ranges_deinit(struct vt_memmap_ranges *r);

#endif
