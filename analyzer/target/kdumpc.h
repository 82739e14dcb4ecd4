/*
 * A direct reader of kdump-compressed page data (makedumpfile's format:
 * the dumpable bitmap, the page_desc table, zlib/lzo/zstd or stored page
 * frames), decompressing large reads on two threads. It handles only the
 * plain case and says which frames it did not read: the caller reads those
 * through libkdumpfile, so filtered, missing, corrupt or unusually stored
 * pages keep libkdumpfile's answers exactly.
 */
#ifndef VT_KDUMPC_H
#define VT_KDUMPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_kdc;

/* NULL when the file is not a plain single-file kdump-compressed dump. */
struct vt_kdc *vt_kdc_open(int fd);
/*
 * ELF dumps: 4 KiB frames pread from the PT_LOADs (sorted, disjoint; kept
 * by the caller for k's life), for the read-ahead alone.
 */
struct vt_kdc_seg { uint64_t paddr, filesz, offset; };
struct vt_kdc *vt_kdc_open_elf(int fd, const struct vt_kdc_seg *segs, size_t nsegs);
void vt_kdc_destroy(struct vt_kdc *k);
uint32_t vt_kdc_block_size(const struct vt_kdc *k);

/* Most frames one vt_kdc_read call takes. */
#define VT_KDC_MAX_READ 512

/*
 * Read n (<= VT_KDC_MAX_READ) whole frames from frame number pfn into buf;
 * ok[i] says whether frame i was read. Uses a second thread for large n.
 */
void vt_kdc_read(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *buf, bool *ok);

/*
 * Small reads: len bytes at off in frame pfn into buf, from a few frames
 * kept decompressed (page tables, task structs, kallsyms are read a few
 * bytes at a time, over and over). false: not read here (as vt_kdc_read's
 * ok[]), or an ELF dump (pread is as cheap).
 */
bool vt_kdc_read_part(struct vt_kdc *k, uint64_t pfn, uint32_t off, size_t len,
		      unsigned char *buf);

/* Bytes of frames read ahead at most (one buffer). */
#define VT_KDC_READAHEAD (1u << 20)

/*
 * Start reading frames [pfn, pfn + n) on the second thread while the caller
 * goes on, into dest (which the caller leaves alone until it reads those
 * frames into the same place, or cancels) or, when NULL, an internal buffer.
 * A later vt_kdc_read takes whatever of them it asks for, any other large
 * read stops it. A hint: nothing happens when it cannot be done.
 */
void vt_kdc_prefetch(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *dest);
/* Stop the read-ahead and wait for it: dest is the caller's again. */
void vt_kdc_cancel(struct vt_kdc *k);

#endif
