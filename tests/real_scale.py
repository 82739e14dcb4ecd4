#!/usr/bin/python3
"""Scale (issue 14, goal 4) in small: bench/scale/gen-scale.py grows the
x86-basic dump to 16 GiB of RAM (sparse ELF, cached), and:

- `report` gives every plugin the verdict it gives on the source dump;
- `memmap --json` counts the pfns the generator built (the source's valid
  pfns plus the new sections'), all of the new ones in zone Normal, none
  unknown; node 0 and zone Normal span what the generator wrote;
- the memory blocks are the generator's (one per block of its size);
- `memmap --ranges` shows the new RAM as e820 RAM with sections and zone
  Normal;
- drgn (reading the same file through the kernel image's PT_LOAD) sees the
  same max_pfn, zone Normal span and present pages, and the same flags
  word for a few struct pages of the new range.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtlib import TOP, Checks, dumpdir, run, run_json, skip  # noqa: E402

GIB = 16
GEN = os.path.join(TOP, "bench", "scale", "gen-scale.py")

DRGN = """
import json, sys
from drgn.helpers.linux.mm import pfn_to_page
pfns = [int(a, 0) for a in sys.argv[1:]]
z = prog["node_data"][0].node_zones[2]
print(json.dumps({
    "max_pfn": prog["max_pfn"].value_(),
    "normal": [z.zone_start_pfn.value_(), z.spanned_pages.value_(), z.present_pages.value_()],
    "flags": [pfn_to_page(prog, p).flags.value_() for p in pfns],
}))
"""


def verdicts(text):
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in "ABCDE" and len(f[1]) == 1:
            out[f[0]] = f[2]
    return out


def main():
    c = Checks("real_scale")
    src = dumpdir("x86-basic")
    proc = subprocess.run([sys.executable, GEN, "--cached", "x86-basic", str(GIB)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        print(f"FAIL: gen-scale.py: {proc.stderr.strip()[-400:]}")
        sys.exit(1)
    d = proc.stdout.strip()
    dump, vmlinux = os.path.join(d, "vmcore.elf"), os.path.join(d, "vmlinux")
    with open(os.path.join(d, "facts.json")) as f:
        facts = json.load(f)

    want = verdicts(run("report", os.path.join(src, "vmcore.elf"), check=False)[1])
    got = verdicts(run("report", dump, check=False)[1])
    c.check(len(want) >= 5, f"the source's report lists the plugins ({want})")
    c.equal(got, want, "report verdicts, scaled vs source")

    base = run_json("memmap", os.path.join(src, "vmcore.elf"))
    doc = run_json("memmap", dump)
    t = doc["totals"]
    c.equal(t["valid_pfns"], base["totals"]["valid_pfns"] + facts["new_pfns"], "valid pfns")
    c.equal(t["unknown_pfns"], 0, "unknown pfns")
    c.equal(t["zones"].get("Normal"), facts["new_pfns"], "pfns in zone Normal")
    c.equal(t["zones"].get("DMA32"), base["totals"]["zones"].get("DMA32"), "pfns in DMA32")
    node = doc["nodes"][0]
    normal = [z for z in node["zones"] if z["name"] == "Normal"][0]
    c.equal(int(normal["start_pfn"], 16), int(facts["ram_ranges"][0][0], 16) >> 12,
            "Normal's start pfn")
    c.equal(normal["present"], facts["new_pfns"], "Normal's present pages")
    c.equal(normal["managed"], facts["normal_managed"], "Normal's managed pages")
    c.equal(int(node["start_pfn"], 16) + node["spanned"], facts["max_pfn"], "node 0's end")
    c.equal(len(doc["memory_blocks"]), facts["memory_blocks"], "memory blocks")
    c.check(all(b["state"] == "online" for b in doc["memory_blocks"]), "memory blocks online")

    ranges = run("memmap", dump, "--ranges")[1]
    lo = facts["ram_ranges"][0][0]
    c.check(any(line.startswith(f"0x{int(lo, 16):016x}") and " RAM " in line and
                "PMOE" in line and "Normal" in line for line in ranges.splitlines()),
            f"--ranges shows {lo} as RAM, sections PMOE, zone Normal:\n{ranges}")

    first = int(lo, 16) >> 12
    pfns = [first, first + 1, first + 12345, facts["max_pfn"] - 1]
    if not shutil.which("drgn"):
        skip("drgn is not installed")
    with tempfile.NamedTemporaryFile("w", suffix=".py") as script:
        script.write(DRGN)
        script.flush()
        proc = subprocess.run(["drgn", "-q", "-c", dump, "-s", vmlinux, script.name] +
                              [hex(p) for p in pfns], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    if c.check(proc.returncode == 0, f"drgn reads the scaled dump: {proc.stderr[-300:]}"):
        dr = json.loads(proc.stdout)
        c.equal(dr["max_pfn"], facts["max_pfn"], "drgn's max_pfn")
        c.equal(dr["normal"], [int(normal["start_pfn"], 16),
                               normal["spanned"], normal["present"]], "drgn's zone Normal")
        for p, fl in zip(pfns, dr["flags"]):
            one = run_json("memmap", dump, "--pfn", hex(p))
            c.equal(int(one["flags"], 16), fl,
                    f"pfn {p:#x}'s flags, vmtriage vs drgn")
    c.done()


if __name__ == "__main__":
    main()
