/*
 * BTF bytes (the dump's own .BTF is untrusted input): load through libbpf,
 * then convert the types the analyzer asks for, with their pointees, and
 * look up enumerators.
 */
#include "fuzz.h"
#include "symbols/finders.h"
#include "symbols/symbols.h"

static const struct { enum vt_type_kind kind; const char *name; } types[] = {
	{ VT_TYPE_STRUCT, "page" },
	{ VT_TYPE_STRUCT, "mem_section" },
	{ VT_TYPE_STRUCT, "pglist_data" },
	{ VT_TYPE_STRUCT, "printk_ringbuffer" },
	{ VT_TYPE_STRUCT, "mm_struct" },
	{ VT_TYPE_UNION, "thread_union" },
	{ VT_TYPE_ENUM, "pageflags" },
	{ VT_TYPE_TYPEDEF, "pgd_t" },
	{ VT_TYPE_INT, "int" },
	{ VT_TYPE_STRUCT, "" },
};

/* Follow pointers a few levels deep, as member-path lookups do. */
static void walk(struct vt_type *t, int depth)
{
	if (!t || depth > 3)
		return;
	t = vt_type_unqualified(t);
	if (!t)
		return;
	if (t->kind == VT_TYPE_POINTER) {
		struct vt_type *p;
		struct vt_error *err = vt_type_pointee(t, &p);

		if (err)
			vt_error_destroy(err);
		else
			walk(p, depth + 1);
		return;
	}
	for (size_t i = 0; i < t->nmembers && i < 64; i++)
		walk(t->members[i].type, depth + 1);
	if (t->kind == VT_TYPE_ARRAY)
		walk(t->target, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_arena *arena = vt_arena_create();
	struct vt_finder *f;
	struct vt_error *err;

	if (!arena)
		return 0;
	err = vt_btf_finder_from_data(data, size, arena, &f);
	if (err) {
		vt_error_destroy(err);
		vt_arena_destroy(arena);
		return 0;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		struct vt_type *t;
		uint64_t bits;
		struct vt_member *m;

		err = f->ops->type(f->arg, types[i].kind, types[i].name, &t);
		if (err) {
			vt_error_destroy(err);
			continue;
		}
		walk(t, 0);
		t = vt_type_unqualified(t);
		if (t && (t->kind == VT_TYPE_STRUCT || t->kind == VT_TYPE_UNION)) {
			vt_error_destroy(vt_type_member(t, "flags", &bits, &m));
			vt_error_destroy(vt_type_member(t, "lru.next", &bits, &m));
		}
	}
	{
		int64_t v;

		vt_error_destroy(f->ops->constant(f->arg, "PG_slab", &v));
		vt_error_destroy(f->ops->constant(f->arg, "MAX_NR_ZONES", &v));
		vt_error_destroy(f->ops->constant(f->arg, "NR_PAGEFLAGS", &v));
	}
	vt_finder_destroy(f);
	vt_arena_destroy(arena);
	return 0;
}
