#!/usr/bin/python3
"""Validity check of a kdump scenario (lib/gen-variant.sh, lib/run_kdump.py):
the capture kernel really saved the crashed kernel, as kexec set it up.

usage: check-kdump.py DIR

Checks (truth.json "kdump", recorded in the guest):
  * a crash kernel was loaded (/sys/kernel/kexec_crash_loaded) and the
    capture kernel's copy of /proc/vmcore ended well (dd's status);
  * vmcore.kdump-elf's PT_LOADs are the ones kexec put in the elfcorehdr
    (its -d output: "Elf header: p_type = 1 ... p_paddr ... p_filesz"): the
    same physical ranges, in the file as the capture kernel exported them;
  * the "Crash kernel" reservation (/proc/iomem; powerpc: /chosen) is in
    none of them, but for pseries's RTAS region (kexec-tools adds it back);
  * drgn reads the captured vmcore with the vmlinux: the release, and the
    task that wrote sysrq-c is there with the name the panic header gave
    (truth.panic_pid, kdump.panic_comm);
  * -stale: the dimm removed after the load is still in the elfcorehdr
    (kexec was not reloaded), and absent from QEMU's dump, taken after
    the removal.
Exit 0: all match; 1 with the failed checks named.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dumpcheck  # noqa: E402  (exits with a message without python3-drgn)
from dumpcheck import h, need, release  # noqa: E402

# e_machine by the guest's arch (truth.json "arch" is uname -m)
EM = {"x86_64": 62, "ppc64le": 21, "aarch64": 183}


def kexec_loads(lines):
    """(paddr, filesz) of the PT_LOADs kexec -d says it wrote."""
    loads = []
    for ln in lines:
        m = re.search(r"p_type = 1, p_offset = 0x[0-9a-f]+ p_paddr = (0x[0-9a-f]+) "
                      r"p_vaddr = 0x[0-9a-f]+ p_filesz = (0x[0-9a-f]+)", ln)
        if m:
            loads.append((int(m.group(1), 16), int(m.group(2), 16)))
    return sorted(loads)


def run(s):
    t = s.truth
    kd = t.get("kdump")
    need(kd, "truth.json has no 'kdump' (not a kdump scenario)")
    s.check(kd.get("loaded") is True, "a crash kernel was loaded (kexec_crash_loaded 1)")
    s.check(kd.get("capture_rc") == 0, f"the capture kernel's dd of /proc/vmcore exited {kd.get('capture_rc')}")
    machine = EM[t["arch"]]
    cap = dumpcheck.ElfCore(s.path("vmcore.kdump-elf"), machine)
    got = sorted((pa, sz) for pa, sz, _ in cap.loads)
    want = kexec_loads(kd["kexec"])
    s.check(want and got == want, f"vmcore.kdump-elf's {len(got)} PT_LOADs are kexec's elfcorehdr: "
            f"{[(hex(a), hex(b)) for a, b in got]} vs {[(hex(a), hex(b)) for a, b in want]}")
    ck_lo, ck_hi = h(kd["crashkernel"]["start"]), h(kd["crashkernel"]["end"]) + 1
    inside = [(pa, sz) for pa, sz in got if pa < ck_hi and ck_lo < pa + sz]
    if "rtas" in kd:
        # pseries: kexec-tools dumps the RTAS region (in the reservation),
        # rounded out to the page, and nothing else of it
        r_lo = h(kd["rtas"]["start"])
        r_hi = r_lo + h(kd["rtas"]["size"])
        inside = [(pa, sz) for pa, sz in inside
                  if not (pa <= r_lo and r_hi <= pa + sz and sz <= (r_hi - r_lo) + 2 * 0x10000)]
    s.check(not inside, f"the crash kernel's reservation 0x{ck_lo:x}-0x{ck_hi - 1:x} is not dumped"
            + (" (but RTAS)" if "rtas" in kd else "") + f": {[(hex(a), hex(b)) for a, b in inside]}")
    size = os.path.getsize(s.path("vmcore.kdump-elf"))
    s.check(size == kd["vmcore_size"], f"the copy is /proc/vmcore's {kd['vmcore_size']} bytes ({size})")
    prog = s.prog("vmcore.kdump-elf")
    s.check(release(prog) == t["kernel_release"], f"release {t['kernel_release']}")
    pid = t.get("panic_pid")
    if pid is not None:     # the shell that wrote sysrq-c (drgn cannot read QEMU's plain ELF)
        from drgn.helpers.linux.pid import find_task
        task = find_task(prog, pid)
        comm = kd.get("panic_comm", "")
        s.check(bool(task) and task.comm.string_().decode() == comm,
                f"the task that wrote sysrq-c, pid {pid}, is {comm!r} in the captured vmcore")
    removed = kd.get("removed")
    if removed:
        lo, hi = h(removed["start"]), h(removed["start"]) + h(removed["size"])
        s.check(any(pa <= lo and hi <= pa + sz for pa, sz in got),
                f"the removed dimm 0x{lo:x}-0x{hi - 1:x} is still in the elfcorehdr (stale)")
        q = dumpcheck.ElfCore(s.path("vmcore.elf"), machine)
        s.check(not any(pa < hi and lo < pa + sz for pa, sz, _ in q.loads),
                "QEMU's dump, taken after the removal, has no memory there")
    if not s.failures:
        print(f"check-kdump: {s.name}: {len(got)} PT_LOADs as kexec wrote them, "
              f"{size >> 20} MiB captured")


if __name__ == "__main__":
    dumpcheck.main(run)
