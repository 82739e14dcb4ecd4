/*
 * The running kernel through /proc/kcore (issue 15): a pre-flight check
 * before a hot-remove, on the machine itself.
 *
 * /proc/kcore is an ELF core whose PT_LOADs map kernel virtual ranges; those
 * over RAM (the direct map, the kernel text) carry their physical address
 * in p_paddr (v4.19+; -1 for vmalloc and the rest). vmtriage reads physical
 * memory through those, and translates kernel addresses with the kernel's
 * own tables as it does in a dump. VMCOREINFO comes from kcore's own note
 * (v4.19+), else from /sys/kernel/vmcoreinfo (its physical address). There
 * are no CPU notes: a live kernel has no crash, and no saved registers.
 *
 * Reads race the running kernel: a value can change between two reads.
 * Every walk above is bounded already; the models retry a failed build on
 * a live target (models.c) before saying unknown.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/byteorder.h"
#include "target/target_internal.h"

/* Bounds on what a kcore header may ask of us. */
#define MAX_PHDRS 65536
#define MAX_NOTES (1u << 20)

struct kseg {
	uint64_t paddr, size, offset;
};

struct kcore {
	int fd;
	struct kseg *segs;
	size_t nsegs;
};

/* By address, the larger first at one address. */
static int by_paddr(const void *a, const void *b)
{
	const struct kseg *x = a, *y = b;

	if (x->paddr != y->paddr)
		return x->paddr < y->paddr ? -1 : 1;
	return x->size > y->size ? -1 : x->size < y->size;
}

/*
 * The kernel image's mapping (KCORE_TEXT) repeats RAM the direct map's
 * segments already show: sort, and keep each physical byte once (what a
 * segment repeats of the one before is cut off its start), so that the
 * reads' binary search finds the one segment holding an address.
 */
static void disjoint(struct kcore *k)
{
	size_t w = 0;

	qsort(k->segs, k->nsegs, sizeof(*k->segs), by_paddr);
	for (size_t i = 0; i < k->nsegs; i++) {
		struct kseg s = k->segs[i];

		if (w) {
			uint64_t end = k->segs[w - 1].paddr + k->segs[w - 1].size;

			if (s.paddr + s.size <= end)
				continue;		/* inside the one before */
			if (s.paddr < end) {
				s.offset += end - s.paddr;
				s.size -= end - s.paddr;
				s.paddr = end;
			}
		}
		k->segs[w++] = s;
	}
	k->nsegs = w;
}

static struct vt_error *kcore_read_phys(void *arg, uint64_t paddr, void *buf, size_t len)
{
	struct kcore *k = arg;
	size_t lo = 0, hi = k->nsegs;
	unsigned char *out = buf;

	while (len) {
		const struct kseg *s = NULL;
		uint64_t n;
		ssize_t got;

		/* the last segment starting at or below paddr */
		lo = 0;
		hi = k->nsegs;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;

			if (k->segs[mid].paddr <= paddr)
				lo = mid;
			else
				hi = mid;
		}
		if (k->nsegs && k->segs[lo].paddr <= paddr &&
		    paddr - k->segs[lo].paddr < k->segs[lo].size)
			s = &k->segs[lo];
		if (!s)
			return vt_error_create(VT_ERR_NODATA, "physical 0x%" PRIx64 " is not RAM "
					       "/proc/kcore shows", paddr);
		n = s->size - (paddr - s->paddr);
		if (n > len)
			n = len;
		got = pread(k->fd, out, n, (off_t)(s->offset + (paddr - s->paddr)));
		if (got < 0)
			return vt_error_create(VT_ERR_IO, "/proc/kcore at physical 0x%" PRIx64 ": %s",
					       paddr, strerror(errno));
		if (got == 0)
			return vt_error_create(VT_ERR_NODATA, "/proc/kcore: nothing at physical "
					       "0x%" PRIx64, paddr);
		out += got;
		paddr += (uint64_t)got;
		len -= (size_t)got;
	}
	return NULL;
}

/* Why /proc/kcore cannot be opened, in the words a user needs. */
static struct vt_error *open_error(const char *path, int e)
{
	char mode[128] = "";
	FILE *f;

	if (e == ENOENT)
		return vt_error_create(VT_ERR_UNSUPPORTED, "%s: no such file: this kernel has "
				       "no /proc/kcore (CONFIG_PROC_KCORE=n), so the running "
				       "kernel cannot be read", path);
	if ((e == EACCES || e == EPERM) && geteuid() != 0)
		return vt_error_create(VT_ERR_IO, "%s: %s: reading the running kernel needs root "
				       "(CAP_SYS_RAWIO)", path, strerror(e));
	if (e == EPERM && (f = fopen("/sys/kernel/security/lockdown", "r"))) {
		if (!fgets(mode, sizeof(mode), f))
			*mode = '\0';
		fclose(f);
		mode[strcspn(mode, "\n")] = '\0';
		return vt_error_create(VT_ERR_UNSUPPORTED, "%s: %s as root: the kernel is "
				       "locked down (%s) and refuses to show its memory",
				       path, strerror(e), *mode ? mode : "lockdown");
	}
	return vt_error_create(VT_ERR_IO, "%s: %s", path, strerror(e));
}

/* The VMCOREINFO note's text out of a PT_NOTE's bytes; NULL if none. */
static char *find_vmcoreinfo(const unsigned char *p, size_t len, bool be, size_t *ret_len)
{
	struct vt_elf_note note;
	size_t at = 0;
	char *text;

	while (vt_elf_note_next(p, len, be, &at, &note)) {
		if (note.namesz < 10 || memcmp(note.name, "VMCOREINFO", 10) != 0)
			continue;
		if (!(text = malloc((size_t)note.descsz + 1)))
			return NULL;
		memcpy(text, note.desc, note.descsz);
		text[note.descsz] = '\0';
		*ret_len = note.descsz;
		return text;
	}
	return NULL;
}

/* Before v4.19 kcore has no VMCOREINFO note: /sys/kernel/vmcoreinfo names
 * the physical address and size of the kernel's own note. */
static char *sysfs_vmcoreinfo(struct kcore *k, bool be, size_t *ret_len)
{
	unsigned long long addr;
	unsigned size;
	unsigned char *note;
	char *text = NULL;
	struct vt_error *err;
	FILE *f = fopen("/sys/kernel/vmcoreinfo", "r");

	if (!f)
		return NULL;
	if (fscanf(f, "%llx %x", &addr, &size) != 2 || size > (1u << 16) || size < 12) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	if (!(note = malloc(size)))
		return NULL;
	if (!(err = kcore_read_phys(k, addr, note, size)))
		text = find_vmcoreinfo(note, size, be, ret_len);
	vt_error_destroy(err);
	free(note);
	return text;
}

static void kcore_free(struct kcore *k)
{
	if (!k)
		return;
	if (k->fd >= 0)
		close(k->fd);
	free(k->segs);
	free(k);
}

static struct vt_error *read_headers(struct kcore *k, Elf64_Ehdr *eh, bool *be,
				     char **vmcoreinfo, size_t *vlen)
{
	Elf64_Phdr *ph = NULL;
	size_t nph;
	struct vt_error *err = NULL;

	if (pread(k->fd, eh, sizeof(*eh), 0) != (ssize_t)sizeof(*eh) ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return vt_error_create(VT_ERR_FORMAT, "/proc/kcore: not a 64-bit ELF core");
	*be = eh->e_ident[EI_DATA] == ELFDATA2MSB;
	if (*be != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		return vt_error_create(VT_ERR_FORMAT, "/proc/kcore in the other byte order "
				       "than this program's");
	nph = eh->e_phnum;
	if (eh->e_type != ET_CORE || eh->e_phentsize != sizeof(Elf64_Phdr) || !nph ||
	    nph > MAX_PHDRS)
		return vt_error_create(VT_ERR_FORMAT, "/proc/kcore: an ELF core with %zu "
				       "program headers of %u bytes", nph, eh->e_phentsize);
	if (!(ph = calloc(nph, sizeof(*ph))) || !(k->segs = calloc(nph, sizeof(*k->segs)))) {
		free(ph);
		return &vt_enomem;
	}
	if (pread(k->fd, ph, nph * sizeof(*ph), (off_t)eh->e_phoff) != (ssize_t)(nph * sizeof(*ph))) {
		free(ph);
		return vt_error_create(VT_ERR_FORMAT, "/proc/kcore: program headers unreadable");
	}
	for (size_t i = 0; i < nph && !err; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_paddr != UINT64_MAX && ph[i].p_filesz) {
			k->segs[k->nsegs++] = (struct kseg){ ph[i].p_paddr, ph[i].p_filesz,
							     ph[i].p_offset };
		} else if (ph[i].p_type == PT_NOTE && !*vmcoreinfo && ph[i].p_filesz &&
			   ph[i].p_filesz <= MAX_NOTES) {
			unsigned char *notes = malloc(ph[i].p_filesz);

			if (!notes) {
				err = &vt_enomem;
				break;
			}
			if (pread(k->fd, notes, ph[i].p_filesz, (off_t)ph[i].p_offset) ==
			    (ssize_t)ph[i].p_filesz)
				*vmcoreinfo = find_vmcoreinfo(notes, ph[i].p_filesz, *be, vlen);
			free(notes);
		}
	}
	free(ph);
	if (!err && !k->nsegs)
		err = vt_error_create(VT_ERR_FORMAT, "/proc/kcore shows no RAM with physical "
				      "addresses (a kernel before v4.19?)");
	if (!err)
		disjoint(k);
	return err;
}

static void destroy(void *arg)
{
	kcore_free(arg);
}

/* The segments' physical ranges (the backend merges them). */
static struct vt_phys_range *seg_ranges(const struct kcore *k)
{
	struct vt_phys_range *r = calloc(k->nsegs, sizeof(*r));

	for (size_t i = 0; r && i < k->nsegs; i++)
		r[i] = (struct vt_phys_range){ k->segs[i].paddr, k->segs[i].paddr + k->segs[i].size };
	return r;
}

bool vt_target_is_kcore(const char *path)
{
	char real[64];
	ssize_t n = readlink(path, real, sizeof(real) - 1);

	if (strcmp(path, "/proc/kcore") == 0)
		return true;
	if (n <= 0)
		return false;
	real[n] = '\0';
	return strcmp(real, "/proc/kcore") == 0;
}

struct vt_error *vt_target_open_kcore(const char *path, struct vt_target **ret)
{
	struct kcore *k = calloc(1, sizeof(*k));
	struct vt_target_backend b = { .read_phys = kcore_read_phys, .name = path };
	Elf64_Ehdr eh;
	bool be = false;
	char *vmcoreinfo = NULL;
	size_t vlen = 0;
	long ncpus;
	struct vt_phys_range *ranges;
	const struct vt_arch_ops *arch;
	struct vt_target *t;
	struct vt_error *err;

	if (!k)
		return &vt_enomem;
	k->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (k->fd < 0) {
		err = open_error(path, errno);
		kcore_free(k);
		return err;
	}
	if ((err = read_headers(k, &eh, &be, &vmcoreinfo, &vlen))) {
		free(vmcoreinfo);
		kcore_free(k);
		return err;
	}
	if (!vmcoreinfo)
		vmcoreinfo = sysfs_vmcoreinfo(k, be, &vlen);
	if (!vmcoreinfo) {
		kcore_free(k);
		return vt_error_create(VT_ERR_NOT_FOUND, "%s has no VMCOREINFO note and "
				       "/sys/kernel/vmcoreinfo cannot be read", path);
	}
	arch = vt_arch_by_elf_machine(eh.e_machine);
	if (!arch) {
		free(vmcoreinfo);
		kcore_free(k);
		return vt_error_create(VT_ERR_UNSUPPORTED, "%s: ELF machine %u is not supported "
				       "(%s)", path, eh.e_machine, vt_arch_supported());
	}
	b.arch = arch->arch;
	b.live = true;
	b.live_btf = "/sys/kernel/btf/vmlinux";
	b.live_kallsyms = "/proc/kallsyms";
	b.destroy = destroy;
	b.ranges = ranges = seg_ranges(k);
	b.nranges = k->nsegs;
	if (!ranges) {
		free(vmcoreinfo);
		kcore_free(k);
		return &vt_enomem;
	}
	b.big_endian = be;
	b.arg = k;
	b.vmcoreinfo = vmcoreinfo;
	b.vmcoreinfo_len = vlen;
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	b.ncpus = ncpus > 0 ? (unsigned)ncpus : 1;
	err = vt_target_open_backend(&b, &t);	/* on error it destroyed k */
	free(vmcoreinfo);
	free(ranges);
	if (err)
		return err;
	{
		const char *ps = vt_vmcoreinfo_get(&t->vmcoreinfo, "PAGESIZE");

		t->info.page_size = ps ? (uint32_t)strtoul(ps, NULL, 10) : 4096;
		if (!vt_page_size_valid(t->info.page_size)) {
			vt_target_destroy(t);
			return vt_error_create(VT_ERR_FORMAT, "%s: VMCOREINFO PAGESIZE=%s", path, ps);
		}
	}
	snprintf(t->format, sizeof(t->format), "%s", "kcore");
	*ret = t;
	return NULL;
}
