"""arm64 part of the fired runner (testdata/lib/run_fired.py).

arm64-FAMILY-e-fired: the guest of arm64-FAMILY-e (UEFI + ACPI), whose
module poisons 16 PG_reserved struct pages of section 0 (all 0xff); then a
read of /proc/kpageflags over those pfns: stable_page_flags() follows
compound_head ~0 to 0xfffffffffffffffe ("Unable to handle kernel paging
request at virtual address fffffffffffffffe", pc in stable_page_flags).
panic_on_oops=1 makes the oops panic; no pvpanic on arm64: the runner
waits for the end of the panic on the console and stops the VM, as the
latent scenarios do.

The pfns differ from arm64-FAMILY-e's: that scenario poisons the last 16
pfns of the 64 MiB hole at 0 (0x3ff0..0x3fff), and a kpageflags read of
those does not fault: kpageflags_read() takes pfn_to_online_page(), which
also needs pfn_section_valid() -- the subsection map (2 MiB granules) is
set only for memblock.memory ranges, and no byte of 0x03e00000-0x03ffffff
is one, so the read answers KPF_NOPAGE and never touches the struct page
(tried: the guest lived; truth.fired.hole_kpageflags records the value read
for the hole's first candidate pfn).  The fired variant poisons instead the
first 16 pfns of the memory range right above the hole (the EDK2 flash at
0x04000000, in memblock.memory as NOMAP: PG_reserved, present, online and
subsection-valid), which kpageflags does read.
"""
from qemu import StepError
from run_fired import kpageflags_trigger, verify_e

BASES = {"arm64-deb12-e": "E", "arm64-deb13-e": "E"}
PANIC_TIMEOUT = 60
# the death leaves the injected state as it was: arm64/check-injection.py applies
ARCH_CHECK = "injection"
KPF_NOPAGE = 20


class Mixin:
    def pick_e_pfns(self):
        hole = super().pick_e_pfns()
        if not hole:
            return hole
        self.e_hole = hole
        first = (int(hole["hole"][1], 16) + 1) >> 12
        return {"pfn_first": hex(first), "count": hole["count"],
                "section": first >> (self.section_bits - 12),
                "hole_candidate": hole,
                "why": "first pfns of the memory range right above the latent scenario's hole "
                       "(NOMAP firmware memory: PG_reserved, subsection-valid, so kpageflags reads "
                       "its struct pages; the hole's own pfns answer KPF_NOPAGE)"}


def trigger(run):
    inj = run.truth["injection"]
    hole = int(run.e_hole["pfn_first"], 16)
    v = run.g.run(f"dd if=/proc/kpageflags bs=8 skip={hole} count=1 2>/dev/null | od -An -v -tx1",
                  step="fire: kpageflags of a hole pfn").split()
    if len(v) != 8:
        raise StepError("fire: kpageflags of a hole pfn", f"read {v!r}, not 8 bytes")
    val = int.from_bytes(bytes(int(b, 16) for b in v), "little")
    info = kpageflags_trigger(run, int(inj["pfn_first"], 16), int(inj["count"]))
    info["hole_kpageflags"] = {"pfn": hex(hole), "value": hex(val),
                               "nopage": bool(val >> KPF_NOPAGE & 1)}
    return info


def verify(run, death):
    verify_e(run, death)
