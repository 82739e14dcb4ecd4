/*
 * arm64 (VMSAv8-64) stage-1 translation, per the Arm ARM D8 "The AArch64
 * Virtual Memory System Architecture", as Linux configures it: one granule
 * (4K, 16K or 64K) for both halves, each table level resolving
 * page_shift - 3 bits, the top level the rest of VA_BITS. Descriptor bits
 * [1:0]: 0b11 table (or page at the last level), 0b01 block where the
 * granule allows one, otherwise invalid. Output address bits [47:page_shift];
 * with 64K pages and 52-bit PAs (FEAT_LPA), PA[51:48] sits in bits [15:12];
 * with 4K/16K pages and FEAT_LPA2 in use (52-bit VAs at run time, TCR.DS),
 * bits [49:page_shift] and PA[51:50] in bits [9:8], and a fifth level.
 */
#include "arch/pgtable.h"

#include <inttypes.h>

#include "core/byteorder.h"

static const char *const names5[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
static const char *const names4[] = { "PGD", "PUD", "PMD", "PTE" };
static const char *const names3[] = { "PGD", "PMD", "PTE" };
static const char *const names2[] = { "PGD", "PTE" };

struct vt_error *vt_arm64_geometry_init(unsigned page_shift, unsigned va_bits,
					unsigned va_bits_runtime, unsigned pa_bits,
					bool big_endian, struct vt_arm64_geometry *ret)
{
	unsigned per = page_shift - 3, bits;

	if (page_shift != 12 && page_shift != 14 && page_shift != 16)
		return vt_error_create(VT_ERR_UNSUPPORTED, "arm64 page size %u: not 4K, 16K "
				       "or 64K", 1u << (page_shift < 31 ? page_shift : 0));
	if (va_bits < 36 || va_bits > 52 || va_bits_runtime < 36 || va_bits_runtime > va_bits)
		return vt_error_create(VT_ERR_UNSUPPORTED, "arm64 VA_BITS %u (%u at run time)",
				       va_bits, va_bits_runtime);
	ret->page_shift = page_shift;
	ret->big_endian = big_endian;
	/*
	 * 64K: the top table is sized for VA_BITS, and a CPU running 48-bit
	 * on a 52-bit build has TTBR1 point into it: index with VA_BITS.
	 * 4K/16K: a 52-bit build folds its top level at run time when the CPU
	 * has no LPA2 (like x86's 5-level paging): index with the run-time
	 * width, and LPA2's descriptor format only when 52 bits are in use.
	 */
	bits = page_shift == 16 ? va_bits : va_bits_runtime;
	ret->lpa2 = page_shift != 16 && va_bits_runtime == 52;
	ret->pa52 = page_shift == 16 && pa_bits > 48;
	ret->va_bits = bits;
	ret->levels = (bits - page_shift + per - 1) / per;
	if (ret->levels < 2 || ret->levels > 5)
		return vt_error_create(VT_ERR_UNSUPPORTED, "arm64 with %u table levels",
				       ret->levels);
	for (unsigned l = 0; l < ret->levels; l++) {
		ret->shift[l] = page_shift + per * (ret->levels - 1 - l);
		ret->bits[l] = l ? per : bits - ret->shift[0];
		ret->names[l] = ret->levels == 5 ? names5[l] : ret->levels == 4 ? names4[l] :
				ret->levels == 3 ? names3[l] : names2[l];
	}
	return NULL;
}

/* Block mappings exist at 1G/2M (4K), 32M (16K) and 512M (64K). */
static bool block_allowed(const struct vt_arm64_geometry *g, unsigned lvl)
{
	unsigned s = g->shift[lvl];

	if (lvl == g->levels - 1)
		return false;
	switch (g->page_shift) {
	case 12: return s == 30 || s == 21 || (g->lpa2 && s == 39);
	case 14: return s == 25 || (g->lpa2 && s == 36);
	default: return s == 29 || (g->pa52 && s == 42);
	}
}

enum vt_arm64_desc vt_arm64_desc_kind(const struct vt_arm64_geometry *g, unsigned lvl,
				      uint64_t e)
{
	if (!(e & 1))
		return VT_ARM64_INVALID;
	if (e & 2)
		return lvl == g->levels - 1 ? VT_ARM64_LEAF : VT_ARM64_TABLE;
	return block_allowed(g, lvl) ? VT_ARM64_LEAF : VT_ARM64_RESERVED;
}

uint64_t vt_arm64_desc_addr(const struct vt_arm64_geometry *g, uint64_t e, uint64_t size)
{
	uint64_t a = e & 0x0000ffffffffffffull & ~((1ull << g->page_shift) - 1);

	if (g->pa52)
		a |= (e & 0xf000ull) << 36;
	if (g->lpa2)
		a = (e & 0x0003ffffffffffffull & ~((1ull << g->page_shift) - 1)) |
		    ((e >> 8) & 3) << 50;
	return a & ~(size - 1);
}

struct vt_error *vt_arm64_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_arm64_geometry *g, uint64_t pgd_paddr,
			       uint64_t vaddr, struct vt_xlat_path *ret)
{
	uint64_t table = pgd_paddr, top = vaddr >> g->va_bits;

	ret->nsteps = 0;
	/* TTBR0 covers [0, 2^VA_BITS), TTBR1 the same size below 2^64. */
	if (g->va_bits < 64 && top != 0 && top != (~0ull >> g->va_bits))
		return vt_error_create(VT_ERR_FAULT, "0x%" PRIx64 " is outside both halves "
				       "of the %u-bit address space", vaddr, g->va_bits);
	for (unsigned lvl = 0; lvl < g->levels; lvl++) {
		unsigned idx = (vaddr >> g->shift[lvl]) & ((1u << g->bits[lvl]) - 1);
		struct vt_xlat_step *step = &ret->steps[ret->nsteps++];
		uint64_t entry, size = 1ull << g->shift[lvl];
		unsigned char raw[8];
		struct vt_error *err;

		step->level = g->names[lvl];
		step->table_paddr = table;
		step->index = idx;
		err = read(arg, table + idx * 8ull, raw, 8);
		if (err)
			return vt_error_prefix(err, "reading %s entry at 0x%" PRIx64,
					       step->level, (uint64_t)(table + idx * 8ull));
		entry = vt_load64(raw, g->big_endian);
		step->entry = entry;
		switch (vt_arm64_desc_kind(g, lvl, entry)) {
		case VT_ARM64_INVALID:
			return vt_error_create(VT_ERR_FAULT, "0x%" PRIx64 " not mapped: %s[%u] = "
					       "0x%016" PRIx64 " not valid", vaddr, step->level,
					       idx, entry);
		case VT_ARM64_RESERVED:
			return vt_error_create(VT_ERR_FORMAT, "bad arm64 descriptor %s[%u] = "
					       "0x%016" PRIx64 " (a block where the granule "
					       "allows none)", step->level, idx, entry);
		case VT_ARM64_LEAF:
			ret->page_size = size;
			ret->paddr = vt_arm64_desc_addr(g, entry, size) + (vaddr & (size - 1));
			return NULL;
		case VT_ARM64_TABLE:
			table = vt_arm64_desc_addr(g, entry, 1ull << g->page_shift);
			break;
		}
	}
	return vt_error_create(VT_ERR_FAULT, "walk did not end"); /* unreachable */
}
