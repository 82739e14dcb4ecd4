#include "models/pgdlist.h"

#include <inttypes.h>
#include <string.h>

#include "models/ptpage.h"

struct vt_error *vt_kernel_pgd_read(struct vt_target *t, struct vt_kernel_pgd *ret)
{
	const struct vt_arch_mmu *mmu;
	struct vt_error *err = vt_target_mmu(t, &mmu);

	if (err)
		return err;
	ret->paddr = mmu->kernel_pgd;
	ret->la57 = mmu->la57;
	ret->sme_mask = mmu->sme_mask;
	return vt_target_read_phys(t, ret->paddr, ret->table, sizeof(ret->table));
}

bool vt_pgd_entry_present(uint64_t entry)
{
	return entry & VT_X86_PRESENT;
}

uint64_t vt_pgd_entry_paddr(uint64_t entry, uint64_t sme_mask)
{
	return vt_x86_64_entry_paddr(entry, sme_mask, 4096);
}

/* The pgd's owner mm: ptdesc/page pt_mm, page->index before v4.18. */
static struct vt_error *owner_offset(struct vt_symbols *s, uint64_t *off, bool *known)
{
	struct vt_error *err = vt_ptpage_member(s, "pt_mm", off);

	if (err && err->code == VT_ERR_NOT_FOUND) {
		bool complete;

		vt_error_destroy(err);
		err = vt_ptpage_types_complete(s, &complete);
		if (!err)
			err = complete ? vt_symbols_offsetof(s, "struct page", "index", off) :
			      vt_error_create(VT_ERR_NOT_FOUND, "pt_mm: struct page's layout "
					      "is not fully known");
	}
	*known = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err ? vt_error_prefix(err, "pgd owner") : NULL;
}

struct vt_error *vt_pgd_list_walk(struct vt_target *t, struct vt_symbols *s,
				  struct vt_memmap *m, uint64_t max,
				  const struct vt_pgd_list_ops *ops, void *arg,
				  struct vt_pgd_list_walk *ret)
{
	uint64_t head, entry, off_lru, off_mm = 0;
	unsigned char table[4096];
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = vt_symbols_lookup(s, "pgd_list", &head)) ||
	    (err = vt_symbols_offsetof(s, "struct page", "lru", &off_lru)) ||
	    (err = vt_target_read_u64(t, head, &entry)) ||
	    (err = owner_offset(s, &off_mm, &ret->mm_known)))
		return err;
	for (; entry != head; ret->npgds++) {
		struct vt_pgd p = { .page = entry - off_lru, .table = table,
				    .mm_known = ret->mm_known };
		uint64_t next;

		if (ret->npgds >= max) {
			ret->truncated = true;
			break;
		}
		err = vt_memmap_pfn_of(m, p.page, &p.pfn);
		if (!err)
			err = vt_target_read_phys(t, p.pfn << 12, table, sizeof(table));
		if (!err && ret->mm_known)
			err = vt_target_read_u64(t, p.page + off_mm, &p.mm);
		if (!err)
			err = vt_target_read_u64(t, entry, &next);
		if (err) {
			if (ops->unreadable)
				ops->unreadable(arg, p.page, err->message);
			vt_error_destroy(err);
			ret->unreadable = true;
			break;
		}
		if (ops->pgd(arg, &p))
			break;
		entry = next;
	}
	return NULL;
}
