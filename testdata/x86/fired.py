"""x86_64 part of the fired runner (testdata/lib/run_fired.py).

x86-e-fired (and x86-FAMILY-e-fired): the guest of x86[-FAMILY]-e, whose
module poisoned the struct pages of 16 PG_reserved pfns (all 0xff, as an
uninitialized memmap reads); then a read of /proc/kpageflags over those
pfns: kpageflags_read() -> stable_page_flags() of a page whose
compound_head is ~0 follows it to 0xfffffffffffffffe and faults there
("BUG: unable to handle page fault for address: fffffffffffffffe", RIP in
stable_page_flags).

x86-b-conflict-fired: the guest of x86-b-conflict, whose module pointed a
sleeping process's pgd slot for the vmemmap (468) at a copy of init_mm's
vmemmap PUD page; the guest has DIMM slots here (the Mixin), and a DIMM is
hot-added (QMP device_add pc-dimm, ACPI): arch_add_memory ->
vmemmap_populate for the new struct pages -> sync_global_pgds(), which
finds init_top_pgt's slot and the process's slot present with different
pfns: BUG_ON ("kernel BUG at arch/x86/mm/init_64.c:N", RIP
sync_global_pgds), in the ACPI hotplug kworker, before the new memory
blocks exist (the recorded memory blocks and e820 stay the dump's).

panic_on_oops=1 makes the oops panic; pvpanic pauses QEMU as usual.
"""
import re

from qemu import StepError
from run_fired import kpageflags_trigger, verify_e

# latent scenario -> the class it fires
BASES = {"x86-e": "E", "x86-deb11-e": "E", "x86-deb13-e": "E", "x86-sid-e": "E",
         "x86-b-conflict": "B"}
PANIC_TIMEOUT = 60
# the death leaves the injected state as it was: x86/check-injection.py applies
ARCH_CHECK = "injection"
DIMM_SIZE = 256 << 20


class Mixin:
    def parse(self, scen):
        super().parse(scen)
        if BASES.get(scen) == "B":   # the hot-add that fires B needs a DIMM slot
            self.cfg = dict(self.cfg, mem="1G,slots=4,maxmem=4G")


def trigger(run):
    inj = run.truth["injection"]
    if run.truth["fired_class"] == "B":
        start, size, blocks = run.add_dimm(1, DIMM_SIZE, wait=False)
        return {"trigger": "QMP device_add pc-dimm dimm1 (ACPI memory hot-add)", "class": "B",
                "added": {"id": "dimm1", "start": hex(start), "size": hex(size), "blocks": blocks},
                "pgd_pa": inj["pgd_pa"], "slot": inj["index"],
                "expect": "kernel BUG at arch/x86/mm/init_64.c in sync_global_pgds "
                          "<- vmemmap_populate <- arch_add_memory"}
    return kpageflags_trigger(run, int(inj["pfn"], 16), int(inj["npfn"]))


def verify(run, death):
    if run.truth["fired_class"] != "B":
        verify_e(run, death)
        return
    ok = (death["bug_line"] and re.search(r"kernel BUG at arch/x86/mm/init_64\.c", death["bug_line"])
          and death["pc_line"] and "sync_global_pgds" in death["pc_line"]
          and "vmemmap_populate" in death["trace"] and death["panic_line"])
    if not ok:
        raise StepError("fire: verify", "the console does not show the class-B death (kernel BUG "
                        "at arch/x86/mm/init_64.c, RIP sync_global_pgds, vmemmap_populate in the "
                        f"trace, a panic): {death}")
