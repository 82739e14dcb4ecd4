/*
 * BTF finder (libbpf): the kernel's compact type information, from a
 * vmlinux .BTF section or from the dump's own __start_BTF..__stop_BTF.
 * Types are converted on demand and cached by BTF id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "symbols/finders.h"
#include "symbols/strmap.h"

#define MAX_DEPTH 64

struct btf_finder {
	struct btf *btf;
	struct vt_arena *arena;
	struct vt_type **cache;		/* by id, allocated on first use */
	__u32 ntypes;
	struct vt_strmap enumerators;	/* name -> index into values */
	int64_t *enum_values;
	bool enums_indexed;
	/* Name lookups answered so far ("<kind>name" -> id + 1, 0 = none):
	 * libbpf searches every type for a name, and the models ask the same
	 * few types again and again. */
	struct vt_strmap found;
	struct vt_finder finder;
};

static struct vt_error *convert(struct btf_finder *bf, __u32 id, int depth,
				struct vt_type **ret);

static const char *type_name(struct btf_finder *bf, const struct btf_type *t)
{
	const char *s = btf__name_by_offset(bf->btf, t->name_off);

	return s ? s : "";
}

/* Skip const/volatile/restrict/type tags; the model has no qualifiers. */
static __u32 skip_mods(struct btf_finder *bf, __u32 id)
{
	for (int i = 0; i < MAX_DEPTH && id; i++) {
		const struct btf_type *t = btf__type_by_id(bf->btf, id);

		if (!t || !(btf_is_mod(t) || btf_is_type_tag(t)))
			break;
		id = t->type;
	}
	return id;
}

static struct vt_error *convert_members(struct btf_finder *bf,
					const struct btf_type *bt, int depth,
					struct vt_type *t)
{
	const struct btf_member *m = btf_members(bt);

	size_t n = btf_vlen(bt);

	t->members = vt_arena_alloc(bf->arena, n * sizeof(*t->members) + 1);
	if (!t->members)
		return &vt_enomem;
	/*
	 * Corrupt BTF can make a type contain itself (through other types),
	 * so others may hold this one while it is built: name every member
	 * first, and count only the members whose type is known, so nobody
	 * ever sees a member without a name or type (a failure leaves this
	 * type cached by whoever holds it, with the members converted so far).
	 */
	for (size_t i = 0; i < n; i++) {
		struct vt_member *vm = &t->members[i];

		vm->name = btf__name_by_offset(bf->btf, m[i].name_off);
		if (!vm->name)
			vm->name = "";
		vm->bit_offset = btf_member_bit_offset(bt, i);
		vm->bit_size = btf_member_bitfield_size(bt, i);
	}
	for (size_t i = 0; i < n; i++) {
		struct vt_error *err = convert(bf, m[i].type, depth + 1,
					       &t->members[i].type);

		if (err)
			return vt_error_prefix(err, "member %s", t->members[i].name);
		t->nmembers = i + 1;
	}
	return NULL;
}

static struct vt_error *convert_enum(struct btf_finder *bf,
				     const struct btf_type *bt, struct vt_type *t)
{
	t->is_signed = btf_kflag(bt);
	t->nenumerators = btf_vlen(bt);
	t->enumerators = vt_arena_alloc(bf->arena, t->nenumerators *
					sizeof(*t->enumerators) + 1);
	if (!t->enumerators)
		return &vt_enomem;
	for (size_t i = 0; i < t->nenumerators; i++) {
		struct vt_enumerator *e = &t->enumerators[i];
		__u32 name_off;

		if (btf_is_enum64(bt)) {
			name_off = btf_enum64(bt)[i].name_off;
			e->value = (int64_t)btf_enum64_value(&btf_enum64(bt)[i]);
		} else {
			name_off = btf_enum(bt)[i].name_off;
			e->value = t->is_signed ? (int64_t)btf_enum(bt)[i].val :
				   (int64_t)(uint32_t)btf_enum(bt)[i].val;
		}
		e->name = btf__name_by_offset(bf->btf, name_off);
		if (!e->name)
			e->name = "";
	}
	return NULL;
}

static struct vt_error *convert(struct btf_finder *bf, __u32 id, int depth,
				struct vt_type **ret)
{
	const struct btf_type *bt;
	struct vt_type *t;
	struct vt_error *err = NULL;

	if (depth > MAX_DEPTH)
		return vt_error_create(VT_ERR_FORMAT, "BTF types nest deeper than %d",
				       MAX_DEPTH);
	id = skip_mods(bf, id);
	if (id >= bf->ntypes)
		return vt_error_create(VT_ERR_FORMAT, "BTF type id %u out of range", id);
	if (!bf->cache) {
		bf->cache = calloc(bf->ntypes, sizeof(*bf->cache));
		if (!bf->cache)
			return &vt_enomem;
	}
	if (bf->cache[id]) {
		*ret = bf->cache[id];
		return NULL;
	}
	t = vt_arena_alloc(bf->arena, sizeof(*t));
	if (!t)
		return &vt_enomem;
	/* Cache before recursing so self-references terminate. */
	bf->cache[id] = t;
	t->finder = &bf->finder;
	if (id == 0) {
		t->kind = VT_TYPE_VOID;
		t->name = "void";
		*ret = t;
		return NULL;
	}
	bt = btf__type_by_id(bf->btf, id);
	t->name = type_name(bf, bt);
	switch (btf_kind(bt)) {
	case BTF_KIND_INT:
		t->kind = VT_TYPE_INT;
		t->size = bt->size;
		t->is_signed = btf_int_encoding(bt) & BTF_INT_SIGNED;
		break;
	case BTF_KIND_FLOAT:
		t->kind = VT_TYPE_FLOAT;
		t->size = bt->size;
		break;
	case BTF_KIND_PTR:
		t->kind = VT_TYPE_POINTER;
		t->size = 8;
		t->ref = skip_mods(bf, bt->type);
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(bt);

		t->kind = VT_TYPE_ARRAY;
		t->length = a->nelems;
		err = convert(bf, a->type, depth + 1, &t->target);
		/* NULL: a typedef cycle still being built (corrupt BTF). */
		if (!err && vt_type_unqualified(t->target))
			t->size = t->length * vt_type_unqualified(t->target)->size;
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		t->kind = btf_is_struct(bt) ? VT_TYPE_STRUCT : VT_TYPE_UNION;
		t->size = bt->size;
		err = convert_members(bf, bt, depth, t);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		t->kind = VT_TYPE_ENUM;
		t->size = bt->size;
		err = convert_enum(bf, bt, t);
		break;
	case BTF_KIND_FWD: {
		/* Look for the definition elsewhere in the same BTF. */
		int kind = btf_kflag(bt) ? BTF_KIND_UNION : BTF_KIND_STRUCT;
		__s32 def = *t->name ? btf__find_by_name_kind(bf->btf, t->name, kind) : -1;

		if (def > 0) {
			struct vt_type *full;

			bf->cache[id] = NULL;
			err = convert(bf, (__u32)def, depth + 1, &full);
			if (err)
				return err;
			bf->cache[id] = full;
			*ret = full;
			return NULL;
		}
		t->kind = kind == BTF_KIND_UNION ? VT_TYPE_UNION : VT_TYPE_STRUCT;
		t->incomplete = true;
		break;
	}
	case BTF_KIND_TYPEDEF:
		t->kind = VT_TYPE_TYPEDEF;
		err = convert(bf, bt->type, depth + 1, &t->target);
		if (!err)
			t->size = vt_type_unqualified(t->target) ?
				  vt_type_unqualified(t->target)->size : 0;
		break;
	case BTF_KIND_FUNC_PROTO:
	case BTF_KIND_FUNC:
		t->kind = VT_TYPE_FUNCTION;
		break;
	default:
		t->kind = VT_TYPE_VOID;
		break;
	}
	if (err) {
		bf->cache[id] = NULL;
		return err;
	}
	*ret = t;
	return NULL;
}

static const int btf_kinds_for[] = {
	[VT_TYPE_INT] = BTF_KIND_INT,
	[VT_TYPE_FLOAT] = BTF_KIND_FLOAT,
	[VT_TYPE_STRUCT] = BTF_KIND_STRUCT,
	[VT_TYPE_UNION] = BTF_KIND_UNION,
	[VT_TYPE_ENUM] = BTF_KIND_ENUM,
	[VT_TYPE_TYPEDEF] = BTF_KIND_TYPEDEF,
};

static __s32 find_by_name(struct btf_finder *bf, enum vt_type_kind kind, const char *name)
{
	__s32 id = -1;

	if ((size_t)kind < sizeof(btf_kinds_for) / sizeof(btf_kinds_for[0]) &&
	    btf_kinds_for[kind])
		id = btf__find_by_name_kind(bf->btf, name, btf_kinds_for[kind]);
	if (id < 0 && kind == VT_TYPE_ENUM)
		id = btf__find_by_name_kind(bf->btf, name, BTF_KIND_ENUM64);
	return id;
}

static struct vt_error *btf_type(void *arg, enum vt_type_kind kind,
				 const char *name, struct vt_type **ret)
{
	struct btf_finder *bf = arg;
	size_t len = strlen(name);
	char key[256], *kept;
	uint64_t memo;
	__s32 id;

	if (len + 2 > sizeof(key)) {
		id = find_by_name(bf, kind, name);
	} else {
		key[0] = (char)('A' + kind);
		memcpy(key + 1, name, len + 1);
		if (vt_strmap_get(&bf->found, key, &memo)) {
			id = (__s32)memo - 1;
		} else {
			id = find_by_name(bf, kind, name);
			if (!(kept = vt_arena_strdup(bf->arena, key)) ||
			    !vt_strmap_add(&bf->found, kept, (uint64_t)(id > 0 ? id : 0) + 1))
				return &vt_enomem;
		}
	}
	if (id <= 0)
		return &vt_not_found;
	return convert(bf, (__u32)id, 0, ret);
}

static struct vt_error *btf_resolve(void *arg, uint64_t ref, struct vt_type **ret)
{
	return convert(arg, (__u32)ref, 0, ret);
}

static struct vt_error *index_enumerators(struct btf_finder *bf)
{
	size_t n = 0, cap = 0;

	for (__u32 id = 1; id < bf->ntypes; id++) {
		const struct btf_type *bt = btf__type_by_id(bf->btf, id);
		unsigned vlen;

		if (!bt || !btf_is_any_enum(bt))
			continue;
		vlen = btf_vlen(bt);
		for (unsigned i = 0; i < vlen; i++) {
			const char *name;
			int64_t v;

			if (btf_is_enum64(bt)) {
				name = btf__name_by_offset(bf->btf, btf_enum64(bt)[i].name_off);
				v = (int64_t)btf_enum64_value(&btf_enum64(bt)[i]);
			} else {
				name = btf__name_by_offset(bf->btf, btf_enum(bt)[i].name_off);
				v = btf_kflag(bt) ? (int64_t)btf_enum(bt)[i].val :
				    (int64_t)(uint32_t)btf_enum(bt)[i].val;
			}
			if (!name || !*name)
				continue;
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 4096;
				int64_t *p = realloc(bf->enum_values, ncap * sizeof(*p));

				if (!p)
					return &vt_enomem;
				bf->enum_values = p;
				cap = ncap;
			}
			bf->enum_values[n] = v;
			if (!vt_strmap_add(&bf->enumerators, name, n))
				return &vt_enomem;
			n++;
		}
	}
	bf->enums_indexed = true;
	return NULL;
}

static struct vt_error *btf_constant(void *arg, const char *name, int64_t *ret)
{
	struct btf_finder *bf = arg;
	uint64_t idx;

	if (!bf->enums_indexed) {
		struct vt_error *err = index_enumerators(bf);

		if (err)
			return err;
	}
	if (!vt_strmap_get(&bf->enumerators, name, &idx))
		return &vt_not_found;
	*ret = bf->enum_values[idx];
	return NULL;
}

static void btf_destroy(void *arg)
{
	struct btf_finder *bf = arg;

	btf__free(bf->btf);
	free(bf->cache);
	free(bf->enum_values);
	vt_strmap_deinit(&bf->enumerators);
	vt_strmap_deinit(&bf->found);
	free(bf);
}

static const struct vt_finder_ops btf_ops = {
	.name = "btf",
	.type = btf_type,
	.resolve = btf_resolve,
	.constant = btf_constant,
	.destroy = btf_destroy,
};

static struct vt_error *wrap(struct btf *btf, struct vt_arena *arena,
			     struct vt_finder **ret)
{
	struct btf_finder *bf = calloc(1, sizeof(*bf));

	if (!bf) {
		btf__free(btf);
		return &vt_enomem;
	}
	bf->btf = btf;
	bf->arena = arena;
	bf->ntypes = btf__type_cnt(btf);
	vt_strmap_init(&bf->enumerators);
	vt_strmap_init(&bf->found);
	bf->finder.ops = &btf_ops;
	bf->finder.arg = bf;
	*ret = &bf->finder;
	return NULL;
}

struct vt_error *vt_btf_finder_from_data(const void *data, size_t size,
					 struct vt_arena *arena,
					 struct vt_finder **ret)
{
	struct btf *btf;

	if (size > UINT32_MAX)
		return vt_error_create(VT_ERR_FORMAT, "BTF of %zu bytes is too large", size);
	/*
	 * libbpf finds its types at hdr_len + type_off into its copy and does
	 * not check that they are aligned; a 4-byte struct btf_type at an odd
	 * offset is then read misaligned (UBSan, fuzz_btf). Every kernel's BTF
	 * has both aligned: refuse one that does not.
	 */
	if (size >= 16) {
		const unsigned char *h = data;
		bool swapped = h[0] == 0xeb && h[1] == 0x9f;	/* magic 0xeB9F, other order */
		uint32_t hdr_len, type_off;

		memcpy(&hdr_len, h + 4, 4);
		memcpy(&type_off, h + 8, 4);
		if (swapped) {
			hdr_len = __builtin_bswap32(hdr_len);
			type_off = __builtin_bswap32(type_off);
		}
		if (hdr_len % 4 || type_off % 4)
			return vt_error_create(VT_ERR_FORMAT, "BTF types at an unaligned offset "
					       "(hdr_len %u, type_off %u)", hdr_len, type_off);
	}
	btf = btf__new(data, (__u32)size);
	if (!btf)
		return vt_error_create(VT_ERR_FORMAT, "BTF does not parse (%s)",
				       strerror(errno));
	return wrap(btf, arena, ret);
}

struct vt_error *vt_btf_finder_from_elf(const char *path, struct vt_arena *arena,
					struct vt_finder **ret)
{
	struct btf *btf = btf__parse_elf(path, NULL);

	if (!btf)
		return errno == ENOENT ? &vt_not_found :
		       vt_error_create(VT_ERR_FORMAT, "%s: .BTF does not parse (%s)",
				       path, strerror(errno));
	return wrap(btf, arena, ret);
}
