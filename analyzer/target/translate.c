/*
 * Kernel-virtual addresses: the kernel's translation, set up on first use
 * by the arch's ops from VMCOREINFO, a small TLB, and reads that follow it.
 */
#include <inttypes.h>

#include "core/byteorder.h"
#include "target/kdumpc.h"
#include "target/target_internal.h"

static struct vt_error *read_phys_cb(void *arg, uint64_t paddr, void *buf,
				     size_t len)
{
	return vt_target_read_phys(arg, paddr, buf, len);
}

static struct vt_error *xlat_setup(struct vt_target *t)
{
	struct vt_error *err;

	if (t->xlat_ready)
		return NULL;
	if (t->xlat_err)
		return vt_error_create(t->xlat_err->code, "%s", t->xlat_err->message);
	if (!t->info.has_vmcoreinfo)
		err = vt_error_create(VT_ERR_UNSUPPORTED,
			"the dump has no VMCOREINFO: kernel virtual addresses cannot be translated");
	else
		err = t->info.arch_ops->setup(&t->vmcoreinfo, t->info.page_size,
					      t->info.big_endian, &t->mmu);
	if (err) {
		t->xlat_err = err;
		return vt_error_create(err->code, "%s", err->message);
	}
	t->xlat_ready = true;
	return NULL;
}

struct vt_error *vt_target_mmu(struct vt_target *t, const struct vt_arch_mmu **ret)
{
	struct vt_error *err = xlat_setup(t);

	if (!err)
		*ret = &t->mmu;
	return err;
}

struct vt_error *vt_target_walk_tables(struct vt_target *t, uint64_t pgd_paddr,
				       bool user, uint64_t max_tables,
				       const struct vt_pgwalk_ops *ops, void *arg)
{
	struct vt_pgwalk_limits lim = { .max_tables = max_tables, .max_phys = 1ull << 52 };
	const struct vt_phys_range *r;
	size_t nr;
	struct vt_error *err = xlat_setup(t);

	if (err)
		return err;
	err = vt_target_phys_ranges(t, &r, &nr, NULL);
	if (!err && nr)
		lim.max_phys = r[nr - 1].end;
	vt_error_destroy(err);
	t->info.arch_ops->half(&t->mmu, user, &lim);
	return vt_ptfmt_walk(read_phys_cb, t, &t->mmu.fmt, pgd_paddr, &lim, ops, arg);
}

const char *vt_target_xlat_method(struct vt_target *t)
{
	struct vt_error *err = xlat_setup(t);

	vt_error_destroy(err);
	return t->xlat_ready ? t->mmu.method : "none";
}

struct vt_error *vt_target_vtop_pgd(struct vt_target *t, uint64_t pgd_paddr,
				    uint64_t vaddr, uint64_t *paddr_ret,
				    struct vt_xlat_path *path)
{
	struct vt_xlat_path local;
	struct vt_error *err;

	if (!path)
		path = &local;
	if ((err = xlat_setup(t)))
		return err;
	err = vt_ptfmt_vtop(read_phys_cb, t, &t->mmu.fmt, pgd_paddr, vaddr, path);
	if (!err)
		*paddr_ret = path->paddr;
	return err;
}

struct vt_error *vt_target_vtop(struct vt_target *t, uint64_t vaddr,
				uint64_t *paddr_ret, struct vt_xlat_path *path)
{
	struct tlb_entry *e = &t->tlb[(vaddr >> 12) % TLB_SIZE];
	struct tlb_huge_entry *h = &t->tlb_huge[(vaddr >> 21) % TLB_HUGE_SIZE];
	struct vt_xlat_path local;
	struct vt_error *err;

	if (!path && e->vpage == (vaddr >> 12) + 1) {
		*paddr_ret = (e->ppage << 12) | (vaddr & 0xfff);
		return NULL;
	}
	if (!path && h->vblock == (vaddr >> 21) + 1) {
		*paddr_ret = vaddr + h->delta;
		return NULL;
	}
	if ((err = xlat_setup(t)))
		return err;
	/* A fixed kernel map (ppc64's linear map): no walk needed. */
	if (t->info.arch_ops->direct && t->info.arch_ops->direct(&t->mmu, vaddr, paddr_ret)) {
		if (path) {
			path->nsteps = 0;
			path->paddr = *paddr_ret;
			path->page_size = 0;
		}
		return NULL;
	}
	if (!path)
		path = &local;
	err = vt_target_vtop_pgd(t, t->mmu.kernel_pgd, vaddr, paddr_ret, path);
	if (!err) {
		e->vpage = (vaddr >> 12) + 1;
		e->ppage = *paddr_ret >> 12;
		/* linear over the whole (aligned, power-of-two) mapping */
		if (path->page_size >= (1u << 21)) {
			h->vblock = (vaddr >> 21) + 1;
			h->delta = *paddr_ret - vaddr;
		}
	}
	return err;
}

struct vt_error *vt_target_read_kv(struct vt_target *t, uint64_t vaddr,
				   void *buf, size_t len)
{
	size_t done = 0;

	/* Translate page by page, but read physically contiguous runs at once. */
	while (done < len) {
		uint64_t va = vaddr + done, pa, run_pa;
		size_t run = 0;
		struct vt_error *err = vt_target_vtop(t, va, &pa, NULL);

		if (err)
			return err;
		run_pa = pa;
		for (;;) {
			size_t n = 4096 - ((va + run) & 4095);
			uint64_t next;

			if (n > len - done - run)
				n = len - done - run;
			run += n;
			if (done + run >= len)
				break;
			err = vt_target_vtop(t, va + run, &next, NULL);
			if (err || next != run_pa + run) {
				vt_error_destroy(err);
				break;
			}
		}
		err = vt_target_read_phys(t, run_pa, (char *)buf + done, run);
		if (err)
			return err;
		done += run;
	}
	return NULL;
}

void vt_target_prefetch_kv(struct vt_target *t, uint64_t vaddr, size_t len, void *dest)
{
	uint64_t pa, next, block, first, last;
	struct vt_error *err;
	size_t run = 0;

	if (!t->kdc)
		return;		/* opened by the first large read, kdump-compressed only */
	if (len > VT_KDC_READAHEAD)
		len = VT_KDC_READAHEAD;
	if ((err = vt_target_vtop(t, vaddr, &pa, NULL))) {
		vt_error_destroy(err);
		return;
	}
	while (run < len) {
		run += 4096 - ((vaddr + run) & 4095);
		if (run >= len)
			break;
		if ((err = vt_target_vtop(t, vaddr + run, &next, NULL)) || next != pa + run) {
			vt_error_destroy(err);
			break;
		}
	}
	if (run > len)
		run = len;
	block = vt_kdc_block_size(t->kdc);
	first = (pa + block - 1) / block;
	last = (pa + run) / block;
	if (last > first)
		vt_kdc_prefetch(t->kdc, first, last - first,
				dest ? (unsigned char *)dest + (first * block - pa) : NULL);
}

void vt_target_prefetch_cancel(struct vt_target *t)
{
	if (t->kdc)
		vt_kdc_cancel(t->kdc);
}

struct vt_error *vt_target_read_u64(struct vt_target *t, uint64_t vaddr,
				    uint64_t *ret)
{
	unsigned char raw[8];
	struct vt_error *err = vt_target_read_kv(t, vaddr, raw, 8);

	if (!err)
		*ret = vt_load64(raw, t->info.big_endian);
	return err;
}

struct vt_error *vt_target_read_u32(struct vt_target *t, uint64_t vaddr,
				    uint32_t *ret)
{
	unsigned char raw[4];
	struct vt_error *err = vt_target_read_kv(t, vaddr, raw, 4);

	if (!err)
		*ret = vt_load32(raw, t->info.big_endian);
	return err;
}
