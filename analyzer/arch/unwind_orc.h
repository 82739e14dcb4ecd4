/*
 * x86_64's ORC tables searched in the dump (unwind_x86_64.c): a table is
 * never read whole, the binary search reads the pages it probes through a
 * small page cache.
 */
#ifndef VT_UNWIND_ORC_H
#define VT_UNWIND_ORC_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/unwind.h"

#define VT_ORC_SIZE 6	/* struct orc_entry */

/* A table in the dump: n s32 ip offsets (each relative to itself) at ip_va,
 * sorted by the ip they give, and n ORC entries at orc_va. */
struct vt_orc_table {
	uint64_t ip_va, orc_va;
	uint32_t n;
};

/* The page cache every table of a dump is read through, and the last
 * answer; zeroed to start, vt_orc_reader_free() to end. */
struct vt_orc_reader {
	struct vt_orc_page *pages;	/* allocated on the first read */
	uint64_t tick;
	uint8_t entry[VT_ORC_SIZE];	/* the entry vt_orc_table_find() found */
	uint64_t entry_ip;		/* the first ip it covers */
	char why[200];			/* why it found none, when a read failed */
};

void vt_orc_reader_free(struct vt_orc_reader *r);

/* The table at ip_va: its ends read, in order, into *first and *last. */
struct vt_error *vt_orc_table_open(const struct vt_unwind_env *env, struct vt_orc_reader *r,
				   uint64_t ip_va, uint64_t orc_va, uint32_t n,
				   struct vt_orc_table *t, uint64_t *first, uint64_t *last);

/* The last entry at or below pc into r->entry: false when pc is below the
 * first, or a read failed (*why says so). */
bool vt_orc_table_find(const struct vt_unwind_env *env, struct vt_orc_reader *r,
		       const struct vt_orc_table *t, uint64_t pc, const char **why);

#endif
