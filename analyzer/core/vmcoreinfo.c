#include "core/vmcoreinfo.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vt_error *vt_vmcoreinfo_parse(const char *text, size_t len,
				     struct vt_vmcoreinfo *ret)
{
	size_t cap = 0, i;

	memset(ret, 0, sizeof(*ret));
	if (len > VT_VMCOREINFO_MAX)
		return vt_error_create(VT_ERR_FORMAT,
				       "VMCOREINFO is %zu bytes (limit %u)",
				       len, VT_VMCOREINFO_MAX);
	/* The note may be padded with NULs; stop at the first one. */
	for (i = 0; i < len && text[i]; i++)
		;
	ret->raw = malloc(i + 1);
	if (!ret->raw)
		return &vt_enomem;
	memcpy(ret->raw, text, i);
	ret->raw[i] = '\0';

	for (char *line = ret->raw; *line;) {
		char *end = strchr(line, '\n');
		char *eq;

		if (end)
			*end = '\0';
		eq = strchr(line, '=');
		if (eq && eq != line) {
			if (ret->nentries == cap) {
				size_t ncap = cap ? cap * 2 : 128;
				void *p = realloc(ret->entries,
						  ncap * sizeof(*ret->entries));
				if (!p) {
					vt_vmcoreinfo_deinit(ret);
					return &vt_enomem;
				}
				ret->entries = p;
				cap = ncap;
			}
			*eq = '\0';
			ret->entries[ret->nentries].key = line;
			ret->entries[ret->nentries].value = eq + 1;
			ret->nentries++;
		} else if (*line) {
			ret->nbad++;
		}
		if (!end)
			break;
		line = end + 1;
	}
	if (ret->nentries == 0) {
		vt_vmcoreinfo_deinit(ret);
		return vt_error_create(VT_ERR_FORMAT,
				       "VMCOREINFO has no KEY=VALUE lines");
	}
	return NULL;
}

void vt_vmcoreinfo_deinit(struct vt_vmcoreinfo *vi)
{
	free(vi->raw);
	free(vi->entries);
	memset(vi, 0, sizeof(*vi));
}

const char *vt_vmcoreinfo_get(const struct vt_vmcoreinfo *vi, const char *key)
{
	for (size_t i = 0; i < vi->nentries; i++)
		if (strcmp(vi->entries[i].key, key) == 0)
			return vi->entries[i].value;
	return NULL;
}

/* Strict integer parse: the whole string, in base (0 = auto). */
static int parse_u64(const char *s, int base, uint64_t *ret)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*ret = strtoull(s, &end, base);
	return (errno || *end) ? -1 : 0;
}

struct vt_error *vt_vmcoreinfo_symbol(const struct vt_vmcoreinfo *vi,
				      const char *name, uint64_t *ret)
{
	char key[256];
	const char *val;

	snprintf(key, sizeof(key), "SYMBOL(%s)", name);
	val = vt_vmcoreinfo_get(vi, key);
	if (!val)
		return &vt_not_found;
	if (parse_u64(val, 16, ret))
		return vt_error_create(VT_ERR_FORMAT,
				       "VMCOREINFO %s=%s is not hex", key, val);
	return NULL;
}

struct vt_error *vt_vmcoreinfo_number(const struct vt_vmcoreinfo *vi,
				      const char *kind, const char *name,
				      int64_t *ret)
{
	char key[256];
	const char *val;
	uint64_t u;
	bool neg;

	snprintf(key, sizeof(key), "%s(%s)", kind, name);
	val = vt_vmcoreinfo_get(vi, key);
	if (!val)
		return &vt_not_found;
	neg = *val == '-';
	if (parse_u64(val + neg, 0, &u) ||
	    (neg ? u > (uint64_t)INT64_MAX + 1 : false))
		return vt_error_create(VT_ERR_FORMAT,
				       "VMCOREINFO %s=%s is not a number",
				       key, val);
	*ret = neg ? (int64_t)(0 - u) : (int64_t)u;
	return NULL;
}

uint64_t vt_vmcoreinfo_kernel_offset(const struct vt_vmcoreinfo *vi)
{
	const char *val = vt_vmcoreinfo_get(vi, "KERNELOFFSET");
	uint64_t off;

	if (!val || parse_u64(val, 16, &off))
		return 0;
	return off;
}

struct vt_error *vt_vmcoreinfo_number_or(const struct vt_vmcoreinfo *vi, const char *name,
					 int64_t dflt, int64_t *ret)
{
	struct vt_error *err = vt_vmcoreinfo_number(vi, "NUMBER", name, ret);

	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		*ret = dflt;
	return err;
}
