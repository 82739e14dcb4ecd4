"""ppc64le pseries part of the fired runner (testdata/lib/run_fired.py).

ppc-a-fired (and ppc-FAMILY-a-fired): the guest of ppc[-FAMILY]-a, whose
module cleared PG_reserved and zeroed pt_frag_refcount of the init_mm PMD
table page that maps the linear map of the present dimm (dimm2); then that
dimm is hot-removed as ppc-hotplug removes dimm1 (QMP device_del: pseries
DLPAR removes its LMBs).  arch_remove_memory -> radix__remove_section_mapping
-> remove_pagetable empties the PMD table (dimm1's half of it went with
dimm1) and frees it: pmd_free -> pmd_fragment_free, whose
BUG_ON(atomic_read(&page->pt_frag_refcount) <= 0) fires ("kernel BUG at
arch/powerpc/mm/book3s64/pgtable.c:N!", NIP pmd_fragment_free), in the
DLPAR kworker.  panic_on_oops=1 makes it panic: ibm,os-term, QEMU pauses.

The death changes the state the latent checker reads: dimm2's linear map
is gone (the BUG is at the end of its removal; its struct pages stay
mapped: their 2 MiB vmemmap block also holds boot memory's) and the DLPAR
operation is in flight (drmem_info and the device tree disagree until its
end), so ppc64/check-injection.py does not apply; lib/check-fired.py checks
the table page instead (still pt_frag_refcount 0 and not reserved: the
BUG_ON is before the decrement; still linked from its PUD entry: before
pud_clear; and empty).  QEMU's translations taken before the removal that
the removal undid (dimm2's linear map) move from
truth.gva2gpa to truth.gva2gpa_undone_by_fire, and dimm2's memory blocks
(whose devices go first) from truth.memory_blocks to
memory_blocks_undone_by_fire: both stay what the dump holds.

ppc-d-fired: the guest of ppc-d, whose module dropped the pt_frag_refcount
of a sleeping process's PTE fragment page below its fragments in use (5
used, 250 cached, count 4); then the process is killed: exit_mmap ->
free_pgtables hands its PTE fragments to the mmu_gather, and
__tlb_remove_table -> pte_fragment_free drops one count each: the fourth
frees the page while a fragment is still to come, and the fifth finds the
count of a free page (its index, now the migratetype: 0) and hits
BUG_ON(atomic_read(&page->pt_frag_refcount) <= 0) ("kernel BUG at
arch/powerpc/mm/pgtable-frag.c:N!", NIP pte_fragment_free), usually in
the RCU callback that frees the batch.  The process's mm is gone from the
task list then, so ppc64/check-injection.py does not apply either.
"""
import re

from qemu import StepError

PAGE_OFFSET = 0xc000000000000000

BASES = {"ppc-a": "A", "ppc-deb13-a": "A", "ppc-deb13k64-a": "A", "ppc-d": "D"}
PANIC_TIMEOUT = 120


def trigger(run):
    if run.truth["fired_class"] == "D":
        return trigger_d(run)
    s2, z2, b2 = run.dimms[2]
    inj = run.truth["injection"]
    lo, hi = PAGE_OFFSET + s2, PAGE_OFFSET + s2 + z2
    keep, undone = [], []
    for e in run.truth["gva2gpa"]:
        (undone if lo <= int(e["va"], 16) < hi else keep).append(e)
    run.truth["gva2gpa"] = keep
    run.truth["gva2gpa_undone_by_fire"] = undone
    # its memory blocks: try_remove_memory() removes the block devices
    # before the page tables (the BUG comes with the last LMB's)
    blocks = run.truth["memory_blocks"]
    run.truth["memory_blocks"] = [b for b in blocks if b["index"] not in b2]
    run.truth["memory_blocks_undone_by_fire"] = [b for b in blocks if b["index"] in b2]
    run.vm.qmp.cmd("device_del", {"id": "dimm2"}, step="fire: device_del dimm2")
    return {"trigger": "QMP device_del dimm2 (pseries DLPAR memory remove)", "class": "A",
            "removed": {"id": "dimm2", "start": hex(s2), "size": hex(z2), "blocks": b2},
            "table_pa": inj["table_pa"], "table_page": inj["page"],
            "expect": "kernel BUG in pmd_fragment_free <- remove_pagetable (pt_frag_refcount 0)"}


def trigger_d(run):
    inj = run.truth["injection"]
    # no wait: the kernel may die before the shell prints its prompt
    run.g.send_nowait(f"kill -9 {inj['pid']}")
    return {"trigger": f"kill -9 {inj['pid']} ({inj['comm']}, the injected mm)", "class": "D",
            "table_page": inj["page"], "pfn": inj["pfn"],
            "expect": "kernel BUG in pte_fragment_free <- __tlb_remove_table (pt_frag_refcount "
                      "of the freed fragment page)"}


def verify_d(death):
    path = set(death["trace"]) | {re.sub(r"\+.*", "", (death.get("lr_line") or "").split("] ")[-1])}
    ok = (death["bug_line"] and re.search(r"kernel BUG at arch/powerpc/mm/", death["bug_line"])
          and death["pc_line"] and "pte_fragment_free" in death["pc_line"]
          and path & {"__tlb_remove_table", "tlb_remove_table_rcu", "free_pgtables",
                      "tlb_remove_table"} and death["panic_line"])
    if not ok:
        raise StepError("fire: verify", "the console does not show the class-D death (kernel BUG "
                        "at arch/powerpc/mm/..., NIP pte_fragment_free from the table free path, "
                        f"a panic): {death}")


def verify(run, death):
    if run.truth["fired_class"] == "D":
        verify_d(death)
        return
    ok = (death["bug_line"] and re.search(r"kernel BUG at arch/powerpc/mm/", death["bug_line"])
          and death["pc_line"] and "pmd_fragment_free" in death["pc_line"] and death["panic_line"])
    if not ok:
        raise StepError("fire: verify", "the console does not show the class-A death (kernel BUG "
                        f"at arch/powerpc/mm/..., NIP pmd_fragment_free, a panic): {death}")
