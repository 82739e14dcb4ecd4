/*
 * Whole-tree page-table walks (every table and every leaf under a root),
 * for x86_64 (4/5-level), ppc64 radix and arm64, bounded against corrupt tables:
 * each walk visits a table at most once, reads only tables inside
 * physical memory it can read, and stops after max_tables tables.
 */
#ifndef VT_PGWALK_H
#define VT_PGWALK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "arch/pgtable.h"

/* Levels from the top: 0 PGD, 1 P4D (x86 5-level only) / PUD ... */
struct vt_pgwalk_ops {
	/* A table was reached: its level name, address, size and first va. */
	int (*table)(void *arg, const char *level, uint64_t paddr, uint32_t bytes,
		     uint64_t va);
	/* A present leaf mapping [va, va+size) to paddr. */
	int (*leaf)(void *arg, const char *level, uint64_t va, uint64_t size,
		    uint64_t paddr, uint64_t entry);
	/* A broken entry: outside memory, reached twice, reserved bits... */
	void (*bad)(void *arg, const char *level, uint64_t table, unsigned index,
		    uint64_t entry, const char *why);
};

struct vt_pgwalk_limits {
	uint64_t va_lo, va_hi;		/* inclusive range to walk */
	uint64_t va_base;		/* va of the top table's slot 0: radix 0xc0.. (kernel
					 * quadrant), arm64 ~0 << VA_BITS (TTBR1); 0 user */
	uint64_t max_phys;		/* entries at or past this are broken */
	uint64_t max_tables;		/* stop after this many tables */
};

/* Walk the tree at pgd in format f (what the arch ops use). */
struct vt_error *vt_ptfmt_walk(vt_read_phys_fn read, void *arg, const struct vt_ptfmt *f,
			       uint64_t pgd, const struct vt_pgwalk_limits *lim,
			       const struct vt_pgwalk_ops *ops, void *opsarg);

/* The same for one arch's format (tests and fuzzing build tables by hand). */
struct vt_error *vt_pgwalk_x86_64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				  bool la57, uint64_t sme_mask,
				  const struct vt_pgwalk_limits *lim,
				  const struct vt_pgwalk_ops *ops, void *opsarg);

struct vt_error *vt_pgwalk_radix(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_radix_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg);

struct vt_error *vt_pgwalk_arm64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_arm64_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg);

#endif
