// SPDX-License-Identifier: GPL-2.0
/*
 * vtinject: create the exact kernel state of vmtriage's bug classes B and E
 * in a running x86_64 guest (where the bugs themselves are fixed), so that
 * the test dumps taken right after contain it.  See shared/BUGCLASSES.md,
 * "Making each state in a real dump".
 *
 * ONE source for every kernel of the x86 matrix (testdata/pins.sh: Debian's
 * 5.10, 6.1, 6.12 and 7.x), built against each one's headers; version
 * differences are LINUX_VERSION_CODE conditionals below (page->flags is a
 * memdesc_flags_t from 6.18 on).  Everything else it uses (find_get_pid,
 * get_pid_task, get_task_mm, pfn_to_online_page, page_offset_base,
 * vmemmap_base, pgtable_l5_enabled, LDT_BASE_ADDR) is the same from 5.10
 * to 7.x.  It takes no mmap lock: it changes one kernel-half pgd entry (no
 * VMA, no user mapping) or struct pages of reserved pfns.
 *
 *   insmod vtinject.ko mode=b-latent   pid=PID kpgd=0xADDR [index=N]
 *   insmod vtinject.ko mode=b-conflict pid=PID kpgd=0xADDR
 *   insmod vtinject.ko mode=e          pfn=0xPFN [npfn=16]
 *
 * kpgd is the address of init_top_pgt, read by the generator from the
 * guest's /proc/kallsyms (the symbol is not exported).
 *
 * b-latent:   in PID's pgd (the kernel page, task->mm->pgd; with PTI the
 *             user copy is the next page and never holds kernel entries),
 *             set a kernel-half entry that is none in init_top_pgt to a
 *             freshly allocated zeroed page (_KERNPG_TABLE flags).
 * b-conflict: copy the PUD page that init_top_pgt's vmemmap entry points to
 *             and point PID's vmemmap entry at the copy (same translations,
 *             different pfn).
 * e:          memset to 0xff the struct pages of npfn consecutive pfns that
 *             must each be online (early section) and PG_reserved, e.g. the
 *             e820 "reserved" tail below 4 GiB.
 *
 * Each mode prints exactly ONE line, "vtinject: mode=... key=value ...",
 * that the generator copies into truth.json "injection".  Values: decimal
 * for counts/pids/indexes, 0x-hex for addresses, entries and pfns.
 * The module stays loaded (its text is a handy vmalloc address).
 */
#include <linux/module.h>
#include <linux/version.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/pid.h>
#include <linux/memory_hotplug.h>
#include <linux/string.h>
#include <asm/pgtable.h>

static char *mode = "";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "b-latent | b-conflict | e");
static int pid;
module_param(pid, int, 0444);
MODULE_PARM_DESC(pid, "b-*: pid of a (sleeping) user process");
static unsigned long kpgd;
module_param(kpgd, ulong, 0444);
MODULE_PARM_DESC(kpgd, "b-*: address of init_top_pgt (from /proc/kallsyms)");
static int index = -1;
module_param(index, int, 0444);
MODULE_PARM_DESC(index, "b-latent: pgd index to use (default: first free one after the direct map's)");
static unsigned long pfn;
module_param(pfn, ulong, 0444);
MODULE_PARM_DESC(pfn, "e: first pfn");
static int npfn = 16;
module_param(npfn, int, 0444);
MODULE_PARM_DESC(npfn, "e: number of pfns");

static struct mm_struct *get_mm_of(int nr, char *comm)
{
	struct pid *p = find_get_pid(nr);
	struct task_struct *t;
	struct mm_struct *mm = NULL;

	if (!p)
		return NULL;
	t = get_pid_task(p, PIDTYPE_PID);
	put_pid(p);
	if (!t)
		return NULL;
	strscpy(comm, t->comm, TASK_COMM_LEN);
	mm = get_task_mm(t);
	put_task_struct(t);
	return mm;
}

static int inject_b(bool conflict)
{
	pgd_t *k = (pgd_t *)kpgd, *u;
	struct mm_struct *mm;
	char comm[TASK_COMM_LEN];
	int ldt = pgd_index(LDT_BASE_ADDR), i;
	unsigned long page, kent, old, new;

	if (pgtable_l5_enabled()) {
		pr_err("vtinject: 5-level paging not supported\n");
		return -EOPNOTSUPP;
	}
	if (!kpgd) {
		pr_err("vtinject: kpgd (init_top_pgt) not given\n");
		return -EINVAL;
	}
	mm = get_mm_of(pid, comm);
	if (!mm) {
		pr_err("vtinject: pid %d has no mm\n", pid);
		return -ESRCH;
	}
	u = mm->pgd;
	/* sanity: kpgd must look like the reference pgd (init_mm is not
	 * exported): same present direct-map entry as the process's pgd */
	i = pgd_index(page_offset_base);
	if (!(pgd_val(k[i]) & _PAGE_PRESENT) || pgd_val(k[i]) != pgd_val(u[i])) {
		pr_err("vtinject: kpgd=0x%lx does not look like init_top_pgt\n", kpgd);
		goto fail;
	}

	if (conflict) {
		i = pgd_index(vmemmap_base);
	} else if (index >= 0) {
		i = index;
	} else {
		/* first index after the direct map's first slot that is none in
		 * init_top_pgt and in the process's pgd (skipping the LDT slot).
		 * Raw values: with 4-level paging at run time on a 5-level
		 * capable kernel, pgd_none() is constant 0 (p4d is folded). */
		for (i = pgd_index(page_offset_base) + 1; i < PTRS_PER_PGD; i++)
			if (i != ldt && !pgd_val(k[i]) && !pgd_val(u[i]))
				break;
	}
	if (i < KERNEL_PGD_BOUNDARY || i >= PTRS_PER_PGD || i == ldt) {
		pr_err("vtinject: bad pgd index %d\n", i);
		goto fail;
	}
	kent = pgd_val(k[i]);
	old = pgd_val(u[i]);
	if (conflict ? !(kent & _PAGE_PRESENT) || kent != old : kent || old) {
		pr_err("vtinject: unexpected entries at %d: init 0x%lx process 0x%lx\n", i, kent, old);
		goto fail;
	}

	page = get_zeroed_page(GFP_KERNEL);
	if (!page)
		goto fail;
	if (conflict) {
		memcpy((void *)page, __va(kent & PTE_PFN_MASK), PAGE_SIZE);
		new = __pa(page) | (kent & ~PTE_PFN_MASK);
	} else {
		new = __pa(page) | _KERNPG_TABLE;
	}
	/* kernel-half entry of the kernel pgd page: PTI does not mirror it */
	WRITE_ONCE(*(unsigned long *)&u[i], new);

	pr_info("vtinject: mode=%s pid=%d comm=%s mm=0x%lx pgd=0x%lx pgd_pa=0x%lx index=%d va=0x%lx ldt_index=%d init_top_pgt=0x%lx init_entry=0x%lx init_pfn=0x%lx old=0x%lx new=0x%lx new_pfn=0x%lx\n",
		mode, pid, comm, (unsigned long)mm, (unsigned long)u, __pa(u), i,
		(unsigned long)i << PGDIR_SHIFT | 0xffff000000000000UL, ldt,
		kpgd, kent, (kent & PTE_PFN_MASK) >> PAGE_SHIFT, old, new,
		(new & PTE_PFN_MASK) >> PAGE_SHIFT);
	mmput(mm);
	return 0;
fail:
	mmput(mm);
	return -EINVAL;
}

/* page->flags as an unsigned long (6.18: memdesc_flags_t { unsigned long f; }) */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 18, 0)
#define VT_PAGE_FLAGS(pg) ((pg)->flags.f)
#else
#define VT_PAGE_FLAGS(pg) ((pg)->flags)
#endif

static int inject_e(void)
{
	unsigned long p;
	struct page *pg, *first;
	unsigned long old_flags;

	if (!pfn || npfn <= 0 || npfn > 4096)
		return -EINVAL;
	for (p = pfn; p < pfn + npfn; p++) {
		pg = pfn_to_online_page(p);
		if (!pg || !PageReserved(pg)) {
			pr_err("vtinject: pfn 0x%lx is not an online PG_reserved pfn\n", p);
			return -EINVAL;
		}
	}
	first = pfn_to_page(pfn);
	old_flags = VT_PAGE_FLAGS(first);
	for (p = pfn; p < pfn + npfn; p++)
		memset(pfn_to_page(p), 0xff, sizeof(struct page));

	pr_info("vtinject: mode=e pfn=0x%lx npfn=%d pfn_end=0x%lx page=0x%lx page_end=0x%lx struct_page_size=%zu old_flags=0x%lx section=%lu vmemmap_base=0x%lx\n",
		pfn, npfn, pfn + npfn, (unsigned long)first,
		(unsigned long)pfn_to_page(pfn + npfn), sizeof(struct page),
		old_flags, pfn_to_section_nr(pfn), vmemmap_base);
	return 0;
}

static int __init vtinject_init(void)
{
	if (!strcmp(mode, "b-latent"))
		return inject_b(false);
	if (!strcmp(mode, "b-conflict"))
		return inject_b(true);
	if (!strcmp(mode, "e"))
		return inject_e();
	pr_err("vtinject: unknown mode \"%s\"\n", mode);
	return -EINVAL;
}

static void __exit vtinject_exit(void)
{
}

module_init(vtinject_init);
module_exit(vtinject_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtriage test-state injector (bug classes B and E)");
