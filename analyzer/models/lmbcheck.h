/*
 * The per-LMB cross-check of class C: for every LMB of the pseries
 * dynamic-reconfiguration-memory node, what each source says about it —
 * the live device tree (and each older generation in deadprops), the boot
 * FDT, the kernel's drmem_info, the memmap's sections, memblock.memory and
 * a loaded crash kernel's FDT and elfcorehdr — and whether they agree.
 */
#ifndef VT_LMBCHECK_H
#define VT_LMBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/crashimage.h"
#include "devtree/devtree.h"
#include "devtree/drmem.h"
#include "models/memmap.h"

#define VT_DRCONF_PATH "/ibm,dynamic-reconfiguration-memory"
#define VT_LMB_HISTORY 8		/* deadprops generations kept per LMB */
#define VT_LMB_MAX_BAD_LOADS 64

enum vt_lmb_state {
	VT_LMB_UNKNOWN,			/* a source is missing */
	VT_LMB_OK,			/* every source agrees */
	VT_LMB_FIRMWARE,		/* RESERVED: not under DLPAR (boot memory) */
	VT_LMB_STALE_DT,		/* DT says assigned, memory gone (or mirror) */
	VT_LMB_IN_FLIGHT,		/* DRMEM_LMB_RESERVED: a DLPAR op is running */
	VT_LMB_MISMATCH,		/* any other disagreement */
};
const char *vt_lmb_state_name(enum vt_lmb_state s);

struct vt_lmb_row {
	uint64_t base, size;
	uint32_t drc_index;
	int64_t dt, boot, drmem, crash_fdt;	/* flags; -1: not listed/unknown */
	unsigned nhist;
	int64_t hist[VT_LMB_HISTORY];		/* deadprops flags, newest first */
	unsigned nsections, present, online;
	uint64_t memblock;			/* bytes in memblock.memory */
	int64_t block_state;			/* memory block device: an enum
						 * vt_mb_state; -1 none */
	uint64_t crash_load;			/* bytes under elfcorehdr PT_LOADs */
	enum vt_lmb_state state;
};

struct vt_phys_span {
	uint64_t start, end;
};

struct vt_lmb_check {
	bool have_node;			/* false: not a pseries DLPAR tree */
	struct vt_dt *live, *boot;
	const char *prop_name;		/* the live LMB property */
	uint64_t lmb_size;
	size_t n;
	struct vt_lmb_row *rows;
	size_t ngen;			/* deadprops generations of the property */
	bool have_boot, have_drmem, have_sections, have_memblock, have_crash,
	     have_blocks;
	char boot_err[256], drmem_err[256], sections_err[256], memblock_err[256],
	     crash_err[256], blocks_err[256];
	struct vt_crashimage crash;
	size_t in_flight, stale, mismatch;
	/* elfcorehdr PT_LOAD parts over memory with no present section */
	size_t nbad_loads;
	uint64_t bad_loads_omitted;
	struct vt_phys_span bad_loads[VT_LMB_MAX_BAD_LOADS];
};

/*
 * Build the check. m may be NULL (no memmap: sections unknown). Errors when
 * the live tree cannot be read; a tree without the node gives have_node false.
 */
struct vt_error *vt_lmb_check_build(struct vt_target *t, struct vt_symbols *s,
				    struct vt_memmap *m, struct vt_lmb_check *ret);
void vt_lmb_check_deinit(struct vt_lmb_check *c);

/*
 * The class C rule for one row (sets r->state, counts into c): in flight
 * (DRMEM_LMB_RESERVED) first, then firmware-reserved, unknown without
 * dt/drmem/sections, mismatch when only part of the LMB is present,
 * STALE-DT for dt=1 dr=0 P=0 or dt=0 dr=1 P=1, ok when all agree.
 */
void vt_lmb_classify(struct vt_lmb_check *c, struct vt_lmb_row *r);

/*
 * Parts of a crash image's PT_LOAD ranges that no present section backs
 * (pfn_valid at subsection granularity): the capture kernel will fault
 * reading them. Any arch.
 */
void vt_crash_bad_loads(const struct vt_crashimage *c, const struct vt_memmap *m,
			struct vt_phys_span *out, size_t max, size_t *n_ret,
			uint64_t *omitted_ret);

#endif
