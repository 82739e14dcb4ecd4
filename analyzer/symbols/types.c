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
