/* x86_64 4- and 5-level page-table walk (Intel SDM vol. 3, ch. 4.5). */
#include "arch/pgtable.h"

#include <inttypes.h>

#include "core/byteorder.h"

uint64_t vt_x86_64_entry_paddr(uint64_t entry, uint64_t sme_mask,
			       uint64_t leaf_size)
{
	uint64_t addr = (entry & ~sme_mask) & VT_X86_ADDR_MASK;

	/* Large-page entries keep PAT in bit 12: mask to the page size. */
	if (leaf_size > 4096)
		addr &= ~(leaf_size - 1);
	return addr;
}

struct vt_error *vt_x86_64_walk(vt_read_phys_fn read, void *arg,
				uint64_t pgd_paddr, bool la57,
				uint64_t sme_mask, uint64_t vaddr,
				struct vt_xlat_path *ret)
{
	static const char *const names[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
	static const unsigned shifts[] = { 48, 39, 30, 21, 12 };
	unsigned first = la57 ? 0 : 1;
	uint64_t table = pgd_paddr & VT_X86_ADDR_MASK;
	uint64_t top = vaddr >> (la57 ? 56 : 47);

	ret->nsteps = 0;
	/* Canonical: the bits above the top level all equal its top bit. */
	if (top != 0 && top != (la57 ? 0xffull : 0x1ffffull))
		return vt_error_create(VT_ERR_FAULT,
				       "0x%" PRIx64 " is not a canonical address",
				       vaddr);
	for (unsigned lvl = first; lvl < 5; lvl++) {
		unsigned idx = (vaddr >> shifts[lvl]) & 511;
		struct vt_xlat_step *step = &ret->steps[ret->nsteps++];
		unsigned char raw[8];
		struct vt_error *err;
		uint64_t entry, size = 1ull << shifts[lvl];

		/* With 4 levels the top table is the kernel's "PGD". */
		step->level = (!la57 && lvl == 1) ? "PGD" : names[lvl];
		step->table_paddr = table;
		step->index = idx;
		err = read(arg, table + idx * 8, raw, 8);
		if (err)
			return vt_error_prefix(err, "reading %s entry at 0x%" PRIx64,
					       step->level, table + idx * 8);
		entry = vt_le64(raw);
		step->entry = entry;
		if (!(entry & VT_X86_PRESENT))
			return vt_error_create(VT_ERR_FAULT,
				"0x%" PRIx64 " not mapped: %s[%u] = 0x%016" PRIx64 " not present",
				vaddr, step->level, idx, entry);
		if (lvl == 4 || ((lvl == 2 || lvl == 3) && (entry & VT_X86_PSE))) {
			ret->page_size = size;
			ret->paddr = vt_x86_64_entry_paddr(entry, sme_mask, size) +
				     (vaddr & (size - 1));
			return NULL;
		}
		table = vt_x86_64_entry_paddr(entry, sme_mask, 4096);
	}
	return vt_error_create(VT_ERR_FAULT, "walk did not end"); /* unreachable */
}
