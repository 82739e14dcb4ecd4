/*
 * The whole stack on a fuzzed dump: the input describes a tiny ELF core
 * (a VMCOREINFO note and PT_LOAD segments of "physical memory"), which is
 * written to a memfd and opened with vt_target_open on /proc/self/fd/N like
 * any dump. Then what `vmtriage report` does: symbols from the dump alone
 * (kallsyms decoding, the dump's BTF, VMCOREINFO), the kernel log and the
 * oops in it, every plugin (memmap, page tables, ...), and a memmap scan.
 *
 * Input (little-endian):
 *   u8  flags: bit 0 ppc64, bit 2 arm64 (neither: x86_64), bit 1 big-endian ELF
 *   u16 V, then V bytes of VMCOREINFO text
 *   u16 N (at most MAX_SEGS), then N x { u32 pfn (4 KiB frames), u32 length }
 *   segment data, in order; a segment is cut to the bytes that are left
 * fuzz/make-seeds.sh builds seeds from the pages a real `report` reads.
 * FUZZ_DUMP_WRITE=FILE writes the core built from an input, for vmtriage.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "models/memmap.h"
#include "models/oops.h"
#include "models/printk.h"
#include "target/target.h"
#include "fuzz.h"
#include "plugins/plugin.h"
#include "symbols/symbols.h"

#define MAX_SEGS 1024

static void put16(uint8_t *p, uint16_t v, bool be)
{
	for (int i = 0; i < 2; i++)
		p[be ? 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v, bool be)
{
	for (int i = 0; i < 8; i++)
		p[be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
}

/* Lay out the ELF core in one buffer; returns its length (0: no memory). */
static size_t build_core(const uint8_t *data, size_t size, uint8_t **ret)
{
	const uint8_t *p = data;
	size_t left = size, vlen, nsegs, notesz, off, total;
	unsigned flags = (unsigned)fuzz_take(&p, &left, 1);
	bool ppc = flags & 1, be = flags & 2, arm64 = !ppc && (flags & 4);
	const uint8_t *vi, *segdata;
	struct { uint64_t paddr, len; } segs[MAX_SEGS];
	uint8_t *b;

	vlen = (size_t)fuzz_take(&p, &left, 2);
	vlen = vlen < left ? vlen : left;
	vi = p;
	p += vlen;
	left -= vlen;
	nsegs = (size_t)fuzz_take(&p, &left, 2);
	nsegs = nsegs < MAX_SEGS ? nsegs : MAX_SEGS;
	for (size_t i = 0; i < nsegs; i++) {
		segs[i].paddr = fuzz_take(&p, &left, 4) << 12;
		segs[i].len = fuzz_take(&p, &left, 4);
	}
	segdata = p;
	for (size_t i = 0, avail = left; i < nsegs; i++) {
		segs[i].len = segs[i].len < avail ? segs[i].len : avail;
		avail -= segs[i].len;
	}
	/* ELF header, program headers, the note (name "VMCOREINFO"), data. */
	notesz = 12 + 12 + ((vlen + 3) & ~(size_t)3);
	off = sizeof(Elf64_Ehdr) + (nsegs + 1) * sizeof(Elf64_Phdr);
	total = off + notesz + left;
	b = calloc(1, total);
	if (!b)
		return 0;
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put16(b + 16, ET_CORE, be);
	put16(b + 18, ppc ? EM_PPC64 : arm64 ? EM_AARCH64 : EM_X86_64, be);
	put32(b + 20, EV_CURRENT, be);
	put64(b + 32, sizeof(Elf64_Ehdr), be);		/* e_phoff */
	put16(b + 52, sizeof(Elf64_Ehdr), be);		/* e_ehsize */
	put16(b + 54, sizeof(Elf64_Phdr), be);		/* e_phentsize */
	put16(b + 56, (uint16_t)(nsegs + 1), be);	/* e_phnum */
	{
		uint8_t *ph = b + sizeof(Elf64_Ehdr);

		put32(ph, PT_NOTE, be);
		put64(ph + 8, off, be);
		put64(ph + 32, notesz, be);
		put64(ph + 40, notesz, be);
	}
	put32(b + off, 11, be);
	put32(b + off + 4, (uint32_t)vlen, be);
	put32(b + off + 8, 0, be);
	memcpy(b + off + 12, "VMCOREINFO", 11);
	memcpy(b + off + 24, vi, vlen);
	off += notesz;
	memcpy(b + off, segdata, left);
	for (size_t i = 0; i < nsegs; i++) {
		uint8_t *ph = b + sizeof(Elf64_Ehdr) + (i + 1) * sizeof(Elf64_Phdr);

		put32(ph, PT_LOAD, be);
		put32(ph + 4, PF_R | PF_W | PF_X, be);
		put64(ph + 8, off, be);				/* p_offset */
		put64(ph + 24, segs[i].paddr, be);		/* p_paddr */
		put64(ph + 32, segs[i].len, be);		/* p_filesz */
		put64(ph + 40, segs[i].len, be);		/* p_memsz */
		off += segs[i].len;
	}
	*ret = b;
	return total;
}

static int log_fn(void *arg, const struct vt_log_record *rec)
{
	*(uint64_t *)arg += rec->len + strlen(rec->text);
	return 0;
}

static int scan_visit(void *arg, const struct vt_page *pages, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*(uint64_t *)arg += pages[i].flags;
	return 0;
}

static const struct vt_memmap_scan_ops scan_ops = { .visit = scan_visit };

static void analyze(struct vt_target *t)
{
	struct vt_symbols_options opts = { 0 };
	struct vt_models *models;
	struct vt_symbols *s;
	struct vt_plugin_ran *ran;
	const struct vt_error *merr;
	struct vt_memmap *m;
	uint64_t sink = 0, skipped, addr;
	const struct vt_phys_range *ranges;
	size_t nranges;

	vt_error_destroy(vt_target_phys_ranges(t, &ranges, &nranges, &skipped));
	(void)vt_target_xlat_method(t);
	if (vt_symbols_create(t, &opts, &s) != NULL)
		return;	/* its error is tested by the next run of the same bytes */
	vt_error_destroy(vt_symbols_lookup(s, "jiffies", &addr));
	vt_error_destroy(vt_log_read(t, s, log_fn, &sink, &skipped));
	if (vt_models_create(t, s, &models) != NULL) {
		vt_symbols_destroy(s);
		return;
	}
	/* The report's runner, on the same models every command shares. */
	ran = calloc(vt_nplugins, sizeof(*ran));
	if (ran)
		vt_plugins_run(models, NULL, ran, NULL, NULL);
	free(ran);
	m = vt_models_memmap(models, &merr);
	if (m)
		vt_error_destroy(vt_memmap_scan(m, &scan_ops, &sink));
	vt_models_destroy(models);
	vt_symbols_destroy(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_target *t;
	struct vt_error *err;
	uint8_t *core = NULL;
	size_t len = build_core(data, size, &core);
	char path[64];
	int fd;

	if (!len)
		return 0;
	/* FUZZ_DUMP_WRITE=FILE: keep the core, to run vmtriage on a finding. */
	if (getenv("FUZZ_DUMP_WRITE")) {
		FILE *f = fopen(getenv("FUZZ_DUMP_WRITE"), "wb");

		if (f) {
			fwrite(core, 1, len, f);
			fclose(f);
		}
	}
	fd = fuzz_memfd("dump", core, len);
	free(core);
	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = vt_target_open(path, &t);
	if (err)
		vt_error_destroy(err);
	else {
		analyze(t);
		vt_target_destroy(t);
	}
	close(fd);
	return 0;
}
