#!/usr/bin/python3
"""bench/pgtables (issue 5): walk every process's page tables on one dump,
`vmtriage pgtables --json` against a drgn script doing the same walk
(x86_64 4-level: read each table physically, recurse into present
non-leaf entries). Time and peak RSS as ratios; nothing asserted.
Usage: bench/pgtables.py [SCENARIO] [FORMAT]  (default x86-hotplug vmcore.kdump-zlib)
"""
import os
import sys
import tempfile

from benchlib import REPS, VT, dumpdir, measure

DRGN_WALK = r'''
import struct, sys
from drgn.helpers.linux.pid import for_each_task
MASK = 0x000ffffffffff000
def walk(pa, level):
    n = 1
    data = prog.read(pa, 4096, True)
    if level == 3:
        return n
    for i, e in enumerate(struct.unpack("<512Q", data)):
        if level == 0 and i >= 256:
            break
        if not e & 1 or (level in (1, 2) and e & 0x80):
            continue
        n += walk(e & MASK, level + 1)
    return n
seen, tables = set(), 0
for task in for_each_task(prog):
    mm = task.mm.value_()
    if not mm or mm in seen:
        continue
    seen.add(mm)
    pgd = task.mm.pgd.value_() - prog["page_offset_base"].value_()
    tables += walk(pgd, 0)
print(len(seen), tables)
'''


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "x86-hotplug"
    fmt = sys.argv[2] if len(sys.argv) > 2 else "vmcore.kdump-zlib"
    d = dumpdir(scenario)
    dump, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
    with tempfile.NamedTemporaryFile("w", suffix=".py") as script:
        script.write(DRGN_WALK)
        script.flush()
        vt = measure([VT, "pgtables", dump, "--json"])[:2]
        drgn = measure(["drgn", "-q", "-c", dump, "-s", vmlinux, script.name])[:2]
    print(f"bench/pgtables on {scenario}/{fmt} (best of {REPS}): all processes' tables")
    print(f"{'':10} {'seconds':>8} {'peak MiB':>9}")
    print(f"{'vmtriage':10} {vt[0]:8.2f} {vt[1] / 1024:9.1f}")
    print(f"{'drgn':10} {drgn[0]:8.2f} {drgn[1] / 1024:9.1f}")
    print(f"ratio vmtriage/drgn: time {vt[0] / drgn[0]:.3f}, peak RSS {vt[1] / drgn[1]:.3f}")
    import benchlib   # every measure() above, into bench/results/pgtables.json
    benchlib.save("pgtables")


if __name__ == "__main__":
    main()
