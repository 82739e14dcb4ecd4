#!/usr/bin/python3
"""Crash signatures and fired verdicts from the unwound stack (issue 13),
on dumps where a bug class really killed the kernel:
  * x86-e-fired (class E: a page fault in stable_page_flags),
  * ppc-a-fired (class A: BUG_ON in pmd_fragment_free on hot-remove),
  * arm64-deb13-e-fired (class E),
and on plain sysrq dumps of each arch. Per dump:
  * report says the class fired, from the log, and the title the log gives
    equals the one the crashed task's unwound trace gives (two sources
    that do not depend on each other);
  * a copy whose printk ring is zeroed (tests/cutlog.py) has no log crash,
    yet report still says the class fired, the crash now from the stack,
    with the same signature title; no other verdict changes to fired;
  * the untouched sysrq twins keep "panic in sysrq_handle_crash" both ways.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_bt_signature")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
FIRED = [("x86-e-fired", "uninit-pages"), ("ppc-a-fired", "ptfrag-early"),
         ("arm64-deb13-e-fired", "uninit-pages")]
SYSRQ = ["x86-basic", "x86-sid-basic", "ppc-hotplug", "ppc-deb13-hotplug", "arm64-deb12-basic",
         "arm64-deb13-basic"]


def report(dump, vmlinux):
    rc, out, err = vtlib.run("report", dump, vmlinux, "--json", check=False)
    c.check(rc in (0, 1), f"report {dump}: exit {rc} ({err.strip()[-200:]})")
    return json.loads(out) if rc in (0, 1) else None


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep["results"]}


def stack_title(rep):
    u = rep["crash"]["unwound"] if rep.get("crash") else None
    return u and u.get("signature")


def one(name, plugin):
    d = vtlib.dumpdir(name)
    dump, vmlinux = os.path.join(d, "vmcore.elf"), os.path.join(d, "vmlinux")
    rep = report(dump, vmlinux)
    if not rep:
        return
    title = rep["signature"]["title"] if rep["signature"] else None
    c.equal(rep["crash"]["source"], "log", f"{name}: the crash from the log")
    c.equal(stack_title(rep), title, f"{name}: the unwound trace's title == the log's")
    if plugin:
        c.equal(verdicts(rep)[plugin], "fired", f"{name}: {plugin} fired (log)")
    else:
        c.equal(title, "panic in sysrq_handle_crash", f"{name}: sysrq title")
    with tempfile.TemporaryDirectory(prefix="vt-cutlog.", dir=TMP) as tmp:
        cut = os.path.join(tmp, "cut.elf")
        ok, out = vtlib.cut_log(dump, cut, vmlinux)
        if not c.check(ok, f"{name}: cutlog: {out[-300:]}"):
            return
        rc, log, _ = vtlib.run("log", cut, vmlinux, check=False)
        c.check("Kernel panic" not in log and "Call Trace" not in log,
                f"{name}: the cut copy's log tells no crash")
        rep2 = report(cut, vmlinux)
        if not rep2:
            return
        c.equal(rep2["crash"] and rep2["crash"]["source"], "stack",
                f"{name} (log cut): the crash from the stack")
        c.equal(rep2["signature"] and rep2["signature"]["title"], title,
                f"{name} (log cut): the same signature title")
        c.equal(rep2["signature"] and rep2["signature"]["source"], "stack",
                f"{name} (log cut): signature source")
        v1, v2 = verdicts(rep), verdicts(rep2)
        if plugin:
            c.equal(v2[plugin], "fired", f"{name} (log cut): {plugin} still fired, "
                    f"from the stack: {[r['reason'] for r in rep2['results'] if r['plugin'] == plugin]}")
        c.equal(sorted(k for k, v in v2.items() if v == "fired"),
                sorted(k for k, v in v1.items() if v == "fired"),
                f"{name} (log cut): no other verdict becomes fired")
        print(f"{name}: '{title}'; log cut: crash from the stack, "
              f"{[k for k, v in v2.items() if v == 'fired']} fired")


for name, plugin in FIRED:
    one(name, plugin)
for name in SYSRQ:
    one(name, None)
c.done()
