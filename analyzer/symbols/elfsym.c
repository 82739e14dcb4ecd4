/*
 * ELF finder (libelf): symbols from a vmlinux's .symtab, at link-time
 * addresses (the caller adds the KASLR offset), and the vmlinux's
 * identity (build-id, release) used to refuse a vmlinux that does not
 * match the dump.
 *
 * The whole symtab is read on the first lookup (~120k symbols, a few MB)
 * into the name map; the address index (a sort of ~100k symbols, the
 * larger cost) is built on the first address lookup, which a command
 * that only asks for types or names never makes. Names point into the
 * mmapped .strtab.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>

#include "symbols/finders.h"
#include "symbols/strmap.h"

struct elf_sym {
	uint64_t addr;
	uint64_t size;
	const char *name;
	unsigned char bind;	/* STB_* */
	unsigned char type;	/* STT_* */
	bool addressable;	/* a place: goes into the address index */
	uint32_t order;		/* position among the named symbols */
};

struct elf_finder {
	int fd;
	Elf *elf;
	struct elf_sym *syms;	/* every named symbol, symtab order */
	size_t nsyms;
	struct vt_strmap by_name;	/* name -> index into syms */
	struct elf_sym *sorted;	/* FUNC/OBJECT/NOTYPE by address, deduplicated;
				 * NULL until the first address lookup */
	size_t nsorted;
	GElf_Shdr shdr;		/* the .symtab's */
	Elf_Data *data;
	bool loaded;		/* syms and by_name filled (first lookup) */
	struct vt_finder finder;
};

/* Open path as ELF (read-only, mmapped); *fd and *elf set on success. */
static struct vt_error *open_elf(const char *path, int *fd, Elf **elf)
{
	*elf = NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return vt_error_create(VT_ERR_IO, "%s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	*elf = elf_begin(*fd, ELF_C_READ_MMAP, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		elf_end(*elf);
		*elf = NULL;
		close(*fd);
		*fd = -1;
		return vt_error_create(VT_ERR_FORMAT, "%s: not an ELF file", path);
	}
	return NULL;
}

static Elf_Scn *find_symtab(Elf *elf, GElf_Shdr *shdr)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, shdr) && shdr->sh_type == SHT_SYMTAB)
			return scn;
	return NULL;
}

static int bind_rank(unsigned char bind)
{
	return bind == STB_GLOBAL ? 2 : bind == STB_WEAK ? 1 : 0;
}

/*
 * Order for address lookup: by address; among aliases the most useful
 * first (a size says what the symbol covers, a global name is the one
 * people know), then by name so the choice is deterministic.
 */
static int sym_cmp(const void *pa, const void *pb)
{
	const struct elf_sym *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if (!a->size != !b->size)
		return a->size ? -1 : 1;
	if (bind_rank(a->bind) != bind_rank(b->bind))
		return bind_rank(a->bind) > bind_rank(b->bind) ? -1 : 1;
	if ((a->type == STT_NOTYPE) != (b->type == STT_NOTYPE))
		return a->type == STT_NOTYPE ? 1 : -1;
	return strcmp(a->name, b->name);
}

/*
 * Symbol i and its name without libelf's per-call checks (elf_strptr and
 * gelf_getsym were most of a symtab load): the string table is used in
 * place once its last byte is known to end a string, a 64-bit table's
 * entries are read as they are (libelf has them in host order).
 */
struct symtab_reader {
	Elf *elf;
	Elf_Data *data;
	size_t link;		/* the string table's section */
	const char *strtab;	/* NULL: through elf_strptr */
	size_t strtab_len;
	const Elf64_Sym *raw;	/* NULL: through gelf_getsym */
	size_t n;
};

static void symtab_reader_init(struct symtab_reader *r, Elf *elf, Elf_Data *data,
			       const GElf_Shdr *shdr)
{
	Elf_Scn *str = elf_getscn(elf, shdr->sh_link);
	Elf_Data *sd = str ? elf_getdata(str, NULL) : NULL;

	*r = (struct symtab_reader){ .elf = elf, .data = data, .link = shdr->sh_link };
	r->n = data->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (sd && sd->d_buf && sd->d_size && ((const char *)sd->d_buf)[sd->d_size - 1] == '\0') {
		r->strtab = sd->d_buf;
		r->strtab_len = sd->d_size;
	}
	if (gelf_getclass(elf) == ELFCLASS64 && data->d_type == ELF_T_SYM && data->d_buf &&
	    data->d_size >= r->n * sizeof(Elf64_Sym))
		r->raw = data->d_buf;
}

static bool symtab_get(const struct symtab_reader *r, size_t i, GElf_Sym *sym,
		       const char **name)
{
	if (r->raw)
		*sym = r->raw[i];
	else if (!gelf_getsym(r->data, (int)i, sym))
		return false;
	if (!r->strtab)
		*name = elf_strptr(r->elf, r->link, sym->st_name);
	else
		*name = sym->st_name < r->strtab_len ? r->strtab + sym->st_name : NULL;
	return true;
}

/* At create: the .symtab is there and readable; its symbols load later. */
static struct vt_error *find_symtab_data(struct elf_finder *ef, const char *path)
{
	Elf_Scn *scn = find_symtab(ef->elf, &ef->shdr);

	if (!scn)
		return vt_error_create(VT_ERR_NOT_FOUND, "%s: no .symtab", path);
	ef->data = elf_getdata(scn, NULL);
	if (!ef->data || !ef->shdr.sh_entsize)
		return vt_error_create(VT_ERR_FORMAT, "%s: unreadable .symtab (%s)",
				       path, elf_errmsg(-1));
	return NULL;
}

/* On the first lookup: every named symbol, and the name map. */
static struct vt_error *load_symtab(struct elf_finder *ef)
{
	struct symtab_reader r;
	size_t n;

	ef->loaded = true;
	/* Bounded by the section data libelf actually has. */
	symtab_reader_init(&r, ef->elf, ef->data, &ef->shdr);
	n = r.n;
	ef->syms = calloc(n ? n : 1, sizeof(*ef->syms));
	if (!ef->syms || !vt_strmap_reserve(&ef->by_name, n))
		return &vt_enomem;
	for (size_t i = 1; i < n; i++) {
		struct elf_sym *s = &ef->syms[ef->nsyms];
		uint64_t *prev;
		bool added;
		GElf_Sym sym;
		const char *name;
		unsigned char type;

		if (!symtab_get(&r, i, &sym, &name))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (type == STT_SECTION || type == STT_FILE ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		if (!name || !*name)
			continue;
		s->addr = sym.st_value;
		s->size = sym.st_size;
		s->name = name;
		s->bind = GELF_ST_BIND(sym.st_info);
		s->type = type;
		s->order = (uint32_t)ef->nsyms;
		/* A repeated name: a global beats a local of the same name. */
		if (!(prev = vt_strmap_insert(&ef->by_name, name, ef->nsyms, &added)))
			return &vt_enomem;
		if (!added && bind_rank(s->bind) > bind_rank(ef->syms[*prev].bind))
			*prev = ef->nsyms;
		ef->nsyms++;
		/*
		 * Absolute symbols (__crc_*, build constants) are numbers, not
		 * places: keep them out of address lookup.
		 */
		s->addressable = (type == STT_FUNC || type == STT_OBJECT ||
				  type == STT_NOTYPE) && sym.st_shndx != SHN_ABS;
	}
	return NULL;
}

/*
 * By address, each address's best alias first (what a stable sort by
 * sym_cmp puts first; build_sorted keeps only that one): a stable radix
 * sort of (address, symtab position) by address, then each run of one
 * address's least by sym_cmp, then symtab position, moved to its front.
 * ~100k symbols: a few milliseconds where qsort's comparison calls took
 * tens, and sorting whole runs took 23M instructions on ppc64 6.12, whose
 * 10048 __kstrtabns_* labels share one address.
 */
static int sym_cmp_stable(const void *pa, const void *pb)
{
	const struct elf_sym *a = pa, *b = pb;
	int c = sym_cmp(a, b);

	return c ? c : a->order < b->order ? -1 : a->order > b->order;
}

struct addr_key {
	uint64_t addr;
	size_t i;
};

static bool sort_syms(struct elf_sym *syms, size_t n)
{
	struct addr_key *a = malloc((n ? n : 1) * sizeof(*a)), *b = malloc((n ? n : 1) * sizeof(*b));
	struct elf_sym *out = malloc((n ? n : 1) * sizeof(*out));
	uint64_t all_or = 0, all_and = ~0ull;

	if (!a || !b || !out) {
		free(a);
		free(b);
		free(out);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		a[i] = (struct addr_key){ syms[i].addr, i };
		all_or |= syms[i].addr;
		all_and &= syms[i].addr;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		struct addr_key *t;

		/* A byte every address shares (the kernel's high bytes) sorts nothing. */
		if (!(((all_or ^ all_and) >> shift) & 0xff))
			continue;
		for (size_t i = 0; i < n; i++)
			count[((a[i].addr >> shift) & 0xff) + 1]++;
		for (int k = 0; k < 256; k++)
			count[k + 1] += count[k];
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].addr >> shift) & 0xff]++] = a[i];
		t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = syms[a[i].i];
	/* Runs of one address (some hold thousands): the best first. */
	for (size_t lo = 0, hi; lo < n; lo = hi) {
		size_t best = lo;

		for (hi = lo + 1; hi < n && out[hi].addr == out[lo].addr; hi++)
			if (sym_cmp_stable(&out[hi], &out[best]) < 0)
				best = hi;
		if (best != lo) {
			struct elf_sym t = out[lo];

			out[lo] = out[best];
			out[best] = t;
		}
	}
	memcpy(syms, out, n * sizeof(*out));
	free(a);
	free(b);
	free(out);
	return true;
}

/* The address index, from the symbols in symtab order. */
static struct vt_error *build_sorted(struct elf_finder *ef)
{
	size_t n = 0, j = 0;

	ef->sorted = calloc(ef->nsyms ? ef->nsyms : 1, sizeof(*ef->sorted));
	if (!ef->sorted)
		return &vt_enomem;
	for (size_t i = 0; i < ef->nsyms; i++)
		if (ef->syms[i].addressable)
			ef->sorted[n++] = ef->syms[i];
	if (!sort_syms(ef->sorted, n))
		return &vt_enomem;
	/* One entry per address: the first of each run, the best alias. */
	for (size_t i = 0; i < n; i++)
		if (!j || ef->sorted[j - 1].addr != ef->sorted[i].addr)
			ef->sorted[j++] = ef->sorted[i];
	ef->nsorted = j;
	return NULL;
}

static struct vt_error *elf_symbol(void *arg, const char *name, uint64_t *ret)
{
	struct elf_finder *ef = arg;
	struct vt_error *err;
	uint64_t i;

	if (!ef->loaded && (err = load_symtab(ef)))
		return err;
	if (!vt_strmap_get(&ef->by_name, name, &i))
		return &vt_not_found;
	*ret = ef->syms[i].addr;
	return NULL;
}

static struct vt_error *elf_address(void *arg, uint64_t addr, const char **name,
				    uint64_t *start, uint64_t *size)
{
	struct elf_finder *ef = arg;
	size_t lo = 0, hi;
	const struct elf_sym *s;
	struct vt_error *err;

	if (!ef->loaded && (err = load_symtab(ef)))
		return err;
	if (!ef->sorted && (err = build_sorted(ef)))
		return err;
	hi = ef->nsorted;
	/* The last symbol starting at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ef->sorted[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return &vt_not_found;
	s = &ef->sorted[lo - 1];
	/* Sized: must contain addr. Unsized (asm labels): nearest lower wins,
	 * but not past the last symbol (a module address above the image) nor
	 * across a gap wider than any function (as kallsyms). */
	if (s->size && addr - s->addr >= s->size)
		return &vt_not_found;
	if (!s->size && (lo == ef->nsorted || addr - s->addr >= (1u << 24)))
		return &vt_not_found;
	*name = s->name;
	*start = s->addr;
	*size = s->size;
	return NULL;
}

bool vt_elf_finder_above_all(struct vt_finder *f, uint64_t addr)
{
	struct elf_finder *ef = f->arg;

	if ((!ef->loaded && load_symtab(ef)) || (!ef->sorted && build_sorted(ef)))
		return false;	/* (out of memory: no claim) */
	return ef->nsorted && addr > ef->sorted[ef->nsorted - 1].addr;
}

static void elf_finder_free(struct elf_finder *ef)
{
	elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	vt_strmap_deinit(&ef->by_name);
	free(ef->syms);
	free(ef->sorted);
	free(ef);
}

static void elf_destroy(void *arg)
{
	if (arg)
		elf_finder_free(arg);
}

static const struct vt_finder_ops elf_ops = {
	.name = "elf",
	.symbol = elf_symbol,
	.address = elf_address,
	.destroy = elf_destroy,
};

struct vt_error *vt_elf_finder_create(const char *path, struct vt_arena *arena,
				      struct vt_finder **ret)
{
	struct elf_finder *ef = calloc(1, sizeof(*ef));
	struct vt_error *err;

	(void)arena;	/* names live in the mmapped .strtab, not the arena */
	if (!ef)
		return &vt_enomem;
	vt_strmap_init(&ef->by_name);
	err = open_elf(path, &ef->fd, &ef->elf);
	if (!err)
		err = find_symtab_data(ef, path);
	if (err) {
		elf_finder_free(ef);
		return err;
	}
	ef->finder.ops = &elf_ops;
	ef->finder.arg = ef;
	ef->finder.runtime_addresses = false;
	*ret = &ef->finder;
	return NULL;
}

/* ---- identity ---- */

static void hex(const unsigned char *p, size_t n, char *out, size_t outsz)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < outsz; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * i] = '\0';
}

static void find_build_id(Elf *elf, struct vt_vmlinux_id *id)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Nhdr nhdr;
		size_t off = 0, noff, doff, next;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		/* gelf_getnote checks every note against d_size. */
		while ((next = gelf_getnote(data, off, &nhdr, &noff, &doff)) > off) {
			const char *d = data->d_buf;

			if (nhdr.n_type == NT_GNU_BUILD_ID && nhdr.n_namesz == 4 &&
			    memcmp(d + noff, "GNU", 4) == 0 && nhdr.n_descsz) {
				hex((const unsigned char *)d + doff, nhdr.n_descsz,
				    id->build_id, sizeof(id->build_id));
				return;
			}
			off = next;
		}
	}
}

/* Linear symtab search: vt_elf_vmlinux_id runs once, no index needed. */
static bool find_symbol(Elf *elf, const char *want, GElf_Sym *ret)
{
	GElf_Shdr shdr;
	Elf_Scn *scn = find_symtab(elf, &shdr);
	Elf_Data *data = scn ? elf_getdata(scn, NULL) : NULL;
	struct symtab_reader r;

	if (!data || !shdr.sh_entsize)
		return false;
	symtab_reader_init(&r, elf, data, &shdr);
	for (size_t i = 1; i < r.n; i++) {
		const char *name;

		if (!symtab_get(&r, i, ret, &name))
			return false;
		if (name && strcmp(name, want) == 0 &&
		    ret->st_shndx != SHN_UNDEF && ret->st_shndx < SHN_LORESERVE)
			return true;
	}
	return false;
}

/*
 * Up to len bytes of a symbol's initial contents from the file; returns
 * how many were available (0 when the section has no file data).
 */
static size_t symbol_bytes(Elf *elf, const GElf_Sym *sym, char *buf,
			   size_t len)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr shdr;
	Elf_Data *data;
	uint64_t off;
	size_t n;

	if (!scn || !gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS)
		return 0;
	data = elf_rawdata(scn, NULL);
	if (!data || !data->d_buf)
		return 0;
	/* Executables hold addresses, relocatable objects section offsets. */
	off = sym->st_value;
	if (shdr.sh_addr && off >= shdr.sh_addr)
		off -= shdr.sh_addr;
	if (off >= data->d_size)
		return 0;
	n = data->d_size - off < len ? data->d_size - off : len;
	memcpy(buf, (const char *)data->d_buf + off, n);
	return n;
}

static void copy_word(char *dst, size_t dstsz, const char *src, size_t n)
{
	size_t i = 0;

	while (i < n && i + 1 < dstsz && src[i] && src[i] != ' ' &&
	       src[i] != '\n')
		dst[i] = src[i], i++;
	dst[i] = '\0';
}

/* A field of struct new_utsname: __NEW_UTS_LEN + 1 (uapi linux/utsname.h). */
#define UTS_FIELD 65

static void find_release(Elf *elf, struct vt_vmlinux_id *id, bool *banner)
{
	static const char prefix[] = "Linux version ";
	char buf[512];
	GElf_Sym sym;
	size_t n;

	*banner = find_symbol(elf, "linux_banner", &sym);
	if (*banner) {
		n = symbol_bytes(elf, &sym, buf, sizeof(buf));
		if (n > sizeof(prefix) - 1 &&
		    memcmp(buf, prefix, sizeof(prefix) - 1) == 0) {
			copy_word(id->release, sizeof(id->release),
				  buf + sizeof(prefix) - 1,
				  n - (sizeof(prefix) - 1));
			return;
		}
	}
	/*
	 * Else init_uts_ns: its name is a struct new_utsname (sysname,
	 * nodename, release... each char[UTS_FIELD], the uapi layout), found
	 * by its sysname "Linux" rather than at an offset assumed for each
	 * kernel's struct uts_namespace (after a kref before 5.11).
	 */
	if (!find_symbol(elf, "init_uts_ns", &sym))
		return;
	n = symbol_bytes(elf, &sym, buf, sizeof(buf));
	for (size_t base = 0; base + 3 * UTS_FIELD <= n; base++) {
		if (memcmp(buf + base, "Linux", 6) == 0) {
			copy_word(id->release, sizeof(id->release),
				  buf + base + 2 * UTS_FIELD, UTS_FIELD);
			return;
		}
	}
}

static bool has_section(Elf *elf, const char *want)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && strcmp(name, want) == 0)
			return true;
	}
	return false;
}

struct vt_error *vt_elf_vmlinux_id(const char *path, struct vt_vmlinux_id *ret)
{
	struct vt_error *err;
	bool banner;
	Elf *elf;
	int fd;

	memset(ret, 0, sizeof(*ret));
	err = open_elf(path, &fd, &elf);
	if (err)
		return err;
	find_build_id(elf, ret);
	find_release(elf, ret, &banner);
	if (!banner && !has_section(elf, ".debug_info"))
		err = vt_error_create(VT_ERR_FORMAT,
				      "%s: not a Linux kernel image (no linux_banner symbol and no .debug_info)",
				      path);
	elf_end(elf);
	close(fd);
	return err;
}
