/*
 * A dump's vmlinux from debuginfod servers, by the kernel's build-id, as
 * gdb, crash and drgn find debuginfo: elfutils' libdebuginfod, its server
 * list (DEBUGINFOD_URLS) and its cache (DEBUGINFOD_CACHE_PATH, default
 * ~/.cache/debuginfod_client), which later runs reuse without a network.
 */
#ifndef VT_SYMBOLS_DEBUGINFOD_H
#define VT_SYMBOLS_DEBUGINFOD_H

#include <stdbool.h>

#include "core/error.h"

/* Servers to ask: urls when non-NULL, else $DEBUGINFOD_URLS; NULL if none. */
const char *vt_debuginfod_urls(const char *urls);

/*
 * The vmlinux (the -dbg file: DWARF, symbols) of build_id (hex) from urls
 * (as vt_debuginfod_urls); *path_ret is its file in the cache, for free().
 * progress: a line on stderr while it downloads. Errors: VT_ERR_NOT_FOUND
 * (no server, or none has it), VT_ERR_IO (the server could not be asked).
 */
struct vt_error *vt_debuginfod_vmlinux(const char *urls, const char *build_id, bool progress,
				       char **path_ret);

#endif
