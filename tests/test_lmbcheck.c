/*
 * The per-LMB cross-check (models/lmbcheck.h) on a fake pseries dump: a
 * live device tree (of_root; struct device_node and struct property) whose
 * /ibm,dynamic-reconfiguration-memory node has ibm,lmb-size and
 * ibm,dynamic-memory (v1, big-endian as PAPR has it) plus an older
 * generation in deadprops, the kernel's drmem_info (struct drmem_lmb_info
 * {lmbs, n_lmbs, lmb_size}, struct drmem_lmb {base_addr, drc_index,
 * aa_index, flags}: arch/powerpc/include/asm/drmem.h) and the memmap's
 * sections. LMBs are 32 MiB (two 16 MiB sections) so that half an LMB can
 * be present. Sources the dump lacks (boot FDT, memblock, memory blocks,
 * crash kernel) must each say why, never count as agreement. Then the
 * crash kernel's PT_LOADs over memory without sections, at subsection
 * granularity.
 */
#include <string.h>

#include "fake_target.h"
#include "models/lmbcheck.h"
#include "unit.h"

#define LMB 0x2000000ull
#define OF_ROOT_VAR 0x2000u
#define DRMEM_VAR 0x3000u
#define USAGE 0x40000u
#define ROOT 0x60000u
#define DRCONF 0x60100u
#define STRS 0x61000u
#define PROPS 0x62000u
#define VALUES 0x63000u
#define INFO 0x64000u
#define A VT_DRCONF_MEM_ASSIGNED
#define R VT_DRCONF_MEM_RESERVED

static void be32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (24 - 8 * i));
}

static void be64(unsigned char *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

/* A struct property at pa: name, value (len bytes at vpa), next. */
static void prop(struct fake *f, uint64_t pa, const char *name, uint64_t vpa, uint32_t len,
		 uint64_t next)
{
	static uint64_t str = STRS + 0x800;

	fake_puts(f, str, name);
	fake_put64(f, pa, KV(str));
	fake_put32(f, pa + 8, len);
	fake_put64(f, pa + 16, KV(vpa));
	fake_put64(f, pa + 24, next ? KV(next) : 0);
	str += strlen(name) + 1;
}

/* ibm,dynamic-memory v1 at vpa: u32 n, n x {u64 base, u32 drc, rsvd, aa, flags}. */
static uint32_t dynmem(struct fake *f, uint64_t vpa, const uint32_t *flags, unsigned n)
{
	be32(f->mem + vpa, n);
	for (unsigned i = 0; i < n; i++) {
		unsigned char *e = f->mem + vpa + 4 + 24 * i;

		be64(e, i * LMB);
		be32(e + 8, 0x80000000u + i);
		be32(e + 12, 0);
		be32(e + 16, 0);
		be32(e + 20, flags[i]);
	}
	return 4 + 24 * n;
}

static void node(struct fake *f, uint64_t pa, const char *full_name, uint64_t str, uint64_t props,
		 uint64_t deadprops, uint64_t parent, uint64_t child)
{
	fake_puts(f, str, full_name);
	fake_put64(f, pa + 0, 0);			/* name: full_name is used */
	fake_put32(f, pa + 8, 0);			/* phandle */
	fake_put64(f, pa + 16, KV(str));
	fake_put64(f, pa + 24, props ? KV(props) : 0);
	fake_put64(f, pa + 32, deadprops ? KV(deadprops) : 0);
	fake_put64(f, pa + 40, parent ? KV(parent) : 0);
	fake_put64(f, pa + 48, child ? KV(child) : 0);
	fake_put64(f, pa + 56, 0);			/* sibling */
}

static void build(struct fake *f)
{
	/* LMB:          0       1  2  3                      4 */
	static const uint32_t live[] = { R | 0x20, A, A, A, A };
	static const uint32_t old[] = { R | 0x20, A, 0, 0 };
	/* drmem_info: LMB 5 is the kernel's alone */
	static const uint32_t dr[] = { R | 0x20, A, 0, A | VT_DRMEM_LMB_RESERVED, A, A };
	uint32_t len;

	fake_init(f, "6.1.0-test", 65536);
	fake_memmap_layout(f);
	/* 6.1's section bits are an enum (ppc64: no CONFIG_ZONE_DEVICE bit). */
	fake_vi(f, "NUMBER(SECTION_MARKED_PRESENT_BIT)=0");
	fake_vi(f, "NUMBER(SECTION_HAS_MEM_MAP_BIT)=1");
	fake_vi(f, "NUMBER(SECTION_IS_ONLINE_BIT)=2");
	fake_vi(f, "NUMBER(SECTION_IS_EARLY_BIT)=3");
	fake_vi(f, "NUMBER(SECTION_MAP_LAST_BIT)=4");
	fake_vi(f, "SYMBOL(of_root)=%llx", (unsigned long long)KV(OF_ROOT_VAR));
	fake_vi(f, "OFFSET(device_node.name)=0");
	fake_vi(f, "OFFSET(device_node.phandle)=8");
	fake_vi(f, "OFFSET(device_node.full_name)=16");
	fake_vi(f, "OFFSET(device_node.properties)=24");
	fake_vi(f, "OFFSET(device_node.deadprops)=32");
	fake_vi(f, "OFFSET(device_node.parent)=40");
	fake_vi(f, "OFFSET(device_node.child)=48");
	fake_vi(f, "OFFSET(device_node.sibling)=56");
	fake_vi(f, "OFFSET(property.name)=0");
	fake_vi(f, "OFFSET(property.length)=8");
	fake_vi(f, "OFFSET(property.value)=16");
	fake_vi(f, "OFFSET(property.next)=24");
	fake_vi(f, "SYMBOL(drmem_info)=%llx", (unsigned long long)KV(DRMEM_VAR));
	fake_vi(f, "OFFSET(drmem_lmb_info.lmbs)=0");
	fake_vi(f, "OFFSET(drmem_lmb_info.n_lmbs)=8");
	fake_vi(f, "OFFSET(drmem_lmb_info.lmb_size)=16");
	fake_vi(f, "SIZE(drmem_lmb)=24");
	fake_vi(f, "OFFSET(drmem_lmb.base_addr)=0");
	fake_vi(f, "OFFSET(drmem_lmb.drc_index)=8");
	fake_vi(f, "OFFSET(drmem_lmb.aa_index)=12");
	fake_vi(f, "OFFSET(drmem_lmb.flags)=16");

	/* The tree: / -> ibm,dynamic-reconfiguration-memory */
	fake_put64(f, OF_ROOT_VAR, KV(ROOT));
	node(f, ROOT, "/", STRS, 0, 0, 0, DRCONF);
	node(f, DRCONF, "/ibm,dynamic-reconfiguration-memory", STRS + 0x10, PROPS, PROPS + 0x80,
	     ROOT, 0);
	be64(f->mem + VALUES, LMB);
	prop(f, PROPS, "ibm,lmb-size", VALUES, 8, PROPS + 0x40);
	len = dynmem(f, VALUES + 0x100, live, 5);
	prop(f, PROPS + 0x40, "ibm,dynamic-memory", VALUES + 0x100, len, 0);
	len = dynmem(f, VALUES + 0x400, old, 4);
	prop(f, PROPS + 0x80, "ibm,dynamic-memory", VALUES + 0x400, len, 0);

	/* drmem_info (little-endian: the kernel's own struct) */
	fake_put64(f, DRMEM_VAR, KV(INFO));
	fake_put64(f, INFO, KV(INFO + 0x100));
	fake_put32(f, INFO + 8, 6);
	fake_put64(f, INFO + 16, LMB);
	for (unsigned i = 0; i < 6; i++) {
		fake_put64(f, INFO + 0x100 + 24 * i, i * LMB);
		fake_put32(f, INFO + 0x100 + 24 * i + 8, 0x80000000u + i);
		fake_put32(f, INFO + 0x100 + 24 * i + 16, dr[i]);
	}

	/* Sections: LMB 0, 1 whole; 2 none; 3 whole (6 hot-added with only
	 * subsections 0-3 valid); 4 half; 5 whole. */
	for (unsigned nr = 0; nr < 4; nr++)
		fake_section(f, nr, 0xf, 0);
	fake_section(f, 6, 0x7, USAGE);
	fake_put64(f, USAGE, 0x0f);
	fake_section(f, 7, 0x3, 0);		/* present, not online */
	fake_section(f, 8, 0xf, 0);
	fake_section(f, 10, 0xf, 0);
	fake_section(f, 11, 0xf, 0);
}

static void test_check(void)
{
	struct fake f;
	struct vt_memmap *m;
	struct vt_lmb_check c;
	struct vt_error *err;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	CHECK_OK(vt_lmb_check_build(f.t, f.s, m, &c));
	CHECK(c.have_node && c.lmb_size == LMB && !strcmp(c.prop_name, "ibm,dynamic-memory"));
	CHECK(c.have_drmem && c.have_sections && c.ngen == 1);
	CHECK(c.n == 6);
	if (c.n == 6) {
		const struct vt_lmb_row *r = c.rows;

		CHECK(r[0].base == 0 && r[0].state == VT_LMB_FIRMWARE);
		CHECK(r[1].base == LMB && r[1].state == VT_LMB_OK && r[1].present == 2 &&
		      r[1].nsections == 2 && r[1].online == 2 && r[1].drc_index == 0x80000001u);
		CHECK(r[2].state == VT_LMB_STALE_DT && r[2].present == 0 && r[2].dt == A &&
		      r[2].drmem == 0);
		CHECK(r[3].state == VT_LMB_IN_FLIGHT && r[3].present == 2 && r[3].online == 1);
		CHECK(r[4].state == VT_LMB_MISMATCH && r[4].present == 1 && r[4].nsections == 2);
		/* drmem's extra LMB: a row of its own, DT unknown, so no verdict */
		CHECK(r[5].base == 5 * LMB && r[5].dt == -1 && r[5].drmem == A &&
		      r[5].state == VT_LMB_UNKNOWN && r[5].size == LMB);
		/* deadprops: the old generation, where LMB 2 was not assigned and
		 * LMB 4 did not exist */
		CHECK(r[1].nhist == 1 && r[1].hist[0] == A);
		CHECK(r[2].nhist == 1 && r[2].hist[0] == 0 && r[4].hist[0] == -1);
		CHECK(r[0].boot == -1 && r[0].crash_fdt == -1 && r[0].block_state == -1);
	}
	CHECK(c.in_flight == 1 && c.stale == 1 && c.mismatch == 1);
	/* What the dump lacks is said, per source. */
	CHECK(!c.have_boot && strstr(c.boot_err, "initial_boot_params"));
	CHECK(!c.have_memblock && strstr(c.memblock_err, "memblock"));
	CHECK(!c.have_blocks && strstr(c.blocks_err, "memory_blocks"));
	CHECK(!c.have_crash && strstr(c.crash_err, "kexec_crash_image"));
	vt_lmb_check_deinit(&c);
	CHECK(c.rows == NULL && c.n == 0 && c.live == NULL);

	/* No memmap: sections unknown, so no row gets an agreement verdict. */
	CHECK_OK(vt_lmb_check_build(f.t, f.s, NULL, &c));
	CHECK(!c.have_sections && !strcmp(c.sections_err, "no memmap") && c.n == 6);
	CHECK(c.n == 6 && c.rows[1].state == VT_LMB_UNKNOWN && c.rows[2].state == VT_LMB_UNKNOWN);
	CHECK(c.n == 6 && c.rows[3].state == VT_LMB_IN_FLIGHT && c.stale == 0);
	vt_lmb_check_deinit(&c);

	/* drmem_info filtered: its column unknown, rows unknown, not "ok". */
	fake_filter(&f, INFO + 0x100, 6 * 24);
	CHECK_OK(vt_lmb_check_build(f.t, f.s, m, &c));
	CHECK(!c.have_drmem && strstr(c.drmem_err, "filtered") && c.n == 5);
	CHECK(c.n == 5 && c.rows[1].drmem == -1 && c.rows[1].state == VT_LMB_UNKNOWN);
	CHECK(c.n == 5 && c.rows[0].state == VT_LMB_FIRMWARE && c.stale == 0);
	vt_lmb_check_deinit(&c);
	fake_unfilter(&f);

	/* The LMB property's value filtered: the live tree says so. */
	fake_filter(&f, VALUES + 0x100, 16);
	err = vt_lmb_check_build(f.t, f.s, m, &c);
	CHECK(err && strstr(err->message, "live device tree") && c.rows == NULL);
	vt_error_destroy(err);
	fake_unfilter(&f);
	vt_memmap_destroy(m);

	/* A tree without the node: not a DLPAR tree, no rows, no error. */
	fake_put64(&f, ROOT + 48, 0);
	CHECK_OK(vt_lmb_check_build(f.t, f.s, NULL, &c));
	CHECK(!c.have_node && c.n == 0);
	vt_lmb_check_deinit(&c);
	/* No device tree layout: an error that names it. */
	fake_vi_drop(&f, "OFFSET(device_node.deadprops)");
	CHECK_OK(fake_open(&f));
	err = vt_lmb_check_build(f.t, f.s, NULL, &c);
	CHECK(err && strstr(err->message, "deadprops"));
	vt_error_destroy(err);
	fake_free(&f);
}

static void test_bad_loads(void)
{
	struct fake f;
	struct vt_memmap *m;
	struct vt_crashimage ci;
	struct vt_elf_load loads[] = {
		{ .paddr = 0x2000000, .memsz = 0x4000000 },	/* sections 2-5: 4, 5 absent */
		{ .paddr = 0x6000000, .memsz = 0x2000000 },	/* section 6: subsections 4-7 */
		{ .paddr = 0x8000000, .memsz = 0 },		/* empty: skipped */
		{ .paddr = 0x10000000, .memsz = 0x10000 },	/* nothing there */
		{ .paddr = 0x3000000, .memsz = 0x800000 },	/* backed */
	};
	struct vt_phys_span out[8];
	size_t n;
	uint64_t omitted;

	build(&f);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memmap_create(f.t, f.s, &m));
	memset(&ci, 0, sizeof(ci));
	ci.have_hdr = true;
	ci.hdr.loads = loads;
	ci.hdr.nload = sizeof(loads) / sizeof(loads[0]);
	vt_crash_bad_loads(&ci, m, out, 8, &n, &omitted);
	CHECK(n == 3 && omitted == 0);
	CHECK(n == 3 && out[0].start == 0x4000000 && out[0].end == 0x6000000);
	CHECK(n == 3 && out[1].start == 0x6800000 && out[1].end == 0x7000000);
	CHECK(n == 3 && out[2].start == 0x10000000 && out[2].end == 0x10010000);
	/* A full list counts the rest. */
	vt_crash_bad_loads(&ci, m, out, 1, &n, &omitted);
	CHECK(n == 1 && omitted == 2 && out[0].start == 0x4000000);
	/* No header: nothing. A load that wraps: skipped, not looped over. */
	ci.have_hdr = false;
	vt_crash_bad_loads(&ci, m, out, 8, &n, &omitted);
	CHECK(n == 0 && omitted == 0);
	ci.have_hdr = true;
	loads[0].paddr = 0xfffffffffff00000ull;
	loads[0].memsz = 0x200000;
	ci.hdr.nload = 1;
	vt_crash_bad_loads(&ci, m, out, 8, &n, &omitted);
	CHECK(n == 0);
	/* Ending at 2^64 reads as wrapping: skipped, and the walk ends. */
	loads[0].paddr = 0xffffffffffff0000ull;
	loads[0].memsz = 0x10000;
	vt_crash_bad_loads(&ci, m, out, 8, &n, &omitted);
	CHECK(n == 0);
	vt_memmap_destroy(m);
	fake_free(&f);
}

int main(void)
{
	test_check();
	test_bad_loads();
	return unit_done("test_lmbcheck");
}
