#!/usr/bin/python3
"""Fired verdicts name their evidence at its address (issue 17 item 1), on
the dumps where a bug class really killed the kernel:

  * ppc-a-fired: the PMD table page whose pt_frag_refcount pmd_fragment_free
    found at 0 is named from the BUG's saved registers and init_mm's tree:
    its pfn, struct page, table and what it maps must equal what the guest
    module logged when it injected the state (VT-INJECT in console.log);
  * x86-e-fired, arm64-deb13-e-fired: the all-ones struct page
    stable_page_flags() faulted on: its pfn must be the first pfn the guest
    read from /proc/kpageflags (truth.json "fired"), its struct page the
    one the module poisoned, inside the poisoned range;
  * x86-b-conflict-fired: the pgd and slot sync_global_pgds() was
    comparing when it hit BUG_ON: the pgd the module changed (its pfn, its
    mm), the slot, and the two entries (the module's and init_top_pgt's);
  * ppc-d-fired: the PTE fragment page pte_fragment_free() found with a
    count <= 0: the page the module dropped the count of (pfn, struct
    page), its count the injected one less the cached fragments the mm's
    teardown subtracted.

The registers each item names are checked against a second source, the
register dump the oops printed to the console: every named register's
value there must point at the named page. On a copy whose printk ring is
zeroed (tests/cutlog.py) the evidence must be the same (it comes from the
registers in memory, not the log), and the untouched twins name no crash
evidence.
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_fired_evidence")
TMP = os.environ.get("TMPDIR") or "/var/tmp"


def report(dump, vmlinux):
    rc, out, err = vtlib.run("report", dump, vmlinux, "--json", check=False)
    if not c.check(rc in (0, 1), f"report {dump}: exit {rc} ({err.strip()[-300:]})"):
        return None
    return json.loads(out)


def evidence(rep, plugin, kind):
    r = [r for r in rep["results"] if r["plugin"] == plugin][0]
    return r["verdict"], [e for e in r["evidence"] if e["kind"] == kind]


def console(d):
    with open(os.path.join(d, "console.log"), errors="replace") as f:
        return f.read()


def oops_registers(text):
    """{register name: value} from the first oops register dump in the
    console: ppc64 GPRnn lines, x86_64 'RAX: ...', arm64 'x20: ...'."""
    regs = {}
    m = re.search(r"GPR00:", text)
    if m:
        for line in text[m.start():].splitlines()[:8]:
            g = re.search(r"GPR(\d\d):\s+((?:[0-9a-f]{16}\s*){4})", line)
            if g:
                base = int(g.group(1))
                for i, v in enumerate(g.group(2).split()):
                    regs[f"r{base + i}"] = int(v, 16)
        return regs
    start = text.find("RIP: 0010:")
    if start >= 0:
        for name, v in re.findall(r"\b(R[A-Z0-9]{1,2}):\s*([0-9a-f]{16})",
                                  text[start:start + 2000]):
            regs.setdefault(name.lower(), int(v, 16))
        return regs
    start = text.find("pc : ")
    for name, v in re.findall(r"\b(x\d+)\s*:\s*([0-9a-f]{16})", text[start:start + 4000]):
        regs.setdefault(name, int(v, 16))
    return regs


def check_registers(name, item, oregs, ok):
    """Each register the item names holds, in the oops's own dump, a value
    ok(value) accepts."""
    named = item["registers"].split()
    c.check(named, f"{name}: the evidence names registers")
    for r in named:
        if c.check(r in oregs, f"{name}: register {r} is in the oops's register dump "
                   f"({sorted(oregs)[:8]}...)"):
            c.check(ok(oregs[r]), f"{name}: the oops printed {r}={oregs[r]:#x}, "
                    "not the named page")


def class_a(name, d, rep):
    inj = json.loads(re.search(r"VT-INJECT (\{.*\})", console(d)).group(1))
    verdict, items = evidence(rep, "ptfrag-early", "crash-table-page")
    c.equal(verdict, "fired", f"{name}: ptfrag-early fired")
    if not c.equal(len(items), 1, f"{name}: one crash-table-page item"):
        return None
    e = items[0]
    c.equal(e["pfn"], inj["pfn"], f"{name}: table page pfn (guest module)")
    c.equal(e["page"], inj["page"], f"{name}: its struct page (guest module)")
    c.check(e["table"].startswith(f"init_mm PMD table {inj['table_pa']}"),
            f"{name}: the linked table {e['table']!r} is {inj['table_pa']}")
    c.equal(e["maps"], "-".join(inj["pmd_covers"]), f"{name}: what the table maps")
    c.equal(e["pt_frag_refcount"], str(inj["pt_frag_refcount_after"]),
            f"{name}: pt_frag_refcount as injected")
    lmbs = [x["drc_index"] for k in ("removed", "present")
            for x in vtlib.truth(d)["hotplug"][k]["lmbs"]]
    c.equal(sorted(int(x, 16) for x in e.get("lmbs", "").split()),
            sorted(int(x, 16) for x in lmbs), f"{name}: the LMBs the table maps")
    page, pfn = int(inj["page"], 16), int(inj["pfn"], 16)
    page_size = 1 << inj["page_shift"]
    table_pa = int(inj["table_pa"], 16)
    linear = int(inj["table_va"], 16) - table_pa
    check_registers(name, e, oops_registers(console(d)),
                    lambda v: v == page or (v - linear) // page_size == pfn)
    return e


def class_e(name, d, rep):
    tr = vtlib.truth(d)
    inj = tr["injection"]
    first = inj.get("pfn") or inj.get("pfn_first")
    page = inj.get("page") or inj.get("struct_page_first")
    verdict, items = evidence(rep, "uninit-pages", "crash-page")
    c.equal(verdict, "fired", f"{name}: uninit-pages fired")
    if not c.equal(len(items), 1, f"{name}: one crash-page item"):
        return None
    e = items[0]
    c.equal(int(e["pfn"], 16), int(tr["fired"]["pfns"][0], 16),
            f"{name}: the pfn read first from /proc/kpageflags")
    c.equal(int(e["pfn"], 16), int(first, 16), f"{name}: the first poisoned pfn")
    c.equal(e["struct_page"], page, f"{name}: its struct page (guest module)")
    lo, hi = (int(x, 16) for x in e["in_range"].split()[0].split("-"))
    c.check(lo <= int(e["pfn"], 16) < hi and hi - lo == int(inj.get("npfn") or inj["count"]),
            f"{name}: in the poisoned range {e['in_range']}")
    check_registers(name, e, oops_registers(console(d)), lambda v: v == int(page, 16))
    return e


def class_b(name, d, rep):
    inj = vtlib.truth(d)["injection"]
    verdict, items = evidence(rep, "pgd-desync", "crash-pgd")
    c.equal(verdict, "fired", f"{name}: pgd-desync fired")
    if not c.equal(len(items), 1, f"{name}: one crash-pgd item"):
        return None
    e = items[0]
    pgd_pfn = int(inj["pgd_pa"], 16) >> 12
    c.equal(int(e["pgd_pfn"], 16), pgd_pfn, f"{name}: the pgd's pfn (guest module)")
    c.equal(e["mm"], inj["mm"], f"{name}: its mm (guest module)")
    c.equal(int(e["slot"]), inj["index"], f"{name}: the slot (guest module)")
    c.equal(int(e["pgd"], 16), int(inj["new"], 16), f"{name}: the pgd's entry (guest module)")
    c.equal(int(e["init_top_pgt"], 16), int(inj["init_entry"], 16),
            f"{name}: init_top_pgt's entry (guest module)")
    # what a register may hold: the pgd's struct page (or its lru), a
    # pointer into the pgd, either entry, or an address in the slot
    page, entries = int(e["pgd_page"], 16), {int(inj["new"], 16), int(inj["init_entry"], 16)}
    pgd_va = int(inj["pgd"], 16)

    def ok(v):
        return (v in (page, page + 8) or v in entries or pgd_va <= v < pgd_va + 4096
                or (v >> 63 and (v >> 39) & 511 == inj["index"]))
    check_registers(name, e, oops_registers(console(d)), ok)
    c.check("the pgd's struct page" in e.get("register_roles", ""),
            f"{name}: a register is named as the pgd's struct page ({e.get('register_roles')})")
    return e


def class_d(name, d, rep):
    inj = vtlib.truth(d)["injection"]
    verdict, items = evidence(rep, "ptfrag-count", "crash-table-page")
    c.equal(verdict, "fired", f"{name}: ptfrag-count fired")
    if not c.equal(len(items), 1, f"{name}: one crash-table-page item"):
        return None
    e = items[0]
    c.equal(e["pfn"], inj["pfn"], f"{name}: fragment page pfn (guest module)")
    c.equal(e["page"], inj["page"], f"{name}: its struct page (guest module)")
    c.check(int(e["pt_frag_refcount"]) <= 0, f"{name}: a count the BUG_ON rejects "
            f"({e['pt_frag_refcount']})")
    if int(e.get("_refcount", "0")) > 0:   # the mm's teardown subtracted the cache first
        c.equal(int(e["pt_frag_refcount"]), inj["pt_frag_refcount_after"] - inj["cached"],
                f"{name}: the injected count less the cached fragments")
    page, pfn = int(inj["page"], 16), int(inj["pfn"], 16)
    page_size = 1 << inj["page_shift"]
    linear = int(inj["page_va"], 16) - (pfn << inj["page_shift"])
    check_registers(name, e, oops_registers(console(d)),
                    lambda v: page <= v < page + 64 or (v - linear) // page_size == pfn)
    return e


# name, check, plugin and evidence kind
FIRED = [("ppc-a-fired", class_a, "ptfrag-early", "crash-table-page"),
         ("x86-e-fired", class_e, "uninit-pages", "crash-page"),
         ("arm64-deb13-e-fired", class_e, "uninit-pages", "crash-page"),
         ("x86-b-conflict-fired", class_b, "pgd-desync", "crash-pgd"),
         ("ppc-d-fired", class_d, "ptfrag-count", "crash-table-page")]

for name, check, plugin, kind in FIRED:
    d = vtlib.dumpdir(name)
    vmlinux = os.path.join(d, "vmlinux")
    for fmt in ("vmcore.elf", "vmcore.kdump-zlib"):
        dump = os.path.join(d, fmt)
        if not os.path.exists(dump):
            continue
        rep = report(dump, vmlinux)
        if not rep:
            continue
        item = check(f"{name}/{fmt}", d, rep)
        if fmt != "vmcore.elf" or item is None:
            continue
        with tempfile.TemporaryDirectory(prefix="vt-cutlog.", dir=TMP) as tmp:
            cut = os.path.join(tmp, "cut.elf")
            ok, out = vtlib.cut_log(dump, cut, vmlinux)
            if not c.check(ok, f"{name}: cutlog: {out[-300:]}"):
                continue
            rep2 = report(cut, vmlinux)
            if rep2:
                _, items = evidence(rep2, plugin, kind)
                same = [{k: v for k, v in i.items() if k != "fault_address"} for i in items]
                c.equal(same, [{k: v for k, v in item.items() if k != "fault_address"}],
                        f"{name} (log cut): the same evidence from the registers")
    twin = vtlib.truth(d).get("twin") or vtlib.truth(d).get("base_scenario")
    td = vtlib.dumpdir(twin)
    rep = report(os.path.join(td, "vmcore.elf"), os.path.join(td, "vmlinux"))
    if rep:
        kinds = [e["kind"] for r in rep["results"] for e in r["evidence"]]
        c.check(not any(k.startswith("crash-") for k in kinds),
                f"{twin} (untouched twin): no crash evidence, got {kinds}")
    print(f"{name}: evidence checked")
c.done()
