/*
 * Source locations from the vmlinux's DWARF: for a code address, the chain
 * of functions inlined at it, innermost first, each with its file:line
 * (the line table's for the innermost, the call site's DW_AT_call_file /
 * DW_AT_call_line for each caller it was inlined into). Looked up through
 * .debug_aranges, so nothing is indexed; the strings live as long as the
 * DWARF handle.
 */
#include <stdlib.h>
#include <string.h>

#include "symbols/dwarf_internal.h"

/* A DIE's name, through DW_AT_abstract_origin / DW_AT_specification. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr_integrate(die, DW_AT_name, &attr))
		return NULL;
	return dwarf_formstring(&attr);
}

/* A path without the compile directory (drgn's and crash's short form). */
static const char *short_path(const char *path, const char *comp_dir)
{
	size_t n = comp_dir ? strlen(comp_dir) : 0;

	if (path && n && strncmp(path, comp_dir, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

struct vt_error *vt_dwarf_lines(void *arg, uint64_t addr, struct vt_srcloc *out,
				size_t max, size_t *n_ret)
{
	struct dwarf_finder *df = arg;
	Dwarf_Die cu, *scopes = NULL;
	Dwarf_Files *files = NULL;
	Dwarf_Line *line;
	Dwarf_Attribute attr;
	const char *comp_dir, *file = NULL;
	int nscopes, lineno = 0;
	size_t n = 0;

	*n_ret = 0;
	if (!dwarf_addrdie(df->dwarf, addr, &cu))
		return &vt_not_found;
	comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
	if ((line = dwarf_getsrc_die(&cu, addr))) {
		file = short_path(dwarf_linesrc(line, NULL, NULL), comp_dir);
		dwarf_lineno(line, &lineno);
	}
	nscopes = dwarf_getscopes(&cu, addr, &scopes);
	if (nscopes <= 0) {
		free(scopes);
		return &vt_not_found;
	}
	dwarf_getsrcfiles(&cu, &files, NULL);
	for (int i = 0; i < nscopes && n < max; i++) {
		Dwarf_Die *s = &scopes[i];
		int tag = dwarf_tag(s);
		Dwarf_Word call_file = 0, call_line = 0;

		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		out[n++] = (struct vt_srcloc){ .function = die_name(s), .file = file,
					       .line = lineno,
					       .inlined = tag == DW_TAG_inlined_subroutine };
		if (tag == DW_TAG_subprogram)
			break;
		/* The caller's location is where this copy was inlined. */
		file = NULL;
		lineno = 0;
		if (dwarf_formudata(dwarf_attr(s, DW_AT_call_file, &attr), &call_file) == 0 &&
		    files)
			file = short_path(dwarf_filesrc(files, call_file, NULL, NULL), comp_dir);
		if (dwarf_formudata(dwarf_attr(s, DW_AT_call_line, &attr), &call_line) == 0)
			lineno = (int)call_line;
	}
	free(scopes);
	*n_ret = n;
	return n ? NULL : &vt_not_found;
}
