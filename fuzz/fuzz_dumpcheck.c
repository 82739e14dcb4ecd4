/*
 * The structural checks run on every dump before libkdumpfile sees it:
 * ELF program headers and kdump-compressed header/bitmaps/page descriptors,
 * and the missing ranges of a dump cut short.
 * Both checks run on every input (each rejects the other's format quickly).
 */
#include "target/dumpcheck.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = fuzz_memfd("dumpcheck", data, size);
	struct vt_dump_cut cut;
	struct vt_dump_piece piece;
	struct vt_dump_split split;

	if (fd < 0)
		return 0;
	vt_error_destroy(vt_dumpcheck_elf(fd, &cut));
	if (cut.nmissing > VT_DUMPCHECK_MAX_MISSING)
		__builtin_trap();
	vt_error_destroy(vt_dumpcheck_diskdump(fd, NULL, &cut, &piece));
	for (size_t i = 0; i < cut.nmissing; i++)
		if (cut.missing[i].start >= cut.missing[i].end)
			__builtin_trap();	/* ranges are never empty */
	vt_dump_split_ranges(&piece, 1, 4096, &split);
	for (size_t i = 0; i < split.nmissing; i++)
		if (split.missing[i].start >= split.missing[i].end)
			__builtin_trap();
	close(fd);
	return 0;
}
