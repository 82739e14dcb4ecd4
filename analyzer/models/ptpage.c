#include "models/ptpage.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/byteorder.h"

struct vt_error *vt_ptpage_member(struct vt_symbols *s, const char *member,
				  uint64_t *ret)
{
	struct vt_error *err = vt_symbols_offsetof(s, "struct ptdesc", member, ret);

	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	err = vt_symbols_offsetof(s, "struct page", member, ret);
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	return vt_error_create(VT_ERR_NOT_FOUND, "neither struct ptdesc.%s nor struct page.%s "
			       "is known", member, member);
}

/* Is the type there (*ret); errors other than "not found" are returned. */
static struct vt_error *type_known(struct vt_symbols *s, const char *name, struct vt_type **t,
				   bool *ret)
{
	struct vt_error *err = vt_symbols_type(s, name, t);

	*ret = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err;
}

struct vt_error *vt_ptpage_types_complete(struct vt_symbols *s, bool *ret)
{
	struct vt_type *t;
	struct vt_error *err = type_known(s, "struct page", &t, ret);

	if (!err && *ret)
		*ret = !t->partial && !t->incomplete;
	return err;
}

static struct vt_error *read_frag(struct vt_memmap *m, struct vt_symbols *s,
				  const unsigned char *raw, const struct vt_page *p,
				  struct vt_ptpage *ret)
{
	uint64_t off;
	struct vt_type *t;
	bool complete, ptdesc;
	struct vt_error *err = vt_ptpage_member(s, "pt_frag_refcount", &off);

	if (!err) {
		if (off + 4 > vt_memmap_geometry(m)->page_struct_size)
			return vt_error_create(VT_ERR_FORMAT, "pt_frag_refcount at %" PRIu64
					       " is past sizeof(struct page)", off);
		ret->has_frag_refcount = ret->frag_known = true;
		ret->frag_refcount = (int32_t)vt_load32(raw + off, vt_memmap_big_endian(m));
		return NULL;
	}
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	/* Full types without it and without ptdesc (v6.6+): before v4.19. */
	if ((err = vt_ptpage_types_complete(s, &complete)) ||
	    (err = type_known(s, "struct ptdesc", &t, &ptdesc)))
		return err;
	if (complete && !ptdesc) {
		ret->frag_known = true;
		ret->frag_refcount = p->refcount;
		return NULL;
	}
	snprintf(ret->frag_why, sizeof(ret->frag_why),
		 "the fragment count's member is not known: neither struct ptdesc."
		 "pt_frag_refcount nor struct page.pt_frag_refcount in the types "
		 "(give the vmlinux)");
	return NULL;
}

struct vt_error *vt_ptpage_read(struct vt_memmap *m, struct vt_symbols *s,
				uint64_t pfn, struct vt_ptpage *ret)
{
	unsigned char raw[256];
	struct vt_page p;
	uint64_t off_mm;
	enum vt_page_type type;
	int bit;
	struct vt_error *err = vt_memmap_read_page(m, pfn, &p, raw);

	if (err)
		return err;
	memset(ret, 0, sizeof(*ret));
	ret->pfn = pfn;
	ret->page = p.addr;
	ret->flags = p.flags;
	ret->refcount = p.refcount;
	if ((err = read_frag(m, s, raw, &p, ret)))
		return err;
	err = vt_ptpage_member(s, "pt_mm", &off_mm);
	if (!err && off_mm + 8 <= vt_memmap_geometry(m)->page_struct_size) {
		ret->pt_mm = vt_load64(raw + off_mm, vt_memmap_big_endian(m));
		ret->pt_mm_known = true;
	}
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND) && err)
		return err;
	bit = vt_memmap_flag_bit(m, "reserved");
	ret->reserved = bit >= 0 && (p.flags >> bit & 1);
	bit = vt_memmap_flag_bit(m, "active");
	ret->active = bit >= 0 && (p.flags >> bit & 1);
	type = vt_memmap_page_type(m, &p);
	ret->type_known = type != VT_PAGE_TYPE_UNKNOWN;
	ret->buddy = type == VT_PAGE_TYPE_BUDDY;
	ret->table = type == VT_PAGE_TYPE_TABLE;
	return NULL;
}
