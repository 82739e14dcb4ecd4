#include "devtree/drmem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

#define V1_ENTRY 24	/* u64 base, u32 drc, u32 reserved, u32 aa, u32 flags */
#define V2_ENTRY 24	/* u32 seq, u64 base, u32 drc, u32 aa, u32 flags */

void vt_lmb_array_deinit(struct vt_lmb_array *a)
{
	free(a->lmbs);
	a->lmbs = NULL;
	a->n = 0;
}

static int by_base(const void *x, const void *y)
{
	const struct vt_lmb *a = x, *b = y;

	return a->base < b->base ? -1 : a->base > b->base;
}

/* Lookups bsearch by base; firmware lists LMBs in order, but do not trust it. */
static void sort_lmbs(struct vt_lmb_array *a)
{
	for (size_t i = 1; i < a->n; i++)
		if (a->lmbs[i].base < a->lmbs[i - 1].base) {
			qsort(a->lmbs, a->n, sizeof(*a->lmbs), by_base);
			return;
		}
}

const struct vt_lmb *vt_lmb_find(const struct vt_lmb_array *a, uint64_t base)
{
	struct vt_lmb key = { .base = base };

	return a->n ? bsearch(&key, a->lmbs, a->n, sizeof(key), by_base) : NULL;
}

struct vt_error *vt_drmem_lmb_size(const void *buf, size_t len, uint64_t *ret)
{
	if (len == 8)
		*ret = vt_be64(buf);
	else if (len == 4)
		*ret = vt_be32(buf);
	else
		return vt_error_create(VT_ERR_FORMAT, "ibm,lmb-size: %zu bytes, want 8", len);
	if (!*ret)
		return vt_error_create(VT_ERR_FORMAT, "ibm,lmb-size is 0");
	return NULL;
}

struct vt_error *vt_drmem_decode_v1(const void *buf, size_t len, uint64_t lmb_size,
				    struct vt_lmb_array *ret)
{
	const unsigned char *b = buf;
	uint32_t n;

	memset(ret, 0, sizeof(*ret));
	ret->lmb_size = lmb_size;
	if (len < 4)
		return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory: %zu bytes, no "
				       "count", len);
	n = vt_be32(b);
	/* The kernel walks N entries trusting N; we insist they fit exactly. */
	if (n > VT_DRMEM_MAX_LMBS || 4 + (uint64_t)n * V1_ENTRY != len)
		return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory: %u LMBs need "
				       "%" PRIu64 " bytes, the property has %zu", n,
				       4 + (uint64_t)n * V1_ENTRY, len);
	ret->lmbs = calloc(n ? n : 1, sizeof(*ret->lmbs));
	if (!ret->lmbs)
		return &vt_enomem;
	for (uint32_t i = 0; i < n; i++) {
		const unsigned char *e = b + 4 + (size_t)i * V1_ENTRY;

		ret->lmbs[i].base = vt_be64(e);
		ret->lmbs[i].drc_index = vt_be32(e + 8);
		ret->lmbs[i].aa_index = vt_be32(e + 16);
		ret->lmbs[i].flags = vt_be32(e + 20);
	}
	ret->n = n;
	sort_lmbs(ret);
	return NULL;
}

struct vt_error *vt_drmem_decode_v2(const void *buf, size_t len, uint64_t lmb_size,
				    struct vt_lmb_array *ret)
{
	const unsigned char *b = buf;
	uint64_t total = 0;
	uint32_t sets;
	size_t k = 0;

	memset(ret, 0, sizeof(*ret));
	ret->lmb_size = lmb_size;
	if (len < 4)
		return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory-v2: %zu bytes, "
				       "no count", len);
	sets = vt_be32(b);
	if (4 + (uint64_t)sets * V2_ENTRY != len)
		return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory-v2: %u sets need "
				       "%" PRIu64 " bytes, the property has %zu", sets,
				       4 + (uint64_t)sets * V2_ENTRY, len);
	if (!lmb_size)
		return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory-v2: no LMB size");
	for (uint32_t i = 0; i < sets; i++) {
		const unsigned char *e = b + 4 + (size_t)i * V2_ENTRY;
		uint32_t seq = vt_be32(e);
		uint64_t base = vt_be64(e + 4);

		total += seq;
		if (total > VT_DRMEM_MAX_LMBS)
			return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory-v2: more "
					       "than %u LMBs", VT_DRMEM_MAX_LMBS);
		/* base + (seq - 1) * lmb_size must not wrap (total bounds seq). */
		if (seq && (UINT64_MAX - base) / lmb_size < seq - 1)
			return vt_error_create(VT_ERR_FORMAT, "ibm,dynamic-memory-v2: set %u "
					       "(base 0x%" PRIx64 ", %u LMBs) wraps", i, base, seq);
	}
	ret->lmbs = calloc(total ? total : 1, sizeof(*ret->lmbs));
	if (!ret->lmbs)
		return &vt_enomem;
	for (uint32_t i = 0; i < sets; i++) {
		const unsigned char *e = b + 4 + (size_t)i * V2_ENTRY;
		uint32_t seq = vt_be32(e), drc = vt_be32(e + 12);
		uint64_t base = vt_be64(e + 4);

		for (uint32_t j = 0; j < seq; j++, k++) {
			ret->lmbs[k].base = base + j * lmb_size;
			ret->lmbs[k].drc_index = drc + j;
			ret->lmbs[k].aa_index = vt_be32(e + 16);
			ret->lmbs[k].flags = vt_be32(e + 20);
		}
	}
	ret->n = k;
	sort_lmbs(ret);
	return NULL;
}

struct vt_error *vt_drmem_decode_prop(const struct vt_dt_prop *p, uint64_t lmb_size,
				      struct vt_lmb_array *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!vt_dt_prop_complete(p))
		return vt_error_create(VT_ERR_NODATA, "%s: value incomplete (%u of %" PRId64
				       " bytes read)", p->name, p->have, p->length);
	if (strcmp(p->name, "ibm,dynamic-memory") == 0)
		return vt_drmem_decode_v1(p->value, p->have, lmb_size, ret);
	if (strcmp(p->name, "ibm,dynamic-memory-v2") == 0)
		return vt_drmem_decode_v2(p->value, p->have, lmb_size, ret);
	return vt_error_create(VT_ERR_FORMAT, "%s is not an LMB property", p->name);
}

struct vt_error *vt_drmem_decode_assoc(const void *buf, size_t len,
				       struct vt_assoc_arrays *ret)
{
	const unsigned char *b = buf;
	uint64_t cells;

	memset(ret, 0, sizeof(*ret));
	if (len < 8)
		return vt_error_create(VT_ERR_FORMAT, "ibm,associativity-lookup-arrays: "
				       "%zu bytes", len);
	ret->narrays = vt_be32(b);
	ret->per_array = vt_be32(b + 4);
	cells = (uint64_t)ret->narrays * ret->per_array;
	if (8 + cells * 4 != len)
		return vt_error_create(VT_ERR_FORMAT, "ibm,associativity-lookup-arrays: "
				       "%u x %u cells need %" PRIu64 " bytes, the property "
				       "has %zu", ret->narrays, ret->per_array, 8 + cells * 4,
				       len);
	ret->cells = calloc(cells ? cells : 1, sizeof(*ret->cells));
	if (!ret->cells)
		return &vt_enomem;
	for (uint64_t i = 0; i < cells; i++)
		ret->cells[i] = vt_be32(b + 8 + i * 4);
	return NULL;
}

void vt_drmem_assoc_deinit(struct vt_assoc_arrays *a)
{
	free(a->cells);
	memset(a, 0, sizeof(*a));
}

const struct vt_dt_prop *vt_drmem_prop(const struct vt_dt_node *node)
{
	const struct vt_dt_prop *p = vt_dt_prop(node, "ibm,dynamic-memory");

	return p ? p : vt_dt_prop(node, "ibm,dynamic-memory-v2");
}

struct vt_error *vt_drmem_decode_node(const struct vt_dt_node *node,
				      struct vt_lmb_array *ret)
{
	const struct vt_dt_prop *sz = vt_dt_prop(node, "ibm,lmb-size");
	const struct vt_dt_prop *p = vt_drmem_prop(node);
	uint64_t lmb_size;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if (!sz || !p)
		return vt_error_create(VT_ERR_NOT_FOUND, "%s: no %s", node->path,
				       sz ? "ibm,dynamic-memory(-v2)" : "ibm,lmb-size");
	if (!vt_dt_prop_complete(sz))
		return vt_error_create(VT_ERR_NODATA, "%s: ibm,lmb-size unreadable",
				       node->path);
	err = vt_drmem_lmb_size(sz->value, sz->have, &lmb_size);
	if (!err)
		err = vt_drmem_decode_prop(p, lmb_size, ret);
	return err ? vt_error_prefix(err, "%s", node->path) : NULL;
}

struct vt_error *vt_drmem_info_read(struct vt_target *t, struct vt_symbols *s,
				    struct vt_lmb_array *ret)
{
	uint64_t var, info, o_lmbs, o_n, o_size, esize, o_base, o_drc, o_aa, o_flags,
		 lmbs, lmb_size;
	bool be = vt_target_info(t)->big_endian;
	unsigned char *buf;
	int32_t n;
	uint32_t raw;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	if ((err = vt_symbols_lookup(s, "drmem_info", &var)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb_info", "lmbs", &o_lmbs)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb_info", "n_lmbs", &o_n)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb_info", "lmb_size", &o_size)) ||
	    (err = vt_symbols_sizeof(s, "struct drmem_lmb", &esize)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb", "base_addr", &o_base)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb", "drc_index", &o_drc)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb", "aa_index", &o_aa)) ||
	    (err = vt_symbols_offsetof(s, "struct drmem_lmb", "flags", &o_flags)))
		return vt_error_prefix(err, "drmem_info (give the vmlinux)");
	if ((err = vt_target_read_u64(t, var, &info)))
		return vt_error_prefix(err, "reading drmem_info");
	if (!info)
		return vt_error_create(VT_ERR_NOT_FOUND, "drmem_info is NULL");
	if ((err = vt_target_read_u64(t, info + o_lmbs, &lmbs)) ||
	    (err = vt_target_read_u32(t, info + o_n, &raw)) ||
	    (err = vt_target_read_u64(t, info + o_size, &lmb_size)))
		return vt_error_prefix(err, "reading drmem_info 0x%" PRIx64, info);
	n = (int32_t)raw;
	if (n < 0 || (uint32_t)n > VT_DRMEM_MAX_LMBS || esize < o_flags + 4 || esize > 64)
		return vt_error_create(VT_ERR_FORMAT, "drmem_info: %d LMBs of %" PRIu64
				       " bytes", n, esize);
	ret->lmb_size = lmb_size;
	ret->lmbs = calloc(n ? n : 1, sizeof(*ret->lmbs));
	buf = malloc((size_t)n * esize + 1);
	if (!ret->lmbs || !buf) {
		free(buf);
		vt_lmb_array_deinit(ret);
		return &vt_enomem;
	}
	err = n ? vt_target_read_kv(t, lmbs, buf, (size_t)n * esize) : NULL;
	if (err) {
		free(buf);
		vt_lmb_array_deinit(ret);
		return vt_error_prefix(err, "drmem_info->lmbs 0x%" PRIx64, lmbs);
	}
	for (int32_t i = 0; i < n; i++) {
		const unsigned char *e = buf + (size_t)i * esize;

		ret->lmbs[i].base = vt_load64(e + o_base, be);
		ret->lmbs[i].drc_index = vt_load32(e + o_drc, be);
		ret->lmbs[i].aa_index = vt_load32(e + o_aa, be);
		ret->lmbs[i].flags = vt_load32(e + o_flags, be);
	}
	ret->n = (size_t)n;
	free(buf);
	sort_lmbs(ret);
	return NULL;
}

static void append(char *buf, size_t len, size_t *used, const char *name,
		   uint32_t val)
{
	int n;

	if (*used >= len)
		return;
	n = name ? snprintf(buf + *used, len - *used, "%s%s", *used ? "|" : "", name) :
		   snprintf(buf + *used, len - *used, "%s0x%x", *used ? "|" : "", val);
	if (n > 0)
		*used += (size_t)n;
}

const char *vt_drmem_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ VT_DRCONF_MEM_ASSIGNED, "assigned" },
		{ VT_DRCONF_MEM_DRC_INVALID, "drc-invalid" },
		{ VT_DRCONF_MEM_AI_INVALID, "ai-invalid" },
		{ VT_DRCONF_MEM_RESERVED, "reserved" },
		{ VT_DRCONF_MEM_HOTREMOVABLE, "hotremovable" },
		{ VT_DRMEM_LMB_RESERVED, "in-flight" },
	};
	size_t used = 0;
	uint32_t rest = flags;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		rest &= ~names[i].bit;
		append(buf, len, &used, names[i].name, 0);
	}
	if (!flags)
		append(buf, len, &used, "none", 0);
	else if (rest)
		append(buf, len, &used, NULL, rest);
	return buf;
}
