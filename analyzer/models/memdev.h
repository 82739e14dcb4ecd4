/*
 * Memory block devices (/sys/devices/system/memory/memoryN): the kernel's
 * `memory_blocks` xarray of struct memory_block, indexed by block id.
 */
#ifndef VT_MEMDEV_H
#define VT_MEMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_MAX_MEMORY_BLOCKS 65536

/* memory_block.state, decoded by the dumped kernel's own encoding. */
enum vt_mb_state {
	VT_MB_UNKNOWN,			/* a value the kernel's encoding does not name */
	VT_MB_ONLINE,
	VT_MB_GOING_OFFLINE,
	VT_MB_OFFLINE,
};

struct vt_memory_block {
	uint64_t id;			/* memoryN */
	uint64_t addr;			/* struct memory_block */
	uint64_t start_section_nr;
	enum vt_mb_state state;
	uint64_t state_raw;		/* the member's value as stored */
	int nid, online_type;
};

/* "online", "offline", "going-offline", or "unknown". */
const char *vt_memory_block_state_name(enum vt_mb_state state);

struct vt_error *vt_memory_blocks_read(struct vt_target *t, struct vt_symbols *s,
				       struct vt_memory_block **ret, size_t *nret);

#endif
