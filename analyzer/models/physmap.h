/*
 * Firmware and boot memory maps: x86 e820 tables (e820_table,
 * e820_table_firmware, e820_table_kexec) and memblock (memory, reserved)
 * where the kernel keeps it after boot (ppc64; x86 discards it).
 */
#ifndef VT_PHYSMAP_H
#define VT_PHYSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_MAX_MAP_ENTRIES 8192

struct vt_map_entry {
	uint64_t start, end;		/* [start, end) physical */
	uint32_t type;			/* e820 type, or memblock flags */
	int nid;			/* memblock only; -1 otherwise */
};

struct vt_map {
	const char *name;		/* "e820_table", "memblock.memory", ... */
	size_t n;
	struct vt_map_entry *entries;
};

/* Read one e820 table by its pointer variable's name. */
struct vt_error *vt_e820_read(struct vt_target *t, struct vt_symbols *s,
			      const char *table, struct vt_map *ret);
/* memblock.memory or memblock.reserved ("memory"/"reserved"). */
struct vt_error *vt_memblock_read(struct vt_target *t, struct vt_symbols *s,
				  const char *which, struct vt_map *ret);
void vt_map_deinit(struct vt_map *map);

/* "RAM", "reserved", "ACPI", "NVS", "unusable", "PMEM", "PRAM", ... */
const char *vt_e820_type_name(uint32_t type);

#endif
