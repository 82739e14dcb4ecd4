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
_Static_assert(DDH_SIZE == VT_DUMP_HEADER_BYTES, "disk_dump_header size");

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

void vt_dump_range_add(struct vt_dump_range *r, size_t *n, uint64_t *omitted,
		       uint64_t start, uint64_t end)
{
	struct vt_dump_range *last = *n ? &r[*n - 1] : NULL;

	if (start >= end)
		return;
	if (last && last->start <= start && start <= last->end) {
		if (end > last->end)
			last->end = end;
		return;
	}
	if (*n == VT_DUMPCHECK_MAX_MISSING) {
		(*omitted)++;
		return;
	}
	r[(*n)++] = (struct vt_dump_range){ start, end };
}

static void add_missing(struct vt_dump_cut *cut, uint64_t start, uint64_t end)
{
	cut->cut = true;
	vt_dump_range_add(cut->missing, &cut->nmissing, &cut->missing_omitted, start, end);
}

bool vt_elf_note_next(const unsigned char *buf, size_t len, bool be, size_t *at,
		      struct vt_elf_note *ret)
{
	size_t o = *at, desc;

	if (o > len || len - o < 12)
		return false;
	ret->namesz = vt_load32(buf + o, be);
	ret->descsz = vt_load32(buf + o + 4, be);
	ret->type = vt_load32(buf + o + 8, be);
	if (ret->namesz > len - o - 12)
		return false;
	desc = o + 12 + ((ret->namesz + 3ull) & ~3ull);
	if (desc > len || ret->descsz > len - desc)
		return false;
	ret->name = buf + o + 12;
	ret->desc = buf + desc;
	*at = desc + ((ret->descsz + 3ull) & ~3ull);	/* past len: the next call ends */
	return true;
}

/*
 * A VMCOREINFO line that starts with '.' makes libkdumpfile 0.5.1 crash
 * while it opens the dump (found by fuzz_dump); the kernel never writes
 * one (its lines are KEY=VALUE, keys OSRELEASE, SYMBOL(...), ...): such a
 * note is corrupt, and the dump is refused before libkdumpfile reads it.
 */
static struct vt_error *check_vmcoreinfo_lines(const unsigned char *p, size_t len)
{
	unsigned line = 1;

	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || p[i - 1] == '\n') && p[i] == '.')
			return vt_error_create(VT_ERR_FORMAT, "VMCOREINFO line %u starts with '.': "
					       "not a kernel's (the note is corrupt)", line);
		line += p[i] == '\n';
	}
	return NULL;
}

/* The VMCOREINFO notes of a PT_NOTE segment (at most 1 MiB is looked at). */
static struct vt_error *check_notes(int fd, uint64_t off, uint64_t len, bool be)
{
	unsigned char *buf;
	size_t at = 0, n = len < (1u << 20) ? (size_t)len : (1u << 20);
	struct vt_elf_note note;
	struct vt_error *err = NULL;

	if (!n || !(buf = malloc(n)))
		return NULL;
	if (pread(fd, buf, n, (off_t)off) != (ssize_t)n) {
		free(buf);
		return NULL;	/* libkdumpfile reports an unreadable note */
	}
	while (!err && vt_elf_note_next(buf, n, be, &at, &note))
		if (note.namesz >= 10 && memcmp(note.name, "VMCOREINFO", 10) == 0)
			err = check_vmcoreinfo_lines(note.desc, note.descsz);
	free(buf);
	return err;
}

struct vt_error *vt_dumpcheck_elf(int fd, struct vt_dump_cut *cut)
{
	uint64_t size = file_size(fd);
	Elf64_Ehdr eh;
	bool be;

	memset(cut, 0, sizeof(*cut));
	cut->file_size = cut->need = size;

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
		if (type == PT_LOAD && (off > size || filesz > size - off)) {
			uint64_t paddr = vt_load64(&ph.p_paddr, be);
			uint64_t have = off < size ? size - off : 0;

			if (off + filesz > cut->need)
				cut->need = off + filesz;
			add_missing(cut, paddr + have, paddr + filesz);
			continue;
		}
		if (type == PT_NOTE && off <= size && filesz <= size - off) {
			struct vt_error *err = check_notes(fd, off, filesz, be);

			if (err)
				return err;
		}
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

/* Descriptors read a chunk at a time while the bitmap is walked. */
#define PD_CHUNK 4096

/*
 * The cut dump's missing pages: walk the dumped-pages bitmap in pfn order
 * beside the page descriptors (dumped page i has descriptor i); a page is
 * missing when its descriptor or its data lies past the end of the file. A
 * range spans the pfns between missing pages that the dump never held, and
 * those whose data is a copy stored earlier for several pages (makedumpfile
 * writes each page's own data in pfn order: after the cut only such shared
 * copies remain; reads of them are refused with the range, a small loss for
 * one range per cut).
 * Only run on a dump already known to be cut.
 */
static struct vt_error *scan_missing(int fd, bool be, uint32_t block_size,
				     uint64_t bitmap2_off, uint64_t bitmap2_len,
				     uint64_t pd_off, uint64_t ndumped, struct vt_dump_cut *cut)
{
	uint64_t size = cut->file_size, idx = 0, run_start = 0, run_end = 0;
	uint64_t pd_have = size > pd_off ? (size - pd_off) / PAGE_DESC_SIZE : 0;
	unsigned char *bm = malloc(1 << 16), *pd = malloc(PD_CHUNK * PAGE_DESC_SIZE);
	uint64_t pd_first = UINT64_MAX;		/* descriptor index of pd[0] */
	uint64_t data_end = 0;			/* the furthest page data read so far */
	bool in_run = false, shared;

	if (!bm || !pd) {
		free(bm);
		free(pd);
		return &vt_enomem;
	}
	for (uint64_t done = 0; done < bitmap2_len && idx < ndumped;) {
		size_t n = bitmap2_len - done < (1 << 16) ? bitmap2_len - done : (1 << 16);

		if (pread(fd, bm, n, (off_t)(bitmap2_off + done)) != (ssize_t)n) {
			free(bm);
			free(pd);
			return vt_error_create(VT_ERR_IO, "reading the kdump bitmap");
		}
		for (size_t byte = 0; byte < n; byte++) {
			for (unsigned bit = 0; bm[byte] >> bit; bit++) {
				uint64_t pfn = (done + byte) * 8 + bit;
				bool missing = idx >= pd_have;

				if (!(bm[byte] >> bit & 1))
					continue;
				shared = false;
				if (!missing) {
					if (idx - pd_first >= PD_CHUNK || pd_first == UINT64_MAX) {
						uint64_t k = pd_have - idx < PD_CHUNK ? pd_have - idx :
							     PD_CHUNK;

						pd_first = idx;
						if (pread(fd, pd, k * PAGE_DESC_SIZE,
							  (off_t)(pd_off + idx * PAGE_DESC_SIZE)) !=
						    (ssize_t)(k * PAGE_DESC_SIZE)) {
							missing = true;
							pd_first = UINT64_MAX;
						}
					}
					if (!missing) {
						const unsigned char *d = pd + (idx - pd_first) *
									  PAGE_DESC_SIZE;
						uint64_t off = vt_load64(d, be);
						uint32_t len = vt_load32(d + 8, be);

						missing = off > size || len > size - off;
						/* Data behind what earlier pages used: a
						 * copy pages share (the zero page's). */
						shared = off + len <= data_end;
						if (!missing && off + len > data_end)
							data_end = off + len;
					}
				}
				idx++;
				/* A run of missing pages goes on over pfns the dump
				 * never had (holes, filtered pages): one range. */
				if (missing && in_run) {
					run_end = pfn + 1;
				} else if (missing) {
					in_run = true;
					run_start = pfn;
					run_end = pfn + 1;
				} else if (in_run && !shared) {
					add_missing(cut, run_start * block_size, run_end * block_size);
					in_run = false;
				}
			}
		}
		done += n;
	}
	if (in_run)
		add_missing(cut, run_start * block_size, run_end * block_size);
	free(bm);
	free(pd);
	return NULL;
}

/*
 * kdump_sub_header (block 1) of a 64-bit dump: phys_base 0, dump_level 8,
 * split 12 (version 2+), start_pfn 16 and end_pfn 24 (version 2+; the
 * 64-bit start_pfn_64 80, end_pfn_64 88 and max_mapnr_64 96 from version 6).
 */
#define SUB_SPLIT 12
#define SUB_START_PFN 16
#define SUB_END_PFN 24
#define SUB_START_PFN_64 80
#define SUB_END_PFN_64 88
#define SUB_MAX_MAPNR_64 96
#define SUB_SIZE 104

static void read_piece(int fd, const unsigned char *h, uint32_t version, bool be,
		       uint32_t block_size, struct vt_dump_piece *piece)
{
	unsigned char sub[SUB_SIZE];
	uint32_t v = be ? __builtin_bswap32(version) : version;	/* read little-endian */

	memset(piece, 0, sizeof(*piece));
	memcpy(piece->header, h, sizeof(piece->header));
	piece->max_mapnr = vt_load32(h + DDH_MAX_MAPNR, be);
	if (v < 2 || pread(fd, sub, sizeof(sub), block_size) != (ssize_t)sizeof(sub))
		return;
	piece->split = vt_load32(sub + SUB_SPLIT, be) != 0;
	piece->start_pfn = vt_load64(sub + (v >= 6 ? SUB_START_PFN_64 : SUB_START_PFN), be);
	piece->end_pfn = vt_load64(sub + (v >= 6 ? SUB_END_PFN_64 : SUB_END_PFN), be);
	if (v >= 6)
		piece->max_mapnr = vt_load64(sub + SUB_MAX_MAPNR_64, be);
	if (piece->end_pfn < piece->start_pfn || piece->end_pfn > piece->max_mapnr ||
	    piece->max_mapnr > UINT64_MAX / block_size)
		piece->split = false;	/* nonsense: read it as one whole file */
}

struct vt_error *vt_dumpcheck_diskdump(int fd, uint32_t *block_size_ret,
				       struct vt_dump_cut *cut, struct vt_dump_piece *piece)
{
	uint64_t size = file_size(fd), bitmap_off, bitmap_len, pd_off, ndumped = 0;
	unsigned char h[DDH_SIZE], pd[PAGE_DESC_SIZE];
	uint32_t block_size, sub_hdr, bitmap_blocks, version;
	unsigned char *bm;
	bool be;

	memset(cut, 0, sizeof(*cut));
	cut->file_size = cut->need = size;
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
	if (piece)
		read_piece(fd, h, version, be, block_size, piece);
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
	cut->need = pd_off + ndumped * PAGE_DESC_SIZE;
	if (cut->need <= size) {
		/*
		 * The data ends where the last page's does; identical pages share
		 * one copy (e.g. every zero page the first one's), so the end is
		 * the furthest of the last descriptors, not the last one alone.
		 */
		for (uint64_t i = ndumped, k = 0; i > 0 && k < PD_CHUNK; i--, k++) {
			if (pread(fd, pd, sizeof(pd), (off_t)(pd_off + (i - 1) * PAGE_DESC_SIZE)) !=
			    (ssize_t)sizeof(pd))
				return vt_error_create(VT_ERR_IO, "reading page descriptor %" PRIu64,
						       i - 1);
			uint64_t end = vt_load64(pd, be) + vt_load32(pd + 8, be);

			if (end > cut->need)
				cut->need = end;
		}
	}
	if (cut->need <= size)
		return NULL;
	return scan_missing(fd, be, block_size, bitmap_off + bitmap_len / 2, bitmap_len / 2,
			    pd_off, ndumped, cut);
}

static int by_start_pfn(const void *a, const void *b)
{
	const struct vt_dump_piece *x = a, *y = b;

	return x->start_pfn < y->start_pfn ? -1 : x->start_pfn > y->start_pfn;
}

void vt_dump_split_ranges(const struct vt_dump_piece *pieces, size_t n, uint32_t block_size,
			  struct vt_dump_split *ret)
{
	struct vt_dump_piece sorted[VT_DUMPCHECK_MAX_MISSING];
	uint64_t covered = 0, bs = block_size;

	memset(ret, 0, sizeof(*ret));
	if (n > VT_DUMPCHECK_MAX_MISSING)
		n = VT_DUMPCHECK_MAX_MISSING;
	ret->npieces = (unsigned)n;
	memcpy(sorted, pieces, n * sizeof(*pieces));
	qsort(sorted, n, sizeof(*sorted), by_start_pfn);
	for (size_t i = 0; i < n; i++)
		if (sorted[i].max_mapnr > ret->max_mapnr)
			ret->max_mapnr = sorted[i].max_mapnr;
	if (!bs || ret->max_mapnr > UINT64_MAX / bs)
		return;		/* not a real dump's size: nothing to say */
	for (size_t i = 0; i < n; i++) {
		vt_dump_range_add(ret->held, &ret->nheld, &ret->omitted, sorted[i].start_pfn * bs,
			  sorted[i].end_pfn * bs);
		if (sorted[i].start_pfn > covered)
			vt_dump_range_add(ret->missing, &ret->nmissing, &ret->omitted, covered * bs,
				  sorted[i].start_pfn * bs);
		if (sorted[i].end_pfn > covered)
			covered = sorted[i].end_pfn;
	}
	vt_dump_range_add(ret->missing, &ret->nmissing, &ret->omitted, covered * bs,
		  ret->max_mapnr * bs);
}
