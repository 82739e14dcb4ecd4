/*
 * Page-table formats and walks. Pure functions over a "read physical memory"
 * callback, so they run on a dump, a crash session, or hand-built tables in
 * a test.
 */
#ifndef VT_PGTABLE_H
#define VT_PGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct vt_error *(*vt_read_phys_fn)(void *arg, uint64_t paddr,
					    void *buf, size_t len);

#define VT_XLAT_MAX_STEPS 6

/* One level of a walk: which table, which slot, what it held. */
struct vt_xlat_step {
	const char *level;	/* "PGD", "P4D", "PUD", "PMD", "PTE" */
	uint64_t table_paddr;	/* physical address of the table */
	unsigned index;		/* slot within the table */
	uint64_t entry;		/* the entry, in host order */
};

struct vt_xlat_path {
	unsigned nsteps;
	struct vt_xlat_step steps[VT_XLAT_MAX_STEPS];
	uint64_t paddr;		/* result (valid when the walk succeeded) */
	uint64_t page_size;	/* size of the mapping that matched */
};

/*
 * One page-table format: the levels from the top, how an entry is loaded
 * and decoded. The per-arch files (x86_64.c, ppc64.c, arm64.c) fill it;
 * the single-address walk (pgtable.c) and the whole-tree walk (pgwalk.c)
 * are the same code for every arch.
 */
struct vt_ptentry {
	bool present, leaf;
	uint64_t target;	/* leaf: page base; table: next table */
	const char *bad;	/* a broken entry, with why */
	char why[64];		/* where bad can point for a detailed why */
};

struct vt_ptfmt {
	const char *family;		/* "x86_64", "radix", "arm64": in messages */
	unsigned levels;
	const char *names[5];
	unsigned shift[5], bits[5];
	bool big_endian;		/* entries' byte order */
	bool sign_extend;		/* the top level's va is sign-extended */
	uint64_t root_mask;		/* bits of a root pointer that address it */
	const char *entry_word;		/* "entry", or arm64's "descriptor" */
	const char *absent;		/* how a clear entry is said: "not present" */
	uint64_t sme_mask;		/* x86_64 */
	const struct vt_arm64_geometry *arm64;
	void (*decode)(const struct vt_ptfmt *f, unsigned lvl, uint64_t entry,
		       uint64_t size, struct vt_ptentry *ret);
	/* NULL, or why va cannot be translated by these tables at all. */
	struct vt_error *(*check_va)(const struct vt_ptfmt *f, uint64_t va);
};

/* Translate vaddr through the tables at pgd_paddr. */
struct vt_error *vt_ptfmt_vtop(vt_read_phys_fn read, void *arg, const struct vt_ptfmt *f,
			       uint64_t pgd_paddr, uint64_t vaddr, struct vt_xlat_path *ret);

/* x86_64: 4-level, or 5-level when la57. sme_mask is cleared from entries. */
void vt_x86_64_format(bool la57, uint64_t sme_mask, struct vt_ptfmt *ret);
struct vt_error *vt_x86_64_walk(vt_read_phys_fn read, void *arg,
				uint64_t pgd_paddr, bool la57,
				uint64_t sme_mask, uint64_t vaddr,
				struct vt_xlat_path *ret);

#define VT_X86_PRESENT 0x1ull
#define VT_X86_PSE 0x80ull
#define VT_X86_ADDR_MASK 0x000ffffffffff000ull

/* Physical address a present x86_64 entry points to (table or leaf base). */
uint64_t vt_x86_64_entry_paddr(uint64_t entry, uint64_t sme_mask,
			       uint64_t leaf_size);

/*
 * ppc64 radix geometry: index bits per level, from the leaf up. 64K pages:
 * 5/9/9/13 (a PTE table is a 256-byte fragment); 4K pages: 9/9/9/13.
 */
struct vt_radix_geometry {
	unsigned page_shift;
	unsigned pte_bits, pmd_bits, pud_bits, pgd_bits;
};

void vt_radix_geometry_default(unsigned page_shift,
			       struct vt_radix_geometry *ret);
void vt_radix_format(const struct vt_radix_geometry *geo, struct vt_ptfmt *ret);

/* Radix entries are stored big-endian whatever the kernel's byte order. */
#define VT_RADIX_PRESENT 0x8000000000000000ull
#define VT_RADIX_LEAF 0x4000000000000000ull	/* _PAGE_PTE */
#define VT_RADIX_NLB_MASK 0x0fffffffffffff00ull	/* next-level base */
#define VT_RADIX_RPN_MASK 0x00fffffffffff000ull	/* real page number */

struct vt_error *vt_radix_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_radix_geometry *geo,
			       uint64_t pgd_paddr, uint64_t vaddr,
			       struct vt_xlat_path *ret);

/*
 * arm64 geometry of one translation regime as Linux sets it up: level 0 is
 * the top (PGD), each level resolves shift[l]..shift[l]+bits[l]-1.
 */
struct vt_arm64_geometry {
	unsigned page_shift;		/* 12, 14 or 16 */
	unsigned va_bits;		/* width the tables index */
	unsigned levels;		/* 2..5 */
	bool pa52;			/* 64K pages, 52-bit PAs (FEAT_LPA) */
	bool lpa2;			/* 4K/16K, FEAT_LPA2 in use */
	bool big_endian;		/* descriptors in the kernel's byte order */
	unsigned shift[5], bits[5];
	const char *names[5];
};

/* va_bits: the kernel's VA_BITS; va_bits_runtime: 64 - TCR_EL1.T1SZ. */
struct vt_error *vt_arm64_geometry_init(unsigned page_shift, unsigned va_bits,
					unsigned va_bits_runtime, unsigned pa_bits,
					bool big_endian, struct vt_arm64_geometry *ret);

/* geo must outlive the format (it is pointed to). */
void vt_arm64_format(const struct vt_arm64_geometry *geo, struct vt_ptfmt *ret);

enum vt_arm64_desc {
	VT_ARM64_INVALID,		/* bit 0 clear */
	VT_ARM64_TABLE,			/* next-level table */
	VT_ARM64_LEAF,			/* page or block */
	VT_ARM64_RESERVED,		/* a block where the granule allows none */
};
enum vt_arm64_desc vt_arm64_desc_kind(const struct vt_arm64_geometry *g, unsigned lvl,
				      uint64_t entry);
/* Output address of a descriptor, aligned down to size. */
uint64_t vt_arm64_desc_addr(const struct vt_arm64_geometry *g, uint64_t entry,
			    uint64_t size);

struct vt_error *vt_arm64_walk(vt_read_phys_fn read, void *arg,
			       const struct vt_arm64_geometry *g, uint64_t pgd_paddr,
			       uint64_t vaddr, struct vt_xlat_path *ret);

#endif
