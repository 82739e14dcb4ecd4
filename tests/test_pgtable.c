/* Page-table walkers on hand-built tables in a fake physical memory. */
#include <string.h>

#include "core/byteorder.h"
#include "arch/pgtable.h"
#include "unit.h"

#define MEM_SIZE (1u << 20)
static unsigned char mem[MEM_SIZE];

static struct vt_error *read_mem(void *arg, uint64_t paddr, void *buf, size_t len)
{
	if (paddr >= MEM_SIZE || len > MEM_SIZE - paddr)
		return vt_error_create(VT_ERR_FAULT, "beyond memory");
	memcpy(buf, mem + paddr, len);
	return NULL;
}

static void set_le(uint64_t table, unsigned idx, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		mem[table + idx * 8 + i] = (v >> (8 * i)) & 0xff;
}

static void set_be(uint64_t table, unsigned idx, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		mem[table + idx * 8 + i] = (v >> (56 - 8 * i)) & 0xff;
}

static unsigned ix(uint64_t va, unsigned shift) { return (va >> shift) & 511; }

static void test_x86_64(void)
{
	struct vt_xlat_path p;
	const uint64_t va = 0xffff888000123456ull;	/* direct map, 4K page */
	const uint64_t va2m = 0xffff888000412345ull;	/* 2M page */
	const uint64_t va1g = 0xffff8880c0000123ull;	/* 1G page */
	const uint64_t sme = 1ull << 47;

	memset(mem, 0, sizeof(mem));
	set_le(0x1000, ix(va, 39), 0x2000 | 0x63 | sme);
	set_le(0x2000, ix(va, 30), 0x3000 | 0x63);
	set_le(0x3000, ix(va, 21), 0x4000 | 0x63);
	set_le(0x4000, ix(va, 12), 0x8000000000055000ull | 0x63); /* NX set */
	set_le(0x3000, ix(va2m, 21), 0x40000000ull | 0x1000 | 0xe3); /* PAT bit */
	set_le(0x2000, ix(va1g, 30), 0x80000000ull | 0xe3);

	CHECK_OK(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme, va, &p));
	CHECK(p.paddr == 0x55456 && p.page_size == 4096 && p.nsteps == 4);
	CHECK(strcmp(p.steps[0].level, "PGD") == 0 && p.steps[0].index == 273);
	CHECK(p.steps[3].table_paddr == 0x4000);
	CHECK_OK(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme, va2m, &p));
	CHECK(p.paddr == 0x40012345ull && p.page_size == 2u << 20);
	CHECK_OK(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme, va1g, &p));
	CHECK(p.paddr == 0x80000123ull && p.page_size == 1u << 30);
	/* Not present, non-canonical, beyond memory. */
	CHECK_ERR(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme,
				 0xffffc90000000000ull, &p), VT_ERR_FAULT);
	CHECK_ERR(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme,
				 0x0000900000000000ull | (1ull << 50), &p), VT_ERR_FAULT);
	set_le(0x1000, 500, 0x7ff0000000ull | 0x63);
	CHECK_ERR(vt_x86_64_walk(read_mem, NULL, 0x1000, false, sme,
				 0xfffffa0000000000ull, &p), VT_ERR_FAULT);
	/* A table pointing to itself ends after the fixed number of levels. */
	set_le(0x6000, 1, 0x6000 | 0x63);
	CHECK_OK(vt_x86_64_walk(read_mem, NULL, 0x6000, false, 0,
				0x0000008040201000ull, &p));
	CHECK(p.nsteps == 4 && p.paddr == 0x6000);

}

static void test_x86_64_la57(void)
{
	struct vt_xlat_path p;
	/* 5-level canonical: bits 57..63 copy bit 56. */
	const uint64_t va = 0xff11000000001000ull;

	memset(mem, 0, sizeof(mem));
	set_le(0x1000, (va >> 48) & 511, 0x2000 | 0x63);
	set_le(0x2000, ix(va, 39), 0x3000 | 0x63);
	set_le(0x3000, ix(va, 30), 0x4000 | 0x63);
	set_le(0x4000, ix(va, 21), 0x5000 | 0x63);
	set_le(0x5000, ix(va, 12), 0x9000 | 0x63);
	CHECK_OK(vt_x86_64_walk(read_mem, NULL, 0x1000, true, 0, va, &p));
	CHECK(p.nsteps == 5 && p.paddr == 0x9000);
	CHECK(strcmp(p.steps[1].level, "P4D") == 0);
	CHECK_ERR(vt_x86_64_walk(read_mem, NULL, 0x1000, true, 0,
				 0xfe11000000001000ull, &p), VT_ERR_FAULT);
}

static void test_radix(void)
{
	struct vt_radix_geometry g;
	struct vt_xlat_path p;
	const uint64_t vmemmap = 0xc00c000000012345ull;
	const uint64_t vmalloc = 0xc008000000200000ull;
	const uint64_t pgd = 0x10000, pud = 0x20000, pmd = 0x21000, pte = 0x22000;

	memset(mem, 0, sizeof(mem));
	vt_radix_geometry_default(16, &g);
	CHECK(g.pte_bits == 5 && g.pgd_bits == 13);
	/* 64K: PGD index = bits 39..51 of the EA. */
	set_be(pgd, (vmemmap >> 39) & 0x1fff, VT_RADIX_PRESENT | pud | 9);
	set_be(pud, (vmemmap >> 30) & 511, VT_RADIX_PRESENT | pmd | 9);
	/* 2M leaf at the PMD level for vmemmap. */
	set_be(pmd, (vmemmap >> 21) & 511,
	       VT_RADIX_PRESENT | VT_RADIX_LEAF | 0x40000000ull | 0x10e);
	CHECK_OK(vt_radix_walk(read_mem, NULL, &g, pgd, vmemmap, &p));
	CHECK(p.paddr == 0x40012345ull && p.page_size == 2u << 20 && p.nsteps == 3);
	/* vmalloc through a 256-byte PTE fragment. */
	set_be(pgd, (vmalloc >> 39) & 0x1fff, VT_RADIX_PRESENT | pud | 9);
	set_be(pud, (vmalloc >> 30) & 511, VT_RADIX_PRESENT | pmd | 9);
	set_be(pmd, (vmalloc >> 21) & 511, VT_RADIX_PRESENT | (pte + 0x100) | 5);
	set_be(pte + 0x100, (vmalloc >> 16) & 31,
	       VT_RADIX_PRESENT | VT_RADIX_LEAF | 0x7770000ull | 0x10e);
	CHECK_OK(vt_radix_walk(read_mem, NULL, &g, pgd, vmalloc + 0x1234, &p));
	CHECK(p.paddr == 0x7771234ull && p.page_size == 65536 && p.nsteps == 4);
	CHECK(p.steps[3].table_paddr == pte + 0x100);
	/* Bad next-level size, missing entry, leaf in the PGD. */
	set_be(pud, (vmalloc >> 30) & 511, VT_RADIX_PRESENT | pmd | 7);
	CHECK_ERR(vt_radix_walk(read_mem, NULL, &g, pgd, vmalloc, &p), VT_ERR_FORMAT);
	CHECK_ERR(vt_radix_walk(read_mem, NULL, &g, pgd, 0xc00a000000000000ull, &p),
		  VT_ERR_FAULT);
	set_be(pgd, 5, VT_RADIX_PRESENT | VT_RADIX_LEAF);
	CHECK_ERR(vt_radix_walk(read_mem, NULL, &g, pgd, 5ull << 39, &p), VT_ERR_FORMAT);
	/* Entry beyond memory. */
	set_be(pgd, 6, VT_RADIX_PRESENT | 0x7ff00000000ull | 9);
	CHECK_ERR(vt_radix_walk(read_mem, NULL, &g, pgd, 6ull << 39, &p), VT_ERR_FAULT);
}

/* 4K-page radix (9/9/9/13): a 4 KiB PTE table, 4 KiB leaves. */
static void test_radix_4k(void)
{
	struct vt_radix_geometry g;
	struct vt_xlat_path p;
	const uint64_t va = 0xc008000000123456ull;
	const uint64_t pgd = 0x10000, pud = 0x20000, pmd = 0x21000, pte = 0x22000;

	memset(mem, 0, sizeof(mem));
	vt_radix_geometry_default(12, &g);
	CHECK(g.pte_bits == 9 && g.pmd_bits == 9 && g.pud_bits == 9 && g.pgd_bits == 13);
	set_be(pgd, (va >> 39) & 0x1fff, VT_RADIX_PRESENT | pud | 9);
	set_be(pud, (va >> 30) & 511, VT_RADIX_PRESENT | pmd | 9);
	set_be(pmd, (va >> 21) & 511, VT_RADIX_PRESENT | pte | 9);
	set_be(pte, (va >> 12) & 511, VT_RADIX_PRESENT | VT_RADIX_LEAF | 0x555000ull | 0x10e);
	CHECK_OK(vt_radix_walk(read_mem, NULL, &g, pgd, va, &p));
	CHECK(p.paddr == 0x555456 && p.page_size == 4096 && p.nsteps == 4);
	/* A 64K-geometry walk of the same tables sees a bad next-level size. */
	vt_radix_geometry_default(16, &g);
	CHECK_ERR(vt_radix_walk(read_mem, NULL, &g, pgd, va, &p), VT_ERR_FORMAT);
}

/* arm64, 4K granule, 48-bit VA: 4 levels, 2M/1G blocks at PMD/PUD. */
static void test_arm64_4k(void)
{
	struct vt_arm64_geometry g;
	struct vt_xlat_path p;
	const uint64_t va = 0xffff000000123456ull;	/* TTBR1 half: linear map */
	const uint64_t va2m = 0xffff000000412345ull;
	const uint64_t user = 0x0000aaaabbbbc123ull;	/* TTBR0 half */

	CHECK_OK(vt_arm64_geometry_init(12, 48, 48, 48, false, &g));
	CHECK(g.levels == 4 && g.bits[0] == 9 && g.shift[0] == 39 && g.shift[3] == 12);
	memset(mem, 0, sizeof(mem));
	set_le(0x1000, ix(va, 39), 0x2000 | 3);
	set_le(0x2000, ix(va, 30), 0x3000 | 3);
	set_le(0x3000, ix(va, 21), 0x4000 | 3);
	/* page descriptor: AF, UXN/PXN set in the upper attributes */
	set_le(0x4000, ix(va, 12), 0x0060000000055000ull | 0x703);
	set_le(0x3000, ix(va2m, 21), 0x40000000ull | 0x701);		/* 2M block */
	CHECK_OK(vt_arm64_walk(read_mem, NULL, &g, 0x1000, va, &p));
	CHECK(p.paddr == 0x55456 && p.page_size == 4096 && p.nsteps == 4);
	CHECK(!strcmp(p.steps[0].level, "PGD") && p.steps[0].index == 0);
	CHECK_OK(vt_arm64_walk(read_mem, NULL, &g, 0x1000, va2m, &p));
	CHECK(p.paddr == 0x40012345ull && p.page_size == 2u << 20);
	/* Invalid, a block at the PGD (4K allows none), outside both halves. */
	CHECK_ERR(vt_arm64_walk(read_mem, NULL, &g, 0x1000, user, &p), VT_ERR_FAULT);
	set_le(0x1000, ix(user, 39), 0x80000000ull | 1);
	CHECK_ERR(vt_arm64_walk(read_mem, NULL, &g, 0x1000, user, &p), VT_ERR_FORMAT);
	CHECK_ERR(vt_arm64_walk(read_mem, NULL, &g, 0x1000, 0x0001000000000000ull, &p),
		  VT_ERR_FAULT);
	/* A last-level descriptor with bit 1 clear is reserved: not mapped. */
	set_le(0x4000, ix(va, 12), 0x55000 | 1);
	CHECK_ERR(vt_arm64_walk(read_mem, NULL, &g, 0x1000, va, &p), VT_ERR_FORMAT);
}

/* arm64, 64K granule, 52-bit PAs: 3 levels, PA[51:48] in bits 15:12. */
static void test_arm64_64k(void)
{
	struct vt_arm64_geometry g;
	struct vt_xlat_path p;
	const uint64_t va = 0xffff000012345678ull;

	CHECK_OK(vt_arm64_geometry_init(16, 48, 48, 52, false, &g));
	CHECK(g.levels == 3 && g.bits[0] == 6 && g.shift[0] == 42 && g.shift[1] == 29);
	CHECK(!strcmp(g.names[1], "PMD"));
	memset(mem, 0, sizeof(mem));
	set_le(0x10000, (va >> 42) & 63, 0x20000 | 3);
	set_le(0x20000, (va >> 29) & 8191, 0x30000 | 3);
	set_le(0x30000, (va >> 16) & 8191, 0x00000abc0000ull | 0x3000 | 0x703);
	CHECK_OK(vt_arm64_walk(read_mem, NULL, &g, 0x10000, va, &p));
	CHECK(p.paddr == (0x000300000abc0000ull | 0x5678) && p.page_size == 65536);
	CHECK_ERR(vt_arm64_geometry_init(13, 48, 48, 48, false, &g), VT_ERR_UNSUPPORTED);
	CHECK_ERR(vt_arm64_geometry_init(12, 48, 52, 48, false, &g), VT_ERR_UNSUPPORTED);
	/* 16K: 47-bit VA is 3 levels; 48-bit 4 levels with a 1-bit top. */
	CHECK_OK(vt_arm64_geometry_init(14, 47, 47, 48, false, &g));
	CHECK(g.levels == 3 && g.bits[0] == 11);
	CHECK_OK(vt_arm64_geometry_init(14, 48, 48, 48, false, &g));
	CHECK(g.levels == 4 && g.bits[0] == 1 && g.shift[0] == 47);
}

/* arm64, 4K, 52-bit build: LPA2 at run time (5 levels, PA[51:50] in bits 9:8),
 * or folded to 4 levels on a CPU without it. */
static void test_arm64_lpa2(void)
{
	struct vt_arm64_geometry g;
	struct vt_xlat_path p;
	const uint64_t va = 0xfff0000000123456ull;

	CHECK_OK(vt_arm64_geometry_init(12, 52, 52, 52, false, &g));
	CHECK(g.levels == 5 && g.lpa2 && g.bits[0] == 4 && g.shift[0] == 48);
	CHECK(!strcmp(g.names[1], "P4D"));
	memset(mem, 0, sizeof(mem));
	set_le(0x1000, (va >> 48) & 15, 0x2000 | 3);
	set_le(0x2000, ix(va, 39), 0x3000 | 3);
	set_le(0x3000, ix(va, 30), 0x4000 | 3);
	set_le(0x4000, ix(va, 21), 0x5000 | 3);
	set_le(0x5000, ix(va, 12), 0x0002000000055000ull | 0x300 | 0x403);	/* PA[51:50]=3 */
	CHECK_OK(vt_arm64_walk(read_mem, NULL, &g, 0x1000, va, &p));
	CHECK(p.paddr == (0x000e000000055000ull | 0x456) && p.nsteps == 5);
	CHECK_OK(vt_arm64_geometry_init(12, 52, 48, 48, false, &g));
	CHECK(g.levels == 4 && !g.lpa2 && g.va_bits == 48);
}

int main(void)
{
	test_x86_64();
	test_x86_64_la57();
	test_radix();
	test_radix_4k();
	test_arm64_4k();
	test_arm64_64k();
	test_arm64_lpa2();
	return unit_done("test_pgtable");
}
