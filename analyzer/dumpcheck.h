/*
 * Structural checks a dump must pass before libkdumpfile reads it, so that a
 * truncated file is reported as truncated (not as "no data" on every read).
 */
#ifndef VT_DUMPCHECK_H
#define VT_DUMPCHECK_H

#include "error.h"

/* ELF core: program headers and every PT_LOAD/PT_NOTE inside the file. */
struct vt_error *vt_dumpcheck_elf(int fd);
/*
 * kdump-compressed ("KDUMP   " or "DISKDUMP"): bitmaps, the page descriptor
 * table and the last page's data inside the file.
 */
struct vt_error *vt_dumpcheck_diskdump(int fd);

#endif
