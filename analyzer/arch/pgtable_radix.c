/*
 * ppc64 (Book3S) radix page-table walk, per Power ISA 3.0 "Radix Tree
 * Translation": each non-leaf entry holds the next level's base (NLB) and
 * size (NLS, the low 5 bits); a leaf has _PAGE_PTE (bit 62) and the RPN.
 * Entries are big-endian in memory whatever the kernel's byte order.
 */
#include "arch/pgtable.h"

#include <inttypes.h>

#include "core/byteorder.h"

void vt_radix_geometry_default(unsigned page_shift,
			       struct vt_radix_geometry *ret)
{
	ret->page_shift = page_shift;
	ret->pte_bits = page_shift == 16 ? 5 : 9;
	ret->pmd_bits = 9;
	ret->pud_bits = 9;
	ret->pgd_bits = 13;
}

struct vt_error *vt_radix_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_radix_geometry *geo,
			       uint64_t pgd_paddr, uint64_t vaddr,
			       struct vt_xlat_path *ret)
{
	static const char *const names[] = { "PGD", "PUD", "PMD", "PTE" };
	unsigned bits[4] = { geo->pgd_bits, geo->pud_bits, geo->pmd_bits,
			     geo->pte_bits };
	unsigned shift[4];
	uint64_t table = pgd_paddr;

	shift[3] = geo->page_shift;
	shift[2] = shift[3] + bits[3];
	shift[1] = shift[2] + bits[2];
	shift[0] = shift[1] + bits[1];
	ret->nsteps = 0;
	/* The top two bits select the quadrant; the tree maps the rest. */
	for (unsigned lvl = 0; lvl < 4; lvl++) {
		unsigned idx = (vaddr >> shift[lvl]) & ((1u << bits[lvl]) - 1);
		struct vt_xlat_step *step = &ret->steps[ret->nsteps++];
		unsigned char raw[8];
		struct vt_error *err;
		uint64_t entry, size = 1ull << shift[lvl];

		step->level = names[lvl];
		step->table_paddr = table;
		step->index = idx;
		err = read(arg, table + idx * 8ull, raw, 8);
		if (err)
			return vt_error_prefix(err, "reading %s entry at 0x%" PRIx64,
					       names[lvl], (uint64_t)(table + idx * 8ull));
		entry = vt_be64(raw);
		step->entry = entry;
		if (!(entry & VT_RADIX_PRESENT))
			return vt_error_create(VT_ERR_FAULT,
				"0x%" PRIx64 " not mapped: %s[%u] = 0x%016" PRIx64 " not present",
				vaddr, names[lvl], idx, entry);
		if ((entry & VT_RADIX_LEAF) || lvl == 3) {
			if (!(entry & VT_RADIX_LEAF) || lvl == 0)
				return vt_error_create(VT_ERR_FORMAT,
					"bad radix entry %s[%u] = 0x%016" PRIx64
					" (leaf bit where none may be, or missing in a PTE)",
					names[lvl], idx, entry);
			ret->page_size = size;
			ret->paddr = (entry & VT_RADIX_RPN_MASK & ~(size - 1)) +
				     (vaddr & (size - 1));
			return NULL;
		}
		/* NLS must match the geometry of the next level. */
		if ((entry & 0x1f) != bits[lvl + 1])
			return vt_error_create(VT_ERR_FORMAT,
				"bad radix entry %s[%u] = 0x%016" PRIx64
				": next-level size %u, expected %u",
				names[lvl], idx, entry, (unsigned)(entry & 0x1f),
				bits[lvl + 1]);
		table = entry & VT_RADIX_NLB_MASK;
	}
	return vt_error_create(VT_ERR_FAULT, "walk did not end"); /* unreachable */
}
