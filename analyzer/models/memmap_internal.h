/* Shared between the memmap files; not a public interface. */
#ifndef VT_MEMMAP_INTERNAL_H
#define VT_MEMMAP_INTERNAL_H

#include "models/memmap.h"

#define VT_MAX_NODES 1024
#define VT_MAX_PAGEFLAGS 64
#define VT_OFF_UNKNOWN UINT32_MAX

struct vt_memmap {
	struct vt_target *t;
	struct vt_symbols *s;
	bool be;
	struct vt_memmap_geometry geo;
	/* struct page member offsets; VT_OFF_UNKNOWN: the member is not known */
	uint32_t off_flags, off_compound_head, off_mapping, off_index,
		 off_private, off_mapcount, off_refcount;
	struct vt_pagetype_encoding pt;
	struct vt_section *sections;
	size_t nsections;
	bool maps_sorted;	/* memmaps ascend with nr and do not overlap */
	struct vt_node *nodes;
	size_t nnodes;
	const char *flag_names[VT_MAX_PAGEFLAGS];
	unsigned nflags;
	unsigned char *buf;	/* scan buffer */
	size_t buf_size;
};

/* memmap_nodes.c */
struct vt_error *vt_memmap_load_nodes(struct vt_memmap *m);
void vt_memmap_load_flag_names(struct vt_memmap *m);
void vt_memmap_decode(const struct vt_memmap *m, uint64_t pfn, uint64_t addr,
		      const unsigned char *raw, struct vt_page *p);
/* n consecutive struct pages from pfn (at addr, bytes at raw) into p[0..n). */
void vt_memmap_decode_run(const struct vt_memmap *m, uint64_t pfn, uint64_t addr,
			  const unsigned char *raw, size_t n, struct vt_page *p);

/* Member offset from the dump's types, else VMCOREINFO, else dflt. */
uint32_t vt_memmap_offset(struct vt_memmap *m, const char *type,
			  const char *member, uint32_t dflt, bool *known);
int64_t vt_memmap_constant(struct vt_memmap *m, const char *name, int64_t dflt);

#endif
