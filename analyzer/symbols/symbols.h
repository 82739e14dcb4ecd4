/*
 * vt_symbols: the chain of finders, asked in order, answering with KASLR
 * applied. Built for one target, optionally with a vmlinux:
 *   BTF (vmlinux .BTF, else the dump's own __start_BTF..__stop_BTF)
 *   DWARF (vmlinux, lazily indexed)
 *   ELF symtab (vmlinux)
 *   kallsyms (decoded from the dump)
 *   VMCOREINFO (SYMBOL/SIZE/OFFSET/LENGTH/NUMBER)
 */
#ifndef VT_SYMBOLS_H
#define VT_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "target/target.h"
#include "symbols/finder.h"
#include "symbols/types.h"

struct vt_symbols;

struct vt_symbols_options {
	const char *vmlinux;		/* NULL: the dump alone */
	bool force;			/* use a vmlinux that does not match */
	bool no_btf;			/* skip BTF (to use DWARF, or to test) */
};

struct vt_error *vt_symbols_create(struct vt_target *t,
				   const struct vt_symbols_options *opts,
				   struct vt_symbols **ret);
void vt_symbols_destroy(struct vt_symbols *s);

/* Runtime (KASLR-applied) address of a symbol. */
struct vt_error *vt_symbols_lookup(struct vt_symbols *s, const char *name,
				   uint64_t *addr_ret);
/* Symbol containing a runtime address: name and offset into it. */
struct vt_error *vt_symbols_addr(struct vt_symbols *s, uint64_t addr,
				 const char **name_ret, uint64_t *offset_ret);
/* The same and the symbol's size (0 when the finder does not know it). */
struct vt_error *vt_symbols_addr_size(struct vt_symbols *s, uint64_t addr,
				      const char **name_ret, uint64_t *offset_ret,
				      uint64_t *size_ret);

/*
 * The source locations of a runtime code address from the vmlinux's DWARF:
 * the functions inlined there, innermost first, then the one they are in,
 * each with file:line. VT_ERR_NOT_FOUND without DWARF or for an address
 * it does not cover.
 */
struct vt_error *vt_symbols_lines(struct vt_symbols *s, uint64_t addr,
				  struct vt_srcloc *out, size_t max, size_t *n_ret);

/*
 * A type by C spelling: "struct page", "union x", "enum pageflags",
 * "pgd_t", or a bare "page" (struct, then union, typedef, enum, base).
 */
struct vt_error *vt_symbols_type(struct vt_symbols *s, const char *spec,
				 struct vt_type **ret);
/* Offset in bytes of a member path "a.b.c" (anonymous members searched). */
struct vt_error *vt_symbols_offsetof(struct vt_symbols *s, const char *type,
				     const char *path, uint64_t *ret);
struct vt_error *vt_symbols_sizeof(struct vt_symbols *s, const char *type,
				   uint64_t *ret);
/*
 * A member's offset, size and type. Where only an offset is known (a
 * VMCOREINFO OFFSET() with no type information) size is 0 and type NULL:
 * callers that need the member's width or encoding must then say "unknown".
 */
struct vt_member_info {
	uint64_t offset;		/* bytes */
	uint64_t size;			/* bytes; 0 when not known */
	struct vt_type *type;		/* unqualified; NULL when not known */
};
struct vt_error *vt_symbols_member(struct vt_symbols *s, const char *type,
				   const char *path, struct vt_member_info *ret);
/* Enumerator or VMCOREINFO NUMBER(). */
struct vt_error *vt_symbols_constant(struct vt_symbols *s, const char *name,
				     int64_t *ret);
/* The pointee of a POINTER type (resolved lazily). */
struct vt_error *vt_type_pointee(struct vt_type *ptr, struct vt_type **ret);
/*
 * For display only: the pointee's kind and name, which may be a bare
 * named type (no members, size or typedef target) that is not kept as
 * the pointer's target; what vt_type_pointee() gives when the finder has
 * no cheaper answer.
 */
struct vt_error *vt_type_pointee_name(struct vt_type *ptr, struct vt_type **ret);

/* Member lookup within a resolved struct/union, through anonymous members. */
struct vt_error *vt_type_member(struct vt_type *t, const char *path,
				uint64_t *bit_offset_ret,
				struct vt_member **member_ret);

/* For `info`: each finder's name, whether it loaded, and what it said
 * (decodes a kallsyms still pending, hence not const). */
struct vt_symbols_finder_status {
	const char *name;
	bool loaded;
	const char *detail;	/* source or why not loaded */
};
size_t vt_symbols_finder_status(struct vt_symbols *s,
				const struct vt_symbols_finder_status **ret);

struct vt_arena *vt_symbols_arena(struct vt_symbols *s);

#endif
