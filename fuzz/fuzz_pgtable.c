/*
 * Page-table walkers over a fuzzed "physical memory": the input after a
 * 16-byte header is memory at physical address 0, and reads outside it fail
 * (VT_ERR_FAULT), as reads past a dump's RAM do. Header (little-endian):
 *   u8  mode (low 3 bits): 0 x86_64 4-level, 1 x86_64 5-level, 2 radix 64K,
 *       3 radix 4K, 4-7 arm64 (4K/39-bit, 4K/48-bit, 16K/47-bit, 64K/52-bit;
 *       4K/52-bit LPA2 when bit 3 is set)
 *   u8  sme: x86_64: 0 none, else SME mask bit (sme & 63); arm64: bit 0
 *       big-endian descriptors
 *   u16 unused
 *   u32 page-table root, as a physical address in the image
 *   u64 virtual address to translate
 * Each input runs the single-address walk on that address and a few
 * neighbours, then the whole-tree walk of both halves.
 */
#include <string.h>

#include "arch/pgtable.h"
#include "arch/pgwalk.h"
#include "fuzz.h"

#define HDR 16

struct image {
	const uint8_t *mem;
	size_t len;
};

static struct vt_error *read_image(void *arg, uint64_t paddr, void *buf, size_t len)
{
	const struct image *im = arg;

	if (paddr > im->len || len > im->len - paddr)
		return vt_error_create(VT_ERR_FAULT, "0x%llx beyond the image",
				       (unsigned long long)paddr);
	memcpy(buf, im->mem + paddr, len);
	return NULL;
}

/* Callbacks that look at what they get, so ASan sees bad pointers. */
static uint64_t sink;

static int on_table(void *arg, const char *level, uint64_t paddr, uint32_t bytes,
		    uint64_t va)
{
	sink += paddr + bytes + va + strlen(level);
	return 0;
}

static int on_leaf(void *arg, const char *level, uint64_t va, uint64_t size,
		   uint64_t paddr, uint64_t entry)
{
	sink += va + size + paddr + entry + strlen(level);
	return 0;
}

static void on_bad(void *arg, const char *level, uint64_t table, unsigned index,
		   uint64_t entry, const char *why)
{
	sink += table + index + entry + strlen(level) + strlen(why);
}

static const struct vt_pgwalk_ops ops = { on_table, on_leaf, on_bad };

/* A single-address walk's path must stay within its array whatever the
 * tables say; its steps are looked at, so ASan sees bad ones. */
static void look_at(const struct vt_xlat_path *path, struct vt_error *err)
{
	if (path->nsteps > VT_XLAT_MAX_STEPS)
		__builtin_trap();
	for (unsigned s = 0; s < path->nsteps; s++)
		sink += path->steps[s].entry + strlen(path->steps[s].level);
	vt_error_destroy(err);
}

/* arm64: the walks of one of Linux's geometries, both TTBR halves. */
static int arm64_one(const uint8_t *p, size_t left, unsigned mode, bool big_endian)
{
	static const struct { unsigned shift, va, pa; } geos[] = {
		{ 12, 39, 48 }, { 12, 48, 48 }, { 14, 47, 48 }, { 16, 52, 52 },
	};
	unsigned g = mode & 3, va_bits = geos[g].va;
	uint64_t root, vaddr;
	struct image im;
	struct vt_arm64_geometry geo;
	struct vt_pgwalk_limits lim;
	struct vt_error *err;

	fuzz_take(&p, &left, 2);
	root = fuzz_take(&p, &left, 4);
	vaddr = fuzz_take(&p, &left, 8);
	im.mem = p;
	im.len = left;
	if (g == 1 && (mode & 8))
		va_bits = 52;		/* 4K with LPA2 */
	err = vt_arm64_geometry_init(geos[g].shift, va_bits, va_bits, geos[g].pa,
				     big_endian, &geo);
	if (err) {
		vt_error_destroy(err);
		__builtin_trap();	/* Linux's own geometries must be accepted */
	}
	for (unsigned k = 0; k < 4; k++) {
		struct vt_xlat_path path;

		memset(&path, 0, sizeof(path));
		err = vt_arm64_walk(read_image, &im, &geo, root,
				    vaddr ^ ((uint64_t)k << geo.page_shift * k), &path);
		look_at(&path, err);
	}
	for (unsigned half = 0; half < 2; half++) {
		memset(&lim, 0, sizeof(lim));
		lim.max_phys = im.len;
		lim.max_tables = 512;
		lim.va_base = half ? ~0ull << geo.va_bits : 0;
		lim.va_lo = lim.va_base;
		lim.va_hi = half ? UINT64_MAX : (1ull << geo.va_bits) - 1;
		vt_error_destroy(vt_pgwalk_arm64(read_image, &im, root, &geo, &lim, &ops,
						 NULL));
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	size_t left = size;
	unsigned mode, sme_bit;
	uint64_t root, vaddr, sme;
	struct image im;
	struct vt_radix_geometry geo;
	struct vt_xlat_path path;
	struct vt_pgwalk_limits lim;

	if (size < HDR)
		return 0;
	mode = (unsigned)fuzz_take(&p, &left, 1);
	sme_bit = (unsigned)fuzz_take(&p, &left, 1);
	sme = sme_bit ? 1ull << (sme_bit & 63) : 0;
	if (mode & 4)
		return arm64_one(p, left, mode, sme_bit & 1);
	mode &= 3;
	fuzz_take(&p, &left, 2);
	root = fuzz_take(&p, &left, 4);
	vaddr = fuzz_take(&p, &left, 8);
	im.mem = p;
	im.len = left;
	vt_radix_geometry_default(mode == 2 ? 16 : 12, &geo);

	for (unsigned k = 0; k < 4; k++) {
		uint64_t va = vaddr ^ ((uint64_t)k << (mode >= 2 ? 16 : 12) * k);
		struct vt_error *err;

		memset(&path, 0, sizeof(path));
		if (mode < 2)
			err = vt_x86_64_walk(read_image, &im, root, mode == 1, sme, va, &path);
		else
			err = vt_radix_walk(read_image, &im, &geo, root, va, &path);
		look_at(&path, err);
	}

	/* Both halves, bounded like the analyzer's own walks. */
	for (unsigned half = 0; half < 2; half++) {
		memset(&lim, 0, sizeof(lim));
		lim.max_phys = im.len;
		lim.max_tables = 512;
		if (mode < 2) {
			lim.va_lo = half ? 0xffff800000000000ull : 0;
			lim.va_hi = half ? UINT64_MAX : 0x00007fffffffffffull;
			if (mode == 1) {
				lim.va_lo = half ? 0xff00000000000000ull : 0;
				lim.va_hi = half ? UINT64_MAX : 0x00ffffffffffffffull;
			}
			vt_error_destroy(vt_pgwalk_x86_64(read_image, &im, root, mode == 1,
							  sme, &lim, &ops, NULL));
		} else {
			lim.va_base = half ? 0xc000000000000000ull : 0;
			lim.va_lo = lim.va_base;
			lim.va_hi = lim.va_base + 0x3fffffffffffffffull;
			vt_error_destroy(vt_pgwalk_radix(read_image, &im, root, &geo, &lim,
							 &ops, NULL));
		}
	}
	return 0;
}
