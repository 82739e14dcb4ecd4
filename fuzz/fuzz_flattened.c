/*
 * makedumpfile's flattened stream: the input is the stream (a memfd),
 * reassembled into another memfd, as vt_target_open does with a temp file.
 * The fuzzer mostly needs the 4096-byte header to be right, so an input
 * shorter than a header gets one prepended (the seeds are real streams).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "target/flattened.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = NULL;
	const uint8_t *in = data;
	size_t len = size;
	int in_fd, out_fd;
	uint64_t nrec;
	struct stat st;

	if (!vt_flattened_is(data, size)) {
		/* A valid header, then the input as the records. */
		buf = calloc(1, VT_FLAT_HEADER_SIZE + size);
		if (!buf)
			return 0;
		memcpy(buf, "makedumpfile", 12);
		buf[16 + 7] = 1;	/* be64 type 1 */
		buf[24 + 7] = 1;	/* be64 version 1 */
		memcpy(buf + VT_FLAT_HEADER_SIZE, data, size);
		in = buf;
		len = VT_FLAT_HEADER_SIZE + size;
	}
	in_fd = fuzz_memfd("flat-in", in, len);
	out_fd = memfd_create("flat-out", MFD_CLOEXEC);
	if (in_fd >= 0 && out_fd >= 0) {
		vt_error_destroy(vt_flattened_reassemble(in_fd, out_fd, &nrec));
		/* The documented bound: output extent within 2x input + 16 MiB. */
		if (fstat(out_fd, &st) == 0 &&
		    (uint64_t)st.st_size > 2 * (uint64_t)len + (16u << 20))
			abort();
	}
	if (in_fd >= 0)
		close(in_fd);
	if (out_fd >= 0)
		close(out_fd);
	free(buf);
	return 0;
}
