#!/usr/bin/python3
"""bench/scale (issue 14, goal 4): `vmtriage report` and `memmap --json` on
simulated big machines, next to drgn's and crash's startup on the same dumps.

The dumps come from bench/scale/gen-scale.py (x86-basic's 1 GiB QEMU dump
grown to N GiB of RAM: every struct page present, the data pages holes of a
sparse ELF; cached under ${VMTRIAGE_SCALE_CACHE:-~/.cache/vmtriage/scale}).
Per size: seconds and peak RSS (best of BENCH_REPS), struct pages per
second, and seconds per GiB of present memory, which stays flat when the
cost is linear in present memory (issue 14: 1 TiB in < 60 s on 2 cores with
RSS < 256 MiB). drgn (vmcore.elf + vmlinux) and crash are measured where
they open the dump. Ratios only; nothing is asserted.

Usage: bench/scale.py [GIB...]   (default 64 256 1024; 1024 needs ~17 GiB of disk)
"""
import json
import os
import subprocess
import sys

import benchlib
from benchlib import REPS, TOP, VT, measure

GEN = os.path.join(TOP, "bench", "scale", "gen-scale.py")
SCENARIO = "x86-basic"


def scaled(gib):
    return subprocess.run([sys.executable, GEN, "--cached", SCENARIO, str(gib)],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.strip()


def peer(argv, stdin=None):
    """measure() of a peer that may refuse the dump: None then."""
    try:
        return measure(argv, stdin=stdin)
    except RuntimeError as e:
        print(f"  ({os.path.basename(argv[0])} cannot open it: {str(e)[-160:].strip()})")
        return None


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [64, 256, 1024]
    print(f"bench/scale: {SCENARIO} grown to {sizes} GiB (best of {REPS})")
    print(f"{'dump':16} {'run':22} {'seconds':>8} {'peak MiB':>9} {'pages/s':>12} "
          f"{'s/GiB':>8}")
    for gib in sizes:
        d = scaled(gib)
        dump, vmlinux = os.path.join(d, "vmcore.elf"), os.path.join(d, "vmlinux")
        doc = json.loads(subprocess.run([VT, "memmap", dump, "--json"], stdout=subprocess.PIPE,
                                        check=True, text=True).stdout)
        pages = doc["totals"]["valid_pfns"]
        present_gib = pages * 4096 / (1 << 30)
        rows = [("vmtriage report", measure([VT, "report", dump], ok=(0, 1))),
                ("vmtriage memmap --json", measure([VT, "memmap", dump, "--json"])),
                ("drgn startup", peer(["drgn", "-q", "-c", dump, "-s", vmlinux, "/dev/null"])),
                ("crash startup", peer(["crash", "-s", vmlinux, dump], stdin="quit\n"))]
        name = os.path.basename(d).rsplit("-", 1)[0]
        benchlib.record_work(name, "vmcore.elf", valid_pfns=pages)
        for what, r in rows:
            if r is None:
                continue
            print(f"{name:16} {what:22} {r[0]:8.2f} {r[1] / 1024:9.1f} {pages / r[0]:12.0f} "
                  f"{r[0] / present_gib:8.4f}")
    benchlib.save("scale")


if __name__ == "__main__":
    main()
