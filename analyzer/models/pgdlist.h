/*
 * x86_64's kernel page-table root (init_top_pgt) and pgd_list, the list of
 * every process pgd the kernel keeps in sync with it (struct pages linked
 * by page->lru; with PTI the kernel half is the first page of the pair).
 */
#ifndef VT_PGDLIST_H
#define VT_PGDLIST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "models/memmap.h"
#include "symbols/symbols.h"
#include "target/target.h"

struct vt_kernel_pgd {
	uint64_t paddr;
	bool la57;
	uint64_t sme_mask;
	unsigned char table[4096];	/* as in the dump (little-endian) */
};

struct vt_error *vt_kernel_pgd_read(struct vt_target *t, struct vt_kernel_pgd *ret);

/* A pgd entry (x86_64 format): present, and the table it points to. */
bool vt_pgd_entry_present(uint64_t entry);
uint64_t vt_pgd_entry_paddr(uint64_t entry, uint64_t sme_mask);

/* One pgd on pgd_list; table is valid during the callback only. */
struct vt_pgd {
	uint64_t page;			/* its struct page */
	uint64_t pfn;
	uint64_t mm;			/* owner, when mm_known */
	bool mm_known;
	const unsigned char *table;	/* 4096 bytes */
};

struct vt_pgd_list_ops {
	/* Non-zero stops the walk. */
	int (*pgd)(void *arg, const struct vt_pgd *pgd);
	/* A pgd that cannot be read: the list cannot be followed past it. */
	void (*unreadable)(void *arg, uint64_t page, const char *why);
};

struct vt_pgd_list_walk {
	uint64_t npgds;
	bool mm_known;			/* pt_mm (or pre-4.18 page->index) known */
	bool truncated;			/* more than max: cyclic or corrupt */
	bool unreadable;
};

/*
 * Walk pgd_list, at most max pgds. Errors only when the list or the
 * layout cannot be read at all; a missing owner member is mm_known false.
 */
struct vt_error *vt_pgd_list_walk(struct vt_target *t, struct vt_symbols *s,
				  struct vt_memmap *m, uint64_t max,
				  const struct vt_pgd_list_ops *ops, void *arg,
				  struct vt_pgd_list_walk *ret);

#endif
