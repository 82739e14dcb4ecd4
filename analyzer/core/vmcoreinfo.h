/* VMCOREINFO: the KEY=VALUE text the kernel leaves for dump tools. */
#ifndef VT_VMCOREINFO_H
#define VT_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Refuse larger notes: the kernel's buffer is one page (VMCOREINFO_BYTES). */
#define VT_VMCOREINFO_MAX (1u << 20)

struct vt_vmcoreinfo_entry {
	char *key;	/* e.g. "SYMBOL(init_top_pgt)", "OFFSET(page.flags)" */
	char *value;
};

struct vt_vmcoreinfo {
	char *raw;			/* the text, NUL-terminated */
	size_t nentries;
	struct vt_vmcoreinfo_entry *entries;
	unsigned nbad;			/* lines that were not KEY=VALUE */
};

/* Parse len bytes (need not be NUL-terminated). */
struct vt_error *vt_vmcoreinfo_parse(const char *text, size_t len,
				     struct vt_vmcoreinfo *ret);
void vt_vmcoreinfo_deinit(struct vt_vmcoreinfo *vi);

/* The value of KEY, or NULL. */
const char *vt_vmcoreinfo_get(const struct vt_vmcoreinfo *vi, const char *key);

/*
 * Typed lookups; kind is SYMBOL (hex), SIZE/OFFSET/LENGTH/NUMBER (decimal,
 * NUMBER may be negative or 0x-prefixed). VT_ERR_NOT_FOUND when absent,
 * VT_ERR_FORMAT when the value does not parse.
 */
struct vt_error *vt_vmcoreinfo_symbol(const struct vt_vmcoreinfo *vi,
				      const char *name, uint64_t *ret);
struct vt_error *vt_vmcoreinfo_number(const struct vt_vmcoreinfo *vi,
				      const char *kind, const char *name,
				      int64_t *ret);
/* NUMBER(name), or dflt when the kernel does not export it (a value that
 * does not parse is still an error). */
struct vt_error *vt_vmcoreinfo_number_or(const struct vt_vmcoreinfo *vi, const char *name,
					 int64_t dflt, int64_t *ret);
/* KERNELOFFSET (hex, no prefix); 0 with no error when absent. */
uint64_t vt_vmcoreinfo_kernel_offset(const struct vt_vmcoreinfo *vi);

#endif
