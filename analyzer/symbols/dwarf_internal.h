/*
 * Shared by the files of the DWARF finder: its state, the lazy name index
 * (dwarf_index.c), the conversion of DIEs into the type model
 * (dwarf_types.c) and the finder operations (dwarf.c).
 */
#ifndef VT_DWARF_INTERNAL_H
#define VT_DWARF_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <dwarf.h>
#include <elfutils/libdw.h>

#include "symbols/finders.h"
#include "symbols/strmap.h"

/* Name spaces of the index, one map each; values are DIE offsets. */
enum {
	NS_STRUCT,
	NS_UNION,
	NS_ENUM,
	NS_TYPEDEF,
	NS_BASE,
	NS_ENUMERATOR,	/* enumerator name -> offset of its enum's DIE */
	NS_COUNT,
};

struct dwarf_finder {
	struct vt_arena *arena;
	int fd;
	Elf *elf;
	Dwarf *dwarf;
	bool big_endian;	/* for the legacy DW_AT_bit_offset form */
	Dwarf_CU *cursor;	/* last CU indexed; NULL before the first */
	bool exhausted;		/* every CU indexed: a miss is final */
	char *index_error;	/* first CU that could not be indexed, if any */
	struct vt_strmap names[NS_COUNT];
	struct offmap_slot *cache;
	size_t cache_cap, cache_count;
	struct vt_type *void_type;
	struct lines_memo *lines_memo;	/* dwarf_lines.c's answers, by address */
	size_t lines_memo_count;
	struct vt_finder finder;
};

/* Source locations of a code address (dwarf_lines.c). */
struct vt_error *vt_dwarf_lines(void *arg, uint64_t addr, struct vt_srcloc *out,
				size_t max, size_t *n_ret);

/* Malformed or unexpected DWARF at a DIE. */
#define bad(die, fmt, ...) \
	vt_error_create(VT_ERR_FORMAT, "DWARF DIE 0x%llx: " fmt, \
			(unsigned long long)dwarf_dieoffset(die), ##__VA_ARGS__)

/* A libdw call failed: say what we were doing and what libdw said. */
static inline struct vt_error *dw_error(Dwarf_Die *die, const char *what)
{
	const char *msg = dwarf_errmsg(-1);

	return bad(die, "%s: %s", what, msg ? msg : "malformed DWARF");
}

/*
 * Next sibling, refusing to go backwards: a corrupt DW_AT_sibling cannot
 * loop, so every walk is bounded by the size of .debug_info.
 * 0 with *child advanced, 1 at the end, -1 on error.
 */
static inline int child_next(Dwarf_Die *child)
{
	Dwarf_Off prev = dwarf_dieoffset(child);
	Dwarf_Die next;
	int r = dwarf_siblingof(child, &next);

	if (r)
		return r;
	if (dwarf_dieoffset(&next) <= prev)
		return -1;
	*child = next;
	return 0;
}

/* Index name space of a type DIE's tag; -1 for tags the index skips. */
static inline int tag_namespace(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_class_type ? NS_STRUCT :
	       tag == DW_TAG_union_type ? NS_UNION :
	       tag == DW_TAG_enumeration_type ? NS_ENUM :
	       tag == DW_TAG_typedef ? NS_TYPEDEF :
	       tag == DW_TAG_base_type ? NS_BASE : -1;
}

/* dwarf_index.c: DIE offset of the definition named name in namespace ns. */
struct vt_error *vt_dwarf_find_named(struct dwarf_finder *df, int ns,
				     const char *name, Dwarf_Off *ret);

/* dwarf_types.c: a new type in the arena (NULL on ENOMEM). */
struct vt_type *vt_dwarf_new_type(struct dwarf_finder *df, enum vt_type_kind kind,
				  const char *name);
/* dwarf_types.c: the type at a DIE offset; 0 (a pointer without DW_AT_type) is void. */
struct vt_error *vt_dwarf_resolve(void *arg, uint64_t ref, struct vt_type **ret);
struct vt_error *vt_dwarf_resolve_name(void *arg, uint64_t ref, struct vt_type **ret);

#endif
