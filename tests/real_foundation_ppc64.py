#!/usr/bin/python3
"""Foundation on a real ppc64le pseries dump (issue 2): Debian's powerpc64le
6.1 kernel has no BTF and kallsyms without data symbols, so types come from
the vmlinux's DWARF and data symbols from its symtab. Oracles: QEMU's gva2gpa
(recorded before the panic: linear map, vmemmap 0xc00c..., vmalloc 0xc008...),
the guest's /proc/kallsyms, the vmlinux's nm (data symbols) and drgn.
"""
import os

from vtlib import Checks, dumpdir, drgn_flatten, drgn_program, flatten_members, run, run_json, truth

TYPES = ["struct page", "struct mem_section", "struct pglist_data", "struct zone",
         "struct mm_struct", "struct drmem_lmb", "struct device_node", "struct property"]

c = Checks("real_foundation_ppc64")
d = dumpdir("ppc-hotplug")
t = truth(d)
vmlinux = os.path.join(d, "vmlinux")
elf, kdump = os.path.join(d, "vmcore.elf"), os.path.join(d, "vmcore.kdump-zlib")
prog = drgn_program(elf, vmlinux)

for fmt in ("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-d31"):
    info = run_json("info", os.path.join(d, fmt))
    c.equal((info["arch"], info["endian"], info["page_size"]), ("ppc64", "little", 65536),
            f"{fmt} arch, byte order, page size")
    c.equal(info["release"], t["kernel_release"], f"{fmt} release")
    c.equal(info["panic"], "sysrq triggered crash", f"{fmt} panic string")
    c.equal(info["crashed_pid"], t["panic_pid"], f"{fmt} crashed PID (guest recorded)")
    loaded = {f["name"]: f for f in info["finders"]}
    c.check(loaded["kallsyms"]["loaded"], f"{fmt}: kallsyms decoded from the dump")
    c.check(not loaded["btf"]["loaded"] and "need a vmlinux" in loaded["btf"]["detail"],
            f"{fmt}: says types need a vmlinux: {loaded['btf']['detail']}")

# What needs a vmlinux is said, and VMCOREINFO's part is still given.
rc, _, err = run("type", kdump, "struct drmem_lmb", check=False)
c.check(rc == 2 and "give the vmlinux" in err, f"type without vmlinux: rc {rc}, {err.strip()}")
partial = run_json("type", kdump, "struct page")
c.check(partial["partial"], "struct page from VMCOREINFO is marked partial")
full = flatten_members(run_json("type", kdump, vmlinux, "struct page")["members"])
for name, (bits, _) in flatten_members(partial["members"]).items():
    c.equal(bits, full.get(name, (None,))[0], f"VMCOREINFO OFFSET(page.{name}) vs DWARF")

# Symbols: kallsyms (text) from the dump alone, data symbols with the vmlinux.
sample = [s for s in t["kallsyms_sample"] if len(prog.symbols(s["name"])) <= 1]
got = run_json("sym", kdump, *[s["name"] for s in sample])
for s, g in zip(sample, got):
    c.equal(g["address"] and int(g["address"], 16), int(s["addr"], 16), f"sym {s['name']} (dump alone)")
names = list(t["data_symbols"])
got = run_json("sym", kdump, vmlinux, *names)
for name, g in zip(names, got):
    want = int(t["data_symbols"][name], 16)
    c.equal(g["address"] and int(g["address"], 16), want, f"data symbol {name} (vmlinux)")
    c.equal(prog.symbol(name).address, want, f"drgn agrees on {name}")

# Layouts: DWARF from the vmlinux against drgn.
for ty in TYPES:
    got = run_json("type", kdump, vmlinux, ty)
    c.equal(got["size"], prog.type(ty).size, f"{ty} size")
    c.equal(flatten_members(got["members"]), drgn_flatten(prog.type(ty)), f"{ty} members")

# Translations against QEMU; bytes against drgn where drgn can read (linear map).
for g in t["gva2gpa"]:
    va, pa = int(g["va"], 16), int(g["pa"], 16)
    for fmt in ("vmcore.elf", "vmcore.kdump-zlib"):
        r = run_json("rd", os.path.join(d, fmt), hex(va), "32", "--verbose")
        c.equal(int(r["physical"], 16), pa, f"{fmt} vtop {g['kind']} {hex(va)}")
    if va < 0xc008000000000000:
        c.equal(r["bytes"], prog.read(va, 32).hex(), f"bytes at {hex(va)} vs drgn")
    else:
        c.equal(r["bytes"], prog.read(pa, 32, True).hex(), f"bytes at {hex(va)} vs drgn (physical)")
c.check(len(t["gva2gpa"]) >= 20, f"{len(t['gva2gpa'])} QEMU translations recorded")
c.done()
