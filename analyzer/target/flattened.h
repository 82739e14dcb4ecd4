/*
 * makedumpfile's "flattened" format: the stream makedumpfile -F (and QEMU's
 * kdump-zlib output) writes when it cannot seek. A 4096-byte header
 * ("makedumpfile", type 1, version 1) is followed by records
 * {be64 offset, be64 size, size bytes} and an end record {-1, -1}.
 * Reassembling writes every record at its offset, as `makedumpfile -R` does.
 */
#ifndef VT_FLATTENED_H
#define VT_FLATTENED_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"

#define VT_FLAT_HEADER_SIZE 4096

/* True when the first bytes of a file are a flattened-format header. */
bool vt_flattened_is(const void *head, size_t len);

/*
 * Copy the records of the flattened stream in_fd (positioned anywhere; read
 * with pread) into out_fd at their offsets. The output's extent is bounded
 * by twice the input size, so a corrupt offset cannot make a huge file.
 */
struct vt_error *vt_flattened_reassemble(int in_fd, int out_fd,
					 uint64_t *nrecords_ret);

#endif
