/*
 * Structural checks a dump must pass before libkdumpfile reads it, so that a
 * truncated file is reported as truncated (not as "no data" on every read).
 */
#ifndef VT_DUMPCHECK_H
#define VT_DUMPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/*
 * A dump cut short (a full disk, an interrupted copy) still has its headers
 * and the pages written before the cut. Those are read as usual; the pages
 * whose data (or, kdump-compressed, whose page descriptor) lies past the end
 * of the file are missing, as physical ranges.
 */
#define VT_DUMPCHECK_MAX_MISSING 16

struct vt_dump_range {
	uint64_t start, end;		/* physical, [start, end) */
};

/*
 * Append [start, end) to ranges r[*n] (at most VT_DUMPCHECK_MAX_MISSING;
 * past that counted in *omitted), merged into the last when it starts
 * inside or right after it. Empty ranges are ignored.
 */
void vt_dump_range_add(struct vt_dump_range *r, size_t *n, uint64_t *omitted,
		       uint64_t start, uint64_t end);

struct vt_dump_cut {
	bool cut;			/* some page data is past the end of the file */
	uint64_t file_size, need;	/* bytes present; bytes the headers describe */
	size_t nmissing;
	uint64_t missing_omitted;	/* ranges past the cap, counted */
	struct vt_dump_range missing[VT_DUMPCHECK_MAX_MISSING];
};

/*
 * One file of a split kdump-compressed dump (makedumpfile --split): it holds
 * the pages of pfns [start_pfn, end_pfn) of max_mapnr; the other pieces
 * hold the rest. split false for an ordinary (whole) dump.
 */
#define VT_DUMP_HEADER_BYTES 444

struct vt_dump_piece {
	bool split;
	uint64_t start_pfn, end_pfn, max_mapnr;
	/* disk_dump_header up to max_mapnr (utsname, timestamp, sizes): the
	 * same in every piece of one set, written by one makedumpfile run */
	unsigned char header[VT_DUMP_HEADER_BYTES];
};

/*
 * What a set of pieces holds and lacks, as physical ranges (pfn *
 * block_size): held, the union of the pieces' [start_pfn, end_pfn); missing,
 * the rest of [0, max_mapnr), which the pieces not given hold.
 */
struct vt_dump_split {
	unsigned npieces;		/* pieces given */
	uint64_t max_mapnr;
	size_t nheld, nmissing;
	uint64_t omitted;		/* ranges past the caps, counted */
	struct vt_dump_range held[VT_DUMPCHECK_MAX_MISSING];
	struct vt_dump_range missing[VT_DUMPCHECK_MAX_MISSING];
};
void vt_dump_split_ranges(const struct vt_dump_piece *pieces, size_t n, uint32_t block_size,
			  struct vt_dump_split *ret);

/*
 * ELF core: program headers and every PT_NOTE inside the file; PT_LOADs
 * that end past it are the missing ranges in *cut.
 */
struct vt_error *vt_dumpcheck_elf(int fd, struct vt_dump_cut *cut);

/* One ELF note of a PT_NOTE's bytes (name not NUL-terminated: namesz). */
struct vt_elf_note {
	const unsigned char *name, *desc;
	uint32_t namesz, descsz, type;
};
/* The note at *at of buf (then *at moves past it); false at the end or at
 * a header whose sizes overrun buf. */
bool vt_elf_note_next(const unsigned char *buf, size_t len, bool be, size_t *at,
		      struct vt_elf_note *ret);
/*
 * kdump-compressed ("KDUMP   " or "DISKDUMP"): header and bitmaps inside
 * the file; dumped pages whose descriptor or data is past its end are the
 * missing ranges in *cut. *block_size_ret (if not NULL) gets the header's
 * block size, the unit of the file's page frames, once the header is read;
 * *piece (if not NULL) what the sub-header says of a split dump.
 */
struct vt_error *vt_dumpcheck_diskdump(int fd, uint32_t *block_size_ret,
				       struct vt_dump_cut *cut, struct vt_dump_piece *piece);

#endif
