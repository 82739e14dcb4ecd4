/*
 * How the dumped kernel encodes page types in struct page's page_type word
 * (the union with _mapcount). Three encodings exist:
 *   v4.18-v6.9   inverted bits: base 0xf0000000, a type is set when its bit
 *                is clear ((pt & (base | bit)) == base); the bits are
 *                #defines (buddy 0x80, offline 0x100, table 0x400 to v5.10
 *                and 0x200 from v5.11, ...), so in no debug info;
 *   v6.10-v6.11  the same rule with `enum pagetype` (PAGE_TYPE_BASE
 *                0x80000000, PG_buddy 0x40000000, PG_table 0x10000000, ...);
 *   v6.12+       the top byte is the type: `enum pagetype` PGTY_buddy 0xf0,
 *                PGTY_table 0xf2, PGTY_slab 0xf5, ...
 * The encoding is recognised from the kernel's own enum constants and
 * VMCOREINFO's PAGE_BUDDY_MAPCOUNT_VALUE; the release is consulted only for
 * the #define values of v4.18-v6.9, which nothing in the dump carries.
 */
#ifndef VT_PAGETYPE_H
#define VT_PAGETYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "core/vmcoreinfo.h"

enum vt_page_type {
	VT_PAGE_TYPE_NONE,		/* no type (or a mapcount) */
	VT_PAGE_TYPE_BUDDY,
	VT_PAGE_TYPE_OFFLINE,
	VT_PAGE_TYPE_TABLE,
	VT_PAGE_TYPE_GUARD,
	VT_PAGE_TYPE_HUGETLB,
	VT_PAGE_TYPE_SLAB,
	VT_PAGE_TYPE_ZSMALLOC,
	VT_PAGE_TYPE_UNACCEPTED,
	VT_PAGE_TYPE_UNKNOWN,		/* the encoding is not known */
	VT_PAGE_TYPE_COUNT
};

enum vt_pagetype_kind {
	VT_PAGETYPE_UNKNOWN,
	VT_PAGETYPE_INVERTED,		/* (pt & (base | bit)) == base */
	VT_PAGETYPE_TOP_BYTE,		/* pt >> 24 == value */
};

struct vt_pagetype_encoding {
	enum vt_pagetype_kind kind;
	uint32_t base;			/* INVERTED */
	uint32_t value[VT_PAGE_TYPE_COUNT];	/* bit (INVERTED) or byte; 0: none */
	const char *source;		/* "enum pagetype", "VMCOREINFO + release", ... */
	char why[200];			/* UNKNOWN: what was missing */
};

/*
 * Recognise the encoding. Never fails for a missing constant (kind is then
 * UNKNOWN with why set); returns errors other than "not found".
 */
struct vt_error *vt_pagetype_detect(struct vt_symbols *s, const struct vt_vmcoreinfo *vi,
				    const char *release, struct vt_pagetype_encoding *ret);

enum vt_page_type vt_pagetype_decode(const struct vt_pagetype_encoding *e,
				     uint32_t page_type);

/* "none", "buddy", "table", ..., "unknown". */
const char *vt_page_type_name(enum vt_page_type type);

/* "major.minor" of a release string; false when it does not parse. */
bool vt_release_version(const char *release, int *major, int *minor);

#endif
