/*
 * Page-table page metadata (issue 5): the struct page of the page holding a
 * table (on ppc64 a table is a fragment of a page): PageTable, _refcount,
 * the fragment count, the owner mm, PG_reserved.
 *
 * Where the kernel keeps them moved twice: pt_frag_refcount and pt_mm are
 * struct page members from v4.19 (v4.18 for pt_mm), and members of struct
 * ptdesc (which overlays struct page) from v6.6; before v4.19 _refcount was
 * the fragment count and page->index the pgd's owner. Each is looked up in
 * the dump's own types; what cannot be found is reported, never guessed.
 */
#ifndef VT_PTPAGE_H
#define VT_PTPAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "models/memmap.h"

struct vt_ptpage {
	uint64_t pfn, page;		/* pfn and struct page address */
	int32_t refcount;
	int32_t frag_refcount;		/* pt_frag_refcount, or _refcount before v4.19 */
	bool has_frag_refcount;		/* the kernel has pt_frag_refcount */
	bool frag_known;		/* false: frag_why says which member is missing */
	char frag_why[160];
	bool reserved, buddy, table, active;
	bool type_known;		/* the page_type encoding is known */
	bool pt_mm_known;
	uint64_t pt_mm;
	uint64_t flags;
};

struct vt_error *vt_ptpage_read(struct vt_memmap *m, struct vt_symbols *s,
				uint64_t pfn, struct vt_ptpage *ret);

/*
 * Offset of a page-table metadata member ("pt_frag_refcount", "pt_mm") in
 * the struct page of a table page: struct ptdesc's, else struct page's.
 * VT_ERR_NOT_FOUND names both when neither type has it.
 */
struct vt_error *vt_ptpage_member(struct vt_symbols *s, const char *member,
				  uint64_t *ret);

/* Do the types describe struct page fully (BTF/DWARF, not VMCOREINFO)? */
struct vt_error *vt_ptpage_types_complete(struct vt_symbols *s, bool *ret);

#endif
