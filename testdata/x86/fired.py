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
import re

from qemu import StepError

# latent scenario -> the class it fires
BASES = {"x86-e": "E", "x86-deb11-e": "E", "x86-deb13-e": "E", "x86-sid-e": "E"}
PANIC_TIMEOUT = 60
# the death leaves the injected state as it was: x86/check-injection.py applies
ARCH_CHECK = "injection"


def trigger(run):
    inj = run.truth["injection"]
    pfn, n = int(inj["pfn"], 16), int(inj["npfn"])
    # one 8-byte entry per pfn: dd's skip counts blocks of bs
    cmd = f"dd if=/proc/kpageflags of=/dev/null bs=8 skip={pfn} count={n}"
    run.g.send_nowait(f"sh -c 'echo \"@@VT-PANICPID $$\"; exec {cmd}'")
    while True:
        line = run.g.readline(30, "fire: read the reader's pid")
        if line.startswith("@@VT-PANICPID"):
            pid = int(line.split()[1])
            break
    return {"trigger": cmd, "class": "E", "pfns": [hex(pfn), hex(pfn + n - 1)],
            "expect": "page fault at fffffffffffffffe in stable_page_flags <- kpageflags_read",
            "panic_pid": pid}


def verify(run, death):
    """The guest died of the class, not of something else."""
    ok = (death["oops_line"] and re.search(r"fffffffffffffffe", death["oops_line"])
          and death["pc_line"] and "stable_page_flags" in death["pc_line"]
          and "kpageflags_read" in death["trace"] and death["panic_line"])
    if not ok:
        raise StepError("fire: verify", "the console does not show the class-E death "
                        f"(fault at fffffffffffffffe, RIP stable_page_flags, kpageflags_read "
                        f"in the trace, a panic): {death}")
