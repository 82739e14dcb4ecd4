/*
 * The DWARF finder's lazy index: top-level named types (and the
 * enumerators of top-level enums) by name, one compilation unit at a time,
 * as far as a lookup needs (see dwarf.c).
 */
#include <stdlib.h>
#include <string.h>

#include "symbols/dwarf_internal.h"

static struct vt_error *index_die(struct dwarf_finder *df, Dwarf_Die *die)
{
	int ns = tag_namespace(dwarf_tag(die));
	Dwarf_Off off = dwarf_dieoffset(die);
	const char *name;
	Dwarf_Die e;
	int r;

	if (ns < 0)
		return NULL;
	/* Declarations are not definitions: a lookup must find the real one. */
	if (ns <= NS_ENUM && dwarf_hasattr(die, DW_AT_declaration))
		return NULL;
	/* Keys point into .debug_str (or .debug_info), valid until dwarf_end. */
	name = dwarf_diename(die);
	if (name && *name && !vt_strmap_add(&df->names[ns], name, off))
		return &vt_enomem;
	if (ns != NS_ENUM)
		return NULL;
	/* Anonymous enums too: most kernel constants live in those. */
	for (r = dwarf_child(die, &e); r == 0; r = child_next(&e)) {
		if (dwarf_tag(&e) != DW_TAG_enumerator)
			continue;
		name = dwarf_diename(&e);
		if (name && *name &&
		    !vt_strmap_add(&df->names[NS_ENUMERATOR], name, off))
			return &vt_enomem;
	}
	return r < 0 ? dw_error(die, "reading enumerators") : NULL;
}

/* Remember the first unreadable part; later misses mention it. */
static void note_broken(struct dwarf_finder *df, struct vt_error *err)
{
	if (!df->index_error && err->message)
		df->index_error = strdup(err->message);
	vt_error_destroy(err);
}

/*
 * Index the top-level DIEs of the next CU. A CU that cannot be walked is
 * skipped (one bad CU should not hide the rest of the kernel's types);
 * if the CU chain itself breaks, indexing ends there.
 */
static struct vt_error *index_next_cu(struct dwarf_finder *df)
{
	Dwarf_CU *next;
	Dwarf_Half version;
	uint8_t unit_type;
	Dwarf_Die cudie, die;
	struct vt_error *err;
	int r;

	r = dwarf_get_units(df->dwarf, df->cursor, &next, &version, &unit_type,
			    &cudie, NULL);
	if (r) {
		df->exhausted = true;
		if (r < 0)
			note_broken(df, vt_error_create(VT_ERR_FORMAT,
					"DWARF: reading the next compilation unit: %s",
					dwarf_errmsg(-1)));
		return NULL;
	}
	df->cursor = next;
	for (r = dwarf_child(&cudie, &die); r == 0; r = child_next(&die)) {
		err = index_die(df, &die);
		if (err == &vt_enomem)
			return err;
		if (err) {
			note_broken(df, err);
			return NULL;
		}
	}
	if (r < 0)
		note_broken(df, dw_error(&cudie, "walking a compilation unit"));
	return NULL;
}

/* DIE offset of the definition named name in namespace ns. */
struct vt_error *vt_dwarf_find_named(struct dwarf_finder *df, int ns,
				     const char *name, Dwarf_Off *ret)
{
	uint64_t off;

	while (!vt_strmap_get(&df->names[ns], name, &off)) {
		struct vt_error *err;

		if (df->exhausted) {
			if (df->index_error)
				return vt_error_create(VT_ERR_NOT_FOUND,
						       "not found (part of the DWARF is unreadable: %s)",
						       df->index_error);
			return &vt_not_found;
		}
		err = index_next_cu(df);
		if (err)
			return err;
	}
	*ret = off;
	return NULL;
}
