#include "models/lmbcheck.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/memdev.h"
#include "models/physmap.h"

const char *vt_lmb_state_name(enum vt_lmb_state s)
{
	switch (s) {
	case VT_LMB_OK: return "ok";
	case VT_LMB_FIRMWARE: return "firmware";
	case VT_LMB_STALE_DT: return "STALE-DT";
	case VT_LMB_IN_FLIGHT: return "in-flight";
	case VT_LMB_MISMATCH: return "mismatch";
	default: return "unknown";
	}
}

static uint64_t overlap(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t lo = a > c ? a : c, hi = b < d ? b : d;

	return hi > lo ? hi - lo : 0;
}

static void set_err(char *dst, size_t len, struct vt_error *err)
{
	snprintf(dst, len, "%s", err->message);
	vt_error_destroy(err);
}

static int by_base(const void *x, const void *y)
{
	const struct vt_lmb_row *a = x, *b = y;

	return a->base < b->base ? -1 : a->base > b->base;
}

static struct vt_lmb_row *row_of(struct vt_lmb_check *c, uint64_t base)
{
	struct vt_lmb_row key = { .base = base };

	return c->n ? bsearch(&key, c->rows, c->n, sizeof(key), by_base) : NULL;
}

static void new_row(struct vt_lmb_row *r, const struct vt_lmb *l, uint64_t size)
{
	memset(r, 0, sizeof(*r));
	r->base = l->base;
	r->size = size;
	r->drc_index = l->drc_index;
	r->dt = r->boot = r->drmem = r->crash_fdt = r->block_state = -1;
}

/* LMBs drmem_info has and the live DT lacks get rows of their own. */
static struct vt_error *merge_drmem(struct vt_lmb_check *c, const struct vt_lmb_array *dr)
{
	size_t extra = 0;
	struct vt_lmb_row *rows;

	for (size_t i = 0; i < dr->n; i++)
		if (!row_of(c, dr->lmbs[i].base))
			extra++;
	if (extra) {
		rows = realloc(c->rows, (c->n + extra) * sizeof(*rows));
		if (!rows)
			return &vt_enomem;
		c->rows = rows;
		for (size_t i = 0, k = c->n; i < dr->n; i++)
			if (!bsearch(&(struct vt_lmb_row){ .base = dr->lmbs[i].base }, c->rows,
				     c->n, sizeof(*rows), by_base))
				new_row(&c->rows[k++], &dr->lmbs[i], dr->lmb_size);
		c->n += extra;
		qsort(c->rows, c->n, sizeof(*c->rows), by_base);
	}
	for (size_t i = 0; i < dr->n; i++) {
		struct vt_lmb_row *r = row_of(c, dr->lmbs[i].base);

		if (r)
			r->drmem = dr->lmbs[i].flags;
	}
	return NULL;
}

static void fill_from(struct vt_lmb_check *c, const struct vt_dt *dt, int64_t *(*field)(struct vt_lmb_row *),
		      char *err_buf, size_t err_len, bool *have)
{
	const struct vt_dt_node *node = vt_dt_find(dt, VT_DRCONF_PATH);
	struct vt_lmb_array a;
	struct vt_error *err;

	if (!node) {
		snprintf(err_buf, err_len, "%s: no %s node", dt->source, VT_DRCONF_PATH);
		return;
	}
	err = vt_drmem_decode_node(node, &a);
	if (err) {
		set_err(err_buf, err_len, err);
		return;
	}
	for (size_t i = 0; i < a.n; i++) {
		struct vt_lmb_row *r = row_of(c, a.lmbs[i].base);

		if (r)
			*field(r) = a.lmbs[i].flags;
	}
	vt_lmb_array_deinit(&a);
	*have = true;
}

static int64_t *boot_field(struct vt_lmb_row *r) { return &r->boot; }
static int64_t *crash_field(struct vt_lmb_row *r) { return &r->crash_fdt; }

/* Each deadprops generation of the LMB property, newest first. */
static void fill_history(struct vt_lmb_check *c, const struct vt_dt_node *node)
{
	for (const struct vt_dt_prop *p = node->deadprops; p; p = p->next) {
		struct vt_lmb_array a;
		struct vt_error *err;

		if (strcmp(p->name, "ibm,dynamic-memory") &&
		    strcmp(p->name, "ibm,dynamic-memory-v2"))
			continue;
		err = vt_drmem_decode_prop(p, c->lmb_size, &a);
		if (err) {
			vt_error_destroy(err);	/* an old generation we cannot decode */
			a.n = 0;
			a.lmbs = NULL;
		}
		for (size_t i = 0; i < c->n; i++) {
			struct vt_lmb_row *r = &c->rows[i];
			const struct vt_lmb *l = vt_lmb_find(&a, r->base);

			if (r->nhist < VT_LMB_HISTORY)
				r->hist[r->nhist++] = l ? (int64_t)l->flags : -1;
		}
		vt_lmb_array_deinit(&a);
		c->ngen++;
	}
}

static void fill_memory(struct vt_lmb_check *c, struct vt_target *t, struct vt_symbols *s,
			const struct vt_memmap *m)
{
	struct vt_map mb;
	struct vt_error *err;

	if (m) {
		const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
		uint64_t sec_bytes = g->pages_per_section << g->page_shift;

		for (size_t i = 0; i < c->n; i++) {
			struct vt_lmb_row *r = &c->rows[i];

			for (uint64_t a = r->base; a < r->base + r->size; a += sec_bytes) {
				const struct vt_section *sec =
					vt_memmap_section_of(m, a >> g->page_shift);

				r->nsections++;
				if (!sec)
					continue;
				r->present++;
				r->online += !!(sec->flags & VT_SECTION_ONLINE);
			}
		}
		c->have_sections = true;
	}
	if (m) {
		/* The memory block device starting at the LMB's first section. */
		const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
		struct vt_memory_block *blocks;
		size_t nb;

		err = vt_memory_blocks_read(t, s, &blocks, &nb);
		if (err) {
			set_err(c->blocks_err, sizeof(c->blocks_err), err);
		} else {
			for (size_t i = 0; i < c->n; i++)
				for (size_t j = 0; j < nb; j++)
					if (blocks[j].start_section_nr ==
					    c->rows[i].base >> g->section_size_bits)
						c->rows[i].block_state = (int64_t)blocks[j].state;
			free(blocks);
			c->have_blocks = true;
		}
	} else {
		snprintf(c->blocks_err, sizeof(c->blocks_err), "no memmap");
	}
	err = vt_memblock_read(t, s, "memory", &mb);
	if (err) {
		set_err(c->memblock_err, sizeof(c->memblock_err), err);
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < mb.n; j++)
			c->rows[i].memblock += overlap(c->rows[i].base,
						       c->rows[i].base + c->rows[i].size,
						       mb.entries[j].start, mb.entries[j].end);
	vt_map_deinit(&mb);
	c->have_memblock = true;
}

void vt_lmb_classify(struct vt_lmb_check *c, struct vt_lmb_row *r)
{
	bool dt, dr, p;

	if (r->drmem >= 0 && (r->drmem & VT_DRMEM_LMB_RESERVED)) {
		r->state = VT_LMB_IN_FLIGHT;
		c->in_flight++;
		return;
	}
	/* Firmware-reserved LMBs (QEMU's boot memory) are outside DLPAR. */
	if ((r->dt >= 0 && (r->dt & VT_DRCONF_MEM_RESERVED)) ||
	    (r->drmem >= 0 && (r->drmem & VT_DRCONF_MEM_RESERVED))) {
		r->state = VT_LMB_FIRMWARE;
		return;
	}
	if (r->dt < 0 || r->drmem < 0 || !c->have_sections) {
		r->state = VT_LMB_UNKNOWN;
		return;
	}
	dt = r->dt & VT_DRCONF_MEM_ASSIGNED;
	dr = r->drmem & VT_DRCONF_MEM_ASSIGNED;
	if (r->present && r->present < r->nsections) {
		r->state = VT_LMB_MISMATCH;	/* half an LMB present */
		c->mismatch++;
		return;
	}
	p = r->present > 0;
	if (dt == dr && dr == p) {
		r->state = VT_LMB_OK;
	} else if ((dt && !dr && !p) || (!dt && dr && p)) {
		r->state = VT_LMB_STALE_DT;
		c->stale++;
	} else {
		r->state = VT_LMB_MISMATCH;
		c->mismatch++;
	}
}

void vt_crash_bad_loads(const struct vt_crashimage *c, const struct vt_memmap *m,
			struct vt_phys_span *out, size_t max, size_t *n_ret,
			uint64_t *omitted_ret)
{
	const struct vt_memmap_geometry *g = vt_memmap_geometry(m);
	uint64_t step = g->pages_per_section;
	size_t n = 0;
	uint64_t omitted = 0;

	if (g->subsections_known && g->subsections_per_section)
		step = g->pages_per_section / g->subsections_per_section;
	for (size_t i = 0; c->have_hdr && i < c->hdr.nload; i++) {
		const struct vt_elf_load *l = &c->hdr.loads[i];
		uint64_t first = l->paddr >> g->page_shift;
		uint64_t last = (l->paddr + l->memsz - 1) >> g->page_shift;
		uint64_t pfn, open = UINT64_MAX;

		if (!l->memsz || l->paddr + l->memsz < l->paddr)
			continue;
		/* Step by subsection; the first step is aligned down. */
		for (pfn = first; pfn <= last; pfn = (pfn / step + 1) * step) {
			bool bad = !vt_memmap_pfn_valid(m, pfn);

			if (bad && open == UINT64_MAX)
				open = pfn;
			if (!bad && open != UINT64_MAX) {
				if (n < max)
					out[n++] = (struct vt_phys_span){ open << g->page_shift,
									  pfn << g->page_shift };
				else
					omitted++;
				open = UINT64_MAX;
			}
			if ((pfn / step + 1) * step < pfn)
				break;
		}
		if (open != UINT64_MAX) {
			if (n < max)
				out[n++] = (struct vt_phys_span){ open << g->page_shift,
								  l->paddr + l->memsz };
			else
				omitted++;
		}
	}
	*n_ret = n;
	*omitted_ret = omitted;
}

struct vt_error *vt_lmb_check_build(struct vt_target *t, struct vt_symbols *s,
				    struct vt_memmap *m, struct vt_lmb_check *ret)
{
	const struct vt_dt_node *node;
	const struct vt_dt_prop *prop;
	struct vt_lmb_array live, dr;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	ret->crash.hdr_seg = ret->crash.fdt_seg = -1;
	err = vt_dt_read_live(t, s, &ret->live);
	if (err)
		goto fail;
	node = vt_dt_find(ret->live, VT_DRCONF_PATH);
	if (!node)
		return NULL;
	ret->have_node = true;
	prop = vt_drmem_prop(node);
	ret->prop_name = prop ? prop->name : "ibm,dynamic-memory-v2";
	err = vt_drmem_decode_node(node, &live);
	if (err) {
		err = vt_error_prefix(err, "live device tree");
		goto fail;
	}
	ret->lmb_size = live.lmb_size;
	ret->rows = calloc(live.n ? live.n : 1, sizeof(*ret->rows));
	if (!ret->rows) {
		vt_lmb_array_deinit(&live);
		err = &vt_enomem;
		goto fail;
	}
	for (size_t i = 0; i < live.n; i++) {
		new_row(&ret->rows[i], &live.lmbs[i], live.lmb_size);
		ret->rows[i].dt = live.lmbs[i].flags;
	}
	ret->n = live.n;
	vt_lmb_array_deinit(&live);
	/* Duplicate bases in a corrupt property: keep bsearch well-defined. */
	qsort(ret->rows, ret->n, sizeof(*ret->rows), by_base);

	err = vt_drmem_info_read(t, s, &dr);
	if (err) {
		set_err(ret->drmem_err, sizeof(ret->drmem_err), err);
	} else {
		err = merge_drmem(ret, &dr);
		vt_lmb_array_deinit(&dr);
		if (err)
			goto fail;
		ret->have_drmem = true;
	}
	fill_history(ret, node);
	err = vt_dt_read_boot(t, s, &ret->boot);
	if (err)
		set_err(ret->boot_err, sizeof(ret->boot_err), err);
	else
		fill_from(ret, ret->boot, boot_field, ret->boot_err, sizeof(ret->boot_err),
			  &ret->have_boot);
	if (!m)
		snprintf(ret->sections_err, sizeof(ret->sections_err), "no memmap");
	fill_memory(ret, t, s, m);

	err = vt_crashimage_read(t, s, &ret->crash);
	if (err) {
		set_err(ret->crash_err, sizeof(ret->crash_err), err);
	} else {
		ret->have_crash = true;
		char why[256];
		bool have_fdt = false;

		/* A crash FDT without the node (or damaged) leaves crash_fdt -1. */
		if (ret->crash.fdt)
			fill_from(ret, ret->crash.fdt, crash_field, why, sizeof(why), &have_fdt);
		if (m && ret->crash.have_hdr) {
			vt_crash_bad_loads(&ret->crash, m, ret->bad_loads, VT_LMB_MAX_BAD_LOADS,
					   &ret->nbad_loads, &ret->bad_loads_omitted);
			for (size_t i = 0; i < ret->n; i++)
				for (size_t j = 0; j < ret->crash.hdr.nload; j++) {
					const struct vt_elf_load *l = &ret->crash.hdr.loads[j];

					ret->rows[i].crash_load +=
						overlap(ret->rows[i].base,
							ret->rows[i].base + ret->rows[i].size,
							l->paddr, l->paddr + l->memsz);
				}
		}
	}
	for (size_t i = 0; i < ret->n; i++)
		vt_lmb_classify(ret, &ret->rows[i]);
	return NULL;
fail:
	vt_lmb_check_deinit(ret);
	return err;
}

void vt_lmb_check_deinit(struct vt_lmb_check *c)
{
	vt_dt_destroy(c->live);
	vt_dt_destroy(c->boot);
	vt_crashimage_deinit(&c->crash);
	free(c->rows);
	memset(c, 0, sizeof(*c));
}
