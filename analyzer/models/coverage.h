/*
 * The RAM the kernel had against the memory the dump holds (issue 17).
 *
 * An ELF vmcore written by a capture kernel holds what its elfcorehdr
 * lists, and kexec-tools builds that list from /proc/iomem's System RAM
 * when the crash kernel is loaded. Memory hot-added after the load, with
 * no reload on the hotplug event, is simply not in the dump (class C's
 * stale capture setup). The dumped kernel's own resource tree
 * (iomem_resource) still names that RAM: its System RAM that no PT_LOAD
 * covers is what the dump lacks. The crash kernel's own reservation
 * ("Crash kernel" under System RAM) is left out of dumps on purpose and is
 * not counted.
 *
 * ELF only: a kdump-compressed dump's bitmaps do not tell memory that was
 * never dumped from pages filtered out on purpose.
 */
#ifndef VT_COVERAGE_H
#define VT_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "models/memmap.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_MAX_MISSING_RAM 32
/* Resources read from the tree, at most (it is walked two levels deep). */
#define VT_MAX_RESOURCES 4096

struct vt_missing_ram {
	uint64_t start, end;		/* [start, end) physical */
	bool hot_added;			/* its sections are not early (boot) ones */
	char what[160];			/* "hot-added memory: sections 32-33, online" */
};

struct vt_ram_coverage {
	size_t nram;			/* System RAM resources */
	uint64_t ram_bytes;		/* their size, the crash kernel's excepted */
	uint64_t missing_bytes;
	size_t nmissing;
	uint64_t omitted;		/* ranges past the cap, counted */
	struct vt_missing_ram missing[VT_MAX_MISSING_RAM];
};

/*
 * Compare the System RAM of iomem_resource with the dump's data ranges.
 * mm (may be NULL) labels each missing range by its sections. Errors:
 * VT_ERR_UNSUPPORTED for a dump format that cannot tell (not ELF), else
 * what reading the tree met (a missing member is named, never guessed).
 */
struct vt_error *vt_ram_coverage_read(struct vt_target *t, struct vt_symbols *s,
				      const struct vt_memmap *mm, struct vt_ram_coverage *ret);

#endif
