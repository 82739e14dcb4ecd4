#!/usr/bin/python3
"""bench/bt (issue 13): `vmtriage bt --all` (every task's stack unwound)
next to drgn's loop over every thread's stack_trace() and crash's
`foreach bt` on the same dump and vmlinux: whole-process time and peak
RSS, as ratios (goal: vmtriage <= 1/10 of drgn's time). Run a build
without sanitizers: VMTRIAGE=./vmtriage-plain (make vmtriage-plain).
Usage: bench/bt.py [SCENARIO...]   (default: x86-basic, arm64-deb13-basic)
"""
import json
import os
import subprocess
import sys
import tempfile

from benchlib import VT, drgn_core, dumpdir, measure

DRGN_LOOP = """
import sys
from drgn.helpers.linux.pid import for_each_task
n = frames = failed = 0
for t in for_each_task(prog):
    n += 1
    try:
        frames += len(prog.stack_trace(t))
    except Exception:
        failed += 1
print(n, frames, failed, file=sys.stderr)
"""


def main():
    scenarios = sys.argv[1:] or ["x86-basic", "arm64-deb13-basic"]
    print(f"{'dump':30} {'tasks':>5} {'vt s':>6} {'MiB':>5} {'drgn s':>7} {'MiB':>5} "
          f"{'crash s':>7} {'MiB':>5} {'t/drgn':>7} {'t/crash':>7}")
    for sc in scenarios:
        d = dumpdir(sc)
        with open(os.path.join(d, "truth.json")) as f:
            arch = json.load(f)["arch"]
        fmt = "vmcore.kdump-zlib" if arch == "x86_64" else "vmcore.elf"
        dump, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
        out = subprocess.run([VT, "bt", "--all", "--json", dump, vmlinux],
                             stdout=subprocess.PIPE, check=True).stdout
        ntasks = len(json.loads(out)["tasks"])
        vt = measure([VT, "bt", "--all", dump, vmlinux], reps=3)
        # The dump alone (BTF and kallsyms in it): no DWARF lines, no symtab.
        alone = measure([VT, "bt", "--all", dump], reps=3) if arch == "x86_64" else None
        with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/var/tmp")) as tmp:
            core = drgn_core(d, dump, arch, tmp)
            script = os.path.join(tmp, "loop.py")
            with open(script, "w") as f:
                f.write(DRGN_LOOP)
            drgn = measure(["drgn", "-q", "-c", core, "-s", vmlinux, script], reps=1)
        crash = (float("nan"), 0)
        if arch == "x86_64":
            try:   # crash 8.0.2 may refuse kernels newer than it knows
                crash = measure(["crash", "-s", vmlinux, dump],
                                stdin="foreach bt > /dev/null\nquit\n", reps=1)
            except RuntimeError:
                pass
        print(f"{sc + '/' + fmt[7:]:30} {ntasks:5} {vt[0]:6.2f} {vt[1] / 1024:5.0f} "
              f"{drgn[0]:7.2f} {drgn[1] / 1024:5.0f} {crash[0]:7.2f} {crash[1] / 1024:5.0f} "
              f"{vt[0] / drgn[0]:7.3f} {vt[0] / crash[0]:7.3f}")
        if alone:
            print(f"{'  (dump alone, no vmlinux)':30} {ntasks:5} {alone[0]:6.2f} "
                  f"{alone[1] / 1024:5.0f} {'':7} {'':5} {'':7} {'':5} "
                  f"{alone[0] / drgn[0]:7.3f} {alone[0] / crash[0]:7.3f}")
    import benchlib   # every measure() above, into bench/results/bt.json
    benchlib.save("bt")


if __name__ == "__main__":
    main()
