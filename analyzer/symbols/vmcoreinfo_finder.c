/*
 * The last finder: what VMCOREINFO says. Few symbols, but the offsets and
 * sizes makedumpfile needs (page, mem_section, pglist_data, ...), which is
 * all a dump without BTF or vmlinux offers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/finders.h"

struct vi_finder {
	const struct vt_vmcoreinfo *vi;
	struct vt_arena *arena;
	struct vt_finder finder;
};

static struct vt_error *vi_symbol(void *arg, const char *name, uint64_t *ret)
{
	return vt_vmcoreinfo_symbol(((struct vi_finder *)arg)->vi, name, ret);
}

static struct vt_error *vi_constant(void *arg, const char *name, int64_t *ret)
{
	return vt_vmcoreinfo_number(((struct vi_finder *)arg)->vi, "NUMBER", name, ret);
}

static int cmp_member(const void *a, const void *b)
{
	const struct vt_member *x = a, *y = b;

	return x->bit_offset < y->bit_offset ? -1 : x->bit_offset > y->bit_offset;
}

/*
 * A partial struct from SIZE(name) and the OFFSET(name.member) lines: what
 * makedumpfile needs, and all a dump without BTF or vmlinux can tell.
 * Member types are unknown (NULL).
 */
static struct vt_error *vi_type(void *arg, enum vt_type_kind kind,
				const char *name, struct vt_type **ret)
{
	struct vi_finder *vf = arg;
	const struct vt_vmcoreinfo *vi = vf->vi;
	size_t nlen = strlen(name), n = 0;
	char key[300];
	struct vt_type *t;
	int64_t size = 0;
	struct vt_error *err;

	if (kind != VT_TYPE_STRUCT || nlen > 256)
		return &vt_not_found;
	snprintf(key, sizeof(key), "OFFSET(%s.", name);
	for (size_t i = 0; i < vi->nentries; i++)
		n += strncmp(vi->entries[i].key, key, nlen + 8) == 0;
	err = vt_vmcoreinfo_number(vi, "SIZE", name, &size);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND) && n == 0)
		return &vt_not_found;
	if (err)
		return err;
	t = vt_arena_alloc(vf->arena, sizeof(*t));
	if (!t || !(t->members = vt_arena_alloc(vf->arena, (n + 1) * sizeof(*t->members))))
		return &vt_enomem;
	t->kind = VT_TYPE_STRUCT;
	t->name = vt_arena_strdup(vf->arena, name);
	t->size = size > 0 ? (uint64_t)size : 0;
	t->partial = true;
	for (size_t i = 0; i < vi->nentries && t->nmembers < n; i++) {
		const char *k = vi->entries[i].key;
		int64_t off;
		char member[256];
		size_t mlen;

		if (strncmp(k, key, nlen + 8) != 0)
			continue;
		mlen = strlen(k + nlen + 8);
		if (mlen < 2 || mlen > sizeof(member))
			continue;
		memcpy(member, k + nlen + 8, mlen - 1);	/* drop ")" */
		member[mlen - 1] = '\0';
		{
			char tmp[300];

			snprintf(tmp, sizeof(tmp), "%s.%s", name, member);
			err = vt_vmcoreinfo_number(vi, "OFFSET", tmp, &off);
			if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
				continue;	/* a key not of the OFFSET(a.b) form */
			if (err)
				return err;
			if (off < 0)
				return vt_error_create(VT_ERR_FORMAT,
						       "VMCOREINFO OFFSET(%s) < 0", tmp);
		}
		t->members[t->nmembers].name = vt_arena_strdup(vf->arena, member);
		t->members[t->nmembers].bit_offset = (uint64_t)off * 8;
		t->nmembers++;
	}
	qsort(t->members, t->nmembers, sizeof(*t->members), cmp_member);
	*ret = t;
	return NULL;
}

static struct vt_error *vi_offset(void *arg, const char *type_name,
				  const char *member, uint64_t *bit_offset_ret)
{
	char key[512];
	int64_t v;
	struct vt_error *err;

	snprintf(key, sizeof(key), "%s.%s", type_name, member);
	err = vt_vmcoreinfo_number(((struct vi_finder *)arg)->vi, "OFFSET", key, &v);
	if (err)
		return err;
	if (v < 0)
		return vt_error_create(VT_ERR_FORMAT, "VMCOREINFO OFFSET(%s) < 0", key);
	*bit_offset_ret = (uint64_t)v * 8;
	return NULL;
}

static struct vt_error *vi_size(void *arg, const char *type_name, uint64_t *ret)
{
	int64_t v;
	struct vt_error *err = vt_vmcoreinfo_number(((struct vi_finder *)arg)->vi,
						    "SIZE", type_name, &v);

	if (err)
		return err;
	if (v < 0)
		return vt_error_create(VT_ERR_FORMAT, "VMCOREINFO SIZE(%s) < 0", type_name);
	*ret = (uint64_t)v;
	return NULL;
}

static void vi_destroy(void *arg)
{
	free(arg);
}

static const struct vt_finder_ops vmcoreinfo_ops = {
	.name = "vmcoreinfo",
	.symbol = vi_symbol,
	.constant = vi_constant,
	.type = vi_type,
	.offset = vi_offset,
	.size = vi_size,
	.destroy = vi_destroy,
};

struct vt_error *vt_vmcoreinfo_finder_create(const struct vt_vmcoreinfo *vi,
					     struct vt_arena *arena,
					     struct vt_finder **ret)
{
	struct vi_finder *vf = calloc(1, sizeof(*vf));

	if (!vf)
		return &vt_enomem;
	vf->vi = vi;
	vf->arena = arena;
	vf->finder.ops = &vmcoreinfo_ops;
	vf->finder.arg = vf;
	vf->finder.runtime_addresses = true;
	*ret = &vf->finder;
	return NULL;
}

void vt_finder_destroy(struct vt_finder *f)
{
	if (f)
		f->ops->destroy(f->arg);
}
