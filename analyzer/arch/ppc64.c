/*
 * ppc64 (Book3S) with the radix MMU. The table format per Power ISA 3.0
 * "Radix Tree Translation": each non-leaf entry holds the next level's base
 * (NLB) and size (NLS, the low 5 bits); a leaf has _PAGE_PTE (bit 62) and
 * the RPN. Entries are big-endian in memory whatever the kernel's byte
 * order. The kernel's linear map (PAGE_OFFSET up to VMALLOC_START) needs no
 * walk: physical = virtual - PAGE_OFFSET.
 */
#include "arch/arch.h"

#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PPC64_PAGE_OFFSET 0xc000000000000000ull
#define PPC64_VMALLOC_START 0xc008000000000000ull

void vt_radix_geometry_default(unsigned page_shift,
			       struct vt_radix_geometry *ret)
{
	ret->page_shift = page_shift;
	ret->pte_bits = page_shift == 16 ? 5 : 9;
	ret->pmd_bits = 9;
	ret->pud_bits = 9;
	ret->pgd_bits = 13;
}

/*
 * "next-level size GOT, expected WANT" by hand: a walk can meet tens of
 * thousands of them (snprintf was 18% of report on ppc-deb13k64-e).
 */
static void why_nls(char *buf, size_t cap, unsigned got, unsigned want)
{
	static const char head[] = "next-level size ", mid[] = ", expected ";
	char *p = buf;

	if (got >= 100 || want >= 100 || cap < sizeof(head) + sizeof(mid) + 4) {
		snprintf(buf, cap, "%s%u%s%u", head, got, mid, want);
		return;
	}
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	if (got >= 10)
		*p++ = (char)('0' + got / 10);
	*p++ = (char)('0' + got % 10);
	memcpy(p, mid, sizeof(mid) - 1);
	p += sizeof(mid) - 1;
	if (want >= 10)
		*p++ = (char)('0' + want / 10);
	*p++ = (char)('0' + want % 10);
	*p = '\0';
}

static void decode(const struct vt_ptfmt *f, unsigned lvl, uint64_t e, uint64_t size,
		   struct vt_ptentry *d)
{
	d->bad = NULL;
	d->present = e & VT_RADIX_PRESENT;
	d->leaf = (e & VT_RADIX_LEAF) || lvl == f->levels - 1;
	if (d->leaf && !(e & VT_RADIX_LEAF))
		d->bad = "PTE without the leaf bit";
	else if (d->leaf && lvl == 0)
		d->bad = "leaf bit in the PGD";
	else if (!d->leaf && (e & 0x1f) != f->bits[lvl + 1]) {
		why_nls(d->why, sizeof(d->why), (unsigned)(e & 0x1f), f->bits[lvl + 1]);
		d->bad = d->why;
	}
	d->target = d->leaf ? e & VT_RADIX_RPN_MASK & ~(size - 1) : e & VT_RADIX_NLB_MASK;
}

void vt_radix_format(const struct vt_radix_geometry *geo, struct vt_ptfmt *f)
{
	static const char *const names[] = { "PGD", "PUD", "PMD", "PTE" };

	*f = (struct vt_ptfmt){
		.family = "radix", .levels = 4, .big_endian = true, .root_mask = ~0ull,
		.entry_word = "entry", .absent = "not present", .decode = decode,
		.bits = { geo->pgd_bits, geo->pud_bits, geo->pmd_bits, geo->pte_bits },
	};
	/* The top two bits select the quadrant; the tree maps the rest. */
	f->shift[3] = geo->page_shift;
	f->shift[2] = f->shift[3] + f->bits[3];
	f->shift[1] = f->shift[2] + f->bits[2];
	f->shift[0] = f->shift[1] + f->bits[1];
	for (unsigned l = 0; l < 4; l++)
		f->names[l] = names[l];
}

struct vt_error *vt_radix_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_radix_geometry *geo,
			       uint64_t pgd_paddr, uint64_t vaddr,
			       struct vt_xlat_path *ret)
{
	struct vt_ptfmt f;

	vt_radix_format(geo, &f);
	return vt_ptfmt_vtop(read, arg, &f, pgd_paddr, vaddr, ret);
}

static bool named_by(const struct vt_vmcoreinfo *vi)
{
	return vt_vmcoreinfo_get(vi, "SYMBOL(mmu_psize_defs)") ||
	       vt_vmcoreinfo_get(vi, "NUMBER(RADIX_MMU)");
}

static struct vt_error *setup(const struct vt_vmcoreinfo *vi, uint32_t page_size,
			      bool big_endian, struct vt_arch_mmu *mmu)
{
	struct vt_radix_geometry geo;
	uint64_t pgd_va;
	int64_t radix;
	struct vt_error *err;

	(void)big_endian;
	err = vt_vmcoreinfo_number_or(vi, "RADIX_MMU", 1, &radix);
	if (err)
		return err;
	if (!radix)
		return vt_error_create(VT_ERR_UNSUPPORTED,
			"ppc64 hash MMU: only the radix MMU is supported");
	err = vt_vmcoreinfo_symbol(vi, "swapper_pg_dir", &pgd_va);
	if (err)
		return vt_error_prefix(err, "VMCOREINFO SYMBOL(swapper_pg_dir)");
	if (pgd_va < PPC64_PAGE_OFFSET || pgd_va >= PPC64_VMALLOC_START)
		return vt_error_create(VT_ERR_FORMAT,
			"swapper_pg_dir 0x%" PRIx64 " is not a linear-map address", pgd_va);
	mmu->kernel_pgd = pgd_va - PPC64_PAGE_OFFSET;
	vt_radix_geometry_default((unsigned)__builtin_ctz(page_size), &geo);
	vt_radix_format(&geo, &mmu->fmt);	/* copies the geometry */
	snprintf(mmu->method, sizeof(mmu->method), "%s",
		 "ppc64 radix walk from swapper_pg_dir (linear map direct)");
	return NULL;
}

static bool direct(const struct vt_arch_mmu *mmu, uint64_t va, uint64_t *pa)
{
	(void)mmu;
	if (va < PPC64_PAGE_OFFSET || va >= PPC64_VMALLOC_START)
		return false;
	*pa = va - PPC64_PAGE_OFFSET;
	return true;
}

/* Quadrant 0 (user) or 3 (kernel, 0xc...): one tree each. */
static void half(const struct vt_arch_mmu *mmu, bool user, struct vt_pgwalk_limits *lim)
{
	(void)mmu;
	lim->va_base = user ? 0 : PPC64_PAGE_OFFSET;
	lim->va_lo = lim->va_base;
	lim->va_hi = user ? PPC64_PAGE_OFFSET - 1 : ~0ull;
}

/* Reference (R, 0x100) and change (C, 0x80) differ page by page. */
static uint64_t leaf_flags(uint64_t e)
{
	return e & ~VT_RADIX_RPN_MASK & ~0x180ull;
}

const struct vt_arch_ops vt_arch_ppc64 = {
	.arch = VT_ARCH_PPC64,
	.name = "ppc64",
	.kdump_name = "ppc64",
	.elf_machine = EM_PPC64,
	.named_by = named_by,
	.setup = setup,
	.direct = direct,
	.half = half,
	.leaf_flags = leaf_flags,
	.kernel_space_start = PPC64_PAGE_OFFSET,
	.vmemmap_start = 0xc00c000000000000ull,	/* radix RADIX_VMEMMAP_START */
	.pseries_lmbs = true,
	.pt_fragments = true,
	.tested_release = "6.12",
	.unwinder = &vt_unwinder_ppc64,
};
