#include "target/sniff.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

enum vt_file_kind vt_target_sniff(const char *path)
{
	unsigned char h[EI_NIDENT + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	unsigned type;

	if (fd < 0)
		return VT_FILE_OTHER;
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n >= 12 && !memcmp(h, "makedumpfile", 12))
		return VT_FILE_FLATTENED;
	if (n >= 8 && (!memcmp(h, "KDUMP   ", 8) || !memcmp(h, "DISKDUMP", 8)))
		return VT_FILE_KDUMP;
	if (n != (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return VT_FILE_OTHER;
	type = h[EI_DATA] == ELFDATA2MSB ? (unsigned)h[EI_NIDENT] << 8 | h[EI_NIDENT + 1] :
	       (unsigned)h[EI_NIDENT + 1] << 8 | h[EI_NIDENT];
	return type == ET_CORE ? VT_FILE_ELF_CORE :
	       type == ET_EXEC || type == ET_DYN ? VT_FILE_ELF_EXEC : VT_FILE_OTHER;
}
