#!/usr/bin/python3
"""bench/report (issue 7): time and peak RSS of `vmtriage report` on each
real dump, next to drgn's and crash's startup on the same dump (what a
support engineer pays before typing the first command). Ratios only.
Usage: bench/report.py [SCENARIO[:FORMAT,...]...]   (default: the x86 6.1 scenarios)
       bench/report.py x86-deb11-e x86-deb13-e x86-sid-e ppc-deb13-e arm64-deb13-e ...
       bench/report.py x86-hotplug:vmcore.kdump-d31,vmcore.elf
       BENCH_FORMATS=vmcore.kdump-d31,vmcore.elf bench/report.py x86-basic x86-hotplug
x86_64 runs on vmcore.kdump-zlib, except x86-basic: also on vmcore.kdump-d31
and vmcore.elf (issue 14's goal 1: report vs drgn's bare startup on the -d31
and ELF dumps), best of BENCH_REPS; FORMATs (x86 only, the dump alone) or
BENCH_FORMATS name others. Other scenarios: best of 1 run.
"""
import json
import os
import sys
import tempfile

from benchlib import REPS, VT, drgn_core, dumpdir, measure

FORMATS = [f for f in os.environ.get("BENCH_FORMATS", "").split(",") if f]
# The dump issue 14's goals name, on each format they name.
GOAL_FORMATS = {"x86-basic": ["vmcore.kdump-zlib", "vmcore.kdump-d31", "vmcore.elf"]}


def main():
    scenarios = sys.argv[1:] or ["x86-basic", "x86-hotplug", "x86-b-latent", "x86-e"]
    print(f"{'dump':34} {'report s':>8} {'MiB':>6} {'drgn s':>7} {'MiB':>6} "
          f"{'crash s':>7} {'MiB':>6} {'t/drgn':>7} {'t/crash':>7}")
    for arg in scenarios:
        sc, _, asked = arg.partition(":")
        d = dumpdir(sc)
        with open(os.path.join(d, "truth.json")) as f:
            arch = json.load(f)["arch"]
        # x86_64: the kdump alone (BTF and kallsyms in the dump); elsewhere
        # the ELF (ppc64 4K and arm64 6.12 kdumps are incomplete or absent)
        # with the vmlinux (no data symbols in their kallsyms).
        fmts = ["vmcore.kdump-zlib" if arch == "x86_64" else "vmcore.elf"]
        chosen = asked.split(",") if asked else FORMATS or GOAL_FORMATS.get(sc)
        if chosen and arch == "x86_64":
            fmts = chosen
        for fmt in fmts:
            one(sc, d, arch, fmt, REPS if chosen else 1)
    import benchlib   # every measure() above, into bench/results/report.json
    benchlib.save("report")


def one(sc, d, arch, fmt, reps):
    """One dump: report, drgn's and crash's startup, best of reps each."""
    dump, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
    args = [dump] if arch == "x86_64" else [dump, vmlinux]
    vt = measure([VT, "report", *args], ok=(0, 1), reps=reps)
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/var/tmp")) as tmp:
        core = drgn_core(d, dump, arch, tmp)
        drgn = measure(["drgn", "-q", "-c", core, "-s", vmlinux, "/dev/null"], reps=reps)
    crash = (float("nan"), 0)
    if arch == "x86_64":
        try:   # crash 8.0.2 predates 6.12's module layout: it may refuse
            crash = measure(["crash", "-s", vmlinux, dump], stdin="quit\n", reps=reps)
        except RuntimeError:
            pass
    name = f"{sc}/{fmt[7:]}"
    print(f"{name:34} {vt[0]:8.2f} {vt[1] / 1024:6.0f} {drgn[0]:7.2f} "
          f"{drgn[1] / 1024:6.0f} {crash[0]:7.2f} {crash[1] / 1024:6.0f} "
          f"{vt[0] / drgn[0]:7.3f} {vt[0] / crash[0]:7.3f}")


if __name__ == "__main__":
    main()
