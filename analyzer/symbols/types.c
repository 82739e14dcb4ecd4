#include <inttypes.h>
#include <string.h>

#include "symbols/symbols.h"
#include "symbols/types.h"

const char *vt_type_kind_name(enum vt_type_kind kind)
{
	switch (kind) {
	case VT_TYPE_VOID: return "void";
	case VT_TYPE_INT: return "int";
	case VT_TYPE_FLOAT: return "float";
	case VT_TYPE_POINTER: return "pointer";
	case VT_TYPE_ARRAY: return "array";
	case VT_TYPE_STRUCT: return "struct";
	case VT_TYPE_UNION: return "union";
	case VT_TYPE_ENUM: return "enum";
	case VT_TYPE_TYPEDEF: return "typedef";
	case VT_TYPE_FUNCTION: return "function";
	}
	return "?";
}

struct vt_type *vt_type_unqualified(struct vt_type *t)
{
	/* Bounded: a typedef cycle in corrupt type data must not hang us. */
	for (int i = 0; t && t->kind == VT_TYPE_TYPEDEF && i < 64; i++)
		t = t->target;
	return t;
}

/* Pointees resolve lazily, through the finder that made the pointer. */
struct vt_error *vt_type_pointee_name(struct vt_type *ptr, struct vt_type **ret)
{
	struct vt_type *p = vt_type_unqualified(ptr);

	if (p && p->kind == VT_TYPE_POINTER && !p->target && p->finder &&
	    p->finder->ops->resolve_name)
		return p->finder->ops->resolve_name(p->finder->arg, p->ref, ret);
	return vt_type_pointee(ptr, ret);
}

struct vt_error *vt_type_pointee(struct vt_type *ptr, struct vt_type **ret)
{
	struct vt_error *err;

	ptr = vt_type_unqualified(ptr);
	if (!ptr || ptr->kind != VT_TYPE_POINTER)
		return vt_error_create(VT_ERR_USAGE, "not a pointer type");
	if (!ptr->target) {
		if (!ptr->finder || !ptr->finder->ops->resolve)
			return vt_error_create(VT_ERR_NOT_FOUND, "pointee unknown");
		err = ptr->finder->ops->resolve(ptr->finder->arg, ptr->ref,
						&ptr->target);
		if (err)
			return err;
	}
	*ret = ptr->target;
	return NULL;
}

/*
 * Corrupt type data (a fuzzed or damaged BTF) can make a struct its own
 * anonymous member: bound the descent rather than recurse until the stack
 * overflows, and the number of structs searched, since anonymous members
 * that share one type make the search tree exponential. Real kernels nest
 * anonymous members a few levels deep and search a few hundred members.
 */
#define MAX_MEMBER_DEPTH 32
#define MAX_MEMBER_VISITS 100000

static struct vt_error *type_member(struct vt_type *t, const char *path,
				    uint64_t *bit_offset_ret,
				    struct vt_member **member_ret, int depth,
				    unsigned *visits)
{
	char comp[256];
	const char *dot = strchr(path, '.');
	size_t len = dot ? (size_t)(dot - path) : strlen(path);

	if (depth > MAX_MEMBER_DEPTH || ++*visits > MAX_MEMBER_VISITS)
		return vt_error_create(VT_ERR_FORMAT,
				       "%s: members nest deeper than %d or loop (corrupt types)",
				       path, MAX_MEMBER_DEPTH);
	t = vt_type_unqualified(t);
	if (!t || (t->kind != VT_TYPE_STRUCT && t->kind != VT_TYPE_UNION))
		return vt_error_create(VT_ERR_NOT_FOUND, "%s: not a struct or union", path);
	if (len >= sizeof(comp))
		return vt_error_create(VT_ERR_USAGE, "member name too long");
	memcpy(comp, path, len);
	comp[len] = '\0';
	for (size_t i = 0; i < t->nmembers; i++) {
		struct vt_member *m = &t->members[i];
		uint64_t sub = 0;
		struct vt_error *err;

		if (*m->name && strcmp(m->name, comp) == 0) {
			if (!dot) {
				*bit_offset_ret = m->bit_offset;
				if (member_ret)
					*member_ret = m;
				return NULL;
			}
			err = type_member(m->type, dot + 1, &sub, member_ret, depth + 1,
					  visits);
			if (!err)
				*bit_offset_ret = m->bit_offset + sub;
			return err;
		}
		if (!*m->name) {	/* anonymous struct/union: look inside */
			err = type_member(m->type, path, &sub, member_ret, depth + 1,
					  visits);
			if (!err) {
				*bit_offset_ret = m->bit_offset + sub;
				return NULL;
			}
			if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
				return err;
		}
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "no member %s in %s %s", comp,
			       vt_type_kind_name(t->kind), t->name);
}

struct vt_error *vt_type_member(struct vt_type *t, const char *path,
				uint64_t *bit_offset_ret,
				struct vt_member **member_ret)
{
	unsigned visits = 0;

	return type_member(t, path, bit_offset_ret, member_ret, 0, &visits);
}
