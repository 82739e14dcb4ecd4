/*
 * VMCOREINFO text: the parser, the typed lookups, and the finder built on it
 * (partial structs from SIZE/OFFSET lines), with the names the analyzer asks.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "symbols/finders.h"

static const char *const symbols[] = {
	"init_top_pgt", "swapper_pg_dir", "mem_section", "prb", "_stext",
};
static const char *const structs[] = {
	"page", "mem_section", "pglist_data", "zone", "printk_ringbuffer", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_vmcoreinfo vi;
	struct vt_arena *arena;
	struct vt_finder *f;
	struct vt_error *err;
	uint64_t u;
	int64_t n;

	err = vt_vmcoreinfo_parse((const char *)data, size, &vi);
	if (err) {
		vt_error_destroy(err);
		return 0;
	}
	(void)vt_vmcoreinfo_get(&vi, "OSRELEASE");
	(void)vt_vmcoreinfo_kernel_offset(&vi);
	for (size_t i = 0; i < sizeof(symbols) / sizeof(*symbols); i++)
		vt_error_destroy(vt_vmcoreinfo_symbol(&vi, symbols[i], &u));
	vt_error_destroy(vt_vmcoreinfo_number(&vi, "NUMBER", "phys_base", &n));
	vt_error_destroy(vt_vmcoreinfo_number(&vi, "LENGTH", "mem_section", &n));
	arena = vt_arena_create();
	if (arena && !vt_vmcoreinfo_finder_create(&vi, arena, &f)) {
		for (size_t i = 0; i < sizeof(structs) / sizeof(*structs); i++) {
			struct vt_type *t;

			vt_error_destroy(f->ops->type(f->arg, VT_TYPE_STRUCT, structs[i], &t));
			vt_error_destroy(f->ops->size(f->arg, structs[i], &u));
			vt_error_destroy(f->ops->offset(f->arg, structs[i], "flags", &u));
		}
		vt_error_destroy(f->ops->constant(f->arg, "PG_slab", &n));
		vt_finder_destroy(f);
	}
	vt_arena_destroy(arena);
	vt_vmcoreinfo_deinit(&vi);
	return 0;
}
