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

#endif
