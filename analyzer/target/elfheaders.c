/*
 * An ELF dump's own ELF header and program headers, unmerged, for the
 * models that read them as a table (crashimage: the capture kernel's
 * /proc/vmcore is its elfcorehdr's PT_LOADs one for one).
 */
#include <elf.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/byteorder.h"
#include "target/target_internal.h"

struct vt_error *vt_target_elf_headers(struct vt_target *t, void **buf_ret, size_t *len_ret)
{
	int fd = t->flat_fd >= 0 ? t->flat_fd : t->fd;
	unsigned char eh[sizeof(Elf64_Ehdr)], *b;
	uint64_t phoff;
	uint16_t phentsize, phnum;
	size_t len;
	bool be;

	*buf_ret = NULL;
	*len_ret = 0;
	if (strcmp(t->format, "elf") != 0 || fd < 0)
		return vt_error_create(VT_ERR_UNSUPPORTED, "the dump is not an ELF file (%s)",
				       t->format);
	if (pread(fd, eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh, ELFMAG, SELFMAG) != 0 || eh[EI_CLASS] != ELFCLASS64)
		return vt_error_create(VT_ERR_FORMAT, "not a 64-bit ELF file");
	be = eh[EI_DATA] == ELFDATA2MSB;
	phoff = vt_load64(eh + offsetof(Elf64_Ehdr, e_phoff), be);
	phentsize = vt_load16(eh + offsetof(Elf64_Ehdr, e_phentsize), be);
	phnum = vt_load16(eh + offsetof(Elf64_Ehdr, e_phnum), be);
	if (phentsize != sizeof(Elf64_Phdr) || phnum == 0 || phnum == PN_XNUM)
		return vt_error_create(VT_ERR_FORMAT, "bad ELF program header table");
	/* bounded: at most 65534 entries of 56 bytes */
	len = sizeof(eh) + (size_t)phnum * phentsize;
	if (!(b = malloc(len)))
		return &vt_enomem;
	if (pread(fd, b + sizeof(eh), len - sizeof(eh), (off_t)phoff) != (ssize_t)(len - sizeof(eh))) {
		free(b);
		return vt_error_create(VT_ERR_FORMAT, "the ELF program headers (%u at 0x%" PRIx64
				       ") are truncated", phnum, phoff);
	}
	memcpy(b, eh, sizeof(eh));
	vt_store64(b + offsetof(Elf64_Ehdr, e_phoff), sizeof(eh), be);
	*buf_ret = b;
	*len_ret = len;
	return NULL;
}
