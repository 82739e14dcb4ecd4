/*
 * The device tree: the kernel's live tree (of_root, struct device_node and
 * struct property, with each node's deadprops history) and flattened blobs
 * (the boot FDT at initial_boot_params, a crash kernel's FDT segment), both
 * rebuilt into the same small tree so commands and plugins read them alike.
 *
 * Everything read from a dump is bounded: depth, node and property counts,
 * value lengths, name lengths; cyclic child/sibling/property lists are cut
 * (visited sets). What was cut or unreadable is listed in dt->problems, not
 * raised as an error: a damaged tree is still worth showing.
 */
#ifndef VT_DEVTREE_H
#define VT_DEVTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_DT_MAX_DEPTH 64
#define VT_DT_MAX_NODES 65536
#define VT_DT_MAX_PROPS 4096		/* per list (properties, deadprops) */
#define VT_DT_MAX_VALUE (1u << 20)	/* bytes kept of one property */
#define VT_DT_MAX_TOTAL (64u << 20)	/* bytes kept of all values */
#define VT_DT_MAX_NAME 256
#define VT_DT_MAX_PROBLEMS 64

struct vt_dt_prop {
	char *name;
	int64_t length;			/* as stored (may be negative: corrupt) */
	uint32_t have;			/* bytes in value: < length when capped */
	unsigned char *value;		/* have bytes (+1 NUL, for printing) */
	uint64_t addr;			/* struct property (live); blob offset (FDT) */
	uint64_t value_addr;		/* where the value lives (live) */
	struct vt_dt_prop *next;
};

struct vt_dt_node {
	char *name;			/* "memory@0"; "" for the root */
	char *path;			/* "/memory@0" */
	uint64_t addr;			/* struct device_node (live); offset (FDT) */
	uint32_t phandle;
	struct vt_dt_prop *props;
	struct vt_dt_prop *deadprops;	/* replaced/removed ones, newest first */
	size_t nprops, ndeadprops;
	struct vt_dt_node *parent, *child, *sibling;
	struct vt_dt_node *last_child_;	/* builder's append point */
	unsigned depth;
};

struct vt_dt_rsv {
	uint64_t addr, size;
};

struct vt_dt {
	const char *source;		/* "live tree (of_root)", "FDT", ... */
	uint64_t addr;			/* of_root / the blob's address */
	struct vt_dt_node *root;
	size_t nnodes, nprops;
	uint64_t value_bytes;
	/* FDT only: header facts and the memory reservation block */
	uint32_t fdt_version, fdt_totalsize, fdt_boot_cpuid;
	size_t nrsv;
	struct vt_dt_rsv *rsv;
	/* what was cut, capped or unreadable, one line each */
	size_t nproblems;
	uint64_t problems_omitted;
	char *problems[VT_DT_MAX_PROBLEMS];
};

/*
 * Offsets of the live tree's structures, from the dump's types. Kept apart
 * from vt_symbols so the walker can be unit-tested on hand-built memory.
 */
struct vt_dt_layout {
	bool big_endian;
	uint64_t node_name, node_phandle, node_full_name, node_properties,
		 node_deadprops, node_parent, node_child, node_sibling;
	uint64_t prop_name, prop_length, prop_value, prop_next;
};

/* Reads len bytes of kernel-virtual memory at addr. */
typedef struct vt_error *(*vt_dt_read_fn)(void *arg, uint64_t addr, void *buf,
					  size_t len);

struct vt_error *vt_dt_layout_from_symbols(struct vt_symbols *s, bool big_endian,
					   struct vt_dt_layout *ret);
/* Walk a live tree from its root device_node; errors only if root is unreadable. */
struct vt_error *vt_dt_walk_live(vt_dt_read_fn read, void *arg,
				 const struct vt_dt_layout *l, uint64_t root,
				 struct vt_dt **ret);
/* The dumped kernel's live tree (of_root). VT_ERR_NOT_FOUND: no device tree. */
struct vt_error *vt_dt_read_live(struct vt_target *t, struct vt_symbols *s,
				 struct vt_dt **ret);

/* A flattened tree (FDT, devicetree-specification v0.4) from bytes. */
struct vt_error *vt_dt_from_fdt(const void *blob, size_t len, struct vt_dt **ret);
/* The boot FDT the kernel unflattened (initial_boot_params). */
struct vt_error *vt_dt_read_boot(struct vt_target *t, struct vt_symbols *s,
				 struct vt_dt **ret);
/* An FDT at a physical address (a kexec segment), at most maxlen bytes. */
struct vt_error *vt_dt_read_fdt_phys(struct vt_target *t, uint64_t paddr,
				     uint64_t maxlen, struct vt_dt **ret);

void vt_dt_destroy(struct vt_dt *dt);

/* A node by path ("/", "/ibm,dynamic-reconfiguration-memory"); NULL if none. */
const struct vt_dt_node *vt_dt_find(const struct vt_dt *dt, const char *path);
const struct vt_dt_prop *vt_dt_prop(const struct vt_dt_node *n, const char *name);
/* The property value complete (have == length >= 0)? */
bool vt_dt_prop_complete(const struct vt_dt_prop *p);

#endif
