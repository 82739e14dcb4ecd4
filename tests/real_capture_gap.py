#!/usr/bin/python3
"""An ELF dump that lacks hot-added memory (issue 17 item 2), as a capture
kernel writes it when its elfcorehdr was built before the hot-add (the
crash kernel not reloaded on the hotplug event: class C's stale capture
setup).

Copies of real ELF dumps of the hotplug scenarios (x86_64, ppc64 pseries,
arm64) have the PT_LOAD(s) over the hot-added, online dimm (truth.json
hotplug.present) turned into PT_NULL, so the file holds everything but
that memory. Then:
  * `report --json`'s dump.ram_coverage names exactly that range, marked
    hot-added, and the text report warns about it (the range, "hot-added",
    class C); the untouched dump is checked and misses nothing;
  * every verdict is the full dump's or unknown: never a fired/latent the
    full dump lacks;
  * a kdump-compressed dump says it cannot tell (checked false, why).
The expected range comes from the guest's record (QEMU's query-memory-
devices), not from vmtriage.
"""
import json
import os
import shutil
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_capture_gap")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["x86-hotplug", "ppc-hotplug", "arm64-deb12-hotplug"]
PT_LOAD, PT_NULL = 1, 0


def drop_loads(path, lo, hi):
    """PT_NULL every PT_LOAD whose physical range lies in [lo, hi); the
    number dropped."""
    n = 0
    with open(path, "r+b") as f:
        ident = f.read(64)
        end = "<" if ident[5] == 1 else ">"
        phoff, = struct.unpack_from(end + "Q", ident, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", ident, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            ph = f.read(phentsize)
            typ, = struct.unpack_from(end + "I", ph, 0)
            paddr, filesz = struct.unpack_from(end + "QQ", ph, 24)[0], struct.unpack_from(end + "Q", ph, 32)[0]
            if typ == PT_LOAD and lo <= paddr and paddr + filesz <= hi:
                f.seek(phoff + i * phentsize)
                f.write(struct.pack(end + "I", PT_NULL))
                n += 1
    return n


def report(dump, vmlinux, *extra):
    rc, out, err = vtlib.run("report", dump, vmlinux, *extra, check=False)
    c.check(rc in (0, 1), f"report {os.path.basename(dump)} {extra}: exit {rc} ({err.strip()[-300:]})")
    return out


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep["results"]}


for name in SCENARIOS:
    d = vtlib.dumpdir(name)
    vmlinux = os.path.join(d, "vmlinux")
    hp = vtlib.truth(d)["hotplug"]["present"]
    lo = int(hp["start"], 16)
    hi = lo + int(hp["size"], 16)
    full = json.loads(report(os.path.join(d, "vmcore.elf"), vmlinux, "--json"))
    cov = full["dump"]["ram_coverage"]
    c.check(cov["checked"] and cov["missing"] == [], f"{name}: the whole ELF misses nothing: {cov}")
    with tempfile.TemporaryDirectory(prefix="vt-gap.", dir=TMP) as tmp:
        gap = os.path.join(tmp, "vmcore.elf")
        shutil.copyfile(os.path.join(d, "vmcore.elf"), gap)
        if not c.check(drop_loads(gap, lo, hi) >= 1, f"{name}: a PT_LOAD lies in the dimm {lo:#x}-{hi:#x}"):
            continue
        rep = json.loads(report(gap, vmlinux, "--json"))
        cov = rep["dump"]["ram_coverage"]
        c.check(cov["checked"], f"{name}: coverage checked ({cov.get('why')})")
        got = [(int(m["start"], 16), int(m["end"], 16), m["hot_added"]) for m in cov.get("missing", [])]
        c.equal(got, [(lo, hi, True)], f"{name}: the missing RAM is the hot-added dimm, and only it")
        c.equal(cov.get("missing_bytes"), hi - lo, f"{name}: missing bytes")
        text = report(gap, vmlinux)
        warn = [ln for ln in text.splitlines() if ln.startswith("warning: the dump holds no data")]
        c.check(warn and f"0x{lo:x}-0x{hi - 1:x}" in warn[0] and "hot-added" in warn[0]
                and "class C" in warn[0], f"{name}: the text report warns with the range: {warn}")
        before, after = verdicts(full), verdicts(rep)
        c.equal(sorted(after), sorted(before), f"{name}: the same plugins ran")
        for p, v in after.items():
            c.check(v == before.get(p) or v == "unknown",
                    f"{name}: {p} is {v}: the full dump's ({before.get(p)}) or unknown")
    kd = os.path.join(d, "vmcore.kdump-zlib")
    if os.path.exists(kd):
        cov = json.loads(report(kd, vmlinux, "--json"))["dump"]["ram_coverage"]
        c.check(not cov["checked"] and "not an ELF dump" in cov.get("why", ""),
                f"{name}: a kdump-compressed dump cannot tell: {cov}")
    print(f"{name}: checked")
c.done()
