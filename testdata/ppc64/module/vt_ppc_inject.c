// SPDX-License-Identifier: GPL-2.0
/*
 * vt_ppc_inject: make the latent states of bug classes A, C, D and E in a
 * ppc64le pseries radix guest, for vmtriage's test dumps. One source for
 * Debian 12's 6.1 (64 KiB pages) and Debian 13's 6.12 (4 KiB and 64 KiB
 * pages): the fragment geometry comes from the kernel (PTE_FRAG_NR ...
 * are __pte_frag_nr ... on book3s64), version differences are
 * LINUX_VERSION_CODE conditionals (vt_frag_refcount, vt_*_leaf below).
 * See testdata/README.md ("ppc64le") and shared BUGCLASSES.md.
 *
 *   insmod vt_ppc_inject.ko mode=a init_mm_addr=0x.. dimm_base=0x.. dimm_size=0x..
 *       A: the init_mm PMD table page mapping the linear map of the
 *          remaining hot-added dimm: ClearPageReserved, pt_frag_refcount = 0.
 *   insmod vt_ppc_inject.ko mode=c dimm_base=0x.. dimm_size=0x.. of_update_property_addr=0x..
 *       C: set DRCONF_MEM_ASSIGNED in the live ibm,dynamic-memory-v2 for the
 *          LMBs of the REMOVED dimm (new property value, sets re-split as
 *          drmem_update_dt_v2 would; of_update_property keeps the old value
 *          on deadprops). drmem_info is left alone (dt=1, dr=0, P=0).
 *   insmod vt_ppc_inject.ko mode=d target_pid=N
 *       D: the PTE fragment page of N's mm with the most fragments in use:
 *          atomic_dec pt_frag_refcount until it is used-1 (below the number
 *          of fragments in use).
 *   insmod vt_ppc_inject.ko mode=e pfn_start=0x.. pfn_count=N
 *       E: memset 0xff the struct pages of N PG_reserved pfns (all must be
 *          online and PG_reserved, or nothing is written).
 *
 * Unexported symbols come in as addresses (init_mm from the vmlinux symbol
 * table: Debian's ppc64el kernel lacks KALLSYMS_ALL; of_update_property from
 * /proc/kallsyms). Each mode prints exactly one line
 *   "VT-INJECT {json}"
 * describing what it changed; the generator copies it into truth.json.
 * The module stays loaded; it has no exit cleanup (the guest panics next).
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/pid.h>
#include <linux/of.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/memory_hotplug.h>
#include <asm/pgalloc.h>
#include <asm/drmem.h>

static char *mode = "";
module_param(mode, charp, 0444);
static unsigned long init_mm_addr;
module_param(init_mm_addr, ulong, 0444);
static unsigned long dimm_base, dimm_size;
module_param(dimm_base, ulong, 0444);
module_param(dimm_size, ulong, 0444);
static unsigned long of_update_property_addr;
module_param(of_update_property_addr, ulong, 0444);
static int target_pid;
module_param(target_pid, int, 0444);
static unsigned long pfn_start, pfn_count;
module_param(pfn_start, ulong, 0444);
module_param(pfn_count, ulong, 0444);

#define TAG "VT-INJECT "

/*
 * pt_frag_refcount of the page-table page holding the table at va: in
 * struct page up to 6.5; from 6.6 only in struct ptdesc (the page-table
 * overlay of struct page; virt_to_ptdesc / ptdesc_page are the accessors).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
static struct page *vt_table_page(void *va) { return ptdesc_page(virt_to_ptdesc(va)); }
static atomic_t *vt_frag_refcount(struct page *pg) { return &page_ptdesc(pg)->pt_frag_refcount; }
#else
static struct page *vt_table_page(void *va) { return virt_to_page(va); }
static atomic_t *vt_frag_refcount(struct page *pg) { return &pg->pt_frag_refcount; }
#endif
/* 6.9 renamed the book3s64 p?d_is_leaf() to the generic p?d_leaf() (p4d: none). */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
#define vt_p4d_leaf(x) p4d_leaf(x)
#define vt_pud_leaf(x) pud_leaf(x)
#define vt_pmd_leaf(x) pmd_leaf(x)
#else
#define vt_p4d_leaf(x) p4d_is_leaf(x)
#define vt_pud_leaf(x) pud_is_leaf(x)
#define vt_pmd_leaf(x) pmd_is_leaf(x)
#endif

/* ---------------------------------------------------------------- A ---- */
static int inject_a(void)
{
	struct mm_struct *mm = (struct mm_struct *)init_mm_addr;
	unsigned long va = (unsigned long)__va(dimm_base);
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd_table;
	struct page *page;
	unsigned long flags_before;
	int ref_before, i, leaf = 0, tables = 0;

	if (!mm || !dimm_size || !radix_enabled()) {
		pr_err(TAG "mode a: need init_mm_addr, dimm_base, dimm_size and radix\n");
		return -EINVAL;
	}
	pgd = pgd_offset(mm, va);
	p4d = p4d_offset(pgd, va);
	if (p4d_none(*p4d) || vt_p4d_leaf(*p4d))
		return -ENOENT;
	pud = pud_offset(p4d, va);
	if (pud_none(*pud) || vt_pud_leaf(*pud)) {
		pr_err(TAG "mode a: no PMD table under the PUD entry for %lx\n", va);
		return -ENOENT;
	}
	pmd_table = pud_pgtable(*pud);
	/* what does this table map? (2 MiB leaves on the radix linear map) */
	for (i = 0; i < PTRS_PER_PMD; i++) {
		if (pmd_none(pmd_table[i]))
			continue;
		if (vt_pmd_leaf(pmd_table[i]))
			leaf++;
		else
			tables++;
	}
	page = vt_table_page(pmd_table);
	flags_before = page->flags;
	ref_before = atomic_read(vt_frag_refcount(page));
	ClearPageReserved(page);
	atomic_set(vt_frag_refcount(page), 0);
	pr_info(TAG "{\"mode\":\"a\",\"level\":\"pmd\",\"mm\":\"init_mm\",\"mm_addr\":\"0x%lx\","
		"\"va\":\"0x%lx\",\"pgd_entry\":\"0x%lx\",\"pud_entry_va\":\"0x%lx\",\"pud_entry\":\"0x%lx\","
		"\"table_va\":\"0x%lx\",\"table_pa\":\"0x%llx\",\"pfn\":\"0x%lx\",\"page\":\"0x%lx\","
		"\"table_offset_in_page\":\"0x%lx\",\"pmd_covers\":[\"0x%lx\",\"0x%lx\"],"
		"\"leaf_entries\":%d,\"table_entries\":%d,"
		"\"flags_before\":\"0x%lx\",\"flags_after\":\"0x%lx\","
		"\"pt_frag_refcount_before\":%d,\"pt_frag_refcount_after\":%d,"
		"\"pmd_frag_nr\":%lu,\"pmd_frag_size_shift\":%lu,\"page_shift\":%d}\n",
		init_mm_addr, va, (unsigned long)pgd_val(*pgd), (unsigned long)pud,
		(unsigned long)pud_val(*pud), (unsigned long)pmd_table,
		(unsigned long long)__pa(pmd_table), page_to_pfn(page), (unsigned long)page,
		offset_in_page(pmd_table), va & PUD_MASK, (va & PUD_MASK) + PUD_SIZE - 1,
		leaf, tables, flags_before, page->flags, ref_before,
		atomic_read(vt_frag_refcount(page)), (unsigned long)PMD_FRAG_NR,
		(unsigned long)PMD_FRAG_SIZE_SHIFT, PAGE_SHIFT);
	return 0;
}

/* ---------------------------------------------------------------- C ---- */
struct v2_set {
	__be32 seq_lmbs;
	__be64 base;
	__be32 drc_index;
	__be32 aa_index;
	__be32 flags;
} __packed;

struct lmb1 {
	u64 base;
	u32 drc, aa, flags;
};

static int inject_c(void)
{
	int (*of_update_property_fn)(struct device_node *, struct property *) =
		(void *)of_update_property_addr;
	struct device_node *dn;
	struct property *old, *np;
	const __be32 *p;
	const struct v2_set *set;
	struct v2_set *out;
	struct lmb1 *lmbs;
	u64 lmb_size;
	u32 nsets, n = 0, i, j, nnew, changed = 0;
	u32 first_drc = 0, last_drc = 0;
	int rc;

	if (!of_update_property_addr || !dimm_size) {
		pr_err(TAG "mode c: need of_update_property_addr, dimm_base, dimm_size\n");
		return -EINVAL;
	}
	dn = of_find_node_by_path("/ibm,dynamic-reconfiguration-memory");
	if (!dn)
		return -ENODEV;
	p = of_get_property(dn, "ibm,lmb-size", NULL);
	old = of_find_property(dn, "ibm,dynamic-memory-v2", NULL);
	if (!p || !old || old->length < 4) {
		of_node_put(dn);
		pr_err(TAG "mode c: no ibm,lmb-size / ibm,dynamic-memory-v2\n");
		return -ENODEV;
	}
	lmb_size = of_read_number(p, 2);
	p = old->value;
	nsets = be32_to_cpu(p[0]);
	set = (const struct v2_set *)(p + 1);
	for (i = 0; i < nsets; i++)
		n += be32_to_cpu(set[i].seq_lmbs);
	lmbs = kcalloc(n, sizeof(*lmbs), GFP_KERNEL);
	out = kcalloc(n, sizeof(*out), GFP_KERNEL);
	np = kzalloc(sizeof(*np), GFP_KERNEL);
	if (!lmbs || !out || !np) {
		rc = -ENOMEM;
		goto fail;
	}
	/* expand, flag the removed dimm's LMBs ASSIGNED */
	for (i = 0, n = 0; i < nsets; i++) {
		for (j = 0; j < be32_to_cpu(set[i].seq_lmbs); j++, n++) {
			lmbs[n].base = be64_to_cpu(set[i].base) + j * lmb_size;
			lmbs[n].drc = be32_to_cpu(set[i].drc_index) + j;
			lmbs[n].aa = be32_to_cpu(set[i].aa_index);
			lmbs[n].flags = be32_to_cpu(set[i].flags);
			if (lmbs[n].base >= dimm_base && lmbs[n].base < dimm_base + dimm_size &&
			    !(lmbs[n].flags & DRCONF_MEM_ASSIGNED)) {
				lmbs[n].flags |= DRCONF_MEM_ASSIGNED;
				if (!changed++)
					first_drc = lmbs[n].drc;
				last_drc = lmbs[n].drc;
			}
		}
	}
	if (!changed) {
		pr_err(TAG "mode c: no unassigned LMB in [%lx, %lx)\n", dimm_base, dimm_base + dimm_size);
		rc = -ENOENT;
		goto fail;
	}
	/* re-compress like drmem_update_dt_v2: same aa_index and flags -> one set */
	for (i = 0, nnew = 0; i < n; i++) {
		if (nnew && lmbs[i].aa == be32_to_cpu(out[nnew - 1].aa_index) &&
		    lmbs[i].flags == be32_to_cpu(out[nnew - 1].flags) &&
		    lmbs[i].drc == be32_to_cpu(out[nnew - 1].drc_index) + be32_to_cpu(out[nnew - 1].seq_lmbs)) {
			be32_add_cpu(&out[nnew - 1].seq_lmbs, 1);
			continue;
		}
		out[nnew].seq_lmbs = cpu_to_be32(1);
		out[nnew].base = cpu_to_be64(lmbs[i].base);
		out[nnew].drc_index = cpu_to_be32(lmbs[i].drc);
		out[nnew].aa_index = cpu_to_be32(lmbs[i].aa);
		out[nnew].flags = cpu_to_be32(lmbs[i].flags);
		nnew++;
	}
	np->name = kstrdup(old->name, GFP_KERNEL);
	np->length = 4 + nnew * sizeof(*out);
	np->value = kzalloc(np->length, GFP_KERNEL);
	if (!np->name || !np->value) {
		rc = -ENOMEM;
		goto fail;
	}
	*(__be32 *)np->value = cpu_to_be32(nnew);
	memcpy((char *)np->value + 4, out, nnew * sizeof(*out));
	rc = of_update_property_fn(dn, np);
	if (rc) {
		pr_err(TAG "mode c: of_update_property: %d\n", rc);
		goto fail;
	}
	pr_info(TAG "{\"mode\":\"c\",\"node\":\"/ibm,dynamic-reconfiguration-memory\","
		"\"property\":\"ibm,dynamic-memory-v2\",\"dimm_base\":\"0x%lx\",\"dimm_size\":\"0x%lx\","
		"\"lmb_size\":\"0x%llx\",\"lmbs_changed\":%u,\"drc_first\":\"0x%x\",\"drc_last\":\"0x%x\","
		"\"flag_set\":\"0x%x\",\"sets_before\":%u,\"sets_after\":%u,"
		"\"old_property\":\"0x%lx\",\"old_value\":\"0x%lx\",\"new_property\":\"0x%lx\",\"new_value\":\"0x%lx\","
		"\"node_addr\":\"0x%lx\",\"drmem_info_changed\":false}\n",
		dimm_base, dimm_size, lmb_size, changed, first_drc, last_drc, DRCONF_MEM_ASSIGNED,
		nsets, nnew, (unsigned long)old, (unsigned long)old->value, (unsigned long)np,
		(unsigned long)np->value, (unsigned long)dn);
	kfree(lmbs);
	kfree(out);
	of_node_put(dn);
	return 0;
fail:
	if (np) {
		kfree(np->name);
		kfree(np->value);
	}
	kfree(np);
	kfree(lmbs);
	kfree(out);
	of_node_put(dn);
	return rc;
}

/* ---------------------------------------------------------------- D ---- */
#define MAXP 64
#define MAXFRAG 256			/* radix 64K: PTE_FRAG_NR is 256; 4K: 1 */
struct fragpage {
	struct page *page;
	DECLARE_BITMAP(used, MAXFRAG);	/* fragment indexes in use */
};

static int inject_d(void)
{
	struct task_struct *task;
	struct mm_struct *mm;
	static struct fragpage fp[MAXP];
	int nfp = 0, i, best = -1, used = 0, cached = 0, before, after, decs = 0;
	unsigned long pte_frag;
	char comm[TASK_COMM_LEN];

	task = get_pid_task(find_get_pid(target_pid), PIDTYPE_PID);
	if (!task) {
		pr_err(TAG "mode d: no task %d\n", target_pid);
		return -ESRCH;
	}
	get_task_comm(comm, task);
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return -EINVAL;
	mmap_read_lock(mm);
	/*
	 * Every non-leaf PMD entry of user space names a PTE fragment. Raw walk
	 * of the radix tree (entries are big-endian; bit 63 present, bit 62
	 * _PAGE_PTE = leaf; next-level base = entry & ~0xc0000000000000ff).
	 */
	{
		const u64 nlb = ~0xc0000000000000ffUL, present = 1UL << 63, leafbit = 1UL << 62;
		__be64 *pgdp = (__be64 *)mm->pgd;
		unsigned long i0, i1, i2;

		for (i0 = 0; i0 < PTRS_PER_PGD; i0++) {
			u64 e0 = be64_to_cpu(pgdp[i0]);
			__be64 *pudp;

			if (!(e0 & present) || (e0 & leafbit))
				continue;
			pudp = __va(e0 & nlb);
			for (i1 = 0; i1 < PTRS_PER_PUD; i1++) {
				u64 e1 = be64_to_cpu(pudp[i1]);
				__be64 *pmdp;

				if (!(e1 & present) || (e1 & leafbit))
					continue;
				pmdp = __va(e1 & nlb);
				for (i2 = 0; i2 < PTRS_PER_PMD; i2++) {
					u64 e2 = be64_to_cpu(pmdp[i2]);
					unsigned long pte_va;
					struct page *pg;

					if (!(e2 & present) || (e2 & leafbit))
						continue;
					pte_va = (unsigned long)__va(e2 & nlb);
					pg = vt_table_page((void *)pte_va);
					for (i = 0; i < nfp && fp[i].page != pg; i++)
						;
					if (i == nfp) {
						if (nfp == MAXP)
							continue;
						fp[nfp].page = pg;
						bitmap_zero(fp[nfp].used, MAXFRAG);
						nfp++;
					}
					__set_bit((offset_in_page(pte_va) >> PTE_FRAG_SIZE_SHIFT) % MAXFRAG,
						  fp[i].used);
				}
			}
		}
	}
	for (i = 0; i < nfp; i++)
		if (best < 0 || bitmap_weight(fp[i].used, MAXFRAG) > bitmap_weight(fp[best].used, MAXFRAG))
			best = i;
	if (best < 0) {
		mmap_read_unlock(mm);
		mmput(mm);
		pr_err(TAG "mode d: pid %d has no PTE fragments\n", target_pid);
		return -ENOENT;
	}
	used = bitmap_weight(fp[best].used, MAXFRAG);
	pte_frag = (unsigned long)mm->context.pte_frag;
	if (pte_frag && virt_to_page((void *)pte_frag) == fp[best].page)
		cached = (PAGE_SIZE - offset_in_page(pte_frag)) >> PTE_FRAG_SIZE_SHIFT;
	before = atomic_read(vt_frag_refcount(fp[best].page));
	while (atomic_read(vt_frag_refcount(fp[best].page)) > used - 1) {
		atomic_dec(vt_frag_refcount(fp[best].page));
		decs++;
	}
	after = atomic_read(vt_frag_refcount(fp[best].page));
	pr_info(TAG "{\"mode\":\"d\",\"pid\":%d,\"comm\":\"%s\",\"mm\":\"0x%lx\",\"pgd\":\"0x%lx\","
		"\"page\":\"0x%lx\",\"pfn\":\"0x%lx\",\"page_va\":\"0x%lx\",\"used_fragments\":\"%*pbl\","
		"\"used\":%d,\"cached\":%d,\"pte_frag\":\"0x%lx\",\"pte_frag_nr\":%lu,"
		"\"pte_frag_size_shift\":%lu,\"pt_frag_refcount_before\":%d,\"atomic_decs\":%d,"
		"\"pt_frag_refcount_after\":%d,\"refcount\":%d,\"pages_with_fragments\":%d,"
		"\"page_shift\":%d}\n",
		target_pid, comm, (unsigned long)mm, (unsigned long)mm->pgd,
		(unsigned long)fp[best].page, page_to_pfn(fp[best].page),
		(unsigned long)page_address(fp[best].page), MAXFRAG, fp[best].used, used, cached,
		pte_frag, (unsigned long)PTE_FRAG_NR, (unsigned long)PTE_FRAG_SIZE_SHIFT, before, decs, after,
		page_ref_count(fp[best].page), nfp, PAGE_SHIFT);
	mmap_read_unlock(mm);
	mmput(mm);
	return 0;
}

/* ---------------------------------------------------------------- E ---- */
static int inject_e(void)
{
	unsigned long pfn, flags0 = 0;
	struct page *first;

	if (!pfn_count || pfn_count > 64) {
		pr_err(TAG "mode e: need 1..64 pfns\n");
		return -EINVAL;
	}
	for (pfn = pfn_start; pfn < pfn_start + pfn_count; pfn++) {
		struct page *pg = pfn_to_online_page(pfn);

		if (!pg || !PageReserved(pg)) {
			pr_err(TAG "mode e: pfn %lx is not an online PG_reserved page\n", pfn);
			return -EINVAL;
		}
	}
	first = pfn_to_page(pfn_start);
	flags0 = first->flags;
	memset(first, 0xff, pfn_count * sizeof(struct page));
	pr_info(TAG "{\"mode\":\"e\",\"pfn_first\":\"0x%lx\",\"pfn_last\":\"0x%lx\",\"count\":%lu,"
		"\"struct_page_first\":\"0x%lx\",\"struct_page_size\":%zu,\"bytes\":%zu,"
		"\"flags_before_first\":\"0x%lx\",\"fill\":\"0xff\",\"section\":%lu}\n",
		pfn_start, pfn_start + pfn_count - 1, pfn_count, (unsigned long)first,
		sizeof(struct page), pfn_count * sizeof(struct page), flags0,
		pfn_to_section_nr(pfn_start));
	return 0;
}

static int __init vt_init(void)
{
	if (!strcmp(mode, "a"))
		return inject_a();
	if (!strcmp(mode, "c"))
		return inject_c();
	if (!strcmp(mode, "d"))
		return inject_d();
	if (!strcmp(mode, "e"))
		return inject_e();
	pr_err(TAG "unknown mode \"%s\" (a, c, d or e)\n", mode);
	return -EINVAL;
}
module_init(vt_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtriage test-dump state injector (ppc64le pseries)");
