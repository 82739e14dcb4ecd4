/*
 * x86_64's ORC tables searched in the dump (see unwind_orc.h): 3.7 MB on
 * 6.1, a third of a compressed dump's report when read whole; a trace of
 * twenty frames reads a few dozen pages.
 */
#include "arch/unwind_orc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

/* The page cache: PAGE_CACHE pages, two places each (by a hash of the
 * address), the older of the two out; bt --all's lookups share the
 * binary search's upper probes. */
#define CACHE_PAGE 4096u
#define PAGE_CACHE 128u

struct vt_orc_page {
	uint64_t va;		/* page-aligned; 0 = empty */
	uint64_t used;		/* the tick of its last use */
	uint8_t data[CACHE_PAGE];
};

void vt_orc_reader_free(struct vt_orc_reader *r)
{
	free(r->pages);
	r->pages = NULL;
}

/* len bytes at va through the page cache; a read across a page, or of a
 * page the dump lacks part of, goes to the dump directly. */
static struct vt_error *table_bytes(const struct vt_unwind_env *env, struct vt_orc_reader *r,
				    uint64_t va, void *buf, size_t len)
{
	uint64_t page = va & ~(uint64_t)(CACHE_PAGE - 1);
	struct vt_orc_page *victim;
	struct vt_error *err;

	if (va - page + len > CACHE_PAGE || !page)
		return env->read(env->arg, va, buf, len);
	if (!r->pages && !(r->pages = calloc(PAGE_CACHE, sizeof(*r->pages))))
		return env->read(env->arg, va, buf, len);
	victim = &r->pages[(size_t)((page * 0x9e3779b97f4a7c15ull) >> 40) & (PAGE_CACHE - 2)];
	for (unsigned i = 0; i < 2; i++) {
		struct vt_orc_page *c = &victim[i];

		if (c->va == page) {
			c->used = ++r->tick;
			memcpy(buf, c->data + (va - page), len);
			return NULL;
		}
	}
	if (victim[1].used < victim[0].used)
		victim++;
	if ((err = env->read(env->arg, page, victim->data, CACHE_PAGE))) {
		vt_error_destroy(err);
		return env->read(env->arg, va, buf, len);
	}
	victim->va = page;
	victim->used = ++r->tick;
	memcpy(buf, victim->data + (va - page), len);
	return NULL;
}

/* The absolute address entry i covers. */
static struct vt_error *table_ip(const struct vt_unwind_env *env, struct vt_orc_reader *r,
				 const struct vt_orc_table *t, uint32_t i, uint64_t *ret)
{
	uint8_t raw[4];
	uint64_t at = t->ip_va + 4 * (uint64_t)i;
	struct vt_error *err = table_bytes(env, r, at, raw, sizeof(raw));

	if (err)
		return vt_error_prefix(err, "ORC table entry %" PRIu32 " at 0x%" PRIx64, i, at);
	*ret = at + (uint64_t)(int64_t)(int32_t)vt_load32(raw, false);
	return NULL;
}

struct vt_error *vt_orc_table_open(const struct vt_unwind_env *env, struct vt_orc_reader *r,
				   uint64_t ip_va, uint64_t orc_va, uint32_t n,
				   struct vt_orc_table *t, uint64_t *first, uint64_t *last)
{
	struct vt_error *err;

	*t = (struct vt_orc_table){ ip_va, orc_va, n };
	if ((err = table_ip(env, r, t, 0, first)) || (err = table_ip(env, r, t, n - 1, last)))
		return err;
	if (*last < *first)
		return vt_error_create(VT_ERR_FORMAT, "ORC table at 0x%" PRIx64 " is not sorted "
				       "(its last entry is below its first)", ip_va);
	return NULL;
}

bool vt_orc_table_find(const struct vt_unwind_env *env, struct vt_orc_reader *r,
		       const struct vt_orc_table *t, uint64_t pc, const char **why)
{
	uint32_t lo = 0, hi = t->n;	/* answer in [lo - 1, hi) */
	uint64_t ip;
	struct vt_error *err;

	if (!t->n)
		return false;
	if ((err = table_ip(env, r, t, 0, &ip)))
		goto fail;
	if (pc < ip)
		return false;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if ((err = table_ip(env, r, t, mid, &ip)))
			goto fail;
		if (ip <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if (!(err = table_ip(env, r, t, lo, &r->entry_ip)) &&
	    !(err = table_bytes(env, r, t->orc_va + (uint64_t)lo * VT_ORC_SIZE, r->entry,
				VT_ORC_SIZE)))
		return true;
	err = vt_error_prefix(err, "ORC entry %" PRIu32, lo);
fail:
	snprintf(r->why, sizeof(r->why), "%s", err->message);
	vt_error_destroy(err);
	*why = r->why;
	return false;
}
