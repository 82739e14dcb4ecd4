/*
 * The last finder: what VMCOREINFO says. Few symbols, but the offsets and
 * sizes makedumpfile needs (page, mem_section, pglist_data, ...), which is
 * all a dump without BTF or vmlinux offers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "finders.h"

static struct vt_error *vi_symbol(void *arg, const char *name, uint64_t *ret)
{
	return vt_vmcoreinfo_symbol(arg, name, ret);
}

static struct vt_error *vi_constant(void *arg, const char *name, int64_t *ret)
{
	return vt_vmcoreinfo_number(arg, "NUMBER", name, ret);
}

static struct vt_error *vi_offset(void *arg, const char *type_name,
				  const char *member, uint64_t *bit_offset_ret)
{
	char key[512];
	int64_t v;
	struct vt_error *err;

	snprintf(key, sizeof(key), "%s.%s", type_name, member);
	err = vt_vmcoreinfo_number(arg, "OFFSET", key, &v);
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
	struct vt_error *err = vt_vmcoreinfo_number(arg, "SIZE", type_name, &v);

	if (err)
		return err;
	if (v < 0)
		return vt_error_create(VT_ERR_FORMAT, "VMCOREINFO SIZE(%s) < 0", type_name);
	*ret = (uint64_t)v;
	return NULL;
}

static void vi_destroy(void *arg)
{
}

static const struct vt_finder_ops vmcoreinfo_ops = {
	.name = "vmcoreinfo",
	.symbol = vi_symbol,
	.constant = vi_constant,
	.offset = vi_offset,
	.size = vi_size,
	.destroy = vi_destroy,
};

struct vt_error *vt_vmcoreinfo_finder_create(const struct vt_vmcoreinfo *vi,
					     struct vt_finder **ret)
{
	struct vt_finder *f = calloc(1, sizeof(*f));

	if (!f)
		return &vt_enomem;
	f->ops = &vmcoreinfo_ops;
	f->arg = (void *)vi;
	f->runtime_addresses = true;
	*ret = f;
	return NULL;
}

void vt_finder_destroy(struct vt_finder *f)
{
	if (!f)
		return;
	if (f->ops == &vmcoreinfo_ops) {
		free(f);
		return;
	}
	f->ops->destroy(f->arg);
}
