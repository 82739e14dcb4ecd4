/*
 * Memory block devices (/sys/devices/system/memory/memoryN): the kernel's
 * `memory_blocks` xarray of struct memory_block, indexed by block id.
 */
#ifndef VT_MEMDEV_H
#define VT_MEMDEV_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "symbols/symbols.h"
#include "target.h"

#define VT_MAX_MEMORY_BLOCKS 65536

struct vt_memory_block {
	uint64_t id;			/* memoryN */
	uint64_t addr;			/* struct memory_block */
	uint64_t start_section_nr;
	uint64_t state;			/* MEM_ONLINE 1, MEM_GOING_OFFLINE 2, MEM_OFFLINE 4 */
	int nid, online_type;
};

/* "online", "offline", "going-offline", or "unknown". */
const char *vt_memory_block_state_name(uint64_t state);

struct vt_error *vt_memory_blocks_read(struct vt_target *t, struct vt_symbols *s,
				       struct vt_memory_block **ret, size_t *nret);

#endif
