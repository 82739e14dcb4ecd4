/*
 * Shared by the libFuzzer harnesses (fuzz/fuzz_*.c). Each harness defines
 * LLVMFuzzerTestOneInput only, so the same file links either with
 * -fsanitize=fuzzer (make fuzz, clang) or with fuzz/replay_main.c (make
 * check, gcc), which feeds it the saved crashers of tests/fuzz-regressions/.
 */
#ifndef VT_FUZZ_H
#define VT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An anonymous in-memory file holding len bytes (memfd: nothing touches
 * the disk, so the fuzzer's tens of thousands of runs a second cost no I/O).
 * Returns -1 on failure; the harness then skips the input.
 */
static inline int fuzz_memfd(const char *name, const void *data, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)data + done, len - done,
				   (off_t)done);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return fd;
}

/* Little-endian field readers over the fuzz input (never past its end). */
static inline uint64_t fuzz_take(const uint8_t **p, size_t *left, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes && *left; i++, (*p)++, (*left)--)
		v |= (uint64_t)**p << (8 * i);
	return v;
}

#endif
