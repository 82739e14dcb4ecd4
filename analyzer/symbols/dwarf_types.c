/*
 * The DWARF finder's conversion of DIEs into the type model, into the
 * arena, cached by DIE offset (see dwarf.c).
 */
#include <stdlib.h>
#include <string.h>

#include "symbols/dwarf_internal.h"

/* Deeper than any real kernel type; stops cycles in corrupt DWARF. */
#define MAX_DEPTH 64

/* DIE offset -> converted type. 0 is never a DIE offset (a CU header is). */
struct offmap_slot {
	uint64_t key;
	struct vt_type *type;
};

static struct vt_error *convert(struct dwarf_finder *df, Dwarf_Die *die,
				int depth, struct vt_type **ret);

static struct offmap_slot *cache_slot(struct offmap_slot *slots, size_t cap,
				      uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);

	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static struct vt_type *cache_get(struct dwarf_finder *df, uint64_t key)
{
	return df->cache_cap ? cache_slot(df->cache, df->cache_cap, key)->type :
	       NULL;
}

static bool cache_put(struct dwarf_finder *df, uint64_t key, struct vt_type *t)
{
	struct offmap_slot *s;

	if ((df->cache_count + 1) * 4 > df->cache_cap * 3) {
		size_t ncap = df->cache_cap ? df->cache_cap * 2 : 256;
		struct offmap_slot *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return false;
		for (size_t i = 0; i < df->cache_cap; i++)
			if (df->cache[i].key)
				*cache_slot(ns, ncap, df->cache[i].key) = df->cache[i];
		free(df->cache);
		df->cache = ns;
		df->cache_cap = ncap;
	}
	s = cache_slot(df->cache, df->cache_cap, key);
	if (!s->key)
		df->cache_count++;
	s->key = key;
	s->type = t;
	return true;
}

/*
 * A constant attribute as a signed number. Only the sdata forms carry a
 * sign; dataN and udata are zero-extended, which is what GCC expects of
 * consumers (it emits sdata whenever a value is negative).
 * Returns 0 when absent, 1 when *ret is set, -1 when not a constant
 * (a location expression or a reference, e.g. a VLA bound).
 */
static int attr_const(Dwarf_Die *die, unsigned int name, int64_t *ret)
{
	Dwarf_Attribute a;
	Dwarf_Sword s;
	Dwarf_Word u;

	if (!dwarf_attr_integrate(die, name, &a))
		return 0;
	switch (dwarf_whatform(&a)) {
	case DW_FORM_sdata:
	case DW_FORM_implicit_const:
		if (dwarf_formsdata(&a, &s))
			return -1;
		*ret = s;
		return 1;
	case DW_FORM_data1:
	case DW_FORM_data2:
	case DW_FORM_data4:
	case DW_FORM_data8:
	case DW_FORM_udata:
		if (dwarf_formudata(&a, &u))
			return -1;
		*ret = (int64_t)u;
		return 1;
	}
	return -1;
}

/* DW_AT_byte_size into *size when present and sane. */
static void read_size(Dwarf_Die *die, uint64_t *size)
{
	int64_t v;

	if (attr_const(die, DW_AT_byte_size, &v) == 1 && v >= 0)
		*size = (uint64_t)v;
}

static const char *die_name(Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);

	return name ? name : "";
}

/* Children of die with the given tag: how many, for one arena allocation. */
static struct vt_error *count_children(Dwarf_Die *die, int tag, size_t *ret)
{
	Dwarf_Die c;
	int r;

	*ret = 0;
	for (r = dwarf_child(die, &c); r == 0; r = child_next(&c))
		if (dwarf_tag(&c) == tag)
			(*ret)++;
	return r < 0 ? dw_error(die, "walking children") : NULL;
}

struct vt_type *vt_dwarf_new_type(struct dwarf_finder *df, enum vt_type_kind kind,
				  const char *name)
{
	struct vt_type *t = vt_arena_alloc(df->arena, sizeof(*t));

	if (t) {
		t->kind = kind;
		t->name = name;
		t->finder = &df->finder;
	}
	return t;
}

/* The type DW_AT_type names, or void when there is none. */
static struct vt_error *convert_ref(struct dwarf_finder *df, Dwarf_Die *die,
				    int depth, struct vt_type **ret)
{
	Dwarf_Attribute a;
	Dwarf_Die target;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a)) {
		*ret = df->void_type;
		return NULL;
	}
	if (!dwarf_formref_die(&a, &target))
		return dw_error(die, "following DW_AT_type");
	return convert(df, &target, depth, ret);
}

static uint64_t type_size(struct vt_type *t)
{
	t = vt_type_unqualified(t);
	return t ? t->size : 0;
}

/* Byte offset of a member from DW_AT_data_member_location (0 if absent). */
static struct vt_error *member_location(Dwarf_Die *m, uint64_t *ret)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;
	int64_t v;
	int r = attr_const(m, DW_AT_data_member_location, &v);

	*ret = 0;
	if (r >= 0) {	/* union members have none */
		if (r > 0 && v < 0)
			return bad(m, "negative member offset");
		*ret = r > 0 ? (uint64_t)v : 0;
		return NULL;
	}
	/* DWARF 2/3 style: a location expression, DW_OP_plus_uconst N. */
	if (!dwarf_attr_integrate(m, DW_AT_data_member_location, &a) ||
	    dwarf_getlocation(&a, &ops, &nops) != 0)
		return dw_error(m, "reading DW_AT_data_member_location");
	if (nops == 1 && (ops[0].atom == DW_OP_plus_uconst ||
			  ops[0].atom == DW_OP_constu)) {
		*ret = ops[0].number;
		return NULL;
	}
	return bad(m, "member location is not a constant");
}

static struct vt_error *convert_member(struct dwarf_finder *df, Dwarf_Die *m,
				       int depth, struct vt_member *vm)
{
	struct vt_error *err;
	int64_t v, storage, bits, unit;
	uint64_t byte_off;
	int r;

	vm->name = die_name(m);
	err = convert_ref(df, m, depth + 1, &vm->type);
	if (err)
		return err;
	r = attr_const(m, DW_AT_bit_size, &v);
	if (r < 0 || (r > 0 && (v < 0 || v > UINT32_MAX)))
		return bad(m, "bad DW_AT_bit_size");
	vm->bit_size = r > 0 ? (uint32_t)v : 0;

	/* DWARF 4+: the bit offset from the start of the containing struct. */
	r = attr_const(m, DW_AT_data_bit_offset, &v);
	if (r < 0 || (r > 0 && v < 0))
		return bad(m, "bad DW_AT_data_bit_offset");
	if (r > 0) {
		vm->bit_offset = (uint64_t)v;
		return NULL;
	}
	err = member_location(m, &byte_off);
	if (err)
		return err;
	if (byte_off > (1ull << 48))	/* also keeps the sums below in range */
		return bad(m, "member offset out of range");
	vm->bit_offset = byte_off * 8;

	/*
	 * DWARF 2/3 bit fields: DW_AT_bit_offset counts from the most
	 * significant bit of a storage unit of DW_AT_byte_size bytes (else
	 * the type's size) at the member location; on little-endian
	 * machines that is the far end of the unit.
	 */
	r = attr_const(m, DW_AT_bit_offset, &v);
	if (r < 0)
		return bad(m, "bad DW_AT_bit_offset");
	if (r == 0)
		return NULL;
	if (attr_const(m, DW_AT_byte_size, &storage) != 1)
		storage = (int64_t)type_size(vm->type);
	if (storage <= 0 || storage > 64 || v < -512 || v > 512)
		return bad(m, "bad bit field storage unit");
	unit = storage * 8;
	bits = df->big_endian ? v : unit - v - (int64_t)vm->bit_size;
	if (bits < -(int64_t)vm->bit_offset)
		return bad(m, "bit field offset out of range");
	vm->bit_offset = (uint64_t)((int64_t)vm->bit_offset + bits);
	return NULL;
}

static struct vt_error *convert_struct(struct dwarf_finder *df, Dwarf_Die *die,
				       int depth, struct vt_type *t)
{
	struct vt_error *err;
	size_t n, i = 0;
	Dwarf_Die m;
	int r;

	read_size(die, &t->size);
	err = count_children(die, DW_TAG_member, &n);
	if (err)
		return err;
	t->members = vt_arena_alloc(df->arena, n * sizeof(*t->members) + 1);
	if (!t->members)
		return &vt_enomem;
	for (r = dwarf_child(die, &m); r == 0 && i < n; r = child_next(&m)) {
		if (dwarf_tag(&m) != DW_TAG_member)
			continue;
		err = convert_member(df, &m, depth, &t->members[i]);
		if (err)
			return vt_error_prefix(err, "member %s", t->members[i].name);
		i++;
	}
	if (r < 0)
		return dw_error(die, "walking members");
	t->nmembers = i;
	return NULL;
}

static struct vt_error *convert_enum(struct dwarf_finder *df, Dwarf_Die *die,
				     int depth, struct vt_type *t)
{
	struct vt_type *under;
	struct vt_error *err;
	size_t n, i = 0;
	Dwarf_Die e;
	int r;

	/* Signedness from the underlying type (DW_AT_type), when given. */
	err = convert_ref(df, die, depth + 1, &under);
	if (err)
		return err;
	under = vt_type_unqualified(under);
	read_size(die, &t->size);
	err = count_children(die, DW_TAG_enumerator, &n);
	if (err)
		return err;
	t->enumerators = vt_arena_alloc(df->arena,
					n * sizeof(*t->enumerators) + 1);
	if (!t->enumerators)
		return &vt_enomem;
	t->is_signed = under->is_signed;
	for (r = dwarf_child(die, &e); r == 0 && i < n; r = child_next(&e)) {
		struct vt_enumerator *ve = &t->enumerators[i];

		if (dwarf_tag(&e) != DW_TAG_enumerator)
			continue;
		ve->name = die_name(&e);
		if (attr_const(&e, DW_AT_const_value, &ve->value) != 1)
			return bad(&e, "enumerator %s has no constant value", ve->name);
		/* No DW_AT_type (DWARF 2/3 GCC): a negative value means signed. */
		if (under->kind == VT_TYPE_VOID && ve->value < 0)
			t->is_signed = true;
		i++;
	}
	if (r < 0)
		return dw_error(die, "walking enumerators");
	t->nenumerators = i;
	return NULL;
}

/* Element count of one dimension; 0 for flexible or variable arrays. */
static uint64_t subrange_length(Dwarf_Die *sub)
{
	int64_t count, upper, lower = 0;

	if (attr_const(sub, DW_AT_count, &count) == 1)
		return count > 0 ? (uint64_t)count : 0;
	if (attr_const(sub, DW_AT_upper_bound, &upper) != 1)
		return 0;	/* char x[]: no bound at all */
	attr_const(sub, DW_AT_lower_bound, &lower);
	/* upper = -1 is how some compilers spell x[0]. */
	if (upper < lower)
		return 0;
	return (uint64_t)upper - (uint64_t)lower + 1;
}

static struct vt_error *convert_array(struct dwarf_finder *df, Dwarf_Die *die,
				      int depth, struct vt_type **ret)
{
	uint64_t lengths[MAX_DEPTH];
	struct vt_error *err;
	struct vt_type *t;
	int ndims = 0, r;
	Dwarf_Die sub;

	for (r = dwarf_child(die, &sub); r == 0; r = child_next(&sub)) {
		int tag = dwarf_tag(&sub);

		if (tag != DW_TAG_subrange_type && tag != DW_TAG_enumeration_type)
			continue;
		if (ndims == MAX_DEPTH)
			return bad(die, "more than %d array dimensions", MAX_DEPTH);
		lengths[ndims++] = tag == DW_TAG_subrange_type ?
				   subrange_length(&sub) : 0;
	}
	if (r < 0)
		return dw_error(die, "walking array dimensions");
	if (ndims == 0)
		lengths[ndims++] = 0;
	err = convert_ref(df, die, depth + ndims, &t);
	if (err)
		return err;
	/* int a[2][3] is an array of 2 arrays of 3 ints: build inside out. */
	for (int i = ndims - 1; i >= 0; i--) {
		struct vt_type *a = vt_dwarf_new_type(df, VT_TYPE_ARRAY, "");
		uint64_t esize = type_size(t);

		if (!a)
			return &vt_enomem;
		a->target = t;
		a->length = lengths[i];
		if (esize && a->length > UINT64_MAX / esize)
			return bad(die, "array size overflows");
		a->size = a->length * esize;
		t = a;
	}
	read_size(die, &t->size);
	*ret = t;
	return NULL;
}

static struct vt_error *convert_base(Dwarf_Die *die, struct vt_type *t)
{
	int64_t size, enc;

	if (attr_const(die, DW_AT_byte_size, &size) != 1 || size < 0)
		return bad(die, "base type without a size");
	t->size = (uint64_t)size;
	if (attr_const(die, DW_AT_encoding, &enc) != 1)
		enc = DW_ATE_unsigned;
	if (enc == DW_ATE_float || enc == DW_ATE_complex_float ||
	    enc == DW_ATE_imaginary_float || enc == DW_ATE_decimal_float)
		t->kind = VT_TYPE_FLOAT;
	t->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char ||
		       enc == DW_ATE_signed_fixed;
	return NULL;
}

static struct vt_error *convert_pointer(Dwarf_Die *die, struct vt_type *t)
{
	uint8_t addr_size;
	Dwarf_Attribute a;
	Dwarf_Die target, cu;

	/* The CU's address size, unless the pointer says its own. */
	if (!dwarf_diecu(die, &cu, &addr_size, NULL))
		return dw_error(die, "reading a pointer's compilation unit");
	t->size = addr_size;
	read_size(die, &t->size);
	if (!t->size)
		return bad(die, "pointer without a size");
	/* Only remember where the pointee is; see vt_type_pointee(). */
	if (dwarf_attr_integrate(die, DW_AT_type, &a)) {
		if (!dwarf_formref_die(&a, &target))
			return dw_error(die, "following a pointer's DW_AT_type");
		t->ref = dwarf_dieoffset(&target);
	}
	return NULL;
}

static enum vt_type_kind tag_kind(int tag)
{
	return tag == DW_TAG_union_type ? VT_TYPE_UNION :
	       tag == DW_TAG_enumeration_type ? VT_TYPE_ENUM : VT_TYPE_STRUCT;
}

/*
 * A struct/union/enum declaration: the definition lives in some other CU
 * (a pointee is often declared only). Find it by name, else the type
 * stays incomplete.
 */
static struct vt_error *convert_declaration(struct dwarf_finder *df,
					    Dwarf_Die *die, int depth,
					    struct vt_type **ret)
{
	int tag = dwarf_tag(die);
	const char *name = die_name(die);
	struct vt_error *err;
	struct vt_type *t;
	Dwarf_Off def;
	Dwarf_Die d;

	if (*name) {
		err = vt_dwarf_find_named(df, tag_namespace(tag), name, &def);
		if (!err) {
			if (!dwarf_offdie(df->dwarf, def, &d))
				return dw_error(die, "reading a definition");
			return convert(df, &d, depth + 1, ret);
		}
		if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
			return err;
	}
	t = vt_dwarf_new_type(df, tag_kind(tag), name);
	if (!t)
		return &vt_enomem;
	t->incomplete = true;
	*ret = t;
	return NULL;
}

static struct vt_error *convert(struct dwarf_finder *df, Dwarf_Die *die,
				int depth, struct vt_type **ret)
{
	Dwarf_Off off = dwarf_dieoffset(die);
	struct vt_error *err = NULL;
	struct vt_type *t;
	int tag;

	if (depth > MAX_DEPTH)
		return bad(die, "types nest deeper than %d", MAX_DEPTH);
	t = cache_get(df, off);
	if (t) {
		*ret = t;
		return NULL;
	}
	switch ((tag = dwarf_tag(die))) {
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
	case DW_TAG_immutable_type:
	case DW_TAG_packed_type:
	case DW_TAG_shared_type:
		/* The model has no qualifiers: skip through. */
		err = convert_ref(df, die, depth + 1, &t);
		break;
	case DW_TAG_unspecified_type:
		t = df->void_type;
		break;
	case DW_TAG_base_type:
		if (!(t = vt_dwarf_new_type(df, VT_TYPE_INT, die_name(die))))
			return &vt_enomem;
		err = convert_base(die, t);
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		if (!(t = vt_dwarf_new_type(df, VT_TYPE_POINTER, "")))
			return &vt_enomem;
		err = convert_pointer(die, t);
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
	case DW_TAG_enumeration_type:
		if (dwarf_hasattr_integrate(die, DW_AT_declaration)) {
			err = convert_declaration(df, die, depth, &t);
			break;
		}
		if (!(t = vt_dwarf_new_type(df, tag_kind(tag), die_name(die))))
			return &vt_enomem;
		if (tag == DW_TAG_enumeration_type)
			err = convert_enum(df, die, depth, t);
		else
			err = convert_struct(df, die, depth, t);
		break;
	case DW_TAG_typedef:
		if (!(t = vt_dwarf_new_type(df, VT_TYPE_TYPEDEF, die_name(die))))
			return &vt_enomem;
		err = convert_ref(df, die, depth + 1, &t->target);
		if (!err)
			t->size = type_size(t->target);
		break;
	case DW_TAG_array_type:
		err = convert_array(df, die, depth, &t);
		break;
	case DW_TAG_subroutine_type:
		/* Only ever seen behind a pointer; parameters are not modelled. */
		if (!(t = vt_dwarf_new_type(df, VT_TYPE_FUNCTION, "")))
			return &vt_enomem;
		break;
	default:
		return bad(die, "tag 0x%x is not a type", tag);
	}
	if (err)
		return err;
	/*
	 * Cached only once complete, so a failed conversion leaves no
	 * half-built type behind (the arena memory is simply unused).
	 */
	if (!cache_put(df, off, t))
		return &vt_enomem;
	*ret = t;
	return NULL;
}

/* The type at a DIE offset; 0 (a pointer without DW_AT_type) is void. */
/*
 * A type reference: *ret set when it is cached (or void), else its DIE in
 * *die; an error when there is no DIE at ref.
 */
static struct vt_error *lookup_ref(struct dwarf_finder *df, uint64_t ref, struct vt_type **ret,
				   Dwarf_Die *die)
{
	*ret = ref ? cache_get(df, ref) : df->void_type;
	if (!*ret && !dwarf_offdie(df->dwarf, ref, die))
		return vt_error_create(VT_ERR_FORMAT, "DWARF: no DIE at 0x%llx",
				       (unsigned long long)ref);
	return NULL;
}

struct vt_error *vt_dwarf_resolve(void *arg, uint64_t ref, struct vt_type **ret)
{
	struct dwarf_finder *df = arg;
	struct vt_error *err;
	Dwarf_Die die;

	if ((err = lookup_ref(df, ref, ret, &die)) || *ret)
		return err;
	return convert(df, &die, 0, ret);
}

/*
 * For display (`type`'s "struct foo *"): the pointee's kind and name
 * without converting it, so a struct declared only in this CU is not
 * looked for through every other CU (the whole index, for an opaque
 * one). Qualifiers are skipped as convert() does; a struct, union, enum
 * or typedef becomes a bare named type, not cached; anything else is
 * converted as usual.
 */
struct vt_error *vt_dwarf_resolve_name(void *arg, uint64_t ref, struct vt_type **ret)
{
	struct dwarf_finder *df = arg;
	struct vt_type *t;
	struct vt_error *err;
	Dwarf_Attribute a;
	Dwarf_Die die;

	if ((err = lookup_ref(df, ref, ret, &die)) || *ret)
		return err;
	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		int tag = dwarf_tag(&die);

		switch (tag) {
		case DW_TAG_const_type:
		case DW_TAG_volatile_type:
		case DW_TAG_restrict_type:
		case DW_TAG_atomic_type:
		case DW_TAG_immutable_type:
		case DW_TAG_packed_type:
		case DW_TAG_shared_type:
			if (!dwarf_attr_integrate(&die, DW_AT_type, &a)) {
				*ret = df->void_type;
				return NULL;
			}
			if (!dwarf_formref_die(&a, &die))
				return dw_error(&die, "following DW_AT_type");
			continue;
		case DW_TAG_structure_type:
		case DW_TAG_class_type:
		case DW_TAG_union_type:
		case DW_TAG_enumeration_type:
		case DW_TAG_typedef:
			t = vt_dwarf_new_type(df, tag == DW_TAG_typedef ? VT_TYPE_TYPEDEF :
					      tag_kind(tag), die_name(&die));
			if (!t)
				return &vt_enomem;
			t->incomplete = true;	/* nothing but the name is known */
			*ret = t;
			return NULL;
		default:
			return vt_dwarf_resolve(df, dwarf_dieoffset(&die), ret);
		}
	}
	return bad(&die, "types nest deeper than %d", MAX_DEPTH);
}
