/*
 * pseries dynamic reconfiguration memory: the LMBs (logical memory blocks)
 * of /ibm,dynamic-reconfiguration-memory, decoded from its big-endian
 * properties (pure functions of bytes), and the kernel's own copy,
 * drmem_info (struct drmem_lmb_info, layouts from the dump's types).
 */
#ifndef VT_DRMEM_H
#define VT_DRMEM_H

#include <stddef.h>
#include <stdint.h>

#include "devtree/devtree.h"
#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

/* LMB flags (arch/powerpc/include/asm/drmem.h, PAPR). */
#define VT_DRCONF_MEM_ASSIGNED		0x00000008u
#define VT_DRCONF_MEM_DRC_INVALID	0x00000020u	/* PAPR; QEMU's boot-memory set */
#define VT_DRCONF_MEM_AI_INVALID	0x00000040u
#define VT_DRCONF_MEM_RESERVED		0x00000080u
#define VT_DRCONF_MEM_HOTREMOVABLE	0x00000100u
/* Kernel-only: a DLPAR operation on this LMB is in flight. */
#define VT_DRMEM_LMB_RESERVED		0x80000000u

#define VT_DRMEM_MAX_LMBS (1u << 22)	/* 1 PiB of 256 MiB LMBs */

struct vt_lmb {
	uint64_t base;
	uint32_t drc_index, aa_index, flags;
};

struct vt_lmb_array {
	uint64_t lmb_size;
	size_t n;
	struct vt_lmb *lmbs;
};

struct vt_assoc_arrays {
	uint32_t narrays, per_array;
	uint32_t *cells;		/* narrays * per_array */
};

/* ibm,lmb-size: one u64 (or one u32 cell). */
struct vt_error *vt_drmem_lmb_size(const void *buf, size_t len, uint64_t *ret);
/* ibm,dynamic-memory: u32 N, N x {u64 base, u32 drc, u32 rsvd, u32 aa, u32 flags}. */
struct vt_error *vt_drmem_decode_v1(const void *buf, size_t len, uint64_t lmb_size,
				    struct vt_lmb_array *ret);
/* ibm,dynamic-memory-v2: u32 S, S x {u32 seq, u64 base, u32 drc, u32 aa, u32 flags}. */
struct vt_error *vt_drmem_decode_v2(const void *buf, size_t len, uint64_t lmb_size,
				    struct vt_lmb_array *ret);
/* By the property's name (either version); it must be complete. */
struct vt_error *vt_drmem_decode_prop(const struct vt_dt_prop *p, uint64_t lmb_size,
				      struct vt_lmb_array *ret);
/* ibm,associativity-lookup-arrays: u32 M, u32 N, M x N u32. */
struct vt_error *vt_drmem_decode_assoc(const void *buf, size_t len,
				       struct vt_assoc_arrays *ret);
void vt_drmem_assoc_deinit(struct vt_assoc_arrays *a);

/*
 * The LMB property of a dynamic-reconfiguration-memory node, chosen as the
 * kernel does (drmem.c: ibm,dynamic-memory first, then -v2); NULL if none.
 */
const struct vt_dt_prop *vt_drmem_prop(const struct vt_dt_node *node);
/* Decode node's LMBs (lmb-size and the chosen property). */
struct vt_error *vt_drmem_decode_node(const struct vt_dt_node *node,
				      struct vt_lmb_array *ret);

/* The kernel's drmem_info LMB array. */
struct vt_error *vt_drmem_info_read(struct vt_target *t, struct vt_symbols *s,
				    struct vt_lmb_array *ret);

void vt_lmb_array_deinit(struct vt_lmb_array *a);
/* The LMB with this base, or NULL (arrays are in address order: bsearch). */
const struct vt_lmb *vt_lmb_find(const struct vt_lmb_array *a, uint64_t base);
/* "assigned|reserved|0x80000000" into buf. */
const char *vt_drmem_flags_str(uint32_t flags, char *buf, size_t len);

#endif
