/*
 * The loaded kdump crash kernel (kexec_crash_image, struct kimage): its
 * segments, the elfcorehdr among them (the ELF core header whose PT_LOADs
 * are the physical ranges the capture kernel will read) and, on ppc64, its
 * FDT (the device tree the capture kernel will boot with). Stale ranges in
 * either make the capture fault on memory that is gone (class C).
 */
#ifndef VT_CRASHIMAGE_H
#define VT_CRASHIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devtree/devtree.h"
#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_KEXEC_SEGMENT_MAX 16		/* KEXEC_SEGMENT_MAX */
#define VT_ELFCOREHDR_MAX (1u << 20)	/* bytes read of one elfcorehdr */

struct vt_elf_load {
	uint64_t paddr, vaddr, offset, filesz, memsz;
};

struct vt_elfcorehdr {
	bool big_endian;
	uint16_t machine;
	size_t nload, nnote;
	struct vt_elf_load *loads;
};

/* Decode an ELF64 ET_CORE header and its program headers from bytes. */
struct vt_error *vt_elfcorehdr_decode(const void *buf, size_t len,
				      struct vt_elfcorehdr *ret);
void vt_elfcorehdr_deinit(struct vt_elfcorehdr *h);

enum vt_segment_kind {
	VT_SEG_OTHER,
	VT_SEG_ELFCOREHDR,
	VT_SEG_FDT,
	VT_SEG_UNREADABLE,		/* its memory is not in the dump */
};

struct vt_kexec_segment {
	uint64_t buf, bufsz, mem, memsz;
	enum vt_segment_kind kind;
};

struct vt_crashimage {
	bool loaded;			/* kexec_crash_image != NULL */
	uint64_t kimage;
	uint64_t nr_segments;		/* as stored */
	size_t nseg;
	struct vt_kexec_segment seg[VT_KEXEC_SEGMENT_MAX];
	int hdr_seg;			/* -1: none; -2: kimage->elf_headers;
					 * VT_HDR_FROM_DUMP: the dump's own PT_LOADs */
	bool have_hdr;
	struct vt_elfcorehdr hdr;
	char hdr_err[256];		/* why there is no hdr, if not */
	int fdt_seg;			/* -1: none */
	struct vt_dt *fdt;
	char fdt_err[256];
};

/* Errors only when kexec_crash_image cannot be read at all. */
struct vt_error *vt_crashimage_read(struct vt_target *t, struct vt_symbols *s,
				    struct vt_crashimage *ret);
void vt_crashimage_deinit(struct vt_crashimage *c);
const char *vt_segment_kind_name(enum vt_segment_kind k);
#define VT_HDR_FROM_DUMP (-3)
/* Where the elfcorehdr came from, in words ("segment", ...). */
const char *vt_crashimage_hdr_source(const struct vt_crashimage *c);
/* How many segments the dump does not hold (a kdump vmcore leaves out the
 * crash kernel's reservation). */
size_t vt_crashimage_segments_missing(const struct vt_crashimage *c);

#endif
