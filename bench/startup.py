#!/usr/bin/python3
"""bench/startup (issue 2): time and peak RSS to open a dump and be ready,
vmtriage against drgn and crash, on the same dump in one run.

  vmtriage info DUMP                 types and symbols from the dump (BTF, kallsyms)
  vmtriage info DUMP VMLINUX         + vmlinux (.BTF, lazy DWARF, symtab)
  vmtriage type --no-btf ... TYPE    one type from DWARF (lazy CU index)
  drgn -c DUMP -s VMLINUX /dev/null  drgn ready (DWARF indexed), empty script
  crash -s VMLINUX DUMP < quit       crash to its prompt

Reported as ratios (vmtriage / peer); nothing is asserted.
Usage: bench/startup.py [SCENARIO] [FORMAT]   (default x86-hotplug vmcore.kdump-zlib)
"""
import os
import subprocess
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
VT = os.environ.get("VMTRIAGE", os.path.join(TOP, "vmtriage"))
REPS = int(os.environ.get("BENCH_REPS", "3"))


def measure(argv, stdin=None):
    """Best of REPS: (seconds, peak RSS KiB), via GNU time."""
    best = None
    for _ in range(REPS):
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", *argv], input=stdin,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {proc.stderr[-400:]}")
        sec, rss = proc.stderr.strip().splitlines()[-1].split()
        cur = (float(sec), int(rss))
        best = cur if best is None or cur[0] < best[0] else best
    return best


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "x86-hotplug"
    fmt = sys.argv[2] if len(sys.argv) > 2 else "vmcore.kdump-zlib"
    d = subprocess.run([os.path.join(TOP, "testdata", "dumpdir"), scenario],
                       stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    dump, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
    types = ["page", "mem_section", "pglist_data", "zone", "mm_struct",
             "device_node", "property", "task_struct"]
    rows = {
        "vmtriage (BTF from dump)": measure([VT, "info", dump]),
        "vmtriage (vmlinux)": measure([VT, "info", dump, vmlinux]),
        # One process per type: each pays its own lazy CU scan.
        **{f"vmtriage (DWARF, {t})": measure(
            [VT, "type", "--no-btf", dump, vmlinux, "struct", t]) for t in types[:3] + types[-1:]},
        # drgn 0.0.22 has no -e: run an empty script once it is ready.
        "drgn": measure(["drgn", "-q", "-c", dump, "-s", vmlinux, "/dev/null"]),
        "crash": measure(["crash", "-s", vmlinux, dump], stdin="quit\n"),
    }
    print(f"bench/startup on {scenario}/{fmt} (best of {REPS})")
    print(f"{'':28} {'seconds':>8} {'peak MiB':>9} {'time/drgn':>10} {'rss/drgn':>9} {'time/crash':>10}")
    drgn, crash = rows["drgn"], rows["crash"]
    for name, (sec, rss) in rows.items():
        print(f"{name:28} {sec:8.2f} {rss / 1024:9.1f} {sec / drgn[0]:10.3f} "
              f"{rss / drgn[1]:9.3f} {sec / crash[0]:10.3f}")


if __name__ == "__main__":
    main()
