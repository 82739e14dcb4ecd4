/*
 * DWARF and ELF symtab finders against a shared object compiled at test
 * time (in DWARF 2, 4 and 5 flavours): type layout, lazy pointees,
 * enumerators, symbols, identity, and survival of corrupt DWARF.
 * Exit 77 when no C compiler can build one.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <gelf.h>

#include "symbols/finders.h"
#include "unit.h"

/*
 * The types both this program and the compiled object see: offsetof and
 * sizeof here are the expected answers (same compiler, same ABI).
 */
#define TEST_TYPES \
	struct inner { int x; char y; }; \
	enum color { RED = -2, GREEN = 0, BLUE = 7 }; \
	enum big { BIG = 0x80000000u, BIGGER }; \
	enum huge { HUGE_NEG = -1LL, HUGE_MAX = 0x7fffffffffffffffLL }; \
	typedef unsigned long ulong_t; \
	typedef ulong_t ulong2_t; \
	struct b; \
	struct a { struct b *b; int tag; }; \
	struct b { struct a *a; }; \
	struct opaque; \
	struct holder { struct opaque *p; int n; }; \
	struct bits { unsigned int lo : 3; unsigned int mid : 5; int neg : 4; \
		      unsigned long wide : 40; unsigned char tail; }; \
	struct outer { \
		int first; \
		struct inner in; \
		union { long l; char c[3]; }; \
		struct { int ax; int ay; }; \
		int m[2][3]; \
		const volatile ulong2_t cv; \
		void (*fn)(int); \
		struct a *ap; \
		enum color col; \
		double d; \
		struct bits bf; \
		int z[0]; \
		char flex[]; \
	};

TEST_TYPES

#define STR_(...) #__VA_ARGS__
#define STR(...) STR_(__VA_ARGS__)

static const char src_a[] = STR(TEST_TYPES) "\n"
	"struct outer g_outer; struct a g_a; struct b g_b; struct holder g_holder;\n"
	"enum big g_big; enum huge g_huge;\n"
	"enum { ANON_CONST = 42, ANON_NEG = -5 } g_anon;\n"
	"int g_global = 5;\n"
	"static int g_local __attribute__((used)) = 3;\n"
	"static char dup[100] __attribute__((used));\n"
	"const char linux_banner[] = \"Linux version 6.1.0-test-amd64 (x@y) #1 SMP\\n\";\n"
	"int g_func(int x) { return x * 3 + g_local + dup[x]; }\n";
/* A second CU: the only definition of struct opaque. */
static const char src_b[] =
	"struct opaque { long z; int w; } g_opaque;\n"
	"int dup = 1;\n";

static char dir[] = "/tmp/vt_test_dwarf_XXXXXX";
static const char *cc;

/* Run a shell command built printf-style; its exit status. */
static __attribute__((format(printf, 1, 2))) int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static struct vt_type *lookup(struct vt_finder *f, enum vt_type_kind kind,
			      const char *name)
{
	struct vt_type *t = NULL;
	struct vt_error *err = f->ops->type(f->arg, kind, name, &t);

	if (err) {
		fprintf(stderr, "lookup %s: %s\n", name, err->message);
		vt_error_destroy(err);
		return NULL;
	}
	return t;
}

static struct vt_member *member(struct vt_type *t, const char *name)
{
	t = vt_type_unqualified(t);
	for (size_t i = 0; t && i < t->nmembers; i++)
		if (strcmp(t->members[i].name, name) == 0)
			return &t->members[i];
	fprintf(stderr, "no member %s\n", name);
	return NULL;
}

#define OFF(m) ((m) ? (m)->bit_offset : UINT64_MAX)

static struct vt_type *pointee(struct vt_finder *f, struct vt_type *p)
{
	struct vt_type *t = NULL;

	if (!p || p->kind != VT_TYPE_POINTER || p->target || p->finder != f)
		return NULL;
	CHECK_OK(f->ops->resolve(f->arg, p->ref, &t));
	return t;
}

static int64_t constant(struct vt_finder *f, const char *name)
{
	int64_t v = INT64_MIN;

	CHECK_OK(f->ops->constant(f->arg, name, &v));
	return v;
}

static void check_types(struct vt_finder *f, bool little_endian)
{
	struct vt_type *outer, *a, *b, *t, *u;
	struct vt_member *m;
	outer = lookup(f, VT_TYPE_STRUCT, "outer");
	CHECK(outer && outer->kind == VT_TYPE_STRUCT);
	if (!outer)
		return;
	CHECK(outer->size == sizeof(struct outer));
	CHECK(OFF(member(outer, "first")) == 0);
	CHECK(OFF(member(outer, "in")) == offsetof(struct outer, in) * 8);
	m = member(outer, "in");
	CHECK(m && vt_type_unqualified(m->type)->size == sizeof(struct inner));
	CHECK(OFF(member(outer, "m")) == offsetof(struct outer, m) * 8);
	CHECK(OFF(member(outer, "cv")) == offsetof(struct outer, cv) * 8);
	CHECK(OFF(member(outer, "d")) == offsetof(struct outer, d) * 8);
	CHECK(OFF(member(outer, "bf")) == offsetof(struct outer, bf) * 8);
	CHECK(OFF(member(outer, "flex")) == offsetof(struct outer, flex) * 8);

	/* Anonymous union and struct members: name "", contents inside. */
	CHECK(outer->nmembers == 13);
	if (outer->nmembers == 13) {
		struct vt_member *au = &outer->members[2], *as = &outer->members[3];

		CHECK(strcmp(au->name, "") == 0 && au->type->kind == VT_TYPE_UNION);
		CHECK(au->bit_offset == offsetof(struct outer, l) * 8);
		CHECK(OFF(member(au->type, "c")) == 0);
		CHECK(strcmp(as->name, "") == 0 && as->type->kind == VT_TYPE_STRUCT);
		CHECK(as->bit_offset + OFF(member(as->type, "ay")) ==
		      offsetof(struct outer, ay) * 8);
	}

	/* int m[2][3]: an array of 2 arrays of 3 ints. */
	m = member(outer, "m");
	t = m ? m->type : NULL;
	CHECK(t && t->kind == VT_TYPE_ARRAY && t->length == 2 && t->size == 24);
	t = t ? t->target : NULL;
	CHECK(t && t->kind == VT_TYPE_ARRAY && t->length == 3 && t->size == 12);
	CHECK(t && t->target && t->target->kind == VT_TYPE_INT &&
	      t->target->size == sizeof(int) && t->target->is_signed);
	m = member(outer, "flex");
	CHECK(m && m->type->kind == VT_TYPE_ARRAY && m->type->length == 0 &&
	      m->type->size == 0);
	m = member(outer, "z");
	CHECK(m && m->type->kind == VT_TYPE_ARRAY && m->type->length == 0);

	/* Qualifiers vanish, typedef chains stay. */
	m = member(outer, "cv");
	t = m ? m->type : NULL;
	CHECK(t && t->kind == VT_TYPE_TYPEDEF && strcmp(t->name, "ulong2_t") == 0 &&
	      t->size == sizeof(unsigned long));
	CHECK(t && t->target && t->target->kind == VT_TYPE_TYPEDEF &&
	      strcmp(t->target->name, "ulong_t") == 0);
	CHECK(t && vt_type_unqualified(t)->kind == VT_TYPE_INT &&
	      !vt_type_unqualified(t)->is_signed);

	/* Function pointer: lazily a FUNCTION of size 0. */
	m = member(outer, "fn");
	CHECK(m && m->type->kind == VT_TYPE_POINTER && m->type->size == sizeof(void *));
	t = m ? pointee(f, m->type) : NULL;
	CHECK(t && t->kind == VT_TYPE_FUNCTION && t->size == 0);

	m = member(outer, "col");
	t = m ? m->type : NULL;
	CHECK(t && t->kind == VT_TYPE_ENUM && t->is_signed &&
	      t->size == sizeof(enum color) && t->nenumerators == 3);
	CHECK(t && t->nenumerators == 3 && t->enumerators[0].value == -2 &&
	      strcmp(t->enumerators[0].name, "RED") == 0);

	/* Bit fields (DW_AT_data_bit_offset or the legacy DW_AT_bit_offset). */
	t = lookup(f, VT_TYPE_STRUCT, "bits");
	CHECK(t && t->size == sizeof(struct bits));
	m = t ? member(t, "neg") : NULL;
	CHECK(m && m->bit_size == 4 && m->type->is_signed);
	m = t ? member(t, "wide") : NULL;
	CHECK(m && m->bit_size == 40);
	CHECK(t && OFF(member(t, "tail")) == offsetof(struct bits, tail) * 8);
	if (t && little_endian) {
		CHECK(OFF(member(t, "lo")) == 0);
		CHECK(OFF(member(t, "mid")) == 3);
		CHECK(OFF(member(t, "neg")) == 8);
		CHECK(OFF(member(t, "wide")) == 12);
	}

	/* The cycle a -> b -> a, one pointee at a time, cached. */
	a = lookup(f, VT_TYPE_STRUCT, "a");
	m = a ? member(a, "b") : NULL;
	CHECK(m && m->type->kind == VT_TYPE_POINTER && !m->type->target &&
	      m->type->ref != 0);
	b = m ? pointee(f, m->type) : NULL;
	CHECK(b && b->kind == VT_TYPE_STRUCT && strcmp(b->name, "b") == 0 &&
	      b->size == sizeof(struct b));
	m = b ? member(b, "a") : NULL;
	CHECK(m && pointee(f, m->type) == a);
	CHECK(lookup(f, VT_TYPE_STRUCT, "b") == b);
	m = member(outer, "ap");
	CHECK(m && pointee(f, m->type) == a);

	/* Declared only in this CU, defined in the next one. */
	t = lookup(f, VT_TYPE_STRUCT, "holder");
	m = t ? member(t, "p") : NULL;
	u = m ? pointee(f, m->type) : NULL;
	CHECK(u && !u->incomplete && u->size == 2 * sizeof(long) &&
	      u->nmembers == 2);
	CHECK(lookup(f, VT_TYPE_STRUCT, "opaque") == u);

	/* Base types, typedefs, enums by name; kinds must match. */
	t = lookup(f, VT_TYPE_INT, "int");
	CHECK(t && t->size == sizeof(int) && t->is_signed);
	t = lookup(f, VT_TYPE_FLOAT, "double");
	CHECK(t && t->kind == VT_TYPE_FLOAT && t->size == sizeof(double));
	t = NULL;
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_INT, "double", &t), VT_ERR_NOT_FOUND);
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_UNION, "outer", &t), VT_ERR_NOT_FOUND);
	t = lookup(f, VT_TYPE_TYPEDEF, "ulong_t");
	CHECK(t && t->kind == VT_TYPE_TYPEDEF && t->size == sizeof(unsigned long));
	t = lookup(f, VT_TYPE_ENUM, "big");
	CHECK(t && !t->is_signed && t->nenumerators == 2);
	t = lookup(f, VT_TYPE_ENUM, "huge");
	CHECK(t && t->is_signed && t->size == 8);

	CHECK(constant(f, "RED") == -2);
	CHECK(constant(f, "BLUE") == 7);
	CHECK(constant(f, "BIG") == 0x80000000ll);
	CHECK(constant(f, "BIGGER") == 0x80000001ll);
	CHECK(constant(f, "HUGE_NEG") == -1);
	CHECK(constant(f, "HUGE_MAX") == INT64_MAX);
	CHECK(constant(f, "ANON_CONST") == 42);
	CHECK(constant(f, "ANON_NEG") == -5);

	/* Absent everywhere: a full scan once, then answered from the index. */
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_STRUCT, "drmem_lmb", &t), VT_ERR_NOT_FOUND);
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_STRUCT, "drmem_lmb", &t), VT_ERR_NOT_FOUND);
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_TYPEDEF, "nope_t", &t), VT_ERR_NOT_FOUND);
	{
		int64_t v;

		CHECK_ERR(f->ops->constant(f->arg, "NO_SUCH_CONST", &v), VT_ERR_NOT_FOUND);
	}
}

static void check_elf(const char *so)
{
	struct vt_arena *arena = vt_arena_create();
	struct vt_finder *f = NULL;
	uint64_t addr = 0, start = 0, size = 0, fn = 0;
	const char *name = NULL;

	CHECK_OK(vt_elf_finder_create(so, arena, &f));
	if (!f)
		goto out;
	CHECK(!f->runtime_addresses);
	CHECK_OK(f->ops->symbol(f->arg, "g_global", &addr));
	CHECK(addr != 0);
	CHECK_OK(f->ops->address(f->arg, addr + 2, &name, &start, &size));
	CHECK(name && strcmp(name, "g_global") == 0 && start == addr &&
	      size == sizeof(int));
	CHECK_OK(f->ops->symbol(f->arg, "g_func", &fn));
	CHECK_OK(f->ops->address(f->arg, fn + 1, &name, &start, &size));
	CHECK(name && strcmp(name, "g_func") == 0 && start == fn && size > 1);
	CHECK_OK(f->ops->symbol(f->arg, "g_local", &addr));
	/* The global dup (an int) wins over the static char dup[100]. */
	CHECK_OK(f->ops->symbol(f->arg, "dup", &addr));
	CHECK_OK(f->ops->address(f->arg, addr, &name, &start, &size));
	CHECK(size == sizeof(int));
	CHECK_ERR(f->ops->symbol(f->arg, "no_such_symbol", &addr), VT_ERR_NOT_FOUND);
	CHECK_ERR(f->ops->address(f->arg, 0, &name, &start, &size), VT_ERR_NOT_FOUND);
	f->ops->destroy(f->arg);
out:
	vt_arena_destroy(arena);
}

static void check_id(const char *so, const char *plain)
{
	struct vt_vmlinux_id id;
	char path[256];
	size_t n;

	CHECK_OK(vt_elf_vmlinux_id(so, &id));
	CHECK(strcmp(id.release, "6.1.0-test-amd64") == 0);
	n = strlen(id.build_id);
	CHECK(n == 40 && strspn(id.build_id, "0123456789abcdef") == n);
	CHECK_ERR(vt_elf_vmlinux_id(plain, &id), VT_ERR_FORMAT);
	snprintf(path, sizeof(path), "%s/a.c", dir);
	CHECK_ERR(vt_elf_vmlinux_id(path, &id), VT_ERR_FORMAT);
	CHECK_ERR(vt_dwarf_finder_create(path, NULL, NULL), VT_ERR_FORMAT);
	snprintf(path, sizeof(path), "%s/missing", dir);
	CHECK_ERR(vt_elf_vmlinux_id(path, &id), VT_ERR_IO);
}

/* Where .debug_info lives in the file, and the DIE of typedef ulong2_t. */
static bool debug_info_at(const char *path, uint64_t *off, uint64_t *size,
			  uint64_t *cycle_at, uint32_t *cycle_val)
{
	int fd = open(path, O_RDONLY);
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	Dwarf *dw = elf ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	*cycle_at = 0;
	if (!dw || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;
		Dwarf_Off cuoff = 0, next;
		size_t hsize;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".debug_info") != 0)
			continue;
		*off = sh.sh_offset;
		*size = sh.sh_size;
		found = true;
		data = elf_getdata(scn, NULL);
		/* Point typedef ulong2_t's DW_AT_type (ref4) at itself. */
		while (data && dwarf_nextcu(dw, cuoff, &next, &hsize, NULL, NULL, NULL) == 0) {
			Dwarf_Die cu, die;
			Dwarf_Attribute at;

			if (!dwarf_offdie(dw, cuoff + hsize, &cu) || dwarf_child(&cu, &die))
				break;
			do {
				const char *n = dwarf_diename(&die);

				if (dwarf_tag(&die) == DW_TAG_typedef && n &&
				    strcmp(n, "ulong2_t") == 0 &&
				    dwarf_attr(&die, DW_AT_type, &at) &&
				    dwarf_whatform(&at) == DW_FORM_ref4) {
					*cycle_at = sh.sh_offset +
						    (uint64_t)(at.valp - (unsigned char *)data->d_buf);
					*cycle_val = (uint32_t)(dwarf_dieoffset(&die) - cuoff);
				}
			} while (dwarf_siblingof(&die, &die) == 0);
			cuoff = next;
		}
	}
out:
	dwarf_end(dw);
	elf_end(elf);
	close(fd);
	return found;
}

static void copy_file(const char *from, const char *to)
{
	if (sh("cp '%s' '%s'", from, to))
		exit(1);
}

static void poke(const char *path, uint64_t at, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || pwrite(fd, bytes, n, (off_t)at) != (ssize_t)n)
		exit(1);
	close(fd);
}

/* Hostile DWARF: a typedef cycle, then random damage; errors, no crash. */
static void check_corrupt(const char *so)
{
	uint64_t off, size, cycle_at;
	uint32_t cycle_val = 0;
	char path[256];
	unsigned seed = 1;

	if (!debug_info_at(so, &off, &size, &cycle_at, &cycle_val)) {
		CHECK(!"no .debug_info");
		return;
	}
	snprintf(path, sizeof(path), "%s/bad.so", dir);
	CHECK(cycle_at != 0);
	if (cycle_at) {
		struct vt_arena *arena = vt_arena_create();
		struct vt_finder *f;
		struct vt_type *t;
		unsigned char le[4] = { cycle_val, cycle_val >> 8, cycle_val >> 16,
					cycle_val >> 24 };

		copy_file(so, path);
		poke(path, cycle_at, le, 4);
		CHECK_OK(vt_dwarf_finder_create(path, arena, &f));
		CHECK_ERR(f->ops->type(f->arg, VT_TYPE_TYPEDEF, "ulong2_t", &t),
			  VT_ERR_FORMAT);
		f->ops->destroy(f->arg);
		vt_arena_destroy(arena);
	}
	for (int round = 0; round < 40; round++) {
		struct vt_arena *arena = vt_arena_create();
		struct vt_finder *f = NULL;
		struct vt_error *err;
		struct vt_type *t;
		int64_t v;

		copy_file(so, path);
		for (int i = 0; i < 8; i++) {
			unsigned char junk = (unsigned char)rand_r(&seed);

			poke(path, off + (uint64_t)rand_r(&seed) % size, &junk, 1);
		}
		err = vt_dwarf_finder_create(path, arena, &f);
		if (!err) {
			static const char *const names[] = { "outer", "a", "holder", "bits" };

			for (int i = 0; i < 4; i++) {
				struct vt_error *e2 = f->ops->type(f->arg, VT_TYPE_STRUCT,
								   names[i], &t);

				for (size_t j = 0; !e2 && j < t->nmembers; j++) {
					struct vt_type *mt = t->members[j].type;
					struct vt_type *pt;

					if (mt->kind == VT_TYPE_POINTER)
						vt_error_destroy(mt->finder->ops->resolve(
							mt->finder->arg, mt->ref, &pt));
				}
				vt_error_destroy(e2);
			}
			vt_error_destroy(f->ops->constant(f->arg, "BIG", &v));
			vt_error_destroy(f->ops->constant(f->arg, "NOPE", &v));
			f->ops->destroy(f->arg);
		}
		vt_error_destroy(err);
		vt_arena_destroy(arena);
	}
	unit_checks++;	/* reaching here is the check */
}

int main(void)
{
	static const char *const flavours[] = { "-gdwarf-5", "-gdwarf-4", "-gdwarf-2" };
	const union { uint16_t v; uint8_t b[2]; } endian = { 1 };
	char so[256], plain[256];
	int built = 0;

	cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	if (sh("%s --version >/dev/null 2>&1", cc) != 0) {
		printf("SKIP: no C compiler (%s)\n", cc);
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	write_file("a.c", src_a);
	write_file("b.c", src_b);
	write_file("plain.c", "int plain_var = 1;\n");
	snprintf(plain, sizeof(plain), "%s/plain.so", dir);
	if (sh("%s -shared -fPIC -nostdlib -o %s %s/plain.c", cc, plain, dir)) {
		printf("SKIP: %s cannot link a -nostdlib shared object\n", cc);
		sh("rm -rf '%s'", dir);
		return 77;
	}
	elf_version(EV_CURRENT);
	for (size_t i = 0; i < sizeof(flavours) / sizeof(flavours[0]); i++) {
		struct vt_arena *arena = vt_arena_create();
		struct vt_finder *f = NULL;

		snprintf(so, sizeof(so), "%s/t%zu.so", dir, i);
		if (sh("%s -O0 -g %s -fPIC -shared -nostdlib -Wl,--build-id=sha1 -w "
		       "-o %s %s/a.c %s/b.c", cc, flavours[i], so, dir, dir)) {
			fprintf(stderr, "note: %s cannot build %s, skipped\n", cc,
				flavours[i]);
			vt_arena_destroy(arena);
			continue;
		}
		built++;
		fprintf(stderr, "-- %s\n", flavours[i]);
		CHECK_OK(vt_dwarf_finder_create(so, arena, &f));
		if (f) {
			CHECK(strcmp(f->ops->name, "dwarf") == 0);
			check_types(f, endian.b[0] == 1);
			f->ops->destroy(f->arg);
		}
		vt_arena_destroy(arena);
		if (i == 0) {
			check_elf(so);
			check_id(so, plain);
			check_corrupt(so);
		}
	}
	CHECK(built > 0);
	CHECK_ERR(vt_dwarf_finder_create(plain, NULL, NULL), VT_ERR_NOT_FOUND);
	sh("rm -rf '%s'", dir);
	return unit_done("test_dwarf");
}
