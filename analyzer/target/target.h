/*
 * The target: where bytes come from. A dump file opened read-only through
 * libkdumpfile (ELF, kdump-compressed, and more), with makedumpfile's
 * flattened format reassembled to an unlinked temporary file first.
 * Physical reads come from libkdumpfile; kernel-virtual reads go through
 * the project's own page-table walk (analyzer/arch/).
 */
#ifndef VT_TARGET_H
#define VT_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"
#include "core/error.h"
#include "core/vmcoreinfo.h"
#include "target/dumpcheck.h"

struct vt_phys_range {
	uint64_t start, end;	/* [start, end) */
};

/* Cap on listed physical ranges; the rest are counted, not stored. */
#define VT_MAX_PHYS_RANGES 4096

struct vt_target;

struct vt_target_info {
	const char *path;
	const char *format;		/* libkdumpfile's file.format */
	bool flattened;			/* reassembled from makedumpfile -F */
	enum vt_arch arch;
	const struct vt_arch_ops *arch_ops;	/* never NULL once open */
	bool big_endian;
	uint32_t page_size;
	bool has_vmcoreinfo;
	const char *release;		/* OSRELEASE, or "" */
	uint64_t kaslr_offset;		/* KERNELOFFSET */
	unsigned ncpus;
	bool live;			/* the running kernel: memory changes under the reads */
	/* The running kernel's own files, where a live target has them (NULL:
	 * none): its BTF (/sys/kernel/btf/vmlinux) and symbols (/proc/kallsyms). */
	const char *live_btf, *live_kallsyms;
};

/*
 * Open a dump file, or the running kernel when path is /proc/kcore (or a
 * link to it): see vt_target_open_kcore.
 */
struct vt_error *vt_target_open(const char *path, struct vt_target **ret);
/* A page size a kernel can have: a power of two from 4 KiB to 1 MiB (every
 * shift and mask taken from it relies on that). */
static inline bool vt_page_size_valid(uint32_t size)
{
	return size >= 4096 && size <= (1u << 20) && !(size & (size - 1));
}
/*
 * The running kernel through /proc/kcore (kcore.c): needs root; a clear
 * error (VT_ERR_IO or VT_ERR_UNSUPPORTED) when it is not there, not
 * readable, or refused by lockdown.
 */
struct vt_error *vt_target_open_kcore(const char *path, struct vt_target **ret);
bool vt_target_is_kcore(const char *path);
/*
 * The pieces of one split kdump-compressed dump (makedumpfile --split), read
 * as one dump; one path is vt_target_open. Each must be a piece of the same
 * dump (same header); pieces not given are what vt_target_split says.
 */
#define VT_TARGET_MAX_PIECES 16
struct vt_error *vt_target_open_pieces(const char *const *paths, size_t n,
				       struct vt_target **ret);

/*
 * A target whose physical memory comes from elsewhere: a running crash
 * session (the extension reads through crash's readmem, so it works on
 * whatever crash opened). Everything above physical reads is ours.
 */
struct vt_target_backend {
	struct vt_error *(*read_phys)(void *arg, uint64_t paddr, void *buf, size_t len);
	void *arg;
	const char *name;		/* shown as the "file" */
	enum vt_arch arch;
	bool big_endian;
	uint32_t page_size;
	unsigned ncpus;
	const char *vmcoreinfo;		/* the VMCOREINFO text */
	size_t vmcoreinfo_len;
	/* CPU cpu's NT_PRSTATUS desc, as vt_target_prstatus; NULL: none. */
	struct vt_error *(*prstatus)(void *arg, unsigned cpu, void *buf, size_t cap,
				     size_t *len_ret);
	/* Frees arg when the target is destroyed (or not opened); NULL: arg is
	 * the caller's. */
	void (*destroy)(void *arg);
	bool live;			/* the running kernel (vt_target_info.live) */
	const char *live_btf, *live_kallsyms;	/* vt_target_info's (static strings) */
	/* The physical ranges it can read (copied, then merged); none: not known. */
	const struct vt_phys_range *ranges;
	size_t nranges;
};
struct vt_error *vt_target_open_backend(const struct vt_target_backend *b,
					struct vt_target **ret);
void vt_target_destroy(struct vt_target *t);

const struct vt_target_info *vt_target_info(const struct vt_target *t);
/*
 * A dump file cut short (a full disk, an interrupted copy): what it lacks,
 * as physical ranges; NULL when the file holds all its headers describe.
 * Reads of those ranges fail with VT_ERR_NODATA, like filtered pages.
 */
const struct vt_dump_cut *vt_target_cut(const struct vt_target *t);
/*
 * A split dump: the pieces given, the physical ranges they hold and those
 * only the pieces not given hold (reads there fail with VT_ERR_NODATA);
 * NULL for a dump that is not split.
 */
const struct vt_dump_split *vt_target_split(const struct vt_target *t);
const struct vt_vmcoreinfo *vt_target_vmcoreinfo(const struct vt_target *t);

/* Physical read; VT_ERR_NODATA for filtered pages, VT_ERR_FAULT if absent. */
struct vt_error *vt_target_read_phys(struct vt_target *t, uint64_t paddr,
				     void *buf, size_t len);

/*
 * Kernel-virtual address translation and reads (init_mm's tables).
 * Set up lazily from VMCOREINFO on first use.
 */
struct vt_error *vt_target_vtop(struct vt_target *t, uint64_t vaddr,
				uint64_t *paddr_ret, struct vt_xlat_path *path);
struct vt_error *vt_target_read_kv(struct vt_target *t, uint64_t vaddr,
				   void *buf, size_t len);
/* Walk another page-table root (a process's pgd), given physically. */
struct vt_error *vt_target_vtop_pgd(struct vt_target *t, uint64_t pgd_paddr,
				    uint64_t vaddr, uint64_t *paddr_ret,
				    struct vt_xlat_path *path);

/*
 * A hint that [vaddr, vaddr + len) will be read next into dest (or, dest
 * NULL, anywhere): kdump-compressed and ELF dumps start reading it on a
 * second thread (the first physically contiguous run of it, 1 MiB at most),
 * straight into dest. Until the caller reads that range into dest, or calls
 * vt_target_prefetch_cancel, it must leave dest alone and keep it allocated.
 * Does nothing elsewhere (a crash session: no threads); reads give the same
 * bytes and errors either way.
 */
void vt_target_prefetch_kv(struct vt_target *t, uint64_t vaddr, size_t len, void *dest);
/* End any read-ahead, waiting for it: its dest is the caller's again. */
void vt_target_prefetch_cancel(struct vt_target *t);

/* Typed kernel-virtual loads in the dump's byte order. */
struct vt_error *vt_target_read_u64(struct vt_target *t, uint64_t vaddr,
				    uint64_t *ret);
struct vt_error *vt_target_read_u32(struct vt_target *t, uint64_t vaddr,
				    uint32_t *ret);

/* The kernel's translation (page-table root, format, arch state). */
struct vt_error *vt_target_mmu(struct vt_target *t, const struct vt_arch_mmu **ret);

/*
 * Walk a whole page-table tree (the arch's format, the dump's paging mode).
 * user: the user half, else the kernel half (the arch's half()).
 */
struct vt_error *vt_target_walk_tables(struct vt_target *t, uint64_t pgd_paddr,
				       bool user, uint64_t max_tables,
				       const struct vt_pgwalk_ops *ops, void *arg);

/* Describe how the kernel translation is done (for `info`). */
const char *vt_target_xlat_method(struct vt_target *t);

/* Sort ranges by start and merge the adjacent or overlapping: the count left. */
size_t vt_phys_ranges_merge(struct vt_phys_range *r, size_t n);

/*
 * An ELF dump's own ELF header and program headers, as they are in the file
 * (one PT_LOAD per entry, unmerged), in one malloc'd block: the header with
 * e_phoff rewritten to follow it, then the table. VT_ERR_UNSUPPORTED for a
 * dump that is not ELF.
 */
struct vt_error *vt_target_elf_headers(struct vt_target *t, void **buf_ret, size_t *len_ret);

/* Physical ranges the dump holds data for (filtered pages excluded). */
struct vt_error *vt_target_phys_ranges(struct vt_target *t,
				       const struct vt_phys_range **ranges,
				       size_t *nranges, uint64_t *nomitted);

/*
 * CPU cpu's ELF NT_PRSTATUS note as the dump holds it (the cpu-th note: QEMU
 * and kexec both write them in CPU order), copied up to cap bytes.
 * VT_ERR_NOT_FOUND when the dump has none for it.
 */
struct vt_error *vt_target_prstatus(struct vt_target *t, unsigned cpu, void *buf,
				    size_t cap, size_t *len_ret);

#endif
