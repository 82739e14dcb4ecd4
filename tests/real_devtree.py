#!/usr/bin/python3
"""Device tree, drmem and class C (issues 6 and 7) on the real ppc64le dumps.

- `vmtriage dt`: the decoded ibm,dynamic-memory-v2, ibm,lmb-size and
  ibm,associativity-lookup-arrays equal the /proc/device-tree bytes the
  guest recorded (truth.json "devicetree"); on ppc-c the newest deadprops
  generation is the value before the injection, at the addresses the module
  logged; every property and deadprop of the node equals drgn's reading.
- `vmtriage lmbs`: drmem_info flags equal drgn's; in the clean twin the
  removed dimm's LMBs are unassigned everywhere (live DT, boot FDT,
  drmem_info, no section present, no memblock) and the present dimm's are
  assigned and online; memory block device states equal the guest's sysfs.
- `vmtriage report`: stale-lmb is latent on ppc-c with exactly the injected
  LMBs as evidence (ELF, kdump-zlib, kdump-d31, with the vmlinux), unknown
  without the vmlinux (no types), clean on the other ppc dumps,
  not-applicable on x86.
- `vmtriage crashimage`: no crash kernel is loaded in any test dump.
"""
import json
import os

from vtlib import Checks, drgn_program, dumpdir, run, run_json, truth

NODE = "/ibm,dynamic-reconfiguration-memory"
ASSIGNED = 0x8
FORMATS = ("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-d31")
c = Checks("real_devtree")


def drgn_node(prog, path):
    """{name: value hex} of properties and [hex] of deadprops, via drgn."""
    import drgn
    node = prog["of_root"]
    for comp in path.strip("/").split("/"):
        child = node.child
        while child:
            if child.full_name.string_().decode() == comp:
                break
            child = child.sibling
        node = child

    def values(p):
        out = []
        while p:
            out.append((p.name.string_().decode(),
                        prog.read(p.value.value_(), p.length.value_()).hex(), hex(p.value_()),
                        hex(p.value.value_())))
            p = p.next
        return out
    return values(node.properties), values(node.deadprops)


for scenario in ("ppc-hotplug", "ppc-a", "ppc-c", "ppc-d", "ppc-e"):
    d = dumpdir(scenario)
    t = truth(d)
    inj = t["injection"]
    vmlinux = os.path.join(d, "vmlinux")
    elf = os.path.join(d, "vmcore.elf")

    # --- dt: the node's bytes against the guest's /proc/device-tree ---
    dt = run_json("dt", elf, vmlinux, NODE)
    node = dt["node"]
    props = {p["name"]: p for p in node["properties"]}
    c.equal(dt["problems"], [], f"{scenario}: live tree read without problems")
    for name, want in t["devicetree"].items():
        c.equal(props.get(name, {}).get("value"), want, f"{scenario}: {name} = /proc/device-tree")
        c.check(props.get(name, {}).get("complete"), f"{scenario}: {name} complete")
    prog = drgn_program(elf, vmlinux)
    dprops, ddead = drgn_node(prog, NODE)
    c.equal([(p["name"], p["value"], p["addr"], p["value_addr"]) for p in node["properties"]],
            dprops, f"{scenario}: properties = drgn")
    c.equal([(p["name"], p["value"], p["addr"], p["value_addr"]) for p in node["deadprops"]],
            ddead, f"{scenario}: deadprops (newest first) = drgn")
    # add dimm1, add dimm2, remove dimm1: one drmem_update_dt() each (+ ppc-c's injection)
    c.equal(len(node["deadprops"]), 4 if inj and inj["mode"] == "c" else 3,
            f"{scenario}: a deadprops generation per DLPAR request")
    if inj and inj["mode"] == "c":
        v2 = props["ibm,dynamic-memory-v2"]
        c.equal(v2["addr"], inj["new_property"], "ppc-c: live property = the injected one")
        c.equal(v2["value_addr"], inj["new_value"], "ppc-c: its value address")
        old = node["deadprops"][0]
        c.equal((old["name"], old["addr"], old["value_addr"]),
                ("ibm,dynamic-memory-v2", inj["old_property"], inj["old_value"]),
                "ppc-c: newest deadprop = the replaced property")
        c.equal(old["value"], t["devicetree_before_injection"]["ibm,dynamic-memory-v2"],
                "ppc-c: newest deadprop = the value before the injection")
    rc, text, _ = run("dt", elf, vmlinux, NODE)
    c.check("ibm,lmb-size = <0x0 0x10000000>;" in text, f"{scenario}: dts text of ibm,lmb-size")
    c.check("// [1] ibm,dynamic-memory-v2 = <" in text, f"{scenario}: dts text of deadprops")
    boot = run_json("dt", elf, vmlinux, NODE, "--boot")
    c.equal(boot["problems"], [], f"{scenario}: boot FDT read without problems")
    # prom_init flattens the firmware's tree itself, as version 16 (OF_DT_VERSION).
    c.equal(boot["fdt"]["version"], 16, f"{scenario}: boot FDT version")

    # --- lmbs: drmem_info against drgn, the dimms against the guest's record ---
    di = prog["drmem_info"]
    want = {hex(di.lmbs[i].base_addr.value_()): (hex(di.lmbs[i].drc_index.value_()),
                                                 hex(di.lmbs[i].flags.value_()))
            for i in range(di.n_lmbs.value_())}
    for fmt in FORMATS:
        tag = f"{scenario}/{fmt}"
        lm = run_json("lmbs", os.path.join(d, fmt), vmlinux)
        rows = {r["base"]: r for r in lm["lmbs"]}
        c.equal({b: (r["drc_index"], r["drmem_flags"]) for b, r in rows.items()}, want,
                f"{tag}: drmem_info flags = drgn")
        c.equal(lm["lmb_size"], t["hotplug"]["lmb_size"], f"{tag}: lmb size")
        c.equal(lm["crash_kernel_loaded"], False, f"{tag}: no crash kernel")
        c.equal({k: v for k, v in lm["unavailable"].items() if k != "crash_image"},
                {"boot_fdt": None, "drmem_info": None, "sections": None, "memblock": None,
                 "memory_blocks": None},
                f"{tag}: every source read")
        # memory block devices = the guest's /sys/devices/system/memory
        size = int(t["memory_block_size"], 16)
        c.equal({int(b, 16) // size: r["memory_block"] for b, r in rows.items()
                 if r["memory_block"]},
                {m["index"]: m["state"] for m in t["memory_blocks"]}, f"{tag}: memory blocks = sysfs")
        removed = [l["base"] for l in t["hotplug"]["removed"]["lmbs"]]
        present = [l["base"] for l in t["hotplug"]["present"]["lmbs"]]
        for b in removed:
            r = rows[b]
            if not (inj and inj["mode"] == "c"):
                c.check(not int(r["dt_flags"], 16) & ASSIGNED, f"{tag}: removed {b} unassigned in DT")
            c.check(not int(r["drmem_flags"], 16) & ASSIGNED, f"{tag}: removed {b} not in drmem")
            c.check(not int(r["boot_flags"], 16) & ASSIGNED, f"{tag}: removed {b} not at boot")
            c.equal((r["sections_present"], int(r["memblock_bytes"], 16)), (0, 0),
                    f"{tag}: removed {b}: no section, no memblock")
        for b in present:
            r = rows[b]
            c.check(int(r["dt_flags"], 16) & int(r["drmem_flags"], 16) & ASSIGNED,
                    f"{tag}: present {b} assigned in DT and drmem")
            c.equal((r["sections_present"], r["sections_online"], r["state"]), (16, 16, "ok"),
                    f"{tag}: present {b} online")
        stale = sorted(r["drc_index"] for r in lm["lmbs"] if r["state"] == "STALE-DT")
        if inj and inj["mode"] == "c":
            c.equal(stale, [l["drc_index"] for l in t["hotplug"]["removed"]["lmbs"]],
                    f"{tag}: the injected LMBs are STALE-DT")
        else:
            c.equal(stale, [], f"{tag}: nothing stale")

    # --- report: the plugin's verdict and evidence ---
    for fmt in FORMATS:
        tag = f"{scenario}/{fmt}"
        rc, out, err = run("report", os.path.join(d, fmt), vmlinux, "--json", check=False)
        if not c.check(rc in (0, 1), f"{tag}: report exit {rc}: {err.strip()}"):
            continue
        res = {r["plugin"]: r for r in json.loads(out)["results"]}["stale-lmb"]
        if inj and inj["mode"] == "c":
            c.equal(res["verdict"], "latent", f"{tag}: stale-lmb latent")
            first, last = int(inj["drc_first"], 16), int(inj["drc_last"], 16)
            c.equal([(e["kind"], e["drc_index"], e["base"]) for e in res["evidence"]],
                    [("stale-lmb", f"0x{first + k:08x}",
                      hex(int(inj["dimm_base"], 16) + k * int(inj["lmb_size"], 16)))
                     for k in range(inj["lmbs_changed"])], f"{tag}: exactly the injected LMBs")
            for e in res["evidence"]:
                c.equal((e["dt_flags"], e["drmem_flags"], e["sections"]),
                        ("0x8 (assigned)", "0x0 (none)", "0 present, 0 online of 16"),
                        f"{tag}: evidence flags and sections")
                c.check(e["history"].startswith(f"{len(node['deadprops'])} gen(s), newest "
                                                "first: free"), f"{tag}: history {e['history']}")
            c.equal(rc, 1, f"{tag}: exit status with a finding")
        else:
            c.equal(res["verdict"], "clean", f"{tag}: stale-lmb clean ({res['reason']})")
    rc, out, _ = run("report", os.path.join(d, "vmcore.kdump-zlib"), "--plugin", "stale-lmb",
                     "--json", check=False)
    res = json.loads(out)["results"][0]
    c.check(res["verdict"] == "unknown" and "give the vmlinux" in res["reason"],
            f"{scenario}: without the vmlinux: {res['verdict']} ({res['reason']})")
    ci = run_json("crashimage", elf, vmlinux)
    c.equal((ci["loaded"], ci["segments"]), (False, []), f"{scenario}: crashimage: none loaded")

# x86: no device tree; no crash kernel loaded either.
d = dumpdir("x86-basic")
core = os.path.join(d, "vmcore.kdump-zlib")
rc, out, _ = run("report", core, "--plugin", "stale-lmb", "--json", check=False)
c.equal(json.loads(out)["results"][0]["verdict"], "not-applicable", "x86-basic: not-applicable")
ci = run_json("crashimage", core)
c.equal(ci["loaded"], False, "x86-basic: no crash kernel loaded")
c.equal([len(ci[k]) > 0 for k in ("e820_table", "e820_table_firmware", "e820_table_kexec")],
        [True] * 3, "x86-basic: the three e820 tables")
rc, text, _ = run("crashimage", core)
c.check(text.startswith("no crash kernel loaded"), "x86-basic: text says no crash kernel")
rc, _, err = run("dt", core, check=False)
c.check(rc == 2 and "of_root" in err, f"x86-basic: dt says there is no tree: {err.strip()}")
c.done()
