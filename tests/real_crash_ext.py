#!/usr/bin/python3
"""The crash extension (issue 8 item 1): a real crash session in batch mode
(crash -s VMLINUX VMCORE -i CMDFILE) loads vmtriage.so, and `triage --json`
prints the same verdicts and evidence as `vmtriage report --json` on that
dump; `vmemmap --json` the same memmap totals as `vmtriage memmap`; `vbt
--all --json` the same traces as `vmtriage bt --all --json`."""
import json
import os
import subprocess
import tempfile

from vtlib import Checks, TOP, dumpdir, run, skip

so = os.path.join(os.environ.get("top_builddir", TOP), "vmtriage.so")
if not os.path.exists(so):
    if os.environ.get("CI"):
        print(f"FAIL: {so} was not built (is the Debian package crash installed?)")
        raise SystemExit(1)
    skip("vmtriage.so not built here (crash/defs.h missing)")

c = Checks("real_crash_ext")


def crash_json(d, core, command):
    """Run one extension command in crash; return its JSON output."""
    with tempfile.NamedTemporaryFile("w", suffix=".cmd") as cmd:
        cmd.write(f"extend {so}\n{command} --json\nquit\n")
        cmd.flush()
        p = subprocess.run(["crash", "-s", os.path.join(d, "vmlinux"), os.path.join(d, core),
                            "-i", cmd.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=600)
    out = p.stdout
    start = out.find("{")
    try:
        return json.loads(out[start:out.rindex("}") + 1])
    except ValueError:
        c.check(False, f"crash {command}: no JSON in its output: {out[-400:]}")
        return None


for scenario in ("x86-b-latent", "x86-e"):
    d = dumpdir(scenario)
    core = "vmcore.kdump-zlib"
    got = crash_json(d, core, "triage")
    want = json.loads(run("report", os.path.join(d, core), "--json", check=False)[1])
    if got:
        c.equal([(r["plugin"], r["verdict"], r["evidence"]) for r in got["results"]],
                [(r["plugin"], r["verdict"], r["evidence"]) for r in want["results"]],
                f"{scenario}: triage in crash == vmtriage report")
        c.equal(got["dump"]["release"], want["dump"]["release"], f"{scenario}: release")
    got = crash_json(d, core, "vmemmap")
    want = json.loads(run("memmap", os.path.join(d, core), "--json")[1])
    if got:
        c.equal(got["totals"], want["totals"], f"{scenario}: vmemmap totals == vmtriage memmap")
    # vbt: the same traces through crash's readmem and crash's copy of the
    # NT_PRSTATUS notes as from the file.
    got = crash_json(d, core, "vbt --all")
    want = json.loads(run("bt", os.path.join(d, core), "--all", "--json")[1])
    if got:
        key = lambda t: (t["task"], t["error"], [(f["pc"], f["sp"], f["symbol"])
                                                 for f in t["frames"]], t["stopped"])
        c.equal([key(t) for t in got["tasks"]], [key(t) for t in want["tasks"]],
                f"{scenario}: vbt --all in crash == vmtriage bt --all")
        crashed = [t for t in got["tasks"] if t["crashed"]]
        c.check(len(crashed) == 1 and len(crashed[0]["frames"]) > 3,
                f"{scenario}: vbt unwinds the crashed task from crash's notes: "
                f"{[(t['pid'], t['error'], len(t['frames'])) for t in crashed]}")
c.done()
