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
