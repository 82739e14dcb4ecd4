#include "ptpage.h"

#include "byteorder.h"

struct vt_error *vt_ptpage_read(struct vt_memmap *m, struct vt_symbols *s,
				uint64_t pfn, struct vt_ptpage *ret)
{
	unsigned char raw[256];
	struct vt_page p;
	uint64_t off_frag, off_mm;
	int bit;
	struct vt_error *err = vt_memmap_read_page(m, pfn, &p, raw);

	if (err)
		return err;
	ret->pfn = pfn;
	ret->page = p.addr;
	ret->flags = p.flags;
	ret->refcount = p.refcount;
	err = vt_symbols_offsetof(s, "struct page", "pt_frag_refcount", &off_frag);
	ret->has_frag_refcount = !err && off_frag + 4 <= vt_memmap_geometry(m)->page_struct_size;
	vt_error_destroy(err);
	ret->frag_refcount = ret->has_frag_refcount ?
		(int32_t)vt_load32(raw + off_frag, vt_memmap_big_endian(m)) : p.refcount;
	err = vt_symbols_offsetof(s, "struct page", "pt_mm", &off_mm);
	ret->pt_mm = !err ? vt_load64(raw + off_mm, vt_memmap_big_endian(m)) : 0;
	vt_error_destroy(err);
	bit = vt_memmap_flag_bit(m, "reserved");
	ret->reserved = bit >= 0 && (p.flags >> bit & 1);
	bit = vt_memmap_flag_bit(m, "active");
	ret->active = bit >= 0 && (p.flags >> bit & 1);
	ret->buddy = vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_BUDDY;
	ret->table = vt_memmap_page_type(m, &p) == VT_PAGE_TYPE_TABLE;
	return NULL;
}
