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
 *
 * The kernel's tables are swapper_pg_dir, a kernel-image symbol whose
 * physical address is va - kimage_voffset; VA_BITS (configured), the width
 * in use (64 - TCR_EL1.T1SZ) and MAX_PHYSMEM_BITS fix the geometry. Every
 * value comes from VMCOREINFO; a missing one is named, not guessed.
 */
#include "arch/arch.h"

#include <elf.h>
#include <inttypes.h>
#include <stdio.h>

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

static void decode(const struct vt_ptfmt *f, unsigned lvl, uint64_t e, uint64_t size,
		   struct vt_ptentry *d)
{
	const struct vt_arm64_geometry *g = f->arm64;

	d->present = true;
	d->leaf = false;
	d->bad = NULL;
	switch (vt_arm64_desc_kind(g, lvl, e)) {
	case VT_ARM64_INVALID:
		d->present = false;
		return;
	case VT_ARM64_RESERVED:
		d->bad = "a block where the granule allows none";
		return;
	case VT_ARM64_LEAF:
		d->leaf = true;
		break;
	case VT_ARM64_TABLE:
		break;
	}
	d->target = vt_arm64_desc_addr(g, e, d->leaf ? size : 1ull << g->page_shift);
}

/* TTBR0 covers [0, 2^VA_BITS), TTBR1 the same size below 2^64. */
static struct vt_error *check_va(const struct vt_ptfmt *f, uint64_t va)
{
	unsigned bits = f->arm64->va_bits;
	uint64_t top = va >> bits;

	if (bits < 64 && top != 0 && top != (~0ull >> bits))
		return vt_error_create(VT_ERR_FAULT, "0x%" PRIx64 " is outside both halves "
				       "of the %u-bit address space", va, bits);
	return NULL;
}

void vt_arm64_format(const struct vt_arm64_geometry *g, struct vt_ptfmt *f)
{
	*f = (struct vt_ptfmt){
		.family = "arm64", .levels = g->levels, .big_endian = g->big_endian,
		.root_mask = ~0ull, .entry_word = "descriptor", .absent = "not valid", .arm64 = g,
		.decode = decode, .check_va = check_va,
	};
	for (unsigned l = 0; l < g->levels; l++) {
		f->names[l] = g->names[l];
		f->shift[l] = g->shift[l];
		f->bits[l] = g->bits[l];
	}
}

struct vt_error *vt_arm64_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_arm64_geometry *g, uint64_t pgd_paddr,
			       uint64_t vaddr, struct vt_xlat_path *ret)
{
	struct vt_ptfmt f;

	vt_arm64_format(g, &f);
	return vt_ptfmt_vtop(read, arg, &f, pgd_paddr, vaddr, ret);
}

static bool named_by(const struct vt_vmcoreinfo *vi)
{
	return vt_vmcoreinfo_get(vi, "NUMBER(kimage_voffset)") ||
	       vt_vmcoreinfo_get(vi, "NUMBER(TCR_EL1_T1SZ)");
}

static struct vt_error *setup(const struct vt_vmcoreinfo *vi, uint32_t page_size,
			      bool big_endian, struct vt_arch_mmu *mmu)
{
	int64_t va_bits, voff, pa_bits, t1sz;
	uint64_t pgd_va;
	unsigned shift = (unsigned)__builtin_ctz(page_size);
	struct vt_error *err;

	if ((err = vt_vmcoreinfo_number(vi, "NUMBER", "VA_BITS", &va_bits)))
		return vt_error_prefix(err, "VMCOREINFO NUMBER(VA_BITS)");
	if ((err = vt_vmcoreinfo_number(vi, "NUMBER", "kimage_voffset", &voff)))
		return vt_error_prefix(err, "VMCOREINFO NUMBER(kimage_voffset)");
	if ((err = vt_vmcoreinfo_symbol(vi, "swapper_pg_dir", &pgd_va)))
		return vt_error_prefix(err, "VMCOREINFO SYMBOL(swapper_pg_dir)");
	if ((err = vt_vmcoreinfo_number_or(vi, "MAX_PHYSMEM_BITS", 48, &pa_bits)) ||
	    (err = vt_vmcoreinfo_number_or(vi, "TCR_EL1_T1SZ", 64 - va_bits, &t1sz)))
		return err;
	if (64 - t1sz > va_bits)
		return vt_error_create(VT_ERR_FORMAT, "TCR_EL1.T1SZ %" PRId64 " gives more VA "
				       "bits than VA_BITS %" PRId64, t1sz, va_bits);
	err = vt_arm64_geometry_init(shift, (unsigned)va_bits, (unsigned)(64 - t1sz),
				     (unsigned)pa_bits, big_endian, &mmu->arm64);
	if (err)
		return err;
	if (pgd_va < (uint64_t)voff)
		return vt_error_create(VT_ERR_FORMAT, "swapper_pg_dir 0x%" PRIx64 " is below "
				       "kimage_voffset 0x%" PRIx64, pgd_va, (uint64_t)voff);
	mmu->kernel_pgd = pgd_va - (uint64_t)voff;
	vt_arm64_format(&mmu->arm64, &mmu->fmt);
	snprintf(mmu->method, sizeof(mmu->method), "arm64 %u-level walk from swapper_pg_dir "
		 "(%uK pages, VA_BITS %" PRId64 ", %" PRId64 " at run time%s)", mmu->arm64.levels,
		 1u << (shift - 10), va_bits, 64 - t1sz, mmu->arm64.lpa2 ? ", LPA2" : "");
	return NULL;
}

/* TTBR0 maps [0, 2^va_bits), TTBR1 the same size at the top. */
static void half(const struct vt_arch_mmu *mmu, bool user, struct vt_pgwalk_limits *lim)
{
	uint64_t size = 1ull << mmu->arm64.va_bits;

	lim->va_base = user ? 0 : 0 - size;
	lim->va_lo = lim->va_base;
	lim->va_hi = user ? size - 1 : ~0ull;
}

/*
 * Attribute bits without the output address (bits 12..51 in every
 * granule's format) and the access flag (AF, bit 10), which is set page by
 * page as pages are touched.
 */
static uint64_t leaf_flags(uint64_t e)
{
	return e & ~0x000ffffffffff000ull & ~0x400ull;
}

extern const struct vt_unwinder vt_unwinder_arm64;	/* arch/unwind_arm64.c */

const struct vt_arch_ops vt_arch_arm64 = {
	.arch = VT_ARCH_ARM64,
	.name = "arm64",
	.kdump_name = "aarch64",
	.elf_machine = EM_AARCH64,
	.named_by = named_by,
	.setup = setup,
	.half = half,
	.leaf_flags = leaf_flags,
	.kernel_space_start = 0xff00000000000000ull,
	.tested_release = "6.12",
	.unwinder = &vt_unwinder_arm64,
};
