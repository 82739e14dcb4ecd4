/*
 * Memory maps the boot log printed, for kernels that discard memblock after
 * boot (x86 without ARCH_KEEP_MEMBLOCK): "Early memory node ranges" lines
 * ("  node   N: [mem 0x..-0x..]") give memblock.memory as it was when zones
 * were sized; "BIOS-e820:" and "user:" lines the firmware and memmap= maps.
 */
#ifndef VT_BOOTLOG_H
#define VT_BOOTLOG_H

#include "models/physmap.h"
#include "symbols/symbols.h"
#include "target/target.h"

/* which: "memblock" (node ranges), "BIOS-e820" or "user". */
struct vt_error *vt_bootlog_map(struct vt_target *t, struct vt_symbols *s,
				const char *which, struct vt_map *ret);

/*
 * memblock.memory as the arch keeps it: read from the kernel, or where the
 * kernel discards memblock after boot (x86: the arch's memblock_from_log)
 * rebuilt from the boot log's node ranges. *from_log says which.
 */
struct vt_error *vt_memblock_memory(struct vt_target *t, struct vt_symbols *s,
				    struct vt_map *ret, bool *from_log);

#endif
