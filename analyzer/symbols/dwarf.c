/*
 * DWARF finder (elfutils libdw): types and enumerators from a vmlinux.
 *
 * A Debian vmlinux carries ~590 MB of DWARF in ~2,800 compilation units,
 * and a triage run needs perhaps fifty types. So nothing is indexed up
 * front: a cursor walks the CUs, and a lookup that misses indexes the
 * next CUs' top-level named types (and the enumerators of top-level
 * enums) until the name shows up. Common types (struct page, mm_struct)
 * are defined in nearly every CU, so they are found after a handful; only
 * a name that exists nowhere costs one full scan, after which every miss
 * is answered from the complete index.
 *
 * Types are converted into the arena on demand and cached by DIE offset.
 * A struct's members are converted eagerly (by-value nesting is finite),
 * but a pointer's pointee is not: it is resolved later through
 * vt_type_pointee() -> resolve(), which is what keeps one lookup from
 * dragging in the whole kernel's type graph.
 *
 * Malformed DWARF yields errors, never crashes or endless loops: sibling
 * walks must move forward (so they are bounded by the section size) and
 * type nesting is capped at MAX_DEPTH.
 *
 * This file holds the finder's operations; the index is in dwarf_index.c,
 * the conversion of DIEs in dwarf_types.c, what they share in
 * dwarf_internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>

#include "symbols/dwarf_internal.h"

static struct vt_error *dwarf_type(void *arg, enum vt_type_kind kind,
				   const char *name, struct vt_type **ret)
{
	struct dwarf_finder *df = arg;
	struct vt_error *err;
	struct vt_type *t;
	Dwarf_Off off;
	int ns;

	if (kind == VT_TYPE_VOID && strcmp(name, "void") == 0) {
		*ret = df->void_type;
		return NULL;
	}
	ns = kind == VT_TYPE_STRUCT ? NS_STRUCT : kind == VT_TYPE_UNION ? NS_UNION :
	     kind == VT_TYPE_ENUM ? NS_ENUM : kind == VT_TYPE_TYPEDEF ? NS_TYPEDEF :
	     kind == VT_TYPE_INT || kind == VT_TYPE_FLOAT ? NS_BASE : -1;
	if (ns < 0)
		return &vt_not_found;	/* pointers, arrays have no names */
	err = vt_dwarf_find_named(df, ns, name, &off);
	if (!err)
		err = vt_dwarf_resolve(df, off, &t);
	if (err)
		return err->code == VT_ERR_NOT_FOUND ? err :
		       vt_error_prefix(err, "%s %s", vt_type_kind_name(kind), name);
	/* "double" asked for as an INT is not a match. */
	if (t->kind != kind)
		return &vt_not_found;
	*ret = t;
	return NULL;
}

static struct vt_error *dwarf_constant(void *arg, const char *name,
				       int64_t *ret)
{
	struct dwarf_finder *df = arg;
	struct vt_error *err;
	struct vt_type *t;
	Dwarf_Off off;

	err = vt_dwarf_find_named(df, NS_ENUMERATOR, name, &off);
	if (!err)
		err = vt_dwarf_resolve(df, off, &t);
	if (err)
		return err->code == VT_ERR_NOT_FOUND ? err :
		       vt_error_prefix(err, "enumerator %s", name);
	for (size_t i = 0; i < t->nenumerators; i++) {
		if (strcmp(t->enumerators[i].name, name) == 0) {
			*ret = t->enumerators[i].value;
			return NULL;
		}
	}
	return &vt_not_found;
}

static void dwarf_destroy(void *arg)
{
	struct dwarf_finder *df = arg;

	if (!df)
		return;
	dwarf_end(df->dwarf);
	elf_end(df->elf);
	if (df->fd >= 0)
		close(df->fd);
	for (int i = 0; i < NS_COUNT; i++)
		vt_strmap_deinit(&df->names[i]);
	free(df->cache);
	free(df->lines_memo);
	free(df->index_error);
	free(df);
}

static const struct vt_finder_ops dwarf_ops = {
	.name = "dwarf",
	.type = dwarf_type,
	.resolve = vt_dwarf_resolve,
	.resolve_name = vt_dwarf_resolve_name,
	.constant = dwarf_constant,
	.lines = vt_dwarf_lines,
	.destroy = dwarf_destroy,
};

struct vt_error *vt_dwarf_finder_create(const char *path,
					struct vt_arena *arena,
					struct vt_finder **ret)
{
	struct dwarf_finder *df = calloc(1, sizeof(*df));
	struct vt_error *err;
	const char *ident;

	if (!df)
		return &vt_enomem;
	df->arena = arena;
	for (int i = 0; i < NS_COUNT; i++)
		vt_strmap_init(&df->names[i]);
	df->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (df->fd < 0) {
		err = vt_error_create(VT_ERR_IO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	elf_version(EV_CURRENT);
	/* mmap: only the pages of the CUs actually walked are read in. */
	df->elf = elf_begin(df->fd, ELF_C_READ_MMAP, NULL);
	if (!df->elf || elf_kind(df->elf) != ELF_K_ELF) {
		err = vt_error_create(VT_ERR_FORMAT, "%s: not an ELF file", path);
		goto fail;
	}
	ident = elf_getident(df->elf, NULL);
	df->big_endian = ident && ident[EI_DATA] == ELFDATA2MSB;
	df->dwarf = dwarf_begin_elf(df->elf, DWARF_C_READ, NULL);
	if (!df->dwarf) {
		err = vt_error_create(VT_ERR_NOT_FOUND, "%s: no DWARF debug info (%s)",
				      path, dwarf_errmsg(-1));
		goto fail;
	}
	df->void_type = vt_dwarf_new_type(df, VT_TYPE_VOID, "void");
	if (!df->void_type) {
		err = &vt_enomem;
		goto fail;
	}
	df->finder.ops = &dwarf_ops;
	df->finder.arg = df;
	df->finder.runtime_addresses = false;
	*ret = &df->finder;
	return NULL;
fail:
	dwarf_destroy(df);
	return err;
}
