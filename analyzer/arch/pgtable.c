/* The single-address walk, the same for every table format (pgtable.h). */
#include "arch/pgtable.h"

#include <inttypes.h>

#include "core/byteorder.h"

struct vt_error *vt_ptfmt_vtop(vt_read_phys_fn read, void *arg, const struct vt_ptfmt *f,
			       uint64_t pgd_paddr, uint64_t vaddr, struct vt_xlat_path *ret)
{
	uint64_t table = pgd_paddr & f->root_mask;
	struct vt_error *err;

	ret->nsteps = 0;
	if (f->check_va && (err = f->check_va(f, vaddr)))
		return err;
	for (unsigned lvl = 0; lvl < f->levels; lvl++) {
		unsigned idx = (vaddr >> f->shift[lvl]) & ((1u << f->bits[lvl]) - 1);
		struct vt_xlat_step *step = &ret->steps[ret->nsteps++];
		uint64_t entry, size = 1ull << f->shift[lvl];
		struct vt_ptentry d;
		unsigned char raw[8];

		step->level = f->names[lvl];
		step->table_paddr = table;
		step->index = idx;
		err = read(arg, table + idx * 8ull, raw, 8);
		if (err)
			return vt_error_prefix(err, "reading %s entry at 0x%" PRIx64,
					       step->level, (uint64_t)(table + idx * 8ull));
		entry = vt_load64(raw, f->big_endian);
		step->entry = entry;
		f->decode(f, lvl, entry, size, &d);
		if (!d.present)
			return vt_error_create(VT_ERR_FAULT, "0x%" PRIx64 " not mapped: %s[%u] = "
					       "0x%016" PRIx64 " %s", vaddr, step->level, idx,
					       entry, f->absent);
		if (d.bad)
			return vt_error_create(VT_ERR_FORMAT, "bad %s %s %s[%u] = 0x%016" PRIx64
					       " (%s)", f->family, f->entry_word, step->level, idx, entry, d.bad);
		if (d.leaf) {
			ret->page_size = size;
			ret->paddr = d.target + (vaddr & (size - 1));
			return NULL;
		}
		table = d.target;
	}
	return vt_error_create(VT_ERR_FORMAT, "bad %s tables: no leaf after %u levels",
			       f->family, f->levels);
}
