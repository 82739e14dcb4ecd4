#ifndef VT_MEMMAP_RANGES_H
#define VT_MEMMAP_RANGES_H

#include <stdbool.h>

#include "models/memmap.h"

/* Print the merged physical map (memmap --ranges); returns an exit status. */
int vt_memmap_print_ranges(struct vt_target *t, struct vt_symbols *s,
			   struct vt_memmap *m, bool json);

#endif
