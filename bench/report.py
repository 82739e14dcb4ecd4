#!/usr/bin/python3
"""bench/report (issue 7): time and peak RSS of `vmtriage report` on each
real dump, next to drgn's and crash's startup on the same dump (what a
support engineer pays before typing the first command). Ratios only.
Usage: bench/report.py [SCENARIO...]   (default: the x86 scenarios)
"""
import os
import sys

from benchlib import VT, dumpdir, measure


def main():
    scenarios = sys.argv[1:] or ["x86-basic", "x86-hotplug", "x86-b-latent", "x86-e"]
    print(f"{'dump':34} {'report s':>8} {'MiB':>6} {'drgn s':>7} {'MiB':>6} "
          f"{'crash s':>7} {'MiB':>6} {'t/drgn':>7} {'t/crash':>7}")
    for sc in scenarios:
        d = dumpdir(sc)
        dump, vmlinux = os.path.join(d, "vmcore.kdump-zlib"), os.path.join(d, "vmlinux")
        args = [dump, vmlinux] if sc.startswith("ppc") else [dump]
        vt = measure([VT, "report", *args], ok=(0, 1), reps=1)
        drgn = measure(["drgn", "-q", "-c", dump, "-s", vmlinux, "/dev/null"], reps=1)
        crash = measure(["crash", "-s", vmlinux, dump], stdin="quit\n", reps=1) \
            if not sc.startswith("ppc") else (float("nan"), 0)
        print(f"{sc + '/kdump-zlib':34} {vt[0]:8.2f} {vt[1] / 1024:6.0f} {drgn[0]:7.2f} "
              f"{drgn[1] / 1024:6.0f} {crash[0]:7.2f} {crash[1] / 1024:6.0f} "
              f"{vt[0] / drgn[0]:7.3f} {vt[0] / crash[0]:7.3f}")


if __name__ == "__main__":
    main()
