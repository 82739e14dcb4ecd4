// SPDX-License-Identifier: GPL-2.0
/*
 * vt_arm64_inject: make the state of bug class E (uninitialized struct pages
 * in memory holes) in an arm64 guest (Debian 6.1 and 6.12), for vmtriage's
 * test dumps.  See testdata/README.md ("arm64") and shared BUGCLASSES.md.
 *
 *   insmod vt_arm64_inject.ko mode=e pfn_start=0x.. pfn_count=N
 *       memset 0xff the struct pages of N pfns.  Every pfn must be
 *       pfn_valid, in an online memory section, and PG_reserved (the state
 *       a hole pfn of an early section has since v5.12, or a memblock
 *       reserved/NOMAP page); otherwise nothing is written (-EINVAL).
 *
 * Prints exactly one line "VT-INJECT {json}" describing what it changed;
 * the generator copies it into truth.json.  The module stays loaded; it has
 * no exit cleanup (the guest panics next).  One source for 6.1 and 6.12
 * (LINUX_VERSION_CODE conditionals where the kernels differ).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/version.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/memory_hotplug.h>
#include <asm/memory.h>

static char *mode = "";
module_param(mode, charp, 0444);
static unsigned long pfn_start, pfn_count;
module_param(pfn_start, ulong, 0444);
module_param(pfn_count, ulong, 0444);

#define TAG "VT-INJECT "
#define MAX_PFNS 64

/* The section of pfn is present, has a memmap and is online. */
static bool section_online(unsigned long pfn)
{
	unsigned long nr = pfn_to_section_nr(pfn);

	if (nr >= NR_MEM_SECTIONS || !present_section_nr(nr))
		return false;
	return online_section_nr(nr);
}

static int inject_e(void)
{
	unsigned long pfn, flags_before[MAX_PFNS], nb_lo = 0, nb_hi = 0;
	struct page *first;
	unsigned long nr;
	int i;

	if (!pfn_count || pfn_count > MAX_PFNS) {
		pr_err(TAG "mode e: need 1..%d pfns\n", MAX_PFNS);
		return -EINVAL;
	}
	for (pfn = pfn_start; pfn < pfn_start + pfn_count; pfn++) {
		if (!pfn_valid(pfn) || !section_online(pfn)) {
			pr_err(TAG "mode e: pfn %lx is not valid in an online section\n", pfn);
			return -EINVAL;
		}
		if (!PageReserved(pfn_to_page(pfn))) {
			pr_err(TAG "mode e: pfn %lx is not PG_reserved (flags %lx)\n", pfn,
			       pfn_to_page(pfn)->flags);
			return -EINVAL;
		}
	}
	first = pfn_to_page(pfn_start);
	for (i = 0; i < pfn_count; i++)
		flags_before[i] = first[i].flags;
	if (pfn_start && pfn_valid(pfn_start - 1))
		nb_lo = pfn_to_page(pfn_start - 1)->flags;
	if (pfn_valid(pfn_start + pfn_count))
		nb_hi = pfn_to_page(pfn_start + pfn_count)->flags;
	memset(first, 0xff, pfn_count * sizeof(struct page));

	nr = pfn_to_section_nr(pfn_start);
	pr_info(TAG "{\"mode\":\"e\",\"pfn_first\":\"0x%lx\",\"pfn_last\":\"0x%lx\",\"count\":%lu,"
		"\"struct_page_first\":\"0x%lx\",\"struct_page_size\":%zu,\"bytes\":%zu,"
		"\"fill\":\"0xff\",\"section\":%lu,\"early_section\":%d,"
		"\"flags_before_first\":\"0x%lx\",\"flags_before_last\":\"0x%lx\","
		"\"neighbour_below_flags\":\"0x%lx\",\"neighbour_above_flags\":\"0x%lx\","
		"\"vmemmap\":\"0x%lx\",\"page_offset\":\"0x%lx\",\"memstart_addr\":\"0x%llx\","
		"\"kimage_voffset\":\"0x%llx\",\"linux_version_code\":\"0x%x\"}\n",
		pfn_start, pfn_start + pfn_count - 1, pfn_count, (unsigned long)first,
		sizeof(struct page), pfn_count * sizeof(struct page), nr,
		early_section(__nr_to_section(nr)) ? 1 : 0,
		flags_before[0], flags_before[pfn_count - 1], nb_lo, nb_hi,
		(unsigned long)vmemmap, (unsigned long)PAGE_OFFSET,
		(unsigned long long)memstart_addr, (unsigned long long)kimage_voffset,
		LINUX_VERSION_CODE);
	return 0;
}

static int __init vt_init(void)
{
	if (!strcmp(mode, "e"))
		return inject_e();
	pr_err(TAG "unknown mode \"%s\" (e)\n", mode);
	return -EINVAL;
}
module_init(vt_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vmtriage test-dump state injector (arm64, class E)");
