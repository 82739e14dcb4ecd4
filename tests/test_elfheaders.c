/*
 * vt_target_elf_headers: an ELF dump's own program headers, one entry per
 * PT_LOAD as the file has them (crashimage reads a kdump ELF's table as
 * the elfcorehdr it was made from), in either byte order; refused for a
 * dump that is not ELF.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include "core/byteorder.h"
#include "fake_target.h"
#include "models/crashimage.h"
#include "target/target.h"
#include "unit.h"

static void put(unsigned char *p, uint64_t v, int n, bool be)
{
	for (int i = 0; i < n; i++)
		p[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

static const struct { uint64_t paddr, vaddr, size; } loads[] = {
	{ 0x1000, 0xffff000000001000, 0x2000 },
	{ 0x0, 0xc000000000000000, 0x1000 },	/* out of order, as kexec writes */
	{ 0x3000, 0xffff000000003000, 0x1000 },	/* adjacent to the first: not merged */
};
#define NLOAD (sizeof(loads) / sizeof(*loads))

/* An ET_CORE with a VMCOREINFO note and the loads (their data zero), the
 * program headers placed after the note (e_phoff not 64). */
static int make_core(bool be, uint16_t machine, char *path, size_t len)
{
	static const char vi[] = "OSRELEASE=6.1.0\nPAGESIZE=4096\n";
	size_t notesz = 12 + 12 + ((sizeof(vi) - 1 + 3) & ~3u);
	size_t phoff = 64 + notesz, data = phoff + (NLOAD + 1) * 56, total = data + 0x4000;
	unsigned char *b = calloc(1, total);
	int fd;

	/* a file, not a memfd: package builds run where /proc is not mounted */
	snprintf(path, len, "%s/vt-elfheaders-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(path);

	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = be ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	put(b + 16, ET_CORE, 2, be);
	put(b + 18, machine, 2, be);
	put(b + 20, EV_CURRENT, 4, be);
	put(b + 32, phoff, 8, be);
	put(b + 52, 64, 2, be);
	put(b + 54, 56, 2, be);
	put(b + 56, NLOAD + 1, 2, be);
	put(b + 64, 11, 4, be);
	put(b + 68, sizeof(vi) - 1, 4, be);
	memcpy(b + 76, "VMCOREINFO", 11);
	memcpy(b + 88, vi, sizeof(vi) - 1);
	put(b + phoff, PT_NOTE, 4, be);
	put(b + phoff + 8, 64, 8, be);
	put(b + phoff + 32, notesz, 8, be);
	for (size_t i = 0, off = data; i < NLOAD; off += loads[i].size, i++) {
		unsigned char *ph = b + phoff + (i + 1) * 56;

		put(ph, PT_LOAD, 4, be);
		put(ph + 8, off, 8, be);
		put(ph + 16, loads[i].vaddr, 8, be);
		put(ph + 24, loads[i].paddr, 8, be);
		put(ph + 32, loads[i].size, 8, be);
		put(ph + 40, loads[i].size, 8, be);
	}
	if (fd < 0 || write(fd, b, total) != (ssize_t)total)
		abort();
	free(b);
	return fd;
}

static void check_core(bool be, uint16_t machine)
{
	char path[4096];
	struct vt_target *t = NULL;
	struct vt_elfcorehdr h;
	void *buf;
	size_t len;
	int fd = make_core(be, machine, path, sizeof(path));

	CHECK_OK(vt_target_open(path, &t));
	unlink(path);
	close(fd);
	if (!t)
		return;
	CHECK_OK(vt_target_elf_headers(t, &buf, &len));
	CHECK(len == 64 + (NLOAD + 1) * 56);
	/* the table follows the header in the block */
	CHECK(vt_load64((unsigned char *)buf + 32, be) == 64);
	CHECK_OK(vt_elfcorehdr_decode(buf, len, &h));
	CHECK(h.big_endian == be && h.machine == machine);
	CHECK(h.nload == NLOAD && h.nnote == 1);
	for (size_t i = 0; i < NLOAD && i < h.nload; i++)
		CHECK(h.loads[i].paddr == loads[i].paddr && h.loads[i].vaddr == loads[i].vaddr &&
		      h.loads[i].memsz == loads[i].size && h.loads[i].filesz == loads[i].size);
	vt_elfcorehdr_deinit(&h);
	free(buf);
	vt_target_destroy(t);
}

int main(void)
{
	struct fake f;
	void *buf = (void *)1;
	size_t len = 1;

	check_core(false, EM_X86_64);
	check_core(true, EM_PPC64);

	/* not a file: nothing to read the headers from */
	fake_init(&f, "6.1.0", 4096);
	CHECK_OK(fake_open(&f));
	CHECK_ERR(vt_target_elf_headers(f.t, &buf, &len), VT_ERR_UNSUPPORTED);
	CHECK(buf == NULL && len == 0);
	fake_free(&f);
	return unit_done("test_elfheaders");
}
