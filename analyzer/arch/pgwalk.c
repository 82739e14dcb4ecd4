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
	const struct vt_pgwalk_limits *lim;
	const struct vt_pgwalk_ops *ops;
	void *opsarg;
	struct seen seen;
	uint64_t ntables;
	bool stop;
	/* arch */
	enum { PGW_X86_64, PGW_RADIX, PGW_ARM64 } kind;
	uint64_t sme;
	const struct vt_arm64_geometry *arm;
	unsigned nlevels;
	const char *names[5];
	unsigned shift[5], bits[5];
	unsigned char *bufs[5];
};

static uint64_t sign_extend(uint64_t va, unsigned top_bit)
{
	if (top_bit < 63 && (va >> top_bit) & 1)
		va |= ~((1ull << (top_bit + 1)) - 1);
	return va;
}

/* One entry, decoded by the walk's arch. */
struct entry {
	bool present, leaf;
	uint64_t target;	/* leaf: page base; table: next table */
	const char *bad;	/* set: a broken entry, with why */
};

static void decode(const struct walk *w, unsigned lvl, uint64_t e, uint64_t size,
		   struct entry *d)
{
	memset(d, 0, sizeof(*d));
	switch (w->kind) {
	case PGW_RADIX:
		d->present = e & VT_RADIX_PRESENT;
		d->leaf = (e & VT_RADIX_LEAF) || lvl == w->nlevels - 1;
		if (d->leaf && !(e & VT_RADIX_LEAF))
			d->bad = "PTE without the leaf bit";
		else if (!d->leaf && (e & 0x1f) != w->bits[lvl + 1])
			d->bad = "next-level size does not match";
		d->target = d->leaf ? e & VT_RADIX_RPN_MASK & ~(size - 1) : e & VT_RADIX_NLB_MASK;
		return;
	case PGW_X86_64:
		d->present = e & VT_X86_PRESENT;
		d->leaf = lvl == w->nlevels - 1 || ((e & VT_X86_PSE) && lvl >= w->nlevels - 3);
		d->target = vt_x86_64_entry_paddr(e, w->sme, d->leaf ? size : 4096);
		return;
	case PGW_ARM64:
		switch (vt_arm64_desc_kind(w->arm, lvl, e)) {
		case VT_ARM64_INVALID:
			return;
		case VT_ARM64_RESERVED:
			d->present = true;
			d->bad = "block descriptor where the granule allows none";
			return;
		case VT_ARM64_LEAF:
			d->leaf = true;
			break;
		case VT_ARM64_TABLE:
			break;
		}
		d->present = true;
		d->target = vt_arm64_desc_addr(w->arm, e, d->leaf ? size :
					       1ull << w->arm->page_shift);
		return;
	}
}

static struct vt_error *walk_table(struct walk *w, unsigned lvl, uint64_t pa, uint64_t va_base)
{
	uint32_t n = 1u << w->bits[lvl], bytes = n * 8;
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
	if (w->ops->table && w->ops->table(w->opsarg, w->names[lvl], pa, bytes, va_base)) {
		w->stop = true;
		return NULL;
	}
	for (uint32_t i = 0; i < n && !w->stop; i++) {
		uint64_t size = 1ull << w->shift[lvl];
		uint64_t va = va_base + (uint64_t)i * size, e, child;
		struct entry d;

		if (w->kind == PGW_X86_64 && lvl == 0)
			va = sign_extend(va, w->shift[0] + w->bits[0] - 1);
		if (va + (size - 1) < w->lim->va_lo || va > w->lim->va_hi)
			continue;
		e = w->kind == PGW_RADIX ? vt_be64(buf + 8 * i) :
		    w->kind == PGW_ARM64 ? vt_load64(buf + 8 * i, w->arm->big_endian) :
		    vt_le64(buf + 8 * i);
		decode(w, lvl, e, size, &d);
		if (!d.present)
			continue;
		if (d.bad) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, w->names[lvl], pa, i, e, d.bad);
			continue;
		}
		if (d.leaf) {
			if (w->ops->leaf && w->ops->leaf(w->opsarg, w->names[lvl], va, size,
							 d.target, e))
				w->stop = true;
			continue;
		}
		child = d.target;
		if (child >= w->lim->max_phys) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, w->names[lvl], pa, i, e,
					    "table beyond physical memory");
			continue;
		}
		switch (seen_add(&w->seen, child)) {
		case -1:
			return &vt_enomem;
		case 0:
			if (w->ops->bad)
				w->ops->bad(w->opsarg, w->names[lvl], pa, i, e,
					    "table reached twice (cycle or shared)");
			continue;
		}
		err = walk_table(w, lvl + 1, child, va);
		if (err && (err->code == VT_ERR_NODATA || err->code == VT_ERR_FAULT)) {
			if (w->ops->bad)
				w->ops->bad(w->opsarg, w->names[lvl], pa, i, e, err->message);
			vt_error_destroy(err);
			continue;
		}
		if (err)
			return err;
	}
	return NULL;
}

static struct vt_error *run(struct walk *w, uint64_t pgd)
{
	struct vt_error *err = NULL;

	for (unsigned l = 0; l < w->nlevels; l++) {
		w->bufs[l] = malloc((size_t)8 << w->bits[l]);
		if (!w->bufs[l])
			err = &vt_enomem;
	}
	if (!err && seen_add(&w->seen, pgd) < 0)
		err = &vt_enomem;
	if (!err)
		err = walk_table(w, 0, pgd, w->kind == PGW_X86_64 ? 0 : w->lim->va_base);
	for (unsigned l = 0; l < w->nlevels; l++)
		free(w->bufs[l]);
	free(w->seen.slots);
	return err;
}

struct vt_error *vt_pgwalk_x86_64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				  bool la57, uint64_t sme_mask,
				  const struct vt_pgwalk_limits *lim,
				  const struct vt_pgwalk_ops *ops, void *opsarg)
{
	static const char *const names5[] = { "PGD", "P4D", "PUD", "PMD", "PTE" };
	static const char *const names4[] = { "PGD", "PUD", "PMD", "PTE" };
	struct walk w = { .read = read, .arg = arg, .lim = lim, .ops = ops,
			  .opsarg = opsarg, .sme = sme_mask, .kind = PGW_X86_64 };

	w.nlevels = la57 ? 5 : 4;
	for (unsigned l = 0; l < w.nlevels; l++) {
		w.names[l] = la57 ? names5[l] : names4[l];
		w.bits[l] = 9;
		w.shift[l] = 12 + 9 * (w.nlevels - 1 - l);
	}
	return run(&w, pgd & VT_X86_ADDR_MASK);
}

struct vt_error *vt_pgwalk_radix(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_radix_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg)
{
	static const char *const names[] = { "PGD", "PUD", "PMD", "PTE" };
	struct walk w = { .read = read, .arg = arg, .lim = lim, .ops = ops,
			  .opsarg = opsarg, .kind = PGW_RADIX, .nlevels = 4 };

	w.bits[0] = geo->pgd_bits;
	w.bits[1] = geo->pud_bits;
	w.bits[2] = geo->pmd_bits;
	w.bits[3] = geo->pte_bits;
	w.shift[3] = geo->page_shift;
	w.shift[2] = w.shift[3] + w.bits[3];
	w.shift[1] = w.shift[2] + w.bits[2];
	w.shift[0] = w.shift[1] + w.bits[1];
	for (unsigned l = 0; l < 4; l++)
		w.names[l] = names[l];
	return run(&w, pgd);
}

struct vt_error *vt_pgwalk_arm64(vt_read_phys_fn read, void *arg, uint64_t pgd,
				 const struct vt_arm64_geometry *geo,
				 const struct vt_pgwalk_limits *lim,
				 const struct vt_pgwalk_ops *ops, void *opsarg)
{
	struct walk w = { .read = read, .arg = arg, .lim = lim, .ops = ops,
			  .opsarg = opsarg, .kind = PGW_ARM64, .arm = geo };

	w.nlevels = geo->levels;
	for (unsigned l = 0; l < w.nlevels; l++) {
		w.names[l] = geo->names[l];
		w.bits[l] = geo->bits[l];
		w.shift[l] = geo->shift[l];
	}
	return run(&w, pgd);
}
