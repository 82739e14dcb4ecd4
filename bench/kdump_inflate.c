/*
 * bench/kdump_inflate: the decompression limit for bench/memmap.py. Reads a
 * kdump-compressed dump's page descriptors (makedumpfile's format: the
 * disk_dump_header, the sub header, two bitmaps, then one 24-byte page_desc
 * {u64 offset; u32 size; u32 flags; u64 page_flags} per dumped frame) for
 * the physical ranges given on stdin ("PADDR LEN" lines, hex or decimal),
 * loads those frames' compressed bytes, and decompresses them with zlib,
 * lzo or zstd alone on one core, best of REPS runs.
 *
 * Prints JSON: frames, compressed bytes, seconds for decompression alone
 * ("inflate") and for pread + decompression ("pread_inflate").
 * Usage: kdump_inflate DUMP [REPS] < ranges
 * Little-endian 64-bit dumps only (the bench's x86 guests).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#define DDH_STATUS (((12 + 6 * 65 + 7) & ~7) + 16)

struct frame { uint64_t off; uint32_t size, flags; unsigned char *data; };

static uint32_t u32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t u64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "kdump_inflate: %s\n", msg);
	exit(1);
}

static void decompress(const struct frame *f, const unsigned char *in, unsigned char *out,
		       uint32_t block, z_stream *zs, ZSTD_DCtx *zd)
{
	lzo_uint n = block;

	if (f->flags & 1) {
		inflateReset(zs);
		zs->next_in = (unsigned char *)in;
		zs->avail_in = f->size;
		zs->next_out = out;
		zs->avail_out = block;
		if (inflate(zs, Z_FINISH) != Z_STREAM_END)
			die("bad zlib frame");
	} else if (f->flags & 2) {
		if (lzo1x_decompress_safe(in, f->size, out, &n, NULL) != LZO_E_OK)
			die("bad lzo frame");
	} else if (f->flags & 0x20) {
		if (ZSTD_decompressDCtx(zd, out, block, in, f->size) != block)
			die("bad zstd frame");
	} else {
		memcpy(out, in, f->size);
	}
}

int main(int argc, char **argv)
{
	unsigned char h[DDH_STATUS + 20], *bm, pd[24], *out;
	uint32_t block, sub_hdr, bitmap_blocks;
	uint64_t bm_off, bm_len, pd_off, paddr, len, nframes = 0, cap = 0, cbytes = 0;
	struct frame *frames = NULL;
	uint64_t *rank;
	int reps = argc > 2 ? atoi(argv[2]) : 3, fd;
	double best_inf = 1e9, best_all = 1e9;
	z_stream zs;
	ZSTD_DCtx *zd = ZSTD_createDCtx();

	if (argc < 2 || (fd = open(argv[1], O_RDONLY)) < 0)
		die("usage: kdump_inflate DUMP [REPS] < ranges");
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "KDUMP   ", 8))
		die("not a kdump-compressed dump");
	block = u32(h + DDH_STATUS + 4);
	sub_hdr = u32(h + DDH_STATUS + 8);
	bitmap_blocks = u32(h + DDH_STATUS + 12);
	bm_off = (1ull + sub_hdr) * block;
	bm_len = (uint64_t)bitmap_blocks * block / 2;
	pd_off = bm_off + 2 * bm_len;
	bm = malloc(bm_len + 8);
	rank = malloc((bm_len / 8 + 1) * sizeof(*rank));
	if (!bm || !rank || pread(fd, bm, bm_len, bm_off + bm_len) != (ssize_t)bm_len)
		die("cannot read the bitmap");
	memset(bm + bm_len, 0, 8);
	for (uint64_t w = 0, c = 0; w <= bm_len / 8; w++) {
		rank[w] = c;
		c += __builtin_popcountll(u64(bm + 8 * w));
	}
	while (scanf("%li %li", (long *)&paddr, (long *)&len) == 2) {
		for (uint64_t pfn = paddr / block; pfn < (paddr + len + block - 1) / block; pfn++) {
			uint64_t w = pfn / 64, idx;

			if (pfn / 8 >= bm_len || !(bm[pfn / 8] >> (pfn % 8) & 1))
				continue;	/* filtered: nothing to decompress */
			idx = rank[w] + __builtin_popcountll(u64(bm + 8 * w) & ((1ull << (pfn % 64)) - 1));
			if (pread(fd, pd, sizeof(pd), pd_off + idx * 24) != (ssize_t)sizeof(pd))
				die("cannot read a page descriptor");
			if (nframes == cap && !(frames = realloc(frames, (cap = cap * 2 + 64) * sizeof(*frames))))
				die("out of memory");
			frames[nframes].off = u64(pd);
			frames[nframes].size = u32(pd + 8);
			frames[nframes].flags = u32(pd + 12);
			if (frames[nframes].size > block)
				die("frame larger than a block");
			frames[nframes].data = malloc(frames[nframes].size);
			if (pread(fd, frames[nframes].data, frames[nframes].size, frames[nframes].off) !=
			    (ssize_t)frames[nframes].size)
				die("cannot read a frame");
			cbytes += frames[nframes].size;
			nframes++;
		}
	}
	out = malloc(block);
	unsigned char *cbuf = malloc(block);
	memset(&zs, 0, sizeof(zs));
	if (!out || !cbuf || inflateInit(&zs) != Z_OK || lzo_init() != LZO_E_OK || !zd)
		die("cannot set up the decompressors");
	for (int r = 0; r < reps; r++) {
		double t0 = now();

		for (uint64_t i = 0; i < nframes; i++)
			decompress(&frames[i], frames[i].data, out, block, &zs, zd);
		double t1 = now();

		for (uint64_t i = 0; i < nframes; i++) {
			if (pread(fd, cbuf, frames[i].size, frames[i].off) != (ssize_t)frames[i].size)
				die("cannot read a frame");
			decompress(&frames[i], cbuf, out, block, &zs, zd);
		}
		double t2 = now();

		if (t1 - t0 < best_inf)
			best_inf = t1 - t0;
		if (t2 - t1 < best_all)
			best_all = t2 - t1;
	}
	printf("{\"frames\": %llu, \"compressed_bytes\": %llu, \"block_size\": %u, "
	       "\"inflate\": %.6f, \"pread_inflate\": %.6f}\n",
	       (unsigned long long)nframes, (unsigned long long)cbytes, block, best_inf, best_all);
	return 0;
}
