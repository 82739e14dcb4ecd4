"""x86_64 part of the fired runner (testdata/lib/run_fired.py).

x86-e-fired (and x86-FAMILY-e-fired): the guest of x86[-FAMILY]-e, whose
module poisoned the struct pages of 16 PG_reserved pfns (all 0xff, as an
uninitialized memmap reads); then a read of /proc/kpageflags over those
pfns: kpageflags_read() -> stable_page_flags() of a page whose
compound_head is ~0 follows it to 0xfffffffffffffffe and faults there
("BUG: unable to handle page fault for address: fffffffffffffffe", RIP in
stable_page_flags).  panic_on_oops=1 makes the oops panic; pvpanic pauses
QEMU as usual.
"""
from run_fired import kpageflags_trigger, verify_e

# latent scenario -> the class it fires
BASES = {"x86-e": "E", "x86-deb11-e": "E", "x86-deb13-e": "E", "x86-sid-e": "E"}
PANIC_TIMEOUT = 60
# the death leaves the injected state as it was: x86/check-injection.py applies
ARCH_CHECK = "injection"


def trigger(run):
    inj = run.truth["injection"]
    return kpageflags_trigger(run, int(inj["pfn"], 16), int(inj["npfn"]))


def verify(run, death):
    verify_e(run, death)
