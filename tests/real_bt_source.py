#!/usr/bin/python3
"""bt's source locations against drgn (issue 13: "with a vmlinux also
file:line and inlined frames via libdw"). For every sleeping task of one
dump per arch drgn unwinds, each of our frames whose pc drgn also has: the
functions inlined there and the one they are in (innermost first), with
file and line, equal drgn's frames at that pc (name, is_inline, source()).
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

try:
    import drgn
except ImportError:
    vtlib.skip("python3-drgn is not installed")

c = vtlib.Checks("real_bt_source")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["x86-basic", "x86-deb13-basic", "arm64-deb13-basic"]


def drgn_chains(prog, task):
    """{pc: [(name, inlined, file, line)]} of drgn's trace, innermost first."""
    out = {}
    try:
        trace = prog.stack_trace(task)
    except Exception:   # noqa: BLE001 (drgn raises several kinds)
        return out
    for f in trace:
        try:
            pc = f.pc
        except LookupError:
            break       # drgn's trace ends: no pc known
        try:
            file, line, _ = f.source()
        except LookupError:
            file, line = None, 0
        out.setdefault(pc, []).append((f.name, f.is_inline, file, line))
    return out


def scenario(name):
    d = vtlib.dumpdir(name)
    tr = vtlib.truth(d)
    dump = os.path.join(d, "vmcore.kdump-zlib" if tr["arch"] == "x86_64" else "vmcore.elf")
    vmlinux = os.path.join(d, "vmlinux")
    got = vtlib.run_json("bt", dump, vmlinux, "--all")
    frames = compared = 0
    bad = []
    with tempfile.TemporaryDirectory(prefix="vt-bts.", dir=TMP) as tmp:
        prog = vtlib.drgn_scenario(d, dump, tr, tmp)
        for t in got["tasks"]:
            if t["active"] or not t["task"] or t["error"]:
                continue    # running tasks: drgn's notes differ (see real_bt_*)
            want = drgn_chains(prog, drgn.Object(prog, "struct task_struct *", int(t["task"], 16)))
            for f in t["frames"]:
                pc = int(f["pc"], 16)
                if pc not in want:
                    continue
                frames += 1
                ours = [(s["function"], s["inlined"], s["file"], s["line"]) for s in f["source"]]
                theirs = want[pc]
                if ours == theirs:
                    compared += 1
                else:
                    bad.append((t["pid"], f["pc"], ours, theirs))
    c.check(frames > 100, f"{name}: frames with drgn's pc ({frames})")
    c.equal(bad[:3], [], f"{name}: source chains vs drgn ({len(bad)} of {frames} differ)")
    print(f"{name}: {compared} of {frames} frames' inline chains and file:line equal drgn's")


for s in SCENARIOS:
    scenario(s)
c.done()
