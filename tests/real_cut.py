#!/usr/bin/python3
"""Dumps cut short (issue 17 item 2): a dump file that ends before the data
its headers describe, as a full disk or an interrupted copy leaves it, is
read, not refused: `report` and `info` name the missing physical ranges
(dump.incomplete), every verdict is the full dump's or `unknown`, and a
whole dump says incomplete null.

Copies of real dumps (ELF, kdump-compressed zlib and -d 31, QEMU's kdump;
x86_64, ppc64 and arm64) are cut at several points in their page data. The
expected ranges are computed here from the file's own headers, separately
from vmtriage: for ELF, the PT_LOAD bytes past the end; for kdump, the
dumped pages from the first whose descriptor or own data is past the end
to the last such (makedumpfile writes page data in pfn order, so after the
cut only pages sharing an earlier copy, the zero page's, are readable).
"""
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import kdump_layout  # noqa: E402

c = vtlib.Checks("real_cut")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
CASES = [("x86-hotplug", "vmcore.kdump-d31", (0.3, 0.9)),
         ("x86-hotplug", "vmcore.kdump-zlib", (0.5,)),
         ("x86-hotplug", "vmcore.elf", (0.4, 0.97)),
         ("ppc-hotplug", "vmcore.kdump-d31", (0.5,)),
         ("arm64-deb13-va48", "vmcore.qemu-kdump", (0.6,))]


def expected_elf(path, size):
    ranges = []
    with open(path, "rb") as f:
        h = f.read(64)
        be = ">" if h[5] == 2 else "<"
        phoff, = struct.unpack_from(be + "Q", h, 32)
        phnum, = struct.unpack_from(be + "H", h, 56)
        f.seek(phoff)
        for _ in range(phnum):
            typ, _, off, _, paddr, filesz, _, _ = struct.unpack(be + "IIQQQQQQ", f.read(56))
            if typ != 1 or off + filesz <= size:
                continue
            start = paddr + max(0, size - off)
            if ranges and ranges[-1][1] == start:
                ranges[-1][1] = paddr + filesz
            else:
                ranges.append([start, paddr + filesz])
    return [tuple(r) for r in ranges]


def expected_kdump(path, size):
    with open(path, "rb") as f:
        be, block, _, pd_off, n = kdump_layout(f)
        f.seek(0)
        h = f.read(448)
        sub, bitmap_blocks = struct.unpack_from(be + "II", h, 432)
        f.seek((1 + sub) * block + bitmap_blocks * block // 2)
        bitmap = f.read(bitmap_blocks * block // 2)
        f.seek(pd_off)
        descs = f.read(24 * n)
    pfns = [i * 8 + b for i, byte in enumerate(bitmap) if byte for b in range(8) if byte >> b & 1]
    missing = []
    for i, pfn in enumerate(pfns):
        if pd_off + 24 * (i + 1) > size:
            missing.append(pfn)
            continue
        off, length = struct.unpack_from(be + "QI", descs, 24 * i)
        if off + length > size:
            missing.append(pfn)
    if not missing:
        return []
    return [(missing[0] * block, (missing[-1] + 1) * block)]


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep["results"]}


for scen, fmt, cuts in CASES:
    d = vtlib.dumpdir(scen)
    full_path, vmlinux = os.path.join(d, fmt), os.path.join(d, "vmlinux")
    rc, out, err = vtlib.run("report", full_path, vmlinux, "--json", check=False)
    if not c.check(rc in (0, 1), f"{scen}/{fmt}: report exit {rc}: {err[-200:]}"):
        continue
    full = json.loads(out)
    c.equal(full["dump"]["incomplete"], None, f"{scen}/{fmt}: the whole dump is complete")
    for frac in cuts:
        name = f"{scen}/{fmt} cut at {frac:.0%}"
        with tempfile.TemporaryDirectory(prefix="vt-cut.", dir=TMP) as tmp:
            cut = os.path.join(tmp, fmt)
            size = int(os.path.getsize(full_path) * frac)
            with open(full_path, "rb") as src, open(cut, "wb") as dst:
                left = size
                while left:
                    chunk = src.read(min(left, 1 << 24))
                    dst.write(chunk)
                    left -= len(chunk)
            want = expected_elf(cut, size) if fmt == "vmcore.elf" else expected_kdump(cut, size)
            rc, out, err = vtlib.run("report", cut, vmlinux, "--json", check=False)
            if not c.check(rc in (0, 1), f"{name}: report exit {rc} (results, not a "
                           f"refusal): {err.strip()[-300:]}"):
                continue
            rep = json.loads(out)
            inc = rep["dump"]["incomplete"]
            if not c.check(inc is not None, f"{name}: dump.incomplete is set"):
                continue
            c.equal(inc["file_size"], size, f"{name}: file size")
            got = [(int(r["start"], 16), int(r["end"], 16)) for r in inc["missing"]]
            c.equal(got, want[:16], f"{name}: missing ranges")
            for plugin, v in verdicts(rep).items():
                c.check(v in (verdicts(full)[plugin], "unknown"),
                        f"{name}: {plugin} is {v}, the whole dump's is "
                        f"{verdicts(full)[plugin]} (only unknown may differ)")
            rc, out, err = vtlib.run("info", cut, "--json", check=False)
            c.check(rc == 0 and json.loads(out)["incomplete"] == inc,
                    f"{name}: info says the same ({rc}: {err[-200:]})")
            rc, out, _ = vtlib.run("report", cut, vmlinux, check=False)
            c.check("warning: the dump file is cut short" in out,
                    f"{name}: the text report warns")
            print(f"{name}: {len(got)} missing range(s), verdicts "
                  f"{sorted(set(verdicts(rep).values()))}")
c.done()
