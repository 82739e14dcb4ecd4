#!/usr/bin/python3
"""`vmtriage batch` over real dumps (issue 8): a directory of symlinks to
x86 and ppc64 dumps (the ppc64 ones need their vmlinux, found through
--debuginfo by release), a dump cut short (triaged, marked incomplete) and
random bytes named like one.
Each dump's verdicts in summary.jsonl equal `vmtriage report` run directly;
the bad inputs are reported without stopping the batch; a rerun skips
everything; exit status 2 (a failure) over 1 (findings) over 0."""
import json
import os
import shutil
import subprocess
import tempfile
import time

from vtlib import VMTRIAGE, Checks, dumpdir, run

c = Checks("real_batch")
tmp = tempfile.mkdtemp(prefix="vt-batch-")
inp, dbg, out = (os.path.join(tmp, x) for x in ("in", "debuginfo", "out"))
os.makedirs(os.path.join(inp, "ppc"))
os.makedirs(dbg)

dumps = {}      # path in the batch -> (real dump, vmlinux for a direct report or None)
for scenario in ("x86-basic", "x86-b-latent", "x86-e"):
    d = dumpdir(scenario)
    p = os.path.join(inp, scenario + ".kdump")
    os.symlink(os.path.join(d, "vmcore.kdump-zlib"), p)
    dumps[p] = (os.path.join(d, "vmcore.kdump-zlib"), None)
for scenario in ("ppc-hotplug", "ppc-d"):
    d = dumpdir(scenario)
    # Nothing beside the symlink: the vmlinux must come from --debuginfo.
    p = os.path.join(inp, "ppc", scenario + "-vmcore")
    os.symlink(os.path.join(d, "vmcore.kdump-zlib"), p)
    vmlinux = os.path.join(d, "vmlinux")
    dumps[p] = (os.path.join(d, "vmcore.kdump-zlib"), vmlinux)
    release = json.loads(run("info", p, "--json")[1])["release"]
    link = os.path.join(dbg, "vmlinux-" + release)
    if not os.path.lexists(link):
        os.symlink(vmlinux, link)

# Bad inputs: a kdump file cut short (right magic) and random bytes.
src = os.path.join(dumpdir("x86-e"), "vmcore.kdump-zlib")
trunc = os.path.join(inp, "truncated.kdump")
with open(src, "rb") as f, open(trunc, "wb") as g:
    g.write(f.read(3 << 20))
rnd = os.path.join(inp, "vmcore.random")
with open(rnd, "wb") as g:
    g.write(os.urandom(1 << 20))
with open(os.path.join(inp, "notes.txt"), "w") as g:
    g.write("not a dump, not reported\n")


def batch(*extra):
    t = time.monotonic()
    proc = subprocess.run([VMTRIAGE, "batch", inp, "--out", out, "--debuginfo", dbg,
                           "--jobs", "2", *extra], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=900)
    return proc, time.monotonic() - t


def summary():
    with open(os.path.join(out, "summary.jsonl")) as f:
        return {j["path"]: j for j in map(json.loads, f)}


proc, wall = batch()
c.equal(proc.returncode, 2, f"exit status with failures: {proc.stderr.strip()}")
c.equal(proc.stderr, "", "no progress on stderr when it is not a terminal")
lines = summary()
c.equal(sorted(lines), sorted(list(dumps) + [trunc, rnd]), "one line per dump and bad input")
sizes = 0
for p, (real, vmlinux) in dumps.items():
    j = lines.get(p, {})
    rc, out_, err = run("report", real, *([vmlinux] if vmlinux else []), "--json", check=False)
    rep = json.loads(out_)
    want = {r["plugin"]: r["verdict"] for r in rep["results"]}
    c.equal(j.get("verdicts"), want, f"{p}: verdicts as `vmtriage report`")
    c.equal(j.get("status"), "findings" if rc == 1 else "ok", f"{p}: status")
    c.equal(j.get("exit"), rc, f"{p}: exit status")
    c.equal((j.get("release"), j.get("arch")), (rep["dump"]["release"], rep["dump"]["arch"]),
            f"{p}: release and arch")
    if vmlinux:
        c.equal(os.path.realpath(j.get("vmlinux", "")), os.path.realpath(vmlinux),
                f"{p}: vmlinux found in --debuginfo by release")
    else:
        c.equal(j.get("vmlinux"), "", f"{p}: BTF in the dump, no vmlinux needed")
    st = os.stat(p)
    c.equal((j.get("size"), j.get("mtime_ns")), (st.st_size, st.st_mtime_ns), f"{p}: size, mtime")
    res = os.path.join(out, j.get("result") or "missing")
    c.check(os.path.exists(res), f"{p}: result file {res}")
    if os.path.exists(res):
        with open(res) as f:
            got = json.load(f)
        c.equal([(r["plugin"], r["verdict"]) for r in got["results"]],
                [(r["plugin"], r["verdict"]) for r in rep["results"]], f"{p}: result JSON")
    sizes += st.st_size
c.equal(len({j["result"] for j in lines.values() if j["result"]}), len(dumps) + 1,
        "result names are unique (the dumps and the cut one)")
for p in dumps:
    c.equal(lines.get(p, {}).get("incomplete", "missing"), None, f"{p}: not incomplete")
# A dump cut short is triaged, and said to be incomplete.
t = lines.get(trunc, {})
c.check(t.get("status") in ("ok", "findings") and
        (t.get("incomplete") or "").startswith(f"cut short: {3 << 20} of "),
        f"truncated dump triaged and marked incomplete: {t}")
r = lines.get(rnd, {})
c.equal(r.get("status"), "not-a-dump", "random bytes named like a dump reported")
with open(os.path.join(out, "summary.txt")) as f:
    txt = f.read()
c.check("vmcore.random" in txt and "Failed" in txt, "summary.txt lists the failures")
c.check("Incomplete dumps" in txt and
        any("truncated.kdump" in l and "cut short" in l for l in txt.splitlines()),
        "summary.txt lists the cut dump as incomplete")
c.check(any(l.startswith("E ") and "latent (1)" in l and "x86-e.kdump" in l
            for l in txt.splitlines()), "summary.txt: class E latent in x86-e")
c.check(any("latent (1)" in l and "x86-b-latent.kdump" in l for l in txt.splitlines()),
        "summary.txt: class B latent in x86-b-latent")
# Grouped by where the kernel died: each dump's signature equals report's,
# and the group lists every dump that has it.
for p, (dump, vmlinux) in dumps.items():
    rep = json.loads(run("report", dump, *([vmlinux] if vmlinux else []), "--json",
                         check=False)[1])
    want = rep["signature"]["title"] if rep.get("signature") else None
    c.equal(lines.get(p, {}).get("signature"), want, f"{p}: signature in summary.jsonl")
titles = {j["signature"] for j in lines.values() if j.get("signature")}
c.check(titles, f"signatures found: {titles}")
sect = txt.split("By crash signature", 1)[1].split("\n\n", 1)[0] if "By crash signature" in txt else ""
for title in titles:
    members = [p for p, j in lines.items() if j.get("signature") == title]
    rows = [l for l in sect.splitlines() if any(l.endswith(m) for m in members)]
    c.equal(len(rows), len(members), f"summary.txt groups the {len(members)} dump(s) of '{title}'")
    c.check(any(l.split()[:1] == [str(len(members))] and title in l for l in rows),
            f"summary.txt: '{title}' heads its group with its count")
print(f"batch of {len(dumps)} dumps ({sizes >> 20} MiB) + 2 bad inputs, --jobs 2: {wall:.1f} s")

# Rerun: everything was done by this version; nothing runs again.
proc2, wall2 = batch()
lines2 = summary()
c.equal(proc2.returncode, 2, "rerun exit status (the failures stay)")
c.check(all(j["skipped"] for p, j in lines2.items() if p != rnd),
        f"rerun skipped every dump: {[p for p, j in lines2.items() if not j['skipped']]}")
c.equal({p: j["verdicts"] for p, j in lines2.items()},
        {p: j["verdicts"] for p, j in lines.items()}, "rerun keeps the verdicts")
print(f"rerun: {wall2:.2f} s")

# Only the good dumps: exit 1 with findings, 0 without.
good = os.path.join(tmp, "good")
os.makedirs(good)
os.symlink(os.path.join(dumpdir("x86-basic"), "vmcore.kdump-zlib"), os.path.join(good, "a"))
proc3 = subprocess.run([VMTRIAGE, "batch", good, "--out", os.path.join(tmp, "o3")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
c.equal(proc3.returncode, 0, "a clean dump only: exit 0")
os.symlink(os.path.join(dumpdir("x86-e"), "vmcore.kdump-zlib"), os.path.join(good, "b"))
proc4 = subprocess.run([VMTRIAGE, "batch", good, "--out", os.path.join(tmp, "o3")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
c.equal(proc4.returncode, 1, "with a latent finding: exit 1")
l4 = {j["path"]: j for j in map(json.loads, open(os.path.join(tmp, "o3", "summary.jsonl")))}
c.equal([l4[os.path.join(good, x)]["skipped"] for x in "ab"], [True, False],
        "a dump added to the directory is the only one triaged")

# A timeout is reported as one, and the child is gone.
proc5 = subprocess.run([VMTRIAGE, "batch", os.path.join(good, "b"), "--out",
                        os.path.join(tmp, "o5"), "--timeout", "0.05"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
j5 = json.loads(open(os.path.join(tmp, "o5", "summary.jsonl")).readline())
c.check(proc5.returncode == 2 and j5["status"] == "timeout",
        f"--timeout 0.05: rc {proc5.returncode}, {j5['status']} {j5['message']}")
c.equal(run("batch", "--help")[0], 0, "batch --help")
shutil.rmtree(tmp, ignore_errors=True)
c.done()
