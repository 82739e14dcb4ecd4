#!/usr/bin/python3
"""bench/startup (issue 2): time and peak RSS to open a dump and be ready,
vmtriage against drgn and crash, on the same dump in one run.

  vmtriage info DUMP                 types and symbols from the dump (BTF, kallsyms)
  vmtriage info DUMP VMLINUX         + vmlinux (.BTF, lazy DWARF, symtab)
  vmtriage type DUMP struct page     startup to a type answered, BTF from the dump
  vmtriage type --no-btf ... TYPE    one type from DWARF (lazy CU index)
  drgn -c DUMP -s VMLINUX /dev/null  drgn ready (DWARF indexed), empty script
  crash -s VMLINUX DUMP < quit       crash to its prompt

Reported as ratios (vmtriage / peer); nothing is asserted.
Usage: bench/startup.py [SCENARIO] [FORMAT]   (default x86-hotplug vmcore.kdump-zlib)
Issue 14's goal 2 (types answered <= 1/5 of drgn's startup):
       bench/startup.py x86-basic vmcore.kdump-d31; bench/startup.py x86-basic vmcore.elf
"""
import os
import sys

from benchlib import REPS, VT, dumpdir, measure


def main():
    scenario = sys.argv[1] if len(sys.argv) > 1 else "x86-hotplug"
    fmt = sys.argv[2] if len(sys.argv) > 2 else "vmcore.kdump-zlib"
    d = dumpdir(scenario)
    dump, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
    types = ["page", "mem_section", "pglist_data", "zone", "mm_struct",
             "device_node", "property", "task_struct"]
    rows = {
        "vmtriage (BTF from dump)": measure([VT, "info", dump])[:2],
        "vmtriage (vmlinux)": measure([VT, "info", dump, vmlinux])[:2],
        "vmtriage (BTF, type page)": measure([VT, "type", dump, "struct", "page"])[:2],
        # One process per type: each pays its own lazy CU scan.
        **{f"vmtriage (DWARF, {t})": measure(
            [VT, "type", "--no-btf", dump, vmlinux, "struct", t])[:2] for t in types[:3] + types[-1:]},
        # drgn 0.0.22 has no -e: run an empty script once it is ready.
        "drgn": measure(["drgn", "-q", "-c", dump, "-s", vmlinux, "/dev/null"])[:2],
        "crash": measure(["crash", "-s", vmlinux, dump], stdin="quit\n")[:2],
    }
    print(f"bench/startup on {scenario}/{fmt} (best of {REPS})")
    print(f"{'':28} {'seconds':>8} {'peak MiB':>9} {'time/drgn':>10} {'rss/drgn':>9} {'time/crash':>10}")
    drgn, crash = rows["drgn"], rows["crash"]
    for name, (sec, rss) in rows.items():
        print(f"{name:28} {sec:8.2f} {rss / 1024:9.1f} {sec / drgn[0]:10.3f} "
              f"{rss / drgn[1]:9.3f} {sec / crash[0]:10.3f}")
    import benchlib   # every measure() above, into bench/results/startup.json
    benchlib.save("startup")


if __name__ == "__main__":
    main()
