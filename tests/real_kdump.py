#!/usr/bin/python3
"""Real kdump captures (issue 15 items 3-4): the kdump scenarios' guests
loaded a crash kernel with kexec -p, and sysrq-c booted it; its
/proc/vmcore was saved (vmcore.kdump-elf) and made kdump-compressed by
makedumpfile -c -d 31 (vmcore.kdump-mkd). QEMU dumped the same guest right
before the panic (vmcore.elf).

  * the verdicts on the kdump-made vmcores equal those on QEMU's dump of
    the same state (the -d 31 one: equal or unknown, never a finding QEMU's
    lacks);
  * `crashimage` lists the loaded crash kernel's segments (mem, memsz,
    bufsz) as `kexec -p -d` printed them in the guest, on QEMU's dump and on
    the kdump-made ELF (there the segments are not in the dump: the
    reservation is left out; their table still reads);
  * the -stale scenarios (the dimm removed after the load, x86 ACPI and
    pseries DLPAR): class C is latent on both, naming the elfcorehdr PT_LOAD
    over the removed range, which the guest recorded; on the kdump ELF the
    dump's own PT_LOADs are that elfcorehdr, entry for entry; on pseries QEMU's dump also
    names the removed dimm's LMBs, still assigned in the crash kernel's FDT;
  * the crashed task's trace, unwound from the capture kernel's saved
    registers (crash_setup_regs in __crash_kexec, a function without ORC),
    goes through panic to sysrq_handle_crash, as the console printed it.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_kdump")
SCENARIOS = ["x86-basic-kdump", "x86-hotplug-kdump-stale", "ppc-hotplug-kdump",
             "ppc-hotplug-kdump-stale"]


def report(dump, vmlinux):
    rc, out, err = vtlib.run("report", dump, vmlinux, "--json", check=False)
    c.check(rc in (0, 1), f"report {dump}: exit {rc} ({err.strip()[-300:]})")
    return json.loads(out) if out.strip().startswith("{") else None


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep["results"]} if rep else {}


def kexec_segments(lines):
    seg = {}
    for ln in lines:
        m = re.match(r"segment\[(\d+)\]\.(buf|bufsz|mem|memsz)\s*=\s*(0x[0-9a-f]+)", ln)
        if m:
            seg.setdefault(int(m.group(1)), {})[m.group(2)] = int(m.group(3), 16)
    return [seg[i] for i in sorted(seg)]


for name in SCENARIOS:
    d = vtlib.dumpdir(name)
    vmlinux = os.path.join(d, "vmlinux")
    tr = vtlib.truth(d)
    kd = tr["kdump"]
    qemu = report(os.path.join(d, "vmcore.elf"), vmlinux)
    elf = report(os.path.join(d, "vmcore.kdump-elf"), vmlinux)
    mkd = report(os.path.join(d, "vmcore.kdump-mkd"), vmlinux)
    vq, ve, vm = verdicts(qemu), verdicts(elf), verdicts(mkd)
    c.equal(ve, vq, f"{name}: the kdump-made ELF's verdicts are QEMU's of the same state")
    for p, v in vm.items():
        c.check(v == vq.get(p) or v == "unknown",
                f"{name}: -d 31 kdump: {p} {v}: QEMU's ({vq.get(p)}) or unknown")

    want = [{k: s[k] for k in ("bufsz", "mem", "memsz")} for s in kexec_segments(kd["kexec"])]
    c.check(len(want) >= 3, f"{name}: kexec -d printed the segments ({len(want)})")
    for dump in ("vmcore.elf", "vmcore.kdump-elf"):
        ci = vtlib.run_json("crashimage", os.path.join(d, dump), vmlinux)
        got = [{k: int(s[k], 16) for k in ("bufsz", "mem", "memsz")} for s in ci.get("segments", [])]
        c.equal(got, want, f"{name}/{dump}: crashimage's segments are kexec's")
    ci = vtlib.run_json("crashimage", os.path.join(d, "vmcore.kdump-elf"), vmlinux)
    c.equal(ci.get("elfcorehdr_source"), "dump", f"{name}: on the kdump ELF the elfcorehdr is the dump's own")
    # /proc/vmcore keeps the elfcorehdr's PT_LOADs one for one: the kdump
    # ELF's own table is the segment QEMU's dump holds, entry for entry
    seg = vtlib.run_json("crashimage", os.path.join(d, "vmcore.elf"), vmlinux)
    c.equal(seg.get("elfcorehdr_source"), "segment", f"{name}: QEMU's dump holds the elfcorehdr segment")
    c.check(len(seg.get("pt_load", [])) >= 2, f"{name}: the elfcorehdr segment has PT_LOADs")
    c.equal(ci.get("pt_load"), seg.get("pt_load"),
            f"{name}: the kdump ELF's PT_LOADs are the elfcorehdr segment's, unmerged")

    removed = kd.get("removed")
    for tag, rep in (("QEMU's dump", qemu), ("the kdump ELF", elf)):
        r = [x for x in rep["results"] if x["plugin"] == "stale-lmb"][0] if rep else {}
        ev = [(int(e["start"], 16), int(e["end"], 16)) for e in r.get("evidence", [])
              if e["kind"] == "crash-load-absent"]
        if removed:
            lo = int(removed["start"], 16)
            c.equal(r.get("verdict"), "latent", f"{name}/{tag}: class C latent (stale capture)")
            c.equal(ev, [(lo, lo + int(removed["size"], 16))],
                    f"{name}/{tag}: the elfcorehdr PT_LOAD over the removed dimm")
        else:
            c.check(r.get("verdict") in ("clean", "not-applicable") and not ev,
                    f"{name}/{tag}: no stale capture: {r.get('verdict')} {r.get('reason')}")
        # pseries: the crash kernel's FDT (a segment: in QEMU's dump only)
        # still hands over the LMBs of the removed dimm
        lmbs = [int(x["drc_index"], 16) for x in tr["hotplug"]["present"].get("lmbs", [])] \
            if removed else []
        fdt = sorted(int(e["drc_index"], 16) for e in r.get("evidence", [])
                     if e["kind"] == "crash-fdt-absent")
        if tr["arch"] == "ppc64le" and tag == "QEMU's dump":
            c.equal(fdt, sorted(lmbs), f"{name}/{tag}: the crash FDT's assigned LMBs that are gone "
                    "are the removed dimm's")

    bt = vtlib.run_json("bt", os.path.join(d, "vmcore.kdump-elf"), vmlinux)
    crashed = [t for t in bt["tasks"] if t.get("crashed")]
    frames = [f.get("symbol") for f in crashed[0]["frames"]] if crashed else []
    c.equal(crashed[0]["pid"] if crashed else None, tr.get("panic_pid"),
            f"{name}: the crashed task is the one that wrote sysrq-c")
    c.check(frames[:1] == ["__crash_kexec"] and "panic" in frames and "sysrq_handle_crash" in frames,
            f"{name}: the crashed task unwinds from __crash_kexec through panic to sysrq: {frames[:8]}")
    print(f"{name}: checked")
c.done()
