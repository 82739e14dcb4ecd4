/*
 * Source locations from the vmlinux's DWARF: for a code address, the chain
 * of functions inlined at it, innermost first, each with its file:line
 * (the line table's for the innermost, the call site's DW_AT_call_file /
 * DW_AT_call_line for each caller it was inlined into). Looked up through
 * .debug_aranges, so nothing is indexed; the strings live as long as the
 * DWARF handle.
 */
#include <stdbool.h>
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

#define MAX_DEPTH 64	/* nested scopes followed; a deeper nest is garbage */

/*
 * The subprogram and inlined-subroutine DIEs whose ranges hold addr, from
 * the CU down (outermost first). libdw's dwarf_getscopes() continues an
 * inlined instance with its abstract definition's scopes, which loses the
 * function it was inlined into; this walks the concrete tree instead.
 */
static size_t chain(Dwarf_Die *cu, uint64_t addr, Dwarf_Die *out, size_t max)
{
	Dwarf_Die die = *cu, child;
	size_t n = 0;

	for (int depth = 0; depth < MAX_DEPTH; depth++) {
		bool found = false;

		if (dwarf_child(&die, &child) != 0)
			break;
		do {
			int tag = dwarf_tag(&child);

			if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
			     tag == DW_TAG_lexical_block) && dwarf_haspc(&child, addr) > 0) {
				if (tag != DW_TAG_lexical_block && n < max)
					out[n++] = child;
				die = child;
				found = true;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
		if (!found)
			break;
	}
	return n;
}

static struct vt_error *lines_of(struct dwarf_finder *df, uint64_t addr,
				 struct vt_srcloc *out, size_t max, size_t *n_ret)
{
	Dwarf_Die cu, scopes[MAX_DEPTH];
	Dwarf_Files *files = NULL;
	Dwarf_Line *line;
	Dwarf_Attribute attr;
	const char *comp_dir, *file = NULL;
	int lineno = 0;
	size_t nscopes, n = 0;

	*n_ret = 0;
	if (!dwarf_addrdie(df->dwarf, addr, &cu))
		return &vt_not_found;
	comp_dir = dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &attr));
	if ((line = dwarf_getsrc_die(&cu, addr))) {
		file = short_path(dwarf_linesrc(line, NULL, NULL), comp_dir);
		dwarf_lineno(line, &lineno);
	}
	if (!(nscopes = chain(&cu, addr, scopes, MAX_DEPTH))) {
		if (!file)
			return &vt_not_found;
		/* Assembly: a line, no function DIE. */
		out[0] = (struct vt_srcloc){ .file = file, .line = lineno };
		*n_ret = 1;
		return NULL;
	}
	dwarf_getsrcfiles(&cu, &files, NULL);
	/* Innermost first: each inlined copy's call site is its caller's line. */
	for (size_t i = nscopes; i-- > 0 && n < max;) {
		Dwarf_Die *s = &scopes[i];
		Dwarf_Word call_file = 0, call_line = 0;
		bool inlined = dwarf_tag(s) == DW_TAG_inlined_subroutine;

		out[n++] = (struct vt_srcloc){ .function = die_name(s), .file = file,
					       .line = lineno, .inlined = inlined };
		if (!inlined)
			break;
		file = NULL;
		lineno = 0;
		if (dwarf_formudata(dwarf_attr(s, DW_AT_call_file, &attr), &call_file) == 0 &&
		    files)
			file = short_path(dwarf_filesrc(files, call_file, NULL, NULL), comp_dir);
		if (dwarf_formudata(dwarf_attr(s, DW_AT_call_line, &attr), &call_line) == 0)
			lineno = (int)call_line;
	}
	*n_ret = n;
	return n ? NULL : &vt_not_found;
}

/*
 * The answers so far, by address: bt --all asks the same few return
 * addresses (__schedule's, schedule_timeout's) for most tasks, and each
 * answer walks its CU's top-level DIEs (73% of bt --all with a vmlinux).
 * LINES_MEMO_LOCS of an answer are kept, so an answer asked with a max up
 * to that is the same prefix; LINES_MEMO_SLOTS bound the memory.
 */
#define LINES_MEMO_LOCS 8
#define LINES_MEMO_SLOTS 2048u	/* a power of two; filled to 3/4 */

struct lines_memo {
	uint64_t addr;
	bool used, found;
	uint8_t n;
	struct vt_srcloc loc[LINES_MEMO_LOCS];
};

struct vt_error *vt_dwarf_lines(void *arg, uint64_t addr, struct vt_srcloc *out,
				size_t max, size_t *n_ret)
{
	struct dwarf_finder *df = arg;
	struct lines_memo *m;
	struct vt_error *err;
	size_t i, n;

	if (max > LINES_MEMO_LOCS)
		return lines_of(df, addr, out, max, n_ret);
	if (!df->lines_memo &&
	    !(df->lines_memo = calloc(LINES_MEMO_SLOTS, sizeof(*df->lines_memo))))
		return lines_of(df, addr, out, max, n_ret);
	for (i = (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 40) & (LINES_MEMO_SLOTS - 1);
	     df->lines_memo[i].used && df->lines_memo[i].addr != addr;
	     i = (i + 1) & (LINES_MEMO_SLOTS - 1))
		;
	m = &df->lines_memo[i];
	if (!m->used) {
		struct vt_srcloc loc[LINES_MEMO_LOCS];

		if (df->lines_memo_count >= LINES_MEMO_SLOTS / 4 * 3)
			return lines_of(df, addr, out, max, n_ret);
		err = lines_of(df, addr, loc, LINES_MEMO_LOCS, &n);
		if (err && err != &vt_not_found)
			return err;
		*m = (struct lines_memo){ .addr = addr, .used = true, .found = !err,
					  .n = (uint8_t)n };
		memcpy(m->loc, loc, n * sizeof(*loc));
		df->lines_memo_count++;
	}
	n = m->n < max ? m->n : max;
	memcpy(out, m->loc, n * sizeof(*out));
	*n_ret = n;
	return m->found && n ? NULL : &vt_not_found;
}
