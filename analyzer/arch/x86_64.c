/*
 * x86_64: 4- and 5-level paging (Intel SDM vol. 3, ch. 4.5), the kernel's
 * translation from VMCOREINFO, and the arch's facts.
 */
#include "arch/arch.h"

#include <elf.h>
#include <inttypes.h>
#include <stdio.h>

#define X86_START_KERNEL_MAP 0xffffffff80000000ull

uint64_t vt_x86_64_entry_paddr(uint64_t entry, uint64_t sme_mask,
			       uint64_t leaf_size)
{
	uint64_t addr = (entry & ~sme_mask) & VT_X86_ADDR_MASK;

	/* Large-page entries keep PAT in bit 12: mask to the page size. */
	if (leaf_size > 4096)
		addr &= ~(leaf_size - 1);
	return addr;
}

static void decode(const struct vt_ptfmt *f, unsigned lvl, uint64_t e, uint64_t size,
		   struct vt_ptentry *d)
{
	d->bad = NULL;
	d->present = e & VT_X86_PRESENT;
	/* PSE makes a leaf in a PUD (1G) or PMD (2M) only. */
	d->leaf = lvl == f->levels - 1 || ((e & VT_X86_PSE) && lvl >= f->levels - 3);
	d->target = vt_x86_64_entry_paddr(e, f->sme_mask, d->leaf ? size : 4096);
}

/* Canonical: the bits above the top level all equal its top bit. */
static struct vt_error *check_va(const struct vt_ptfmt *f, uint64_t va)
{
	unsigned top_bit = f->shift[0] + f->bits[0] - 1;
	uint64_t top = va >> top_bit;

	if (top != 0 && top != (~0ull >> top_bit))
		return vt_error_create(VT_ERR_FAULT, "0x%" PRIx64 " is not a canonical address",
				       va);
	return NULL;
}

void vt_x86_64_format(bool la57, uint64_t sme_mask, struct vt_ptfmt *f)
{
	static const char *const names5[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
	static const char *const names4[] = { "PGD", "PUD", "PMD", "PTE" };

	*f = (struct vt_ptfmt){
		.family = "x86_64", .levels = la57 ? 5 : 4, .sign_extend = true,
		.root_mask = VT_X86_ADDR_MASK, .entry_word = "entry", .absent = "not present",
		.sme_mask = sme_mask, .decode = decode, .check_va = check_va,
	};
	for (unsigned l = 0; l < f->levels; l++) {
		f->names[l] = la57 ? names5[l] : names4[l];
		f->bits[l] = 9;
		f->shift[l] = 12 + 9 * (f->levels - 1 - l);
	}
}

struct vt_error *vt_x86_64_walk(vt_read_phys_fn read, void *arg,
				uint64_t pgd_paddr, bool la57,
				uint64_t sme_mask, uint64_t vaddr,
				struct vt_xlat_path *ret)
{
	struct vt_ptfmt f;

	vt_x86_64_format(la57, sme_mask, &f);
	return vt_ptfmt_vtop(read, arg, &f, pgd_paddr, vaddr, ret);
}

static bool named_by(const struct vt_vmcoreinfo *vi)
{
	return vt_vmcoreinfo_get(vi, "SYMBOL(init_top_pgt)") ||
	       vt_vmcoreinfo_get(vi, "SYMBOL(init_level4_pgt)");
}

static struct vt_error *setup(const struct vt_vmcoreinfo *vi, uint32_t page_size,
			      bool big_endian, struct vt_arch_mmu *mmu)
{
	uint64_t pgd_va, phys_base;
	int64_t num;
	struct vt_error *err;

	(void)page_size;
	(void)big_endian;
	err = vt_vmcoreinfo_symbol(vi, "init_top_pgt", &pgd_va);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		err = vt_vmcoreinfo_symbol(vi, "init_level4_pgt", &pgd_va);
	if (err)
		return vt_error_prefix(err, "VMCOREINFO SYMBOL(init_top_pgt)");
	if ((err = vt_vmcoreinfo_number_or(vi, "phys_base", 0, &num)))
		return err;
	phys_base = (uint64_t)num;
	if ((err = vt_vmcoreinfo_number_or(vi, "pgtable_l5_enabled", 0, &num)))
		return err;
	mmu->la57 = num != 0;
	if ((err = vt_vmcoreinfo_number_or(vi, "sme_mask", 0, &num)))
		return err;
	mmu->sme_mask = (uint64_t)num;
	if (pgd_va < X86_START_KERNEL_MAP)
		return vt_error_create(VT_ERR_FORMAT,
			"init_top_pgt 0x%" PRIx64 " is not a kernel-image address", pgd_va);
	mmu->kernel_pgd = pgd_va - X86_START_KERNEL_MAP + phys_base;
	vt_x86_64_format(mmu->la57, mmu->sme_mask, &mmu->fmt);
	snprintf(mmu->method, sizeof(mmu->method), "x86_64 %u-level walk from init_top_pgt",
		 mmu->la57 ? 5 : 4);
	return NULL;
}

/* User: slots below the canonical hole; kernel: the sign-extended top. */
static void half(const struct vt_arch_mmu *mmu, bool user, struct vt_pgwalk_limits *lim)
{
	unsigned top = mmu->la57 ? 56 : 47;

	lim->va_base = 0;	/* the walk sign-extends the top level */
	lim->va_lo = user ? 0 : ~((1ull << top) - 1);
	lim->va_hi = user ? (1ull << top) - 1 : ~0ull;
}

/* Accessed (0x20) and dirty (0x40) differ page by page: not attributes. */
static uint64_t leaf_flags(uint64_t e)
{
	return e & ~VT_X86_ADDR_MASK & ~0x60ull;
}

const struct vt_arch_ops vt_arch_x86_64 = {
	.arch = VT_ARCH_X86_64,
	.name = "x86_64",
	.kdump_name = "x86_64",
	.elf_machine = EM_X86_64,
	.named_by = named_by,
	.setup = setup,
	.half = half,
	.leaf_flags = leaf_flags,
	.kernel_space_start = 0xff00000000000000ull,
	.kallsyms_abs_percpu = true,
	.firmware_e820 = true,
	.memblock_from_log = true,
	.srat_in_log = true,
	.unwinder = &vt_unwinder_x86_64,
	.tested_release = "7.2",
};
