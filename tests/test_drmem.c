/*
 * Unit tests of the device-tree decoders on hand-built bytes: ibm,lmb-size,
 * ibm,dynamic-memory (v1, which this QEMU cannot produce) and -v2, the
 * associativity lookup arrays, the elfcorehdr, FDT blobs (good and broken)
 * and the live-tree walker over fake memory (cycles, names without NUL).
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/crashimage.h"
#include "devtree/devtree.h"
#include "devtree/drmem.h"
#include "models/lmbcheck.h"
#include "unit.h"

/* --- a byte builder --- */
struct buf {
	unsigned char b[8192];
	size_t n;
};

static void be32(struct buf *b, uint32_t v)
{
	for (int i = 3; i >= 0; i--)
		b->b[b->n++] = (unsigned char)(v >> (8 * i));
}

static void be64(struct buf *b, uint64_t v)
{
	be32(b, (uint32_t)(v >> 32));
	be32(b, (uint32_t)v);
}

static void bytes(struct buf *b, const void *p, size_t len)
{
	memcpy(b->b + b->n, p, len);
	b->n += len;
}

static void pad4(struct buf *b)
{
	while (b->n % 4)
		b->b[b->n++] = 0;
}

static void test_lmb_size(void)
{
	unsigned char v8[8] = { 0, 0, 0, 0, 0x10, 0, 0, 0 }, v4[4] = { 0x10, 0, 0, 0 };
	uint64_t sz;

	CHECK_OK(vt_drmem_lmb_size(v8, 8, &sz));
	CHECK(sz == 0x10000000);
	CHECK_OK(vt_drmem_lmb_size(v4, 4, &sz));
	CHECK(sz == 0x10000000);
	CHECK_ERR(vt_drmem_lmb_size(v8, 6, &sz), VT_ERR_FORMAT);
	memset(v8, 0, 8);
	CHECK_ERR(vt_drmem_lmb_size(v8, 8, &sz), VT_ERR_FORMAT);
}

static void v1_entry(struct buf *b, uint64_t base, uint32_t drc, uint32_t aa, uint32_t flags)
{
	be64(b, base);
	be32(b, drc);
	be32(b, 0xdeadbeef);	/* reserved */
	be32(b, aa);
	be32(b, flags);
}

static void test_v1(void)
{
	struct buf b = { .n = 0 };
	struct vt_lmb_array a;

	be32(&b, 3);
	v1_entry(&b, 0x20000000, 0x80000002, 0, VT_DRCONF_MEM_ASSIGNED);
	v1_entry(&b, 0x10000000, 0x80000001, 1, VT_DRCONF_MEM_RESERVED);
	v1_entry(&b, 0x30000000, 0x80000003, 0xffffffff, 0);
	CHECK_OK(vt_drmem_decode_v1(b.b, b.n, 0x10000000, &a));
	CHECK(a.n == 3);
	/* sorted by base, fields in place, the reserved word skipped */
	CHECK(a.lmbs[0].base == 0x10000000 && a.lmbs[0].drc_index == 0x80000001);
	CHECK(a.lmbs[0].aa_index == 1 && a.lmbs[0].flags == VT_DRCONF_MEM_RESERVED);
	CHECK(a.lmbs[1].flags == VT_DRCONF_MEM_ASSIGNED);
	CHECK(a.lmbs[2].aa_index == 0xffffffff);
	CHECK(vt_lmb_find(&a, 0x30000000) == &a.lmbs[2]);
	CHECK(vt_lmb_find(&a, 0x40000000) == NULL);
	vt_lmb_array_deinit(&a);

	/* counts that disagree with the length, both ways, and a cut entry */
	b.b[3] = 4;
	CHECK_ERR(vt_drmem_decode_v1(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	b.b[3] = 2;
	CHECK_ERR(vt_drmem_decode_v1(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	b.b[3] = 3;
	CHECK_ERR(vt_drmem_decode_v1(b.b, b.n - 1, 0x10000000, &a), VT_ERR_FORMAT);
	CHECK_ERR(vt_drmem_decode_v1(b.b, 3, 0x10000000, &a), VT_ERR_FORMAT);
	/* a huge count must not allocate or read past the buffer */
	memset(b.b, 0xff, 4);
	CHECK_ERR(vt_drmem_decode_v1(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	/* empty is fine */
	memset(b.b, 0, 4);
	CHECK_OK(vt_drmem_decode_v1(b.b, 4, 0x10000000, &a));
	CHECK(a.n == 0);
	vt_lmb_array_deinit(&a);
}

static void v2_set(struct buf *b, uint32_t seq, uint64_t base, uint32_t drc, uint32_t aa,
		   uint32_t flags)
{
	be32(b, seq);
	be64(b, base);
	be32(b, drc);
	be32(b, aa);
	be32(b, flags);
}

static void test_v2(void)
{
	struct buf b = { .n = 0 };
	struct vt_lmb_array a;

	/* The ppc-c dump's property after injection (truth.json devicetree). */
	be32(&b, 4);
	v2_set(&b, 4, 0, 0, 0xffffffff, 0xa0);
	v2_set(&b, 2, 0x40000000, 0x80000004, 0xffffffff, 0x8);
	v2_set(&b, 2, 0x60000000, 0x80000006, 0, 0x8);
	v2_set(&b, 8, 0x80000000, 0x80000008, 0xffffffff, 0);
	CHECK_OK(vt_drmem_decode_v2(b.b, b.n, 0x10000000, &a));
	CHECK(a.n == 16);
	CHECK(a.lmbs[3].base == 0x30000000 && a.lmbs[3].drc_index == 3);
	CHECK(a.lmbs[5].base == 0x50000000 && a.lmbs[5].drc_index == 0x80000005);
	CHECK(a.lmbs[5].flags == VT_DRCONF_MEM_ASSIGNED && a.lmbs[5].aa_index == 0xffffffff);
	CHECK(a.lmbs[15].base == 0xf0000000 && a.lmbs[15].drc_index == 0x8000000f);
	CHECK(a.lmbs[15].flags == 0);
	vt_lmb_array_deinit(&a);

	b.b[3] = 5;	/* more sets than bytes */
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	b.b[3] = 3;	/* fewer: trailing bytes */
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	b.b[3] = 4;
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n - 4, 0x10000000, &a), VT_ERR_FORMAT);
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n, 0, &a), VT_ERR_FORMAT);

	/* a set whose LMBs run past 2^64, and one with 2^32-1 LMBs */
	b.n = 0;
	be32(&b, 1);
	v2_set(&b, 2, UINT64_MAX - 0x10000000 + 1, 1, 0, 0);
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
	b.n = 0;
	be32(&b, 1);
	v2_set(&b, 0xffffffff, 0, 1, 0, 0);
	CHECK_ERR(vt_drmem_decode_v2(b.b, b.n, 0x10000000, &a), VT_ERR_FORMAT);
}

static void test_assoc(void)
{
	struct buf b = { .n = 0 };
	struct vt_assoc_arrays a;

	be32(&b, 2);
	be32(&b, 3);
	for (uint32_t i = 0; i < 6; i++)
		be32(&b, i * 10);
	CHECK_OK(vt_drmem_decode_assoc(b.b, b.n, &a));
	CHECK(a.narrays == 2 && a.per_array == 3 && a.cells[4] == 40);
	vt_drmem_assoc_deinit(&a);
	CHECK_ERR(vt_drmem_decode_assoc(b.b, b.n - 4, &a), VT_ERR_FORMAT);
	b.b[3] = 0xff;
	CHECK_ERR(vt_drmem_decode_assoc(b.b, b.n, &a), VT_ERR_FORMAT);
	CHECK_ERR(vt_drmem_decode_assoc(b.b, 7, &a), VT_ERR_FORMAT);
}

static void test_flags_str(void)
{
	char buf[64];

	CHECK(!strcmp(vt_drmem_flags_str(0x8, buf, sizeof(buf)), "assigned"));
	CHECK(!strcmp(vt_drmem_flags_str(0xa0, buf, sizeof(buf)), "drc-invalid|reserved"));
	CHECK(!strcmp(vt_drmem_flags_str(0x80000009, buf, sizeof(buf)),
		      "assigned|in-flight|0x1"));
	CHECK(!strcmp(vt_drmem_flags_str(0, buf, sizeof(buf)), "none"));
	CHECK(!strcmp(vt_drmem_flags_str(0x140, buf, sizeof(buf)), "ai-invalid|hotremovable"));
	vt_drmem_flags_str(0xffffffff, buf, 8);	/* truncates, stays terminated */
	CHECK(strlen(buf) == 7);
}

/* --- elfcorehdr --- */
static void put(unsigned char *p, uint64_t v, int size, bool be)
{
	for (int i = 0; i < size; i++)
		p[be ? size - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

static size_t make_elfcorehdr(unsigned char *b, bool be, uint16_t phnum_claimed)
{
	static const struct { uint32_t type; uint64_t paddr, size; } ph[] = {
		{ PT_NOTE, 0x3f000000, 0x400 },
		{ PT_LOAD, 0x0, 0x40000000 },
		{ PT_LOAD, 0x60000000, 0x20000000 },
	};
	size_t n = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);

	memset(b, 0, n);
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put(b + offsetof(Elf64_Ehdr, e_type), ET_CORE, 2, be);
	put(b + offsetof(Elf64_Ehdr, e_machine), be ? EM_PPC64 : EM_X86_64, 2, be);
	put(b + offsetof(Elf64_Ehdr, e_phoff), sizeof(Elf64_Ehdr), 8, be);
	put(b + offsetof(Elf64_Ehdr, e_phentsize), sizeof(Elf64_Phdr), 2, be);
	put(b + offsetof(Elf64_Ehdr, e_phnum), phnum_claimed, 2, be);
	for (int i = 0; i < 3; i++) {
		unsigned char *p = b + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr);

		put(p + offsetof(Elf64_Phdr, p_type), ph[i].type, 4, be);
		put(p + offsetof(Elf64_Phdr, p_paddr), ph[i].paddr, 8, be);
		put(p + offsetof(Elf64_Phdr, p_vaddr), 0xc000000000000000ull + ph[i].paddr, 8, be);
		put(p + offsetof(Elf64_Phdr, p_filesz), ph[i].size, 8, be);
		put(p + offsetof(Elf64_Phdr, p_memsz), ph[i].size, 8, be);
	}
	return n;
}

static void test_elfcorehdr(void)
{
	unsigned char b[512];
	struct vt_elfcorehdr h;
	size_t n;

	for (int be = 0; be < 2; be++) {
		n = make_elfcorehdr(b, be, 3);
		CHECK_OK(vt_elfcorehdr_decode(b, n, &h));
		CHECK(h.big_endian == be && h.nload == 2 && h.nnote == 1);
		CHECK(h.machine == (be ? EM_PPC64 : EM_X86_64));
		CHECK(h.nload == 2 && h.loads[1].paddr == 0x60000000 &&
		      h.loads[1].memsz == 0x20000000);
		CHECK(h.loads[1].vaddr == 0xc000000060000000ull);
		vt_elfcorehdr_deinit(&h);
	}
	n = make_elfcorehdr(b, false, 4);	/* more headers than bytes */
	CHECK_ERR(vt_elfcorehdr_decode(b, n, &h), VT_ERR_FORMAT);
	n = make_elfcorehdr(b, false, 3);
	CHECK_ERR(vt_elfcorehdr_decode(b, n - 1, &h), VT_ERR_FORMAT);
	CHECK_ERR(vt_elfcorehdr_decode(b, 20, &h), VT_ERR_FORMAT);
	put(b + offsetof(Elf64_Ehdr, e_type), ET_EXEC, 2, false);
	CHECK_ERR(vt_elfcorehdr_decode(b, n, &h), VT_ERR_FORMAT);
	n = make_elfcorehdr(b, false, 3);
	b[EI_CLASS] = ELFCLASS32;
	CHECK_ERR(vt_elfcorehdr_decode(b, n, &h), VT_ERR_UNSUPPORTED);
	n = make_elfcorehdr(b, false, 3);
	put(b + offsetof(Elf64_Ehdr, e_phoff), 0xffffffffffffff00ull, 8, false);
	CHECK_ERR(vt_elfcorehdr_decode(b, n, &h), VT_ERR_FORMAT);
}

/* --- FDT --- */
struct fdt {
	struct buf st, str;
};

static uint32_t fdt_string(struct fdt *f, const char *s)
{
	for (size_t off = 0; off < f->str.n; off += strlen((char *)f->str.b + off) + 1)
		if (!strcmp((char *)f->str.b + off, s))
			return (uint32_t)off;
	bytes(&f->str, s, strlen(s) + 1);
	return (uint32_t)(f->str.n - strlen(s) - 1);
}

static void fdt_begin(struct fdt *f, const char *name)
{
	be32(&f->st, 1);
	bytes(&f->st, name, strlen(name) + 1);
	pad4(&f->st);
}

static void fdt_prop(struct fdt *f, const char *name, const void *v, uint32_t len)
{
	uint32_t off = fdt_string(f, name);

	be32(&f->st, 3);
	be32(&f->st, len);
	be32(&f->st, off);
	bytes(&f->st, v, len);
	pad4(&f->st);
}

/* Header + empty reservation map + structure + strings into out. */
static size_t fdt_finish(struct fdt *f, unsigned char *out)
{
	struct buf h = { .n = 0 };
	uint32_t off_rsv = 40, off_st = off_rsv + 32, off_str = off_st + (uint32_t)f->st.n;
	uint32_t total = off_str + (uint32_t)f->str.n;

	be32(&h, 0xd00dfeed);
	be32(&h, total);
	be32(&h, off_st);
	be32(&h, off_str);
	be32(&h, off_rsv);
	be32(&h, 17);
	be32(&h, 16);
	be32(&h, 0);
	be32(&h, (uint32_t)f->str.n);
	be32(&h, (uint32_t)f->st.n);
	be64(&h, 0x2c90000);	/* one reservation, then the terminator */
	be64(&h, 0x160000);
	be64(&h, 0);
	be64(&h, 0);
	memcpy(out, h.b, h.n);
	memcpy(out + off_st, f->st.b, f->st.n);
	memcpy(out + off_str, f->str.b, f->str.n);
	return total;
}

static size_t build_fdt(unsigned char *out, bool close)
{
	static struct fdt f;
	struct buf v2 = { .n = 0 }, sz = { .n = 0 };

	memset(&f, 0, sizeof(f));
	be32(&v2, 2);
	v2_set(&v2, 4, 0, 0, 0xffffffff, 0xa0);
	v2_set(&v2, 2, 0x40000000, 0x80000004, 0, 0x8);
	be64(&sz, 0x10000000);
	fdt_begin(&f, "");
	fdt_prop(&f, "compatible", "qemu,pseries", 13);
	fdt_begin(&f, "memory@0");
	fdt_prop(&f, "device_type", "memory", 7);
	be32(&f.st, 2);
	be32(&f.st, 4);		/* a NOP between nodes */
	fdt_begin(&f, "ibm,dynamic-reconfiguration-memory");
	fdt_prop(&f, "ibm,lmb-size", sz.b, (uint32_t)sz.n);
	fdt_prop(&f, "ibm,dynamic-memory-v2", v2.b, (uint32_t)v2.n);
	fdt_prop(&f, "phandle", "\0\0\x11\x21", 4);
	be32(&f.st, 2);
	if (close) {
		be32(&f.st, 2);
		be32(&f.st, 9);
	}
	return fdt_finish(&f, out);
}

static void test_fdt(void)
{
	unsigned char *blob = calloc(1, 16384);
	const struct vt_dt_node *n;
	struct vt_lmb_array a;
	struct vt_dt *dt;
	size_t len = build_fdt(blob, true);
	uint32_t off_st;

	CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nprops == 5 && dt->nproblems == 0);
	CHECK(dt && dt->nrsv == 1 && dt->rsv[0].addr == 0x2c90000);
	n = vt_dt_find(dt, "/ibm,dynamic-reconfiguration-memory");
	CHECK(n && n->phandle == 0x1121 && !strcmp(n->path,
						   "/ibm,dynamic-reconfiguration-memory"));
	CHECK(vt_dt_find(dt, "/memory") == vt_dt_find(dt, "/memory@0"));
	CHECK(vt_dt_find(dt, "/memory@0") != NULL);
	CHECK(vt_dt_find(dt, "/nope") == NULL && vt_dt_find(dt, "/")->child != NULL);
	CHECK_OK(vt_drmem_decode_node(n, &a));
	CHECK(a.n == 6 && a.lmb_size == 0x10000000 && a.lmbs[5].drc_index == 0x80000005);
	vt_lmb_array_deinit(&a);
	vt_dt_destroy(dt);

	/* truncated blob, bad magic, header only */
	CHECK_ERR(vt_dt_from_fdt(blob, len - 1, &dt), VT_ERR_FORMAT);
	CHECK_ERR(vt_dt_from_fdt(blob, 20, &dt), VT_ERR_FORMAT);
	blob[0] ^= 1;
	CHECK_ERR(vt_dt_from_fdt(blob, len, &dt), VT_ERR_FORMAT);
	blob[0] ^= 1;

	/* unterminated tree: kept, with a problem */
	len = build_fdt(blob, false);
	CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nproblems == 1);
	vt_dt_destroy(dt);

	/* a property length past the structure block: cut there */
	len = build_fdt(blob, true);
	off_st = 72;
	{
		/* the first PROP after the root's BEGIN_NODE (4 + 4 bytes of "") */
		unsigned char *p = blob + off_st + 8;

		CHECK(p[3] == 3);
		p[4] = 0x7f;	/* length 0x7f00000d */
		CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
		CHECK(dt && dt->nnodes == 1 && dt->nprops == 0 && dt->nproblems == 1);
		vt_dt_destroy(dt);
		p[4] = 0;
		/* a name offset past the strings block: named "?nameoff@..", kept */
		p[8 + 3] = 0xf0;
		CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
		CHECK(dt && dt->nnodes == 3 && dt->nproblems == 1 &&
		      !strncmp(dt->root->props->name, "?nameoff@", 9));
		vt_dt_destroy(dt);
	}
	/* a node name with no NUL before the structure block ends */
	{
		static struct fdt f;

		memset(&f, 0, sizeof(f));
		fdt_begin(&f, "");
		be32(&f.st, 1);
		bytes(&f.st, "abcdefgh", 8);
		len = fdt_finish(&f, blob);
		CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
		CHECK(dt && dt->nnodes == 1 && dt->nproblems == 1);
		vt_dt_destroy(dt);
	}
	/* nesting past the depth cap */
	{
		static struct fdt f;

		memset(&f, 0, sizeof(f));
		for (int i = 0; i < VT_DT_MAX_DEPTH + 5; i++)
			fdt_begin(&f, i ? "n" : "");
		len = fdt_finish(&f, blob);
		CHECK_OK(vt_dt_from_fdt(blob, len, &dt));
		CHECK(dt && dt->nnodes == VT_DT_MAX_DEPTH && dt->nproblems == 1);
		vt_dt_destroy(dt);
	}
	free(blob);
}

/* --- the live walker over fake memory --- */
#define MEM_BASE 0x10000ull
#define MEM_SIZE 8192

static unsigned char mem[MEM_SIZE];

static struct vt_error *fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	if (addr < MEM_BASE || addr - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (addr - MEM_BASE))
		return vt_error_create(VT_ERR_FAULT, "0x%llx not mapped", (unsigned long long)addr);
	memcpy(buf, mem + (addr - MEM_BASE), len);
	return NULL;
}

/* Little-endian layouts: node {name@0, phandle@8, full_name@16, properties@24,
 * deadprops@32, parent@40, child@48, sibling@56}, property {name@0, length@8,
 * value@16, next@24}. */
static const struct vt_dt_layout layout = {
	.big_endian = false,
	.node_name = 0, .node_phandle = 8, .node_full_name = 16, .node_properties = 24,
	.node_deadprops = 32, .node_parent = 40, .node_child = 48, .node_sibling = 56,
	.prop_name = 0, .prop_length = 8, .prop_value = 16, .prop_next = 24,
};

static void w64(uint64_t addr, uint64_t v)
{
	put(mem + (addr - MEM_BASE), v, 8, false);
}

static uint64_t str_at(uint64_t addr, const char *s)
{
	memcpy(mem + (addr - MEM_BASE), s, strlen(s) + 1);
	return addr;
}

static void node_at(uint64_t a, const char *full, uint64_t namestr, uint64_t props,
		    uint64_t dead, uint64_t parent, uint64_t child, uint64_t sibling)
{
	w64(a + 16, full ? str_at(namestr, full) : 0);
	w64(a + 24, props);
	w64(a + 32, dead);
	w64(a + 40, parent);
	w64(a + 48, child);
	w64(a + 56, sibling);
}

static void prop_at(uint64_t a, uint64_t namestr, const char *name, int32_t len,
		    uint64_t value, uint64_t next)
{
	w64(a, str_at(namestr, name));
	put(mem + (a + 8 - MEM_BASE), (uint32_t)len, 4, false);
	w64(a + 16, value);
	w64(a + 24, next);
}

static void test_live(void)
{
	const uint64_t root = MEM_BASE, a = MEM_BASE + 0x100, b = MEM_BASE + 0x200;
	const uint64_t p1 = MEM_BASE + 0x400, p2 = MEM_BASE + 0x440, d1 = MEM_BASE + 0x480,
		       d2 = MEM_BASE + 0x4c0, val = MEM_BASE + 0x800, strs = MEM_BASE + 0x1000;
	const struct vt_dt_node *n;
	struct vt_dt *dt;

	memset(mem, 0, sizeof(mem));
	node_at(root, "/", strs, 0, 0, 0, a, 0);
	node_at(a, "ibm,dynamic-reconfiguration-memory", strs + 0x10, p1, d1, root, 0, b);
	node_at(b, "cpus", strs + 0x40, 0, 0, root, 0, 0);
	put(mem + (val - MEM_BASE), 0x10000000ull << 32 | 0, 8, false);
	memcpy(mem + (val - MEM_BASE), "\0\0\0\0\x10\0\0\0", 8);
	prop_at(p1, strs + 0x100, "ibm,lmb-size", 8, val, p2);
	prop_at(p2, strs + 0x120, "bad", -5, val, 0);
	prop_at(d1, strs + 0x140, "ibm,dynamic-memory-v2", 4, val, d2);
	prop_at(d2, strs + 0x160, "ibm,dynamic-memory-v2", 8, val, 0);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nprops == 4);
	n = vt_dt_find(dt, "/ibm,dynamic-reconfiguration-memory");
	CHECK(n && n->nprops == 2 && n->ndeadprops == 2);
	CHECK(n && n->deadprops->have == 4 && n->deadprops->next->have == 8);
	CHECK(n && vt_dt_prop_complete(vt_dt_prop(n, "ibm,lmb-size")));
	CHECK(n && !vt_dt_prop_complete(vt_dt_prop(n, "bad")));
	CHECK(dt && dt->nproblems == 1);	/* the negative length */
	CHECK(vt_dt_find(dt, "/cpus") != NULL);
	vt_dt_destroy(dt);

	/* cyclic sibling list: cpus -> the drconf node again */
	w64(b + 56, a);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nproblems == 2);
	vt_dt_destroy(dt);
	/* a node that is its own child */
	w64(b + 56, 0);
	w64(b + 48, b);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nproblems == 2);
	vt_dt_destroy(dt);
	w64(b + 48, 0);
	/* cyclic property list, and deadprops sharing a live property */
	w64(p2 + 24, p1);
	w64(d2 + 24, p2);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nprops == 4 && dt->nproblems == 3);
	vt_dt_destroy(dt);
	w64(p2 + 24, 0);
	w64(d2 + 24, 0);
	/* a name with no NUL (cut at the cap) and one running off mapped memory */
	memset(mem + (strs + 0x40 - MEM_BASE), 'x', 400);
	memset(mem + MEM_SIZE - 16, 'y', 16);
	w64(p1, MEM_BASE + MEM_SIZE - 16);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nnodes == 3 && dt->nproblems == 3);
	n = vt_dt_find(dt, "/ibm,dynamic-reconfiguration-memory");
	CHECK(n && strlen(n->props->name) == 16);
	CHECK(n && n->sibling && strlen(n->sibling->name) == VT_DT_MAX_NAME - 1);
	vt_dt_destroy(dt);
	/* a child pointer into unmapped memory: cut, not fatal; the root unmapped: error */
	w64(root + 48, 0xdead0000);
	CHECK_OK(vt_dt_walk_live(fake_read, NULL, &layout, root, &dt));
	CHECK(dt && dt->nnodes == 1 && dt->nproblems == 1);
	vt_dt_destroy(dt);
	CHECK_ERR(vt_dt_walk_live(fake_read, NULL, &layout, 0xdead0000, &dt), VT_ERR_FAULT);
}

/* The class C rule's edge cases (BUGCLASSES.md C). */
static enum vt_lmb_state classify(struct vt_lmb_check *c, int64_t dt, int64_t dr,
				  unsigned present)
{
	struct vt_lmb_row r = { .base = 0x40000000, .size = 0x10000000, .dt = dt,
				.drmem = dr, .boot = -1, .crash_fdt = -1, .nsections = 16,
				.present = present, .online = present };

	vt_lmb_classify(c, &r);
	return r.state;
}

static void test_rule(void)
{
	struct vt_lmb_check c = { .have_sections = true };
	const int64_t A = VT_DRCONF_MEM_ASSIGNED;

	CHECK(classify(&c, A, A, 16) == VT_LMB_OK);
	CHECK(classify(&c, 0, 0, 0) == VT_LMB_OK);
	CHECK(classify(&c, A, 0, 0) == VT_LMB_STALE_DT);	/* removed, DT stale */
	CHECK(classify(&c, 0, A, 16) == VT_LMB_STALE_DT);	/* added, DT stale */
	CHECK(c.stale == 2 && c.mismatch == 0);
	CHECK(classify(&c, A, 0, 16) == VT_LMB_MISMATCH);	/* drmem alone differs */
	CHECK(classify(&c, A, A, 8) == VT_LMB_MISMATCH);	/* half present */
	CHECK(classify(&c, A, A, 0) == VT_LMB_MISMATCH);
	CHECK(c.mismatch == 3);
	/* in flight wins over any disagreement, and is counted */
	CHECK(classify(&c, A, VT_DRMEM_LMB_RESERVED, 0) == VT_LMB_IN_FLIGHT);
	CHECK(classify(&c, 0, A | VT_DRMEM_LMB_RESERVED, 16) == VT_LMB_IN_FLIGHT);
	CHECK(c.in_flight == 2 && c.stale == 2);
	/* firmware-reserved boot memory: present, never assigned, fine */
	CHECK(classify(&c, 0xa0, 0xa0, 16) == VT_LMB_FIRMWARE);
	/* a missing source: unknown, never a verdict */
	CHECK(classify(&c, -1, 0, 0) == VT_LMB_UNKNOWN);
	CHECK(classify(&c, A, -1, 0) == VT_LMB_UNKNOWN);
	c.have_sections = false;
	CHECK(classify(&c, A, 0, 0) == VT_LMB_UNKNOWN);
	CHECK(c.stale == 2);
}

int main(void)
{
	test_rule();
	test_lmb_size();
	test_v1();
	test_v2();
	test_assoc();
	test_flags_str();
	test_elfcorehdr();
	test_fdt();
	test_live();
	return unit_done("test_drmem");
}
