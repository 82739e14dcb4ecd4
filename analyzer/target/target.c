#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elf.h>
#include <libkdumpfile/kdumpfile.h>

#include "core/byteorder.h"
#include "target/dumpcheck.h"
#include "target/flattened.h"
#include "target/kdumpc.h"
#include "target/target_internal.h"

static struct vt_error *kdump_error(struct vt_target *t, kdump_status st,
				    const char *what)
{
	const char *msg = t->kdump ? kdump_get_err(t->kdump) : NULL;

	return vt_error_create(st == KDUMP_ERR_NODATA ? VT_ERR_NODATA :
			       st == KDUMP_ERR_SYSTEM ? VT_ERR_IO :
			       VT_ERR_FORMAT,
			       "%s: %s", what, msg ? msg : kdump_strerror(st));
}

static int open_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char tmpl[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/var/tmp";	/* dumps can be large: avoid tmpfs /tmp */
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(tmpl, sizeof(tmpl), "%s/vmtriage-flat-XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

/*
 * libkdumpfile keeps the note as a blob under linux.vmcoreinfo.raw whether
 * or not an OS type was set (kdump_vmcoreinfo_raw() needs one).
 */
static struct vt_error *load_vmcoreinfo(struct vt_target *t)
{
	kdump_attr_t attr;
	struct vt_error *err;
	void *data;
	size_t size;

	attr.type = KDUMP_BLOB;
	if (kdump_get_typed_attr(t->kdump, "linux.vmcoreinfo.raw", &attr) != KDUMP_OK)
		return NULL;	/* a dump may lack it; callers check */
	data = kdump_blob_pin(attr.val.blob);
	size = kdump_blob_size(attr.val.blob);
	err = data ? vt_vmcoreinfo_parse(data, size, &t->vmcoreinfo) : NULL;
	kdump_blob_unpin(attr.val.blob);
	if (err)
		return vt_error_prefix(err, "VMCOREINFO");
	t->info.has_vmcoreinfo = data != NULL;
	return NULL;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct vt_kdc_seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/*
 * Paging dumps (QEMU's) list a physical page once per virtual mapping, so
 * segments overlap, out of order: trim each sorted segment to what the
 * ones before it do not cover (any copy of a page will do), leaving
 * disjoint ranges a binary search finds exactly.
 */
static void disjoint_segments(struct vt_target *t)
{
	uint64_t covered = 0;	/* end of what the kept segments hold */
	size_t out = 0;

	for (size_t i = 0; i < t->nsegs; i++) {
		struct vt_kdc_seg sg = t->segs[i];
		uint64_t end = sg.paddr + sg.filesz;

		if (end < sg.paddr)
			end = UINT64_MAX;	/* wraps: clip */
		if (out && end <= covered)
			continue;
		if (out && sg.paddr < covered) {
			sg.offset += covered - sg.paddr;
			sg.paddr = covered;
		}
		sg.filesz = end - sg.paddr;
		t->segs[out++] = sg;
		covered = end;
	}
	t->nsegs = out;
}

/*
 * The PT_LOAD table of a 64-bit ELF dump, sorted by physical address, for
 * direct reads. Segments were checked to lie inside the file at open.
 * Failure here only means reads go through libkdumpfile.
 */
static void load_elf_segments(struct vt_target *t)
{
	int fd = t->flat_fd >= 0 ? t->flat_fd : t->fd;
	Elf64_Ehdr eh;
	bool be;
	uint16_t phnum;
	uint64_t phoff;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
		return;
	be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	phnum = vt_load16(&eh.e_phnum, be);
	phoff = vt_load64(&eh.e_phoff, be);
	if (phnum == 0 || phnum == PN_XNUM)
		return;
	t->segs = calloc(phnum, sizeof(*t->segs));
	if (!t->segs)
		return;
	for (unsigned i = 0; i < phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph)) {
			free(t->segs);
			t->segs = NULL;
			t->nsegs = 0;
			return;
		}
		if (vt_load32(&ph.p_type, be) != PT_LOAD || !vt_load64(&ph.p_filesz, be))
			continue;
		t->segs[t->nsegs].paddr = vt_load64(&ph.p_paddr, be);
		t->segs[t->nsegs].filesz = vt_load64(&ph.p_filesz, be);
		t->segs[t->nsegs].offset = vt_load64(&ph.p_offset, be);
		t->nsegs++;
	}
	qsort(t->segs, t->nsegs, sizeof(*t->segs), cmp_seg);
	disjoint_segments(t);
}

/* QEMU's kdump-zlib names no architecture: then VMCOREINFO tells. */
static struct vt_error *detect_arch(struct vt_target *t)
{
	const struct vt_arch_ops *a;
	const char *name = NULL;
	kdump_num_t num;

	if (kdump_get_string_attr(t->kdump, KDUMP_ATTR_ARCH_NAME, &name) != KDUMP_OK ||
	    !name) {
		a = vt_arch_from_vmcoreinfo(&t->vmcoreinfo);
		if (!a)
			return vt_error_create(VT_ERR_UNSUPPORTED,
				"the dump names no architecture and VMCOREINFO does not tell");
		if (kdump_set_string_attr(t->kdump, KDUMP_ATTR_ARCH_NAME, a->kdump_name) != KDUMP_OK)
			return kdump_error(t, KDUMP_ERR_INVALID, "setting arch.name");
	} else if (!(a = vt_arch_by_name(name))) {
		return vt_error_create(VT_ERR_UNSUPPORTED, "architecture %s is not supported (%s)",
				       name, vt_arch_supported());
	}
	t->info.arch = a->arch;
	t->info.arch_ops = a;
	if (kdump_get_number_attr(t->kdump, KDUMP_ATTR_BYTE_ORDER, &num) == KDUMP_OK)
		t->info.big_endian = num == KDUMP_BIG_ENDIAN;
	if (kdump_get_number_attr(t->kdump, KDUMP_ATTR_PAGE_SIZE, &num) == KDUMP_OK)
		t->info.page_size = num > 0 && num <= UINT32_MAX ? (uint32_t)num : 0;
	else
		t->info.page_size = 4096;
	if (!vt_page_size_valid(t->info.page_size))
		return vt_error_create(VT_ERR_FORMAT, "page size %" PRIu32 ": not a power of two "
				       "from 4 KiB to 1 MiB", t->info.page_size);
	if (kdump_get_number_attr(t->kdump, KDUMP_ATTR_NUM_CPUS, &num) == KDUMP_OK)
		t->info.ncpus = (unsigned)num;
	return NULL;
}

/*
 * A kdump file's page frames are numbered in its header's block_size (read
 * by vt_dumpcheck_diskdump), which need not be the kernel's page size: QEMU
 * writes arm64 dumps in 64 KiB blocks for a 4 KiB kernel. Naming the arch
 * makes libkdumpfile adopt VMCOREINFO's PAGESIZE and read every page at the
 * wrong offset: give it the file's size back, and keep the kernel's for
 * translation. block_size stays set only where the two differ.
 */
static struct vt_error *keep_block_size(struct vt_target *t)
{
	uint32_t block = t->block_size;
	int64_t kpage;
	struct vt_error *err;

	t->block_size = 0;
	if (!block || block == t->info.page_size || block < 4096)
		return NULL;
	if (kdump_set_number_attr(t->kdump, KDUMP_ATTR_PAGE_SIZE, block) != KDUMP_OK)
		return kdump_error(t, KDUMP_ERR_INVALID, "setting the dump's block size");
	err = vt_vmcoreinfo_number(&t->vmcoreinfo, "", "PAGESIZE", &kpage);
	if (err || kpage < 4096 || kpage > block || (kpage & (kpage - 1))) {
		vt_error_destroy(err);
		kpage = t->info.page_size;
	}
	t->info.page_size = (uint32_t)kpage;
	t->block_size = block;
	return NULL;
}

/* A target with nothing open yet, named for messages; NULL on ENOMEM. */
kdump_ctx_t *vt_target_new_kdump(void)
{
	kdump_ctx_t *ctx = kdump_new();

	if (!ctx)
		return NULL;
	/* Let a missing-data read fail rather than return zeros. */
	kdump_set_number_attr(ctx, KDUMP_ATTR_ZERO_EXCLUDED, 0);
	/*
	 * read(2), not mmap(2): a file shrinking under us must not SIGBUS, and
	 * mapped dump pages would make the RSS grow with the dump. ELF dumps
	 * are read with pread(2) directly (load_elf_segments), which is fast.
	 */
	kdump_set_number_attr(ctx, KDUMP_ATTR_FILE_MMAP_POLICY, KDUMP_MMAP_NEVER);
	return ctx;
}

struct vt_target *vt_target_alloc(const char *name)
{
	struct vt_target *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fd = t->flat_fd = -1;
	t->path = strdup(name);
	if (!t->path) {
		free(t);
		return NULL;
	}
	t->info.path = t->path;
	t->info.release = t->release;
	t->info.format = t->format;
	return t;
}

struct vt_error *vt_target_open(const char *path, struct vt_target **ret)
{
	unsigned char head[VT_FLAT_HEADER_SIZE];
	struct vt_target *t;
	struct vt_error *err = NULL;
	kdump_status st;
	struct stat sb;
	ssize_t n;

	if (vt_target_is_kcore(path))
		return vt_target_open_kcore(path, ret);
	t = vt_target_alloc(path);
	if (!t)
		return &vt_enomem;
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0) {
		err = vt_error_create(VT_ERR_IO, "%s", strerror(errno));
		goto fail;
	}
	if (fstat(t->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		err = vt_error_create(VT_ERR_IO, "is a directory");
		goto fail;
	}
	n = pread(t->fd, head, sizeof(head), 0);
	if (n <= 0) {
		err = vt_error_create(VT_ERR_FORMAT, n == 0 ? "empty file" :
				      "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (vt_flattened_is(head, (size_t)n)) {
		t->flat_fd = open_tmpfile();
		if (t->flat_fd < 0) {
			err = vt_error_create(VT_ERR_IO,
				"cannot create a temporary file to reassemble the flattened dump (set TMPDIR): %s",
				strerror(errno));
			goto fail;
		}
		err = vt_flattened_reassemble(t->fd, t->flat_fd, NULL);
		if (err)
			goto fail;
		t->info.flattened = true;
	}
	{
		int fd = t->flat_fd >= 0 ? t->flat_fd : t->fd;
		unsigned char magic[8];

		if (pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic)) {
			if (memcmp(magic, ELFMAG, SELFMAG) == 0)
				err = vt_dumpcheck_elf(fd, &t->cut);
			else if (memcmp(magic, "KDUMP   ", 8) == 0 ||
				 memcmp(magic, "DISKDUMP", 8) == 0)
				err = vt_dumpcheck_diskdump(fd, &t->block_size, &t->cut,
							    &t->piece);
			if (err)
				goto fail;
		}
	}
	if (!(t->kdump = vt_target_new_kdump())) {
		err = &vt_enomem;
		goto fail;
	}
	st = kdump_open_fd(t->kdump, t->flat_fd >= 0 ? t->flat_fd : t->fd);
	if (st != KDUMP_OK) {
		err = vt_error_create(VT_ERR_FORMAT, "not a dump libkdumpfile can read (%s)",
				      kdump_get_err(t->kdump));
		goto fail;
	}
	if (t->piece.split)
		vt_dump_split_ranges(&t->piece, 1, t->block_size, &t->split);
	if ((err = vt_target_finish_open(t)))
		goto fail;
	*ret = t;
	return NULL;
fail:
	err = vt_error_prefix(err, "%s", path);
	vt_target_destroy(t);
	return err;
}

struct vt_error *vt_target_finish_open(struct vt_target *t)
{
	struct vt_error *err;
	const char *str;

	if (kdump_get_string_attr(t->kdump, KDUMP_ATTR_FILE_FORMAT, &str) == KDUMP_OK && str)
		snprintf(t->format, sizeof(t->format), "%s", str);
	err = load_vmcoreinfo(t);
	if (!err)
		err = detect_arch(t);
	if (!err)
		err = keep_block_size(t);
	if (err)
		return err;
	str = vt_vmcoreinfo_get(&t->vmcoreinfo, "OSRELEASE");
	if (!str && kdump_get_string_attr(t->kdump, "linux.uts.release", &str) != KDUMP_OK)
		str = NULL;
	snprintf(t->release, sizeof(t->release), "%s", str ? str : "");
	t->info.kaslr_offset = vt_vmcoreinfo_kernel_offset(&t->vmcoreinfo);
	if (strcmp(t->format, "elf") == 0)
		load_elf_segments(t);
	return NULL;
}


/*
 * libkdumpfile 0.5.1 (Debian 12) reads freed memory in kdump_free() of a
 * kdump-compressed dump: its diskdump cleanup runs after the attribute
 * dictionary is freed (ptesarik/libkdumpfile#72, fixed upstream in 2023).
 * Harmless while that memory stays mapped, a SIGSEGV when glibc had served
 * it with mmap and returns it: `make soak` saw 4-13 of 5180 reports die
 * so, at exit, in kdump_free. With that release, and not under
 * AddressSanitizer (whose quarantine keeps freed memory mapped, and whose
 * fuzzers open thousands of dumps), such a context is kept until the
 * process exits instead: reachable from here, so no leak checker counts
 * it; past the slots, freed anyway.
 */
#if KDUMPFILE_VER_MAJOR == 0 && KDUMPFILE_VER_MINOR == 5 && KDUMPFILE_VER_MICRO <= 1 && \
	!defined(__SANITIZE_ADDRESS__)
#define KDUMP_FREE_UNSAFE 1
#endif

static void free_kdump(kdump_ctx_t *ctx, bool diskdump)
{
#ifdef KDUMP_FREE_UNSAFE
	static kdump_ctx_t *kept[16];

	for (size_t i = 0; diskdump && i < sizeof(kept) / sizeof(*kept); i++)
		if (!kept[i]) {
			kept[i] = ctx;
			return;
		}
#else
	(void)diskdump;
#endif
	kdump_free(ctx);
}

void vt_target_destroy(struct vt_target *t)
{
	if (!t)
		return;
	vt_kdc_destroy(t->kdc);
	if (t->backend.destroy)
		t->backend.destroy(t->backend.arg);
	if (t->kdump)
		free_kdump(t->kdump, strcmp(t->format, "diskdump") == 0);
	if (t->fd >= 0)
		close(t->fd);
	for (size_t i = 0; i < t->npieces; i++)
		if (t->piece_fds[i] >= 0)
			close(t->piece_fds[i]);
	if (t->flat_fd >= 0)
		close(t->flat_fd);
	vt_vmcoreinfo_deinit(&t->vmcoreinfo);
	vt_error_destroy(t->xlat_err);
	free(t->segs);
	free(t->ranges);
	free(t->path);
	free(t);
}

const struct vt_dump_cut *vt_target_cut(const struct vt_target *t)
{
	return t->cut.cut ? &t->cut : NULL;
}

const struct vt_dump_split *vt_target_split(const struct vt_target *t)
{
	return t->split.npieces ? &t->split : NULL;
}

const struct vt_target_info *vt_target_info(const struct vt_target *t)
{
	return &t->info;
}

const struct vt_vmcoreinfo *vt_target_vmcoreinfo(const struct vt_target *t)
{
	return &t->vmcoreinfo;
}

static struct vt_error *read_kdc(struct vt_target *t, uint64_t paddr, void *buf,
			       size_t len);
static struct vt_error *read_plain(struct vt_target *t, uint64_t paddr, void *buf,
				   size_t len);
static struct vt_error *read_kdump(struct vt_target *t, uint64_t paddr, void *buf,
				   size_t len, size_t done);

/* The segment holding paddr, or NULL (segments are disjoint and sorted). */
static const struct vt_kdc_seg *find_seg(const struct vt_target *t, uint64_t paddr)
{
	size_t lo = 0, hi = t->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->segs[mid].paddr <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && paddr - t->segs[lo - 1].paddr < t->segs[lo - 1].filesz)
		return &t->segs[lo - 1];
	return NULL;
}

/* ELF PT_LOADs by pread, then libkdumpfile. */
static struct vt_error *read_plain(struct vt_target *t, uint64_t paddr, void *buf, size_t len)
{
	size_t done = 0;

	/* ELF: pread the segments directly, as long as they cover the range. */
	while (t->nsegs && done < len) {
		const struct vt_kdc_seg *sg = find_seg(t, paddr + done);
		uint64_t in = paddr + done - (sg ? sg->paddr : 0), n;
		ssize_t got;

		/* No PT_LOAD holds it: no data, whatever libkdumpfile would
		 * make of it (0.5.1 zero-fills up to a segment starting within
		 * a page). */
		if (!sg)
			return vt_error_create(VT_ERR_NODATA,
				"no data in the dump at physical 0x%" PRIx64
				" (filtered out, or not RAM)", paddr + done);
		n = sg->filesz - in < len - done ? sg->filesz - in : len - done;
		got = pread(t->flat_fd >= 0 ? t->flat_fd : t->fd, (char *)buf + done, n,
			    (off_t)(sg->offset + in));
		if (got <= 0)
			break;
		done += (size_t)got;
	}

	return read_kdump(t, paddr, buf, len, done);
}

/* The direct reader (kdumpc.c), opened on first use; NULL where there is none. */
static struct vt_kdc *kdc(struct vt_target *t)
{
	if (!t->kdc_tried) {
		t->kdc_tried = true;
		/* VMTRIAGE_KDC=0: every page through libkdumpfile (bench/memmap.py) */
		if (getenv("VMTRIAGE_KDC") && strcmp(getenv("VMTRIAGE_KDC"), "0") == 0)
			;
		else if (t->nsegs)
			t->kdc = vt_kdc_open_elf(t->flat_fd >= 0 ? t->flat_fd : t->fd,
						 t->segs, t->nsegs);
		else if (strcmp(t->format, "diskdump") == 0)
			t->kdc = vt_kdc_open(t->flat_fd >= 0 ? t->flat_fd : t->fd);
	}
	return t->kdc;
}

/*
 * Small kdump-compressed reads: frame by frame from kdumpc.c's kept frames,
 * each frame it leaves through libkdumpfile in address order (so the first
 * error is libkdumpfile's). Measured on x86-basic's -d31 report: its
 * 25,190 small reads took 44.5 M instructions through libkdumpfile (its
 * page cache and zlib), 22.4 M here (388 frames decompressed, the rest
 * kept). ELF: read_plain's pread.
 */
static struct vt_error *read_small(struct vt_target *t, uint64_t paddr, void *buf, size_t len)
{
	struct vt_kdc *k = kdc(t);
	uint64_t block, end = paddr + len;
	struct vt_error *err;

	if (!k || t->nsegs || end < paddr)
		return read_plain(t, paddr, buf, len);
	block = vt_kdc_block_size(k);
	for (uint64_t pa = paddr; pa < end;) {
		uint64_t n = block - pa % block < end - pa ? block - pa % block : end - pa;
		unsigned char *out = (unsigned char *)buf + (pa - paddr);

		if (!vt_kdc_read_part(k, pa / block, (uint32_t)(pa % block), n, out) &&
		    (err = read_plain(t, pa, out, n)))
			return err;
		pa += n;
	}
	return NULL;
}

/* Does [paddr, paddr + len) meet one of ranges r? *at: the first address it does. */
static bool first_missing(const struct vt_dump_range *r, size_t n, uint64_t paddr, size_t len,
			  uint64_t *at)
{
	for (size_t i = 0; i < n; i++)
		if (paddr < r[i].end && paddr + len > r[i].start) {
			*at = paddr > r[i].start ? paddr : r[i].start;
			return true;
		}
	return false;
}

struct vt_error *vt_target_read_phys(struct vt_target *t, uint64_t paddr,
				     void *buf, size_t len)
{
	uint64_t at;

	if (t->backend.read_phys)
		return t->backend.read_phys(t->backend.arg, paddr, buf, len);
	if (first_missing(t->split.missing, t->split.nmissing, paddr, len, &at))
		return vt_error_create(VT_ERR_NODATA, "no data in the dump at physical 0x%" PRIx64
				       ": another piece of the split dump holds it (give every "
				       "piece)", at);
	if (first_missing(t->cut.missing, t->cut.nmissing, paddr, len, &at))
		return vt_error_create(VT_ERR_NODATA, "no data in the dump at physical 0x%" PRIx64
				       ": the file is cut short (%" PRIu64 " of %" PRIu64 " bytes)",
				       at, t->cut.file_size, t->cut.need);
	if (len >= 2 * 4096)
		return read_kdc(t, paddr, buf, len);
	return read_small(t, paddr, buf, len);
}

/*
 * kdump-compressed: whole frames through kdumpc.c, partial frames at the
 * ends through read_small, frames it leaves through libkdumpfile, in
 * address order, so the first error is the one libkdumpfile gives.
 */
static struct vt_error *read_kdc(struct vt_target *t, uint64_t paddr, void *buf, size_t len)
{
	bool ok[VT_KDC_MAX_READ];
	uint64_t block, first, last, end = paddr + len;
	struct vt_error *err;

	if (!kdc(t) || end < paddr)
		return read_plain(t, paddr, buf, len);
	block = vt_kdc_block_size(t->kdc);
	first = (paddr + block - 1) / block;
	last = end / block;
	if (first >= last)
		return read_small(t, paddr, buf, len);
	if (first * block > paddr &&
	    (err = read_small(t, paddr, buf, first * block - paddr)))
		return err;
	for (uint64_t f = first; f < last;) {
		size_t n = last - f < VT_KDC_MAX_READ ? last - f : VT_KDC_MAX_READ;
		unsigned char *out = (unsigned char *)buf + (f * block - paddr);

		vt_kdc_read(t->kdc, f, n, out, ok);
		for (size_t i = 0; i < n; i++) {
			if (!ok[i] &&
			    (err = read_plain(t, (f + i) * block, out + i * block, block)))
				return err;
		}
		f += n;
	}
	if (last * block < end)
		return read_small(t, last * block, (unsigned char *)buf + (last * block - paddr),
				  end - last * block);
	return NULL;
}

/* Through libkdumpfile, from done bytes into the range. */
static struct vt_error *read_kdump(struct vt_target *t, uint64_t paddr, void *buf,
				   size_t len, size_t done)
{
	while (done < len) {
		size_t n = len - done;
		kdump_status st = kdump_read(t->kdump, KDUMP_MACHPHYSADDR,
					     paddr + done, (char *)buf + done, &n);

		if (st != KDUMP_OK || n == 0) {
			if (st == KDUMP_ERR_NODATA || n == 0)
				return vt_error_create(VT_ERR_NODATA,
					"no data in the dump at physical 0x%" PRIx64
					" (filtered out, or not RAM)", paddr + done);
			/*
			 * One page's data unusable (bad compression, descriptor
			 * past EOF): like a filtered page, so models and plugins
			 * degrade to "unknown" rather than abort on one bad page.
			 */
			if (st == KDUMP_ERR_CORRUPT || st == KDUMP_ERR_EOF)
				return vt_error_create(VT_ERR_NODATA,
					"page data at physical 0x%" PRIx64 " is corrupt: %s",
					paddr + done, kdump_get_err(t->kdump));
			return kdump_error(t, st, "physical read");
		}
		done += n;
	}
	return NULL;
}

static int cmp_range(const void *a, const void *b)
{
	const struct vt_phys_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void add_range(struct vt_target *t, uint64_t start, uint64_t end)
{
	if (end <= start)
		return;
	if (t->nranges < VT_MAX_PHYS_RANGES) {
		t->ranges[t->nranges].start = start;
		t->ranges[t->nranges].end = end;
		t->nranges++;
	} else {
		t->nranges_omitted++;
	}
}

/* Sort and merge overlapping or touching ranges in place. */
size_t vt_phys_ranges_merge(struct vt_phys_range *r, size_t n)
{
	size_t out = 0;

	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (out && r[i].start <= r[out - 1].end) {
			if (r[i].end > r[out - 1].end)
				r[out - 1].end = r[i].end;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

/*
 * ELF dumps: the PT_LOAD physical ranges, read from the program headers
 * (QEMU's paging dumps list the same physical page under several virtual
 * addresses, out of order, which libkdumpfile's page map does not merge).
 */
static struct vt_error *elf_ranges(struct vt_target *t)
{
	Elf64_Ehdr eh;
	int fd = t->flat_fd >= 0 ? t->flat_fd : t->fd;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64)
		return vt_error_create(VT_ERR_FORMAT, "not a 64-bit ELF file");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return vt_error_create(VT_ERR_UNSUPPORTED,
				       "big-endian ELF headers: ranges from the page map");
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum == PN_XNUM)
		return vt_error_create(VT_ERR_FORMAT, "bad ELF program header table");
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph))
			return vt_error_create(VT_ERR_FORMAT,
					       "ELF program header %u is truncated", i);
		if (ph.p_type == PT_LOAD && ph.p_filesz &&
		    ph.p_paddr + ph.p_filesz > ph.p_paddr)
			add_range(t, ph.p_paddr, ph.p_paddr + ph.p_filesz);
	}
	return NULL;
}

/* Other formats: walk libkdumpfile's page map (filtered pages are clear). */
static struct vt_error *pagemap_ranges(struct vt_target *t)
{
	unsigned shift = __builtin_ctz(t->block_size ? t->block_size : t->info.page_size);
	kdump_addr_t idx = 0;
	kdump_attr_t attr;
	kdump_status st;

	if (!t->kdump)
		return vt_error_create(VT_ERR_UNSUPPORTED,
				       "the physical ranges are not known for a live session");
	attr.type = KDUMP_BITMAP;
	st = kdump_get_typed_attr(t->kdump, KDUMP_ATTR_FILE_PAGEMAP, &attr);
	if (st != KDUMP_OK)
		return kdump_error(t, st, "file.pagemap");
	/* Bounded: each step moves idx forward. */
	for (;;) {
		kdump_addr_t start = idx, end;

		if (kdump_bmp_find_set(attr.val.bitmap, &start) != KDUMP_OK ||
		    start < idx)
			break;
		end = start;
		if (kdump_bmp_find_clear(attr.val.bitmap, &end) != KDUMP_OK)
			end = KDUMP_ADDR_MAX >> shift;
		if (end <= start)
			end = start + 1;
		add_range(t, (uint64_t)start << shift, (uint64_t)end << shift);
		if (end >= (KDUMP_ADDR_MAX >> shift))
			break;
		idx = end;
	}
	return NULL;
}

struct vt_error *vt_target_phys_ranges(struct vt_target *t,
				       const struct vt_phys_range **ranges,
				       size_t *nranges, uint64_t *nomitted)
{
	struct vt_error *err = NULL;

	if (!t->ranges_ready) {
		t->ranges = calloc(VT_MAX_PHYS_RANGES, sizeof(*t->ranges));
		if (!t->ranges)
			return &vt_enomem;
		if (strcmp(t->format, "elf") == 0)
			err = elf_ranges(t);
		if (strcmp(t->format, "elf") != 0 || err) {
			vt_error_destroy(err);
			t->nranges = 0;
			err = pagemap_ranges(t);
		}
		if (err)
			return err;
		t->nranges = vt_phys_ranges_merge(t->ranges, t->nranges);
		t->ranges_ready = true;
	}
	*ranges = t->ranges;
	*nranges = t->nranges;
	if (nomitted)
		*nomitted = t->nranges_omitted;
	return NULL;
}

struct vt_error *vt_target_prstatus(struct vt_target *t, unsigned cpu, void *buf,
				    size_t cap, size_t *len_ret)
{
	char key[48];
	kdump_attr_t attr;
	const void *data;
	size_t size;

	if (t->backend.prstatus)
		return t->backend.prstatus(t->backend.arg, cpu, buf, cap, len_ret);
	if (!t->kdump)
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "this session gives no NT_PRSTATUS notes");
	snprintf(key, sizeof(key), "cpu.%u.PRSTATUS", cpu);
	attr.type = KDUMP_BLOB;
	if (kdump_get_typed_attr(t->kdump, key, &attr) != KDUMP_OK)
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "the dump has no NT_PRSTATUS note for CPU %u", cpu);
	data = kdump_blob_pin(attr.val.blob);
	size = kdump_blob_size(attr.val.blob);
	if (data)
		memcpy(buf, data, size < cap ? size : cap);
	kdump_blob_unpin(attr.val.blob);
	if (!data)
		return vt_error_create(VT_ERR_NOT_FOUND, "CPU %u's NT_PRSTATUS note is empty",
				       cpu);
	*len_ret = size < cap ? size : cap;
	return NULL;
}
