#include "arch/pgwalk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

/* A small open-addressing set of table addresses seen in one walk. */
struct seen {
	uint64_t *slots;
	size_t cap, n;
};

static int seen_add(struct seen *s, uint64_t pa)	/* 1 new, 0 seen, -1 nomem */
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (size_t k = 0; k < s->cap; k++)
			if (s->slots[k]) {
				for (i = (s->slots[k] >> 8) & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
					;
				ns[i] = s->slots[k];
			}
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	pa |= 1;	/* never 0 */
	for (i = (pa >> 8) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == pa)
			return 0;
	s->slots[i] = pa;
	s->n++;
	return 1;
}

struct walk {
	vt_read_phys_fn read;
	void *arg;
	const struct vt_ptfmt *f;
	const struct vt_pgwalk_limits *lim;
	const struct vt_pgwalk_ops *ops;
	void *opsarg;
	struct seen seen;
	uint64_t ntables;
	bool stop;
	unsigned char *bufs[5];
};

static uint64_t sign_extend(uint64_t va, unsigned top_bit)
{
	if (top_bit < 63 && (va >> top_bit) & 1)
		va |= ~((1ull << (top_bit + 1)) - 1);
	return va;
}

static struct vt_error *walk_table(struct walk *w, unsigned lvl, uint64_t pa, uint64_t va_base)
{
	const struct vt_ptfmt *f = w->f;
	uint32_t n = 1u << f->bits[lvl], bytes = n * 8;
	unsigned char *buf = w->bufs[lvl];
	struct vt_error *err;

	if (w->stop)
		return NULL;
	if (++w->ntables > w->lim->max_tables) {
		w->stop = true;
		return vt_error_create(VT_ERR_FORMAT, "more than %" PRIu64 " page tables",
				       w->lim->max_tables);
	}
	err = w->read(w->arg, pa, buf, bytes);
	if (err)
		return err;
	if (w->ops->table && w->ops->table(w->opsarg, f->names[lvl], pa, bytes, va_base)) {
		w->stop = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !w->stop; i++) {
		uint64_t size = 1ull << f->shift[lvl];
		uint64_t va = va_base + (uint64_t)i * size, e, child;
		struct vt_ptentry d;

		if (f->sign_extend && lvl == 0)
			va = sign_extend(va, f->shift[0] + f->bits[0] - 1);
		if (va + (size - 1) < w->lim->va_lo || va > w->lim->va_hi)
			continue;
		e = vt_load64(buf + 8 * i, f->big_endian);
		f->decode(f, lvl, e, size, &d);
		if (!d.present)
			continue;
		if (d.bad) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, f->names[lvl], pa, i, e, d.bad);
			continue;
		}
		if (d.leaf) {
			if (w->ops->leaf && w->ops->leaf(w->opsarg, f->names[lvl], va, size,
							 d.target, e))
				w->stop = true;
			continue;
		}
		child = d.target;
		if (child >= w->lim->max_phys) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, f->names[lvl], pa, i, e,
					    "table beyond physical memory");
			continue;
		}
		switch (seen_add(&w->seen, child)) {
		case -1:
			return &vt_enomem;
		case 0:
			if (w->ops->bad)
				w->ops->bad(w->opsarg, f->names[lvl], pa, i, e,
					    "table reached twice (cycle or shared)");
			continue;
		}
		err = walk_table(w, lvl + 1, child, va);
		if (err && (err->code == VT_ERR_NODATA || err->code == VT_ERR_FAULT)) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, f->names[lvl], pa, i, e, err->message);
			vt_error_destroy(err);
			continue;
		}
		if (err)
			return err;
	}
	return NULL;
}

struct vt_error *vt_ptfmt_walk(vt_read_phys_fn read, void *arg, const struct vt_ptfmt *f,
			       uint64_t pgd, const struct vt_pgwalk_limits *lim,
			       const struct vt_pgwalk_ops *ops, void *opsarg)
{
	struct walk w = { .read = read, .arg = arg, .f = f, .lim = lim, .ops = ops,
			  .opsarg = opsarg };
	struct vt_error *err = NULL;

	pgd &= f->root_mask;
	for (unsigned l = 0; l < f->levels; l++) {
		w.bufs[l] = malloc((size_t)8 << f->bits[l]);
		if (!w.bufs[l])
			err = &vt_enomem;
	}
	if (!err && seen_add(&w.seen, pgd) < 0)
		err = &vt_enomem;
	if (!err)
		err = walk_table(&w, 0, pgd, lim->va_base);
	for (unsigned l = 0; l < f->levels; l++)
		free(w.bufs[l]);
	free(w.seen.slots);
	return err;
}

struct vt_error *vt_pgwalk_x86_64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				  bool la57, uint64_t sme_mask,
				  const struct vt_pgwalk_limits *lim,
				  const struct vt_pgwalk_ops *ops, void *opsarg)
{
	struct vt_ptfmt f;
	struct vt_pgwalk_limits l = *lim;

	vt_x86_64_format(la57, sme_mask, &f);
	l.va_base = 0;	/* the top level is sign-extended */
	return vt_ptfmt_walk(read, arg, &f, pgd, &l, ops, opsarg);
}

struct vt_error *vt_pgwalk_radix(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_radix_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg)
{
	struct vt_ptfmt f;

	vt_radix_format(geo, &f);
	return vt_ptfmt_walk(read, arg, &f, pgd, lim, ops, opsarg);
}

struct vt_error *vt_pgwalk_arm64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_arm64_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg)
{
	struct vt_ptfmt f;

	vt_arm64_format(geo, &f);
	return vt_ptfmt_walk(read, arg, &f, pgd, lim, ops, opsarg);
}
