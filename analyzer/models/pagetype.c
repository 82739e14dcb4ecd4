#include "models/pagetype.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[VT_PAGE_TYPE_COUNT] = {
	"none", "buddy", "offline", "table", "guard", "hugetlb", "slab", "zsmalloc",
	"unaccepted", "unknown",
};

/* The enum pagetype names of each type, v6.12+ and v6.10-6.11. */
static const char *const pgty_names[VT_PAGE_TYPE_COUNT] = {
	[VT_PAGE_TYPE_BUDDY] = "PGTY_buddy", [VT_PAGE_TYPE_OFFLINE] = "PGTY_offline",
	[VT_PAGE_TYPE_TABLE] = "PGTY_table", [VT_PAGE_TYPE_GUARD] = "PGTY_guard",
	[VT_PAGE_TYPE_HUGETLB] = "PGTY_hugetlb", [VT_PAGE_TYPE_SLAB] = "PGTY_slab",
	[VT_PAGE_TYPE_ZSMALLOC] = "PGTY_zsmalloc", [VT_PAGE_TYPE_UNACCEPTED] = "PGTY_unaccepted",
};
static const char *const pg_names[VT_PAGE_TYPE_COUNT] = {
	[VT_PAGE_TYPE_BUDDY] = "PG_buddy", [VT_PAGE_TYPE_OFFLINE] = "PG_offline",
	[VT_PAGE_TYPE_TABLE] = "PG_table", [VT_PAGE_TYPE_GUARD] = "PG_guard",
	[VT_PAGE_TYPE_HUGETLB] = "PG_hugetlb", [VT_PAGE_TYPE_SLAB] = "PG_slab",
	[VT_PAGE_TYPE_ZSMALLOC] = "PG_zsmalloc", [VT_PAGE_TYPE_UNACCEPTED] = "PG_unaccepted",
};

const char *vt_page_type_name(enum vt_page_type type)
{
	return (unsigned)type < VT_PAGE_TYPE_COUNT ? type_names[type] : "?";
}

bool vt_release_version(const char *release, int *major, int *minor)
{
	return release && sscanf(release, "%d.%d", major, minor) == 2;
}

/* An enumerator by name; *found false when absent. */
static struct vt_error *constant(struct vt_symbols *s, const char *name, int64_t *v,
				 bool *found)
{
	struct vt_error *err = vt_symbols_constant(s, name, v);

	*found = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err;
}

/* Fill value[] from one enum's names; the buddy one must exist. */
static struct vt_error *from_enum(struct vt_symbols *s, const char *const names[],
				  struct vt_pagetype_encoding *e, bool *found)
{
	struct vt_error *err;
	int64_t v;
	bool f;

	*found = false;
	for (int t = 0; t < VT_PAGE_TYPE_COUNT; t++) {
		if (!names[t])
			continue;
		if ((err = constant(s, names[t], &v, &f)))
			return err;
		if (t == VT_PAGE_TYPE_BUDDY && !f)
			return NULL;
		e->value[t] = f ? (uint32_t)v : 0;
	}
	*found = true;
	return NULL;
}

/* Does the type have the member (*ret)? Only "not found" means no. */
static struct vt_error *has_member(struct vt_symbols *s, const char *type, const char *member,
				   bool *ret)
{
	uint64_t off;
	struct vt_error *err = vt_symbols_offsetof(s, type, member, &off);

	*ret = !err;
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;
	return err;
}

static void unknown(struct vt_pagetype_encoding *e, const char *why)
{
	memset(e->value, 0, sizeof(e->value));
	e->kind = VT_PAGETYPE_UNKNOWN;
	e->source = "none";
	snprintf(e->why, sizeof(e->why), "%s", why);
}

struct vt_error *vt_pagetype_detect(struct vt_symbols *s, const struct vt_vmcoreinfo *vi,
				    const char *release, struct vt_pagetype_encoding *e)
{
	int64_t buddy_value, base;
	bool have_buddy_value, found, memcg_data, mem_cgroup;
	int major, minor;
	struct vt_error *err;
	uint32_t bv;

	memset(e, 0, sizeof(*e));
	err = vt_vmcoreinfo_number(vi, "NUMBER", "PAGE_BUDDY_MAPCOUNT_VALUE", &buddy_value);
	have_buddy_value = !err;
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND) && err)
		return err;
	bv = (uint32_t)buddy_value;

	/*
	 * VMCOREINFO's buddy value is ~0x80 only in the #define era (v4.18-6.9;
	 * ~PG_buddy 0xbfffffff in 6.10-6.11, PGTY_buddy << 24 from 6.12): then
	 * no enum is looked up, which on a vmlinux with BTF would fall through
	 * to indexing all of its DWARF for names that cannot be there.
	 */
	if (have_buddy_value && ~bv == 0x80)
		goto defines;

	/* v6.12+: PGTY_* type bytes. */
	if ((err = from_enum(s, pgty_names, e, &found)))
		return err;
	if (found) {
		if (have_buddy_value && bv != e->value[VT_PAGE_TYPE_BUDDY] << 24) {
			unknown(e, "PGTY_buddy disagrees with VMCOREINFO PAGE_BUDDY_MAPCOUNT_VALUE");
			return NULL;
		}
		e->kind = VT_PAGETYPE_TOP_BYTE;
		e->source = "enum pagetype (PGTY_*)";
		return NULL;
	}
	/* v6.10-6.11: PG_* bits of enum pagetype with PAGE_TYPE_BASE. */
	if ((err = constant(s, "PAGE_TYPE_BASE", &base, &found)))
		return err;
	if (found) {
		if ((err = from_enum(s, pg_names, e, &found)))
			return err;
		if (!found) {
			unknown(e, "enum pagetype has PAGE_TYPE_BASE but no PG_buddy");
			return NULL;
		}
		e->kind = VT_PAGETYPE_INVERTED;
		e->base = (uint32_t)base;
		e->source = "enum pagetype (PG_*, PAGE_TYPE_BASE)";
		return NULL;
	}
	/*
	 * No enum: the #define era (v4.18-v6.9), or a kernel whose types we do
	 * not have. VMCOREINFO's buddy value tells the era apart: ~0x80 there.
	 */
	if (have_buddy_value && bv >> 24 == 0xf0 && !(bv & 0xffffff)) {
		unknown(e, "VMCOREINFO PAGE_BUDDY_MAPCOUNT_VALUE has the v6.12 PGTY_ form but "
			   "the types have no enum pagetype (give the vmlinux)");
		return NULL;
	}
	if (have_buddy_value && ~bv != 0x80) {
		unknown(e, "VMCOREINFO PAGE_BUDDY_MAPCOUNT_VALUE is not one vmtriage knows "
			   "and the types have no enum pagetype");
		return NULL;
	}
defines:
	if (!vt_release_version(release, &major, &minor)) {
		unknown(e, "no enum pagetype and no kernel release to date the #defines");
		return NULL;
	}
	if (major > 6 || (major == 6 && minor >= 10)) {
		unknown(e, "a v6.10+ kernel whose types lack enum pagetype (give the vmlinux)");
		return NULL;
	}
	e->kind = VT_PAGETYPE_INVERTED;
	e->base = 0xf0000000u;
	e->value[VT_PAGE_TYPE_BUDDY] = have_buddy_value ? ~bv : 0x80;
	e->value[VT_PAGE_TYPE_OFFLINE] = 0x100;
	if (major < 4 || (major == 4 && minor < 18)) {
		/* before v4.18 only buddy (and offline from v4.20) existed */
		e->source = "VMCOREINFO + pre-4.18 #defines";
		return NULL;
	}
	/*
	 * PG_kmemcg (0x200) went away in v5.11 with page->mem_cgroup becoming
	 * memcg_data, shifting PG_table and PG_guard down one bit: the struct
	 * member dates the layout where the types have it, the release otherwise.
	 */
	if ((err = has_member(s, "struct page", "memcg_data", &memcg_data)) ||
	    (err = has_member(s, "struct page", "mem_cgroup", &mem_cgroup)))
		return err;
	if (memcg_data || (!mem_cgroup && (major > 5 || (major == 5 && minor >= 11)))) {
		e->value[VT_PAGE_TYPE_TABLE] = 0x200;
		e->value[VT_PAGE_TYPE_GUARD] = 0x400;
		if (major == 6 && minor == 9)
			e->value[VT_PAGE_TYPE_HUGETLB] = 0x800;
		e->source = "#defines of v5.11-v6.9";
	} else {
		e->value[VT_PAGE_TYPE_TABLE] = 0x400;
		e->value[VT_PAGE_TYPE_GUARD] = 0x800;
		e->source = "#defines of v4.18-v5.10";
	}
	return NULL;
}

enum vt_page_type vt_pagetype_decode(const struct vt_pagetype_encoding *e,
				     uint32_t pt)
{
	switch (e->kind) {
	case VT_PAGETYPE_TOP_BYTE:
		for (int t = VT_PAGE_TYPE_BUDDY; t < VT_PAGE_TYPE_UNKNOWN; t++)
			if (e->value[t] && pt >> 24 == e->value[t])
				return (enum vt_page_type)t;
		return VT_PAGE_TYPE_NONE;
	case VT_PAGETYPE_INVERTED:
		/* A mapcount (>= 0), or -1 (all bits set: no type bit clear):
		 * most pages, answered without the loop. */
		if ((pt & e->base) != e->base || pt == UINT32_MAX)
			return VT_PAGE_TYPE_NONE;
		for (int t = VT_PAGE_TYPE_BUDDY; t < VT_PAGE_TYPE_UNKNOWN; t++)
			if (e->value[t] && !(pt & e->value[t]))
				return (enum vt_page_type)t;
		return VT_PAGE_TYPE_NONE;
	default:
		return VT_PAGE_TYPE_UNKNOWN;
	}
}
