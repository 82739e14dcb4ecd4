/*
 * kdump-compressed page frames read and decompressed directly (see
 * kdumpc.h). Layout per makedumpfile's diskdump_mod.h: block 0 the
 * disk_dump_header, sub_hdr_size blocks of kdump_sub_header, bitmap_blocks
 * blocks holding two bitmaps (the second marks dumped frames, bit i of
 * byte i/8 for frame i), then one 24-byte page_desc {u64 offset; u32 size;
 * u32 flags; u64 page_flags} per dumped frame, in frame order.
 *
 * Measured (bench/memmap.py, x86-hotplug's 20 MiB memmap, 5120 frames):
 * the scan through libkdumpfile took 78 ms (zlib) where zlib alone takes
 * 38 ms: its page cache, copies and per-read bookkeeping cost as much
 * again, and cloned contexts (kdump_clone) would split that work over the
 * threads, not remove it. Reading the descriptors here and inflating
 * straight into the caller's buffer took 53 ms on one thread, 33 ms with
 * the read-ahead on a second: two threads take frames from one counter.
 * zlib frames are inflated with libdeflate (inflate_frame): the same
 * checks, 2.5x fewer instructions than zlib's inflate (a -d 31 report:
 * 884 -> 590 M instructions under callgrind).
 *
 * Memory: a rank table of 8 bytes per 4096 frames, per thread one 512-byte
 * bitmap block, 64 descriptors and one compressed frame, 1 MiB of frames
 * kept for small reads (16 frames at least), and the 1 MiB read-ahead
 * buffer when asked for one.
 */
#include "target/kdumpc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <zstd.h>

#include "core/byteorder.h"

#define PD_SIZE 24
#define DDH_UTSNAME_END (12 + 6 * 65)
#define DDH_STATUS ((((DDH_UTSNAME_END) + 7) & ~7) + 16)
#define DDH_BLOCK_SIZE (DDH_STATUS + 4)
#define DDH_SUB_HDR_SIZE (DDH_BLOCK_SIZE + 4)
#define DDH_BITMAP_BLOCKS (DDH_SUB_HDR_SIZE + 4)
#define DDH_MAX_MAPNR (DDH_BITMAP_BLOCKS + 4)
#define DDH_SIZE (DDH_MAX_MAPNR + 4)
#define SUB_SPLIT 12		/* kdump_sub_header.split (64-bit) */
#define SUB_MAX_MAPNR_64 96	/* header_version >= 6 */

#define DUMP_DH_COMPRESSED_ZLIB 0x1
#define DUMP_DH_COMPRESSED_LZO 0x2
#define DUMP_DH_COMPRESSED_SNAPPY 0x4
#define DUMP_DH_COMPRESSED_ZSTD 0x20

#define RANK_BITS 4096		/* frames per rank entry and bitmap block */
#define PD_CACHE 64		/* descriptors read at once */
#define PARALLEL_MIN 16		/* frames worth handing a second thread */
#define FRAME_CACHE (1u << 20)	/* bytes of frames small reads keep (16 frames at least) */

/* One thread's reading state. */
struct kdc_thr {
	uint64_t bm_block;		/* cached bitmap block + 1; 0: none */
	unsigned char bm[RANK_BITS / 8];
	uint16_t wrank[RANK_BITS / 64];	/* dumped frames in bm before each word */
	uint64_t pd_first;		/* descriptor index of pd[0] + 1; 0: none */
	size_t pd_n;
	unsigned char pd[PD_CACHE * PD_SIZE];
	unsigned char *cbuf;
	struct libdeflate_decompressor *ld;
	ZSTD_DCtx *zd;
	unsigned char lzo_wrk[LZO1X_MEM_DECOMPRESS + 1];
};

struct kdc_job {
	uint64_t pfn;
	size_t n;
	unsigned char *buf;
	bool *ok;
	atomic_size_t next;
};

struct vt_kdc {
	int fd;
	const struct vt_kdc_seg *segs;	/* ELF: the caller's PT_LOADs, or NULL */
	size_t nsegs;
	bool be;
	uint32_t block;
	uint64_t file_size, nframes, bm_off, bm_len, pd_off, ndumped;
	uint64_t *rank;			/* dumped frames before each block */
	bool rank_ready, rank_failed;
	struct kdc_thr thr[2];

	/* the second thread: started on the first large read */
	pthread_t worker;
	bool worker_up, quit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t gen, done_gen;
	struct kdc_job *job;

	/* small reads: frames kept decompressed (vt_kdc_read_part) */
	uint64_t *cache_pfn;		/* per slot: frame + 1; 0: empty */
	unsigned char *cache;		/* cache_slots frames, allocated on first use */
	size_t cache_slots;		/* a frame's slot: its number mod this */

	/* read-ahead: one job the second thread runs while the caller works */
	struct kdc_job ra;
	bool ra_active;
	unsigned char *ra_buf;
	bool ra_ok[VT_KDC_MAX_READ];
};

static bool pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));

		if (got <= 0)
			return false;
		done += (size_t)got;
	}
	return true;
}

struct vt_kdc *vt_kdc_open(int fd)
{
	unsigned char h[DDH_SIZE], sub[SUB_MAX_MAPNR_64 + 8];
	uint32_t version, sub_hdr, bitmap_blocks;
	struct vt_kdc *k;
	struct stat st;
	uint64_t maxnr;

	if (fstat(fd, &st) != 0 || pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h, "KDUMP   ", 8) != 0)
		return NULL;
	if (lzo_init() != LZO_E_OK)
		return NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->fd = fd;
	k->file_size = (uint64_t)st.st_size;
	version = vt_le32(h + 8);
	k->be = version > 0xffff;
	version = vt_load32(h + 8, k->be);
	k->block = vt_load32(h + DDH_BLOCK_SIZE, k->be);
	sub_hdr = vt_load32(h + DDH_SUB_HDR_SIZE, k->be);
	bitmap_blocks = vt_load32(h + DDH_BITMAP_BLOCKS, k->be);
	maxnr = vt_load32(h + DDH_MAX_MAPNR, k->be);
	if (k->block < 4096 || k->block > (1u << 20) || (k->block & (k->block - 1)) ||
	    version < 2 || sub_hdr == 0 || bitmap_blocks == 0)
		goto no;
	if (!pread_all(fd, sub, sizeof(sub), k->block) || vt_load32(sub + SUB_SPLIT, k->be))
		goto no;	/* split dumps: libkdumpfile */
	if (version >= 6)
		maxnr = vt_load64(sub + SUB_MAX_MAPNR_64, k->be);
	k->bm_off = (1ull + sub_hdr) * k->block;
	k->bm_len = (uint64_t)bitmap_blocks * k->block / 2;
	k->pd_off = k->bm_off + 2 * k->bm_len;
	k->nframes = k->bm_len * 8 < maxnr ? k->bm_len * 8 : maxnr;
	if (k->pd_off > k->file_size || k->bm_len > (1ull << 32))
		goto no;
	/* VMTRIAGE_THREADS=1: one thread (bench/memmap.py compares) */
	k->quit = getenv("VMTRIAGE_THREADS") && atoi(getenv("VMTRIAGE_THREADS")) == 1;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	return k;
no:
	free(k);
	return NULL;
}

struct vt_kdc *vt_kdc_open_elf(int fd, const struct vt_kdc_seg *segs, size_t nsegs)
{
	struct vt_kdc *k;

	if (!nsegs || !(k = calloc(1, sizeof(*k))))
		return NULL;
	k->fd = fd;
	k->segs = segs;
	k->nsegs = nsegs;
	k->block = 4096;
	k->rank_ready = true;	/* no bitmap */
	k->quit = getenv("VMTRIAGE_THREADS") && atoi(getenv("VMTRIAGE_THREADS")) == 1;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	return k;
}

uint32_t vt_kdc_block_size(const struct vt_kdc *k)
{
	return k->block;
}

/* Dumped frames before each RANK_BITS block, from one pass over the bitmap. */
static bool load_rank(struct vt_kdc *k)
{
	uint64_t nblocks = (k->bm_len * 8 + RANK_BITS - 1) / RANK_BITS, count = 0;
	unsigned char *chunk = malloc(1 << 20);

	k->rank = malloc(nblocks * sizeof(*k->rank));
	if (!chunk || !k->rank) {
		free(chunk);
		return false;
	}
	for (uint64_t off = 0; off < k->bm_len;) {
		size_t n = k->bm_len - off < (1 << 20) ? k->bm_len - off : (1 << 20);

		if (!pread_all(k->fd, chunk, n, k->bm_off + k->bm_len + off)) {
			free(chunk);
			return false;
		}
		/* 8 bytes at a time (off and RANK_BITS / 8 are multiples of 8) */
		for (size_t i = 0; i < n; i += 8) {
			uint64_t w = 0;

			if ((off + i) % (RANK_BITS / 8) == 0)
				k->rank[(off + i) / (RANK_BITS / 8)] = count;
			memcpy(&w, chunk + i, n - i < 8 ? n - i : 8);
			count += __builtin_popcountll(w);
		}
		off += n;
	}
	free(chunk);
	k->ndumped = count;
	return true;
}

/* The page_desc of frame pfn into pd; false if not dumped (or unreadable). */
static bool find_desc(struct vt_kdc *k, struct kdc_thr *th, uint64_t pfn,
		      const unsigned char **pd)
{
	uint64_t blk = pfn / RANK_BITS, bit = pfn % RANK_BITS, idx;
	uint64_t word;

	if (pfn >= k->nframes)
		return false;
	if (th->bm_block != blk + 1) {
		uint64_t off = blk * (RANK_BITS / 8);
		size_t n = k->bm_len - off < sizeof(th->bm) ? k->bm_len - off : sizeof(th->bm);

		th->bm_block = 0;	/* a failed read leaves bm half-written */
		memset(th->bm, 0, sizeof(th->bm));
		if (!pread_all(k->fd, th->bm, n, k->bm_off + k->bm_len + off))
			return false;
		for (unsigned w = 0, c = 0; w < RANK_BITS / 64; w++) {
			th->wrank[w] = (uint16_t)c;
			c += __builtin_popcountll(vt_le64(th->bm + 8 * w));
		}
		th->bm_block = blk + 1;
	}
	if (!(th->bm[bit / 8] >> (bit % 8) & 1))
		return false;
	word = vt_le64(th->bm + 8 * (bit / 64));
	idx = k->rank[blk] + th->wrank[bit / 64] +
	      __builtin_popcountll(word & ((1ull << (bit % 64)) - 1));
	if (idx >= k->ndumped)
		return false;
	if (!th->pd_first || idx + 1 < th->pd_first || idx + 1 >= th->pd_first + th->pd_n) {
		size_t n = k->ndumped - idx < PD_CACHE ? k->ndumped - idx : PD_CACHE;
		uint64_t off = k->pd_off + idx * PD_SIZE;

		if (off > k->file_size || n * PD_SIZE > k->file_size - off)
			return false;
		th->pd_first = 0;	/* a failed read leaves pd half-written */
		if (!pread_all(k->fd, th->pd, n * PD_SIZE, off))
			return false;
		th->pd_first = idx + 1;
		th->pd_n = n;
	}
	*pd = th->pd + (idx + 1 - th->pd_first) * PD_SIZE;
	return true;
}

/*
 * A zlib frame (makedumpfile's compress2: RFC 1950 header, deflate data,
 * Adler-32) into exactly block bytes. libdeflate, not zlib: on x86-hotplug's
 * 262144 zlib frames it took 7.5 G instructions where zlib's inflate took 19
 * (1.0 s against 1.6 s), and it checks the header and the Adler-32 the same.
 * Bytes after the stream are ignored, as zlib's uncompress does.
 */
static bool inflate_frame(struct kdc_thr *th, const unsigned char *in, uint32_t len,
			  unsigned char *out, uint32_t block)
{
	size_t used, got;

	if (!th->ld && !(th->ld = libdeflate_alloc_decompressor()))
		return false;
	return libdeflate_zlib_decompress_ex(th->ld, in, len, out, block, &used, &got) ==
	       LIBDEFLATE_SUCCESS && got == block;
}

/* Frame pfn into out; false leaves it to libkdumpfile. */
static bool read_frame(struct vt_kdc *k, struct kdc_thr *th, uint64_t pfn, unsigned char *out)
{
	const unsigned char *pd;
	uint64_t off;
	uint32_t size, flags;

	if (!find_desc(k, th, pfn, &pd))
		return false;
	off = vt_load64(pd, k->be);
	size = vt_load32(pd + 8, k->be);
	flags = vt_load32(pd + 12, k->be);
	if (size == 0 || size > k->block || off > k->file_size || size > k->file_size - off)
		return false;
	if (!(flags & (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
		       DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)))
		return size == k->block && pread_all(k->fd, out, size, off);
	if (!th->cbuf && !(th->cbuf = malloc(k->block)))
		return false;
	if (!pread_all(k->fd, th->cbuf, size, off))
		return false;
	switch (flags & (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO |
			 DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)) {
	case DUMP_DH_COMPRESSED_ZLIB:
		return inflate_frame(th, th->cbuf, size, out, k->block);
	case DUMP_DH_COMPRESSED_LZO: {
		lzo_uint n = k->block;

		return lzo1x_decompress_safe(th->cbuf, size, out, &n, th->lzo_wrk) == LZO_E_OK &&
		       n == k->block;
	}
	case DUMP_DH_COMPRESSED_ZSTD:
		if (!th->zd && !(th->zd = ZSTD_createDCtx()))
			return false;
		return ZSTD_decompressDCtx(th->zd, out, k->block, th->cbuf, size) == k->block;
	default:
		return false;	/* snappy, or several flags: libkdumpfile */
	}
}

/* Take frames from the job's counter until none are left. */
/* ELF: frames [pfn, pfn + n) with one pread when one segment holds them all. */
static void read_elf(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *out, bool *ok)
{
	uint64_t pa = pfn * k->block, len = (uint64_t)n * k->block;
	size_t lo = 0, hi = k->nsegs;
	const struct vt_kdc_seg *sg;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->segs[mid].paddr <= pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return;
	sg = &k->segs[lo - 1];
	if (pa - sg->paddr >= sg->filesz || len > sg->filesz - (pa - sg->paddr))
		return;		/* not all in one segment: the caller's loop */
	if (pread_all(k->fd, out, len, sg->offset + (pa - sg->paddr)))
		memset(ok, 1, n * sizeof(*ok));
}

/* Take frames from the job's counter, GRAB at a time, until none are left. */
#define GRAB 8
static void run_job(struct vt_kdc *k, struct kdc_thr *th, struct kdc_job *j)
{
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, GRAB), n;

		if (i >= j->n)
			break;
		n = j->n - i < GRAB ? j->n - i : GRAB;
		if (k->segs) {
			read_elf(k, j->pfn + i, n, j->buf + i * k->block, j->ok + i);
			continue;
		}
		for (size_t q = i; q < i + n; q++)
			j->ok[q] = read_frame(k, th, j->pfn + q, j->buf + q * k->block);
	}
}

static void *worker_main(void *arg)
{
	struct vt_kdc *k = arg;
	uint64_t seen = 0;

	pthread_mutex_lock(&k->lock);
	for (;;) {
		while (!k->quit && k->gen == seen)
			pthread_cond_wait(&k->cond, &k->lock);
		if (k->quit)
			break;
		seen = k->gen;
		pthread_mutex_unlock(&k->lock);
		run_job(k, &k->thr[1], k->job);
		pthread_mutex_lock(&k->lock);
		k->done_gen = seen;
		pthread_cond_broadcast(&k->cond);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static bool ensure_rank(struct vt_kdc *k)
{
	if (!k->rank_ready) {
		if (k->rank_failed)
			return false;
		if (!load_rank(k)) {
			k->rank_failed = true;
			return false;
		}
		k->rank_ready = true;
	}
	return true;
}

static bool ensure_worker(struct vt_kdc *k)
{
	if (!k->worker_up && !k->quit) {
		if (pthread_create(&k->worker, NULL, worker_main, k) == 0)
			k->worker_up = true;
		else
			k->quit = true;	/* no thread: stay on one */
	}
	return k->worker_up;
}

static void post(struct vt_kdc *k, struct kdc_job *j)
{
	pthread_mutex_lock(&k->lock);
	k->job = j;
	k->gen++;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

/* Wait for the second thread to finish the job posted last. */
static void wait_worker(struct vt_kdc *k)
{
	pthread_mutex_lock(&k->lock);
	while (k->done_gen != k->gen)
		pthread_cond_wait(&k->cond, &k->lock);
	k->job = NULL;
	pthread_mutex_unlock(&k->lock);
}

/* Frames [pfn, pfn + n) into buf, on both threads when worth it. */
static void read_now(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *buf, bool *ok)
{
	struct kdc_job j = { .pfn = pfn, .n = n, .buf = buf, .ok = ok };

	atomic_init(&j.next, 0);
	if (n < PARALLEL_MIN || !ensure_worker(k)) {
		run_job(k, &k->thr[0], &j);
		return;
	}
	post(k, &j);
	run_job(k, &k->thr[0], &j);
	wait_worker(k);
}

/*
 * End the read-ahead: help finish it when keep (its frames are wanted),
 * else stop it at the frame it is on.
 */
static void end_readahead(struct vt_kdc *k, bool keep)
{
	if (!k->ra_active)
		return;
	if (keep)
		run_job(k, &k->thr[0], &k->ra);
	else
		atomic_store(&k->ra.next, k->ra.n + GRAB);
	wait_worker(k);
	k->ra_active = false;
}

void vt_kdc_read(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *buf, bool *ok)
{
	uint64_t lo, hi;

	memset(ok, 0, n * sizeof(*ok));
	if (!ensure_rank(k))
		return;
	lo = k->ra.pfn > pfn ? k->ra.pfn : pfn;
	hi = k->ra.pfn + k->ra.n < pfn + n ? k->ra.pfn + k->ra.n : pfn + n;
	if (!k->ra_active || lo >= hi) {
		end_readahead(k, false);
		read_now(k, pfn, n, buf, ok);
		return;
	}
	/* Some of it was read ahead: take that, read the rest now. */
	end_readahead(k, true);
	/* Read ahead into the caller's own buffer: nothing to copy. */
	if (buf + (lo - pfn) * k->block != k->ra.buf + (lo - k->ra.pfn) * k->block)
		memmove(buf + (lo - pfn) * k->block, k->ra.buf + (lo - k->ra.pfn) * k->block,
			(hi - lo) * k->block);
	for (uint64_t f = lo; f < hi; f++)
		ok[f - pfn] = k->ra_ok[f - k->ra.pfn];
	if (lo > pfn)
		read_now(k, pfn, lo - pfn, buf, ok);
	if (hi < pfn + n)
		read_now(k, hi, pfn + n - hi, buf + (hi - pfn) * k->block, ok + (hi - pfn));
}

bool vt_kdc_read_part(struct vt_kdc *k, uint64_t pfn, uint32_t off, size_t len,
		      unsigned char *buf)
{
	unsigned char *frame;
	size_t slot;

	if (k->segs || off > k->block || len > k->block - off || !ensure_rank(k))
		return false;
	if (!k->cache) {
		k->cache_slots = FRAME_CACHE / k->block > 16 ? FRAME_CACHE / k->block : 16;
		k->cache_pfn = calloc(k->cache_slots, sizeof(*k->cache_pfn));
		k->cache = malloc(k->cache_slots * k->block);
		if (!k->cache_pfn || !k->cache) {
			free(k->cache_pfn);
			free(k->cache);
			k->cache_pfn = NULL;
			k->cache = NULL;
			return false;
		}
	}
	slot = pfn % k->cache_slots;
	frame = k->cache + slot * k->block;
	if (k->cache_pfn[slot] != pfn + 1) {
		/* thr[0]: the caller's thread state, as in vt_kdc_read */
		k->cache_pfn[slot] = 0;
		if (!read_frame(k, &k->thr[0], pfn, frame))
			return false;
		k->cache_pfn[slot] = pfn + 1;
	}
	memcpy(buf, frame + off, len);
	return true;
}

void vt_kdc_prefetch(struct vt_kdc *k, uint64_t pfn, size_t n, unsigned char *dest)
{
	if (n > VT_KDC_READAHEAD / k->block)
		n = VT_KDC_READAHEAD / k->block;
	if (!dest && !k->ra_buf && !(k->ra_buf = malloc(VT_KDC_READAHEAD)))
		return;
	if (!dest)
		dest = k->ra_buf;
	if (k->ra_active && k->ra.pfn == pfn && k->ra.n == n && k->ra.buf == dest)
		return;
	end_readahead(k, false);
	if (n < PARALLEL_MIN || !ensure_rank(k) || !ensure_worker(k))
		return;
	k->ra.pfn = pfn;
	k->ra.n = n;
	k->ra.buf = dest;
	k->ra.ok = k->ra_ok;
	memset(k->ra_ok, 0, sizeof(k->ra_ok));
	atomic_init(&k->ra.next, 0);
	k->ra_active = true;
	post(k, &k->ra);
}

void vt_kdc_cancel(struct vt_kdc *k)
{
	end_readahead(k, false);
}

void vt_kdc_destroy(struct vt_kdc *k)
{
	if (!k)
		return;
	end_readahead(k, false);
	if (k->worker_up) {
		pthread_mutex_lock(&k->lock);
		k->quit = true;
		pthread_cond_broadcast(&k->cond);
		pthread_mutex_unlock(&k->lock);
		pthread_join(k->worker, NULL);
	}
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->cond);
	for (int i = 0; i < 2; i++) {
		if (k->thr[i].ld)
			libdeflate_free_decompressor(k->thr[i].ld);
		ZSTD_freeDCtx(k->thr[i].zd);
		free(k->thr[i].cbuf);
	}
	free(k->ra_buf);
	free(k->cache);
	free(k->cache_pfn);
	free(k->rank);
	free(k);
}
