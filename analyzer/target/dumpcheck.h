/*
 * Structural checks a dump must pass before libkdumpfile reads it, so that a
 * truncated file is reported as truncated (not as "no data" on every read).
 */
#ifndef VT_DUMPCHECK_H
#define VT_DUMPCHECK_H

#include <stdint.h>

#include "core/error.h"

/* ELF core: program headers and every PT_LOAD/PT_NOTE inside the file. */
struct vt_error *vt_dumpcheck_elf(int fd);
/*
 * kdump-compressed ("KDUMP   " or "DISKDUMP"): bitmaps, the page descriptor
 * table and the last page's data inside the file. *block_size_ret (if not
 * NULL) gets the header's block size, the unit of the file's page frames,
 * once the header has been read.
 */
struct vt_error *vt_dumpcheck_diskdump(int fd, uint32_t *block_size_ret);

#endif
