/* Builders shared by the live-tree walker (devtree.c) and the FDT reader (fdt.c). */
#ifndef VT_DEVTREE_INTERNAL_H
#define VT_DEVTREE_INTERNAL_H

#include "devtree/devtree.h"

struct vt_dt *vt_dt_alloc(const char *source, uint64_t addr);
void vt_dt_problem(struct vt_dt *dt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A new node, last child of parent (NULL: the root); NULL on ENOMEM. */
struct vt_dt_node *vt_dt_node_add(struct vt_dt *dt, struct vt_dt_node *parent,
				  const char *name, uint64_t addr);
/*
 * Append a property at *tail (then advanced). value: have bytes, copied;
 * length is what the source claims. NULL on ENOMEM.
 */
struct vt_dt_prop *vt_dt_prop_add(struct vt_dt *dt, struct vt_dt_prop ***tail,
				  const char *name, const void *value, uint32_t have,
				  int64_t length, uint64_t addr);

#endif
