/*
 * The target's state, shared by its files: target.c (open, physical reads,
 * the physical ranges) and translate.c (kernel-virtual reads through the
 * arch's tables). Nothing outside target/ includes this.
 */
#ifndef VT_TARGET_INTERNAL_H
#define VT_TARGET_INTERNAL_H

#include <libkdumpfile/kdumpfile.h>

#include "target/dumpcheck.h"
#include "target/kdumpc.h"
#include "target/target.h"

/* A tiny direct-mapped cache of 4 KiB translations (dumps never change). */
#define TLB_SIZE 1024

struct tlb_entry {
	uint64_t vpage;		/* vaddr >> 12, plus one; 0 = empty */
	uint64_t ppage;
};

/*
 * Mappings of 2 MiB or more (the direct map, vmemmap), by 2 MiB of virtual
 * address: a memmap scan then walks the tables once per 2 MiB, not per
 * 4 KiB (x86-hotplug memmap --json: 6,638 walks before, 70 after).
 */
#define TLB_HUGE_SIZE 256

struct tlb_huge_entry {
	uint64_t vblock;	/* vaddr >> 21, plus one; 0 = empty */
	uint64_t delta;		/* paddr - vaddr, the same all over the block */
};

struct vt_target {
	struct vt_target_info info;
	char *path;
	int fd;
	int flat_fd;		/* reassembled flattened stream, or -1 */
	kdump_ctx_t *kdump;
	char format[64];
	uint32_t block_size;	/* kdump page frames, when not the kernel's page size */
	struct vt_vmcoreinfo vmcoreinfo;
	char release[65];

	/* kernel translation, set up on first use */
	bool xlat_ready;
	struct vt_error *xlat_err;	/* why it cannot be set up */
	struct vt_arch_mmu mmu;
	struct tlb_entry tlb[TLB_SIZE];
	struct tlb_huge_entry tlb_huge[TLB_HUGE_SIZE];

	struct vt_target_backend backend;	/* read_phys set: not a file */

	/* ELF dumps: PT_LOAD segments read with pread(2), bypassing libkdumpfile */
	struct vt_kdc_seg *segs;
	size_t nsegs;

	/* kdump-compressed: frames read and decompressed directly (kdumpc.c);
	 * ELF: the same read-ahead over the PT_LOADs */
	struct vt_kdc *kdc;
	bool kdc_tried;

	/* a file cut short: the physical ranges whose data is past its end */
	struct vt_dump_cut cut;
	/* a split dump (makedumpfile --split): this file's piece, and what the
	 * pieces given hold and lack; the other pieces' files (fd is the first) */
	struct vt_dump_piece piece;
	struct vt_dump_split split;
	int piece_fds[VT_TARGET_MAX_PIECES];
	size_t npieces;

	struct vt_phys_range *ranges;
	size_t nranges;
	uint64_t nranges_omitted;
	bool ranges_ready;
};

/* A libkdumpfile context set up as every open wants it (target.c). */
kdump_ctx_t *vt_target_new_kdump(void);
/* A target with nothing open yet (target.c). */
struct vt_target *vt_target_alloc(const char *name);
/* After libkdumpfile opened the file(s): VMCOREINFO, arch, release (target.c). */
struct vt_error *vt_target_finish_open(struct vt_target *t);

#endif
