/*
 * The type model: a small, finder-neutral description of kernel types,
 * enough to answer "size of", "offset of a.b.c" and "value of enumerator".
 * Types are owned by the vt_symbols object that produced them.
 */
#ifndef VT_TYPES_H
#define VT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vt_type_kind {
	VT_TYPE_VOID,
	VT_TYPE_INT,		/* includes char and _Bool */
	VT_TYPE_FLOAT,
	VT_TYPE_POINTER,
	VT_TYPE_ARRAY,
	VT_TYPE_STRUCT,
	VT_TYPE_UNION,
	VT_TYPE_ENUM,
	VT_TYPE_TYPEDEF,
	VT_TYPE_FUNCTION,
};

const char *vt_type_kind_name(enum vt_type_kind kind);

struct vt_type;

struct vt_member {
	const char *name;	/* "" for an anonymous struct/union member */
	uint64_t bit_offset;
	uint32_t bit_size;	/* 0 unless a bit field */
	struct vt_type *type;
};

struct vt_enumerator {
	const char *name;
	int64_t value;
};

struct vt_finder;

struct vt_type {
	enum vt_type_kind kind;
	const char *name;	/* "" when anonymous */
	uint64_t size;		/* bytes; 0 for void, functions, incomplete */
	bool is_signed;		/* INT and ENUM */
	bool incomplete;	/* a declaration with no definition found */
	bool partial;		/* only some members known (from VMCOREINFO) */
	/*
	 * TYPEDEF, ARRAY: the target. POINTER: resolved lazily through
	 * vt_type_pointee(), since eager resolution would pull in the whole
	 * kernel's type graph.
	 */
	struct vt_type *target;
	struct vt_finder *finder;	/* producer, for lazy pointee */
	uint64_t ref;			/* finder's handle of the pointee */
	uint64_t length;		/* ARRAY element count */
	size_t nmembers;
	struct vt_member *members;
	size_t nenumerators;
	struct vt_enumerator *enumerators;
};

/* Strip typedefs. */
struct vt_type *vt_type_unqualified(struct vt_type *t);

#endif
