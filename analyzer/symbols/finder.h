/*
 * A finder answers symbol and type questions from one source (BTF, DWARF,
 * ELF symtab, kallsyms, VMCOREINFO). vt_symbols asks its finders in order.
 * Every callback may be NULL (the finder cannot answer that kind) and
 * returns &vt_not_found when it does not know the name.
 */
#ifndef VT_FINDER_H
#define VT_FINDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "symbols/types.h"

struct vt_arena;

/* One function of a code address's inline chain (vt_symbols_lines). */
struct vt_srcloc {
	const char *function;	/* NULL: not named */
	const char *file;	/* NULL: not known */
	int line;		/* 0: not known */
	bool inlined;		/* inlined into the next entry */
};

struct vt_finder_ops {
	const char *name;		/* "btf", "dwarf", "elf", "kallsyms", "vmcoreinfo" */
	/* Addresses as the finder knows them (link-time unless runtime). */
	struct vt_error *(*symbol)(void *arg, const char *name, uint64_t *ret);
	/* Name containing addr: start and size (0 if unknown). */
	struct vt_error *(*address)(void *arg, uint64_t addr, const char **name,
				    uint64_t *start, uint64_t *size);
	/* kind: STRUCT, UNION, ENUM, TYPEDEF, INT...; name without "struct ". */
	struct vt_error *(*type)(void *arg, enum vt_type_kind kind,
				 const char *name, struct vt_type **ret);
	/* Pointee of a pointer type this finder produced. */
	struct vt_error *(*resolve)(void *arg, uint64_t ref, struct vt_type **ret);
	/* Optional: the pointee's kind and name only, for display; not kept. */
	struct vt_error *(*resolve_name)(void *arg, uint64_t ref, struct vt_type **ret);
	/* Enumerator or named constant. */
	struct vt_error *(*constant)(void *arg, const char *name, int64_t *ret);
	/* Member offset "struct.a.b" without building the type (VMCOREINFO). */
	struct vt_error *(*offset)(void *arg, const char *type_name,
				   const char *member, uint64_t *bit_offset_ret);
	struct vt_error *(*size)(void *arg, const char *type_name, uint64_t *ret);
	/* Source locations of a code address, innermost inlined first. */
	struct vt_error *(*lines)(void *arg, uint64_t addr, struct vt_srcloc *out,
				  size_t max, size_t *n_ret);
	void (*destroy)(void *arg);
};

struct vt_finder {
	const struct vt_finder_ops *ops;
	void *arg;
	bool runtime_addresses;	/* addresses already include KASLR */
	struct vt_finder *next;
};

/*
 * Arena for type objects and strings: everything a finder builds lives
 * until the vt_symbols object is destroyed.
 */
void *vt_arena_alloc(struct vt_arena *arena, size_t size);
char *vt_arena_strdup(struct vt_arena *arena, const char *s);
struct vt_arena *vt_arena_create(void);
void vt_arena_destroy(struct vt_arena *arena);

#endif
