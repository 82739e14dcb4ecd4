/*
 * Page-table page metadata (issue 5): the struct page of the page holding a
 * table (on ppc64 a table is a fragment of a page): PageTable, _refcount,
 * pt_frag_refcount (v4.19+; _refcount was the fragment count before), the
 * owner mm, PG_reserved.
 */
#ifndef VT_PTPAGE_H
#define VT_PTPAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "memmap.h"

struct vt_ptpage {
	uint64_t pfn, page;		/* pfn and struct page address */
	int32_t refcount;
	int32_t frag_refcount;		/* pt_frag_refcount, or _refcount before v4.19 */
	bool has_frag_refcount;		/* the kernel has pt_frag_refcount */
	bool reserved, buddy, table, active;
	uint64_t pt_mm;
	uint64_t flags;
};

struct vt_error *vt_ptpage_read(struct vt_memmap *m, struct vt_symbols *s,
				uint64_t pfn, struct vt_ptpage *ret);

#endif
