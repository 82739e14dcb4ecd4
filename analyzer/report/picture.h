/*
 * The memory-map picture of `vmtriage report --svg/--html`: the physical
 * address space as horizontal bands (sections with holes and hot-removed
 * ranges, zones, e820 or memblock, pseries LMBs) on a piecewise-log scale,
 * with the report's findings drawn at their addresses. Self-contained: no
 * scripts, fonts, styles or images from anywhere else.
 */
#ifndef VT_PICTURE_H
#define VT_PICTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "models/models.h"
#include "plugins/plugin.h"

struct vt_picture_result {
	const struct vt_plugin *p;
	const struct vt_result *res;
};

/* A coloured range of one band. */
struct vt_pic_seg {
	uint64_t start, end;
	int style;			/* index into the legend (picture_svg.c) */
	char label[48];			/* drawn inside when it fits */
	char title[320];		/* tooltip */
};

struct vt_pic_band {
	char name[32];
	size_t n, cap;
	struct vt_pic_seg *segs;
};

/* A finding with its location: physical (drawn) or only listed. */
struct vt_pic_finding {
	bool phys;
	uint64_t start, end;
	char cls;
	char plugin[24], verdict[16], kind[24];
	char where[96];			/* address text for the table */
	char detail[400];		/* the evidence fields */
};

#define VT_PIC_MAX_BANDS 8

struct vt_picture {
	char title[256], subtitle[256];
	size_t nbands;
	struct vt_pic_band bands[VT_PIC_MAX_BANDS];
	size_t nfindings, findings_cap;
	struct vt_pic_finding *findings;
	char notes[4][200];		/* what is missing, e.g. no memmap */
	size_t nnotes;
	unsigned page_shift;
};

/*
 * Collect the picture from the dump's models (without a memmap, sections
 * and zones are missing, with a note) and the report's results.
 */
struct vt_error *vt_picture_build(struct vt_target *t, struct vt_symbols *s,
				  struct vt_models *models, const struct vt_picture_result *r,
				  size_t nr, struct vt_picture *ret);
void vt_picture_deinit(struct vt_picture *pic);

/* Standalone SVG document; HTML page with the SVG inline, legend, tables. */
void vt_picture_svg(const struct vt_picture *pic, FILE *fp, bool standalone);
void vt_picture_html(const struct vt_picture *pic, FILE *fp);

/* Legend styles (fill colours and meanings), shared by model and renderer. */
enum {
	VT_PIC_BOOT, VT_PIC_HOTADDED, VT_PIC_OFFLINE, VT_PIC_DEVICE, VT_PIC_HOLE,
	VT_PIC_REMOVED, VT_PIC_EMPTY_SLOT,
	VT_PIC_ZONE_DMA, VT_PIC_ZONE_DMA32, VT_PIC_ZONE_NORMAL, VT_PIC_ZONE_MOVABLE,
	VT_PIC_ZONE_DEVICE, VT_PIC_ZONE_OTHER,
	VT_PIC_E820_RAM, VT_PIC_E820_RESERVED, VT_PIC_E820_ACPI, VT_PIC_E820_PMEM,
	VT_PIC_E820_OTHER, VT_PIC_MEMBLOCK,
	VT_PIC_LMB_OK, VT_PIC_LMB_FREE, VT_PIC_LMB_FIRMWARE, VT_PIC_LMB_STALE,
	VT_PIC_LMB_FLIGHT, VT_PIC_LMB_MISMATCH, VT_PIC_LMB_UNKNOWN,
	VT_PIC_FINDING,
	VT_PIC_NSTYLES
};

#endif
