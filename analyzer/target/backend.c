/*
 * A target whose physical reads come from elsewhere: a running crash
 * session (the extension reads through crash's readmem). No file, no
 * libkdumpfile: the arch, page size, CPUs and VMCOREINFO come with it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target/target_internal.h"

struct vt_error *vt_target_open_backend(const struct vt_target_backend *b,
					struct vt_target **ret)
{
	struct vt_target *t = vt_target_alloc(b->name ? b->name : "(backend)");
	struct vt_error *err;

	if (!t) {
		if (b->destroy)
			b->destroy(b->arg);
		return &vt_enomem;
	}
	t->backend = *b;
	snprintf(t->format, sizeof(t->format), "%s", "live session");
	t->info.arch = b->arch;
	t->info.arch_ops = vt_arch_ops(b->arch);
	if (!t->info.arch_ops) {
		vt_target_destroy(t);
		return vt_error_create(VT_ERR_UNSUPPORTED, "architecture %d is not supported",
				       (int)b->arch);
	}
	t->info.big_endian = b->big_endian;
	t->info.page_size = b->page_size ? b->page_size : 4096;
	if (!vt_page_size_valid(t->info.page_size)) {
		vt_target_destroy(t);
		return vt_error_create(VT_ERR_FORMAT, "page size %u: not a power of two from "
				       "4 KiB to 1 MiB", t->info.page_size);
	}
	t->info.ncpus = b->ncpus;
	t->info.live = b->live;
	t->info.live_btf = b->live_btf;
	t->info.live_kallsyms = b->live_kallsyms;
	if (b->nranges) {
		size_t n = b->nranges < VT_MAX_PHYS_RANGES ? b->nranges : VT_MAX_PHYS_RANGES;

		t->ranges = calloc(VT_MAX_PHYS_RANGES, sizeof(*t->ranges));
		if (!t->ranges) {
			vt_target_destroy(t);
			return &vt_enomem;
		}
		memcpy(t->ranges, b->ranges, n * sizeof(*t->ranges));
		t->nranges = vt_phys_ranges_merge(t->ranges, n);
		t->nranges_omitted = b->nranges - n;
		t->ranges_ready = true;
	}
	if (b->vmcoreinfo && b->vmcoreinfo_len) {
		err = vt_vmcoreinfo_parse(b->vmcoreinfo, b->vmcoreinfo_len, &t->vmcoreinfo);
		if (err) {
			vt_target_destroy(t);
			return vt_error_prefix(err, "VMCOREINFO");
		}
		t->info.has_vmcoreinfo = true;
	}
	snprintf(t->release, sizeof(t->release), "%s",
		 vt_vmcoreinfo_get(&t->vmcoreinfo, "OSRELEASE") ?
		 vt_vmcoreinfo_get(&t->vmcoreinfo, "OSRELEASE") : "");
	t->info.kaslr_offset = vt_vmcoreinfo_kernel_offset(&t->vmcoreinfo);
	*ret = t;
	return NULL;
}
