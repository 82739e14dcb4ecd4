/*
 * Layouts: ELF64 (elf.h); kdump-compressed per makedumpfile's diskdump_mod.h
 * facts: block 0 the disk_dump_header, then sub_hdr_size blocks of sub-header,
 * bitmap_blocks blocks of two bitmaps (the second marks dumped pages), then
 * one 24-byte page_desc {u64 offset; u32 size; u32 flags; u64 page_flags}
 * per dumped page, then the page data.
 */
#include "target/dumpcheck.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/byteorder.h"

#define PAGE_DESC_SIZE 24
/* disk_dump_header: 8 signature, 4 version, 6*65 utsname, pad to 8, 16 timeval */
#define DDH_UTSNAME_END (12 + 6 * 65)
#define DDH_TIMESTAMP (((DDH_UTSNAME_END) + 7) & ~7)
#define DDH_STATUS (DDH_TIMESTAMP + 16)
#define DDH_BLOCK_SIZE (DDH_STATUS + 4)
#define DDH_SUB_HDR_SIZE (DDH_BLOCK_SIZE + 4)
#define DDH_BITMAP_BLOCKS (DDH_SUB_HDR_SIZE + 4)
#define DDH_MAX_MAPNR (DDH_BITMAP_BLOCKS + 4)
#define DDH_SIZE (DDH_MAX_MAPNR + 4)

static uint64_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static struct vt_error *truncated(uint64_t need, uint64_t have, const char *what)
{
	return vt_error_create(VT_ERR_FORMAT,
		"truncated: %s needs %" PRIu64 " bytes but the file has %" PRIu64,
		what, need, have);
}

struct vt_error *vt_dumpcheck_elf(int fd)
{
	uint64_t size = file_size(fd);
	Elf64_Ehdr eh;
	bool be;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
		return truncated(sizeof(eh), size, "the ELF header");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return NULL;	/* libkdumpfile judges 32-bit dumps itself */
	be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	uint64_t phoff = vt_load64(&eh.e_phoff, be);
	uint16_t phnum = vt_load16(&eh.e_phnum, be);
	uint16_t phentsize = vt_load16(&eh.e_phentsize, be);

	if (phentsize != sizeof(Elf64_Phdr))
		return vt_error_create(VT_ERR_FORMAT, "ELF e_phentsize is %u, not %zu",
				       phentsize, sizeof(Elf64_Phdr));
	if (phoff > size || (uint64_t)phnum * phentsize > size - phoff)
		return truncated(phoff + (uint64_t)phnum * phentsize, size,
				 "the ELF program headers");
	for (unsigned i = 0; i < phnum; i++) {
		Elf64_Phdr ph;
		uint32_t type;
		uint64_t off, filesz;

		if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return vt_error_create(VT_ERR_IO, "reading program header %u: %s",
					       i, strerror(errno));
		type = vt_load32(&ph.p_type, be);
		off = vt_load64(&ph.p_offset, be);
		filesz = vt_load64(&ph.p_filesz, be);
		if (type != PT_LOAD && type != PT_NOTE)
			continue;
		if (off > size || filesz > size - off) {
			char what[96];

			snprintf(what, sizeof(what), "%s segment %u (physical 0x%" PRIx64 ")",
				 type == PT_LOAD ? "PT_LOAD" : "PT_NOTE", i,
				 vt_load64(&ph.p_paddr, be));
			return truncated(off + filesz, size, what);
		}
	}
	return NULL;
}

struct vt_error *vt_dumpcheck_diskdump(int fd, uint32_t *block_size_ret)
{
	uint64_t size = file_size(fd), bitmap_off, bitmap_len, pd_off, ndumped = 0;
	unsigned char h[DDH_SIZE], pd[PAGE_DESC_SIZE];
	uint32_t block_size, sub_hdr, bitmap_blocks, version;
	unsigned char *bm;
	bool be;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return truncated(sizeof(h), size, "the kdump header");
	/* The header is in the dumped machine's byte order; the version is small. */
	version = vt_le32(h + 8);
	be = version > 0xffff;
	block_size = vt_load32(h + DDH_BLOCK_SIZE, be);
	sub_hdr = vt_load32(h + DDH_SUB_HDR_SIZE, be);
	bitmap_blocks = vt_load32(h + DDH_BITMAP_BLOCKS, be);
	if (block_size < 512 || block_size > (1u << 20) || (block_size & (block_size - 1)))
		return vt_error_create(VT_ERR_FORMAT, "kdump header: bad block size %u",
				       block_size);
	if (block_size_ret)
		*block_size_ret = block_size;
	bitmap_off = (1ull + sub_hdr) * block_size;
	bitmap_len = (uint64_t)bitmap_blocks * block_size;
	if (bitmap_len == 0 || bitmap_len > (1ull << 32) ||
	    bitmap_off + bitmap_len > size)
		return truncated(bitmap_off + bitmap_len, size, "the kdump bitmaps");
	/* Count dumped pages in the second bitmap, a bounded chunk at a time. */
	bm = malloc(1 << 20);
	if (!bm)
		return &vt_enomem;
	for (uint64_t done = 0; done < bitmap_len / 2;) {
		size_t n = bitmap_len / 2 - done < (1 << 20) ? bitmap_len / 2 - done : (1 << 20);

		if (pread(fd, bm, n, (off_t)(bitmap_off + bitmap_len / 2 + done)) != (ssize_t)n) {
			free(bm);
			return vt_error_create(VT_ERR_IO, "reading the kdump bitmap");
		}
		for (size_t i = 0; i < n; i += 8) {	/* 8 bytes a count */
			uint64_t w = 0;

			memcpy(&w, bm + i, n - i < 8 ? n - i : 8);
			ndumped += __builtin_popcountll(w);
		}
		done += n;
	}
	free(bm);
	pd_off = bitmap_off + bitmap_len;
	if (ndumped == 0)
		return NULL;
	if (pd_off + ndumped * PAGE_DESC_SIZE > size)
		return truncated(pd_off + ndumped * PAGE_DESC_SIZE, size,
				 "the kdump page descriptor table");
	if (pread(fd, pd, sizeof(pd), (off_t)(pd_off + (ndumped - 1) * PAGE_DESC_SIZE)) !=
	    (ssize_t)sizeof(pd))
		return vt_error_create(VT_ERR_IO, "reading the last page descriptor");
	uint64_t last_off = vt_load64(pd, be);
	uint32_t last_size = vt_load32(pd + 8, be);

	/* Identical pages share one copy, so the last page need not be last. */
	if (last_off > size || last_size > size - last_off)
		return truncated(last_off + last_size, size, "the last dumped page");
	return NULL;
}
