/*
 * The structural checks run on every dump before libkdumpfile sees it:
 * ELF program headers and kdump-compressed header/bitmaps/page descriptors.
 * Both checks run on every input (each rejects the other's format quickly).
 */
#include "target/dumpcheck.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd("dumpcheck", data, size);

	if (fd < 0)
		return 0;
	vt_error_destroy(vt_dumpcheck_elf(fd));
	vt_error_destroy(vt_dumpcheck_diskdump(fd, NULL));
	close(fd);
	return 0;
}
