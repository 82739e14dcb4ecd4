#!/usr/bin/python3
"""Validity check of a fired scenario (lib/gen-variant.sh): the guest really
died of its bug class, as the console showed, and the dump says so too.

usage: check-fired.py DIR [--core FILE]

Checks (truth.json "fired", recorded by lib/run_fired.py from the console):
  * the console.log has the recorded oops/BUG, pc and panic lines;
  * the dump's own printk ring (drgn's get_printk_records) has them too:
    the log in the dump shows the death;
  * panic_cpu in the dump is the CPU the console named, and the task with
    panic_pid has the console's comm;
  * class E (x86, arm64): the oops is the fault at fffffffffffffffe (or a
    member of that poisoned head: arm64 6.12 reads +0x18 first and faults at
    0x16, "NULL pointer dereference") with the pc in stable_page_flags and kpageflags_read in the trace (the injected
    struct pages are checked by ARCH/check-injection.py);
  * class A (ppc64): the pc is in pmd_fragment_free, the trace goes through
    the section-mapping removal; the injected PMD table page (truth.injection
    table_pa) still has pt_frag_refcount 0 and no PG_reserved (the BUG_ON is
    before the decrement), its PUD entry still names it (before
    pud_clear), and every one of its entries is none (the removal emptied
    it, which is why it was being freed); truth.gva2gpa matches the dump's
    radix walk and the removed dimm's translations (gva2gpa_undone_by_fire)
    no longer resolve.
  * class B (x86): the BUG is in arch/x86/mm/init_64.c with RIP in
    sync_global_pgds, vmemmap_populate and add_memory_resource in the trace;
    the two pgd entries it compared (the process's slot, init_top_pgt's)
    are in the dump as injected;
  * class D (ppc64): NIP in pte_fragment_free; the injected fragment page
    has the count the BUG_ON read: the injected count minus the cached
    fragments (the mm's teardown went first), or <= 0 on a freed page.
--core defaults to the arch's drgn-readable dump (x86: vmcore.kdump-zlib,
ppc64: vmcore.elf, arm64: a /proc/vmcore-style copy of vmcore.elf made by
arm64/elf-for-drgn.py).  Run with Debian's /usr/bin/python3 (python3-drgn).
Exit 0: all match; 1 with the failed checks named.
"""
import importlib.util
import os
import re
import struct
import subprocess
import sys

LIB = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(LIB)
sys.path.insert(0, LIB)
import dumpcheck  # noqa: E402  (exits with a message without python3-drgn)
from dumpcheck import h, need, release  # noqa: E402
import drgn  # noqa: E402
from drgn.helpers.linux.pid import find_task  # noqa: E402
from drgn.helpers.linux.printk import get_printk_records  # noqa: E402
from drgn.helpers.linux.sched import idle_task  # noqa: E402

STAMP = re.compile(r"^\[\s*[0-9.]+\]\s?")
DEATH_KEYS = ("oops_line", "bug_line", "pc_line", "panic_line")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def open_core(s):
    """drgn on the arch's readable dump."""
    arch = s.truth["arch"]
    if s.core:
        return s.prog(s.core), os.path.basename(s.core)
    if arch == "x86_64":
        return s.prog("vmcore.kdump-zlib"), "vmcore.kdump-zlib"
    if arch == "ppc64le":
        return s.prog("vmcore.elf"), "vmcore.elf"
    if arch == "aarch64":
        # QEMU's aarch64 ELF has p_vaddr = p_paddr: drgn needs the
        # /proc/vmcore-style copy (as arm64/check-injection.py makes it)
        out = os.path.join(s.scratch(), "drgn.elf")
        subprocess.run([sys.executable, os.path.join(TESTDATA, "arm64", "elf-for-drgn.py"),
                        s.path("vmcore.elf"), out, s.path("truth.json")], check=True)
        return s.prog(out), "vmcore.elf (elf-for-drgn copy)"
    raise dumpcheck.CheckError(f"unknown arch {arch}")


def check_common(s, prog, f):
    t = s.truth
    con = [STAMP.sub("", ln.rstrip("\r\n")) for ln in open(s.path("console.log"), errors="replace")]
    recs = [r.text.decode(errors="replace") for r in get_printk_records(prog)]
    for k in DEATH_KEYS:
        if f.get(k):
            s.check(any(f[k] in ln for ln in con), f"console.log has the {k}: {f[k]!r}")
            s.check(any(f[k] in r for r in recs), f"the dump's printk ring has the {k}")
    need(f.get("panic_line"), "truth.fired has no panic line")
    task = f.get("task")
    need(task, "truth.fired names no dying task (CPU: N PID: P Comm: C)")
    pc = prog["panic_cpu"]
    try:
        pc = pc.counter         # atomic_t (an int in older kernels)
    except (AttributeError, TypeError, LookupError):
        pass
    pc = pc.value_()
    s.check(pc == task["cpu"], f"panic_cpu {pc} == the console's CPU {task['cpu']}")
    s.check(t["panic_pid"] == task["pid"], f"truth.panic_pid {t['panic_pid']} == the console's PID {task['pid']}")
    # pid 0: the CPU's idle task (a death in a softirq on an idle CPU)
    tk = idle_task(prog, task["cpu"]) if task["pid"] == 0 else find_task(prog, task["pid"])
    s.check(bool(tk) and tk.comm.string_().decode() == task["comm"],
            f"task {task['pid']} in the dump is {task['comm']}")
    return recs


def check_e(s, f):
    addr = re.search(r"(?:address:?|virtual address) ([0-9a-f]{16})", f["oops_line"] or "")
    off = (int(addr.group(1), 16) - 0xfffffffffffffffe) % 2**64 if addr else None
    s.check(off is not None and off < 64 and hex(int(addr.group(1), 16)) == f.get("fault_address"),
            f"E: the fault is at 0xfffffffffffffffe + {off} (the poisoned head or a member of it): "
            f"{f['oops_line']!r}")
    s.check("stable_page_flags" in (f["pc_line"] or ""), f"E: pc in stable_page_flags ({f['pc_line']!r})")
    s.check("kpageflags_read" in f["trace"], f"E: kpageflags_read in the trace {f['trace'][:4]}")


def check_a(s, prog, f):
    t, inj = s.truth, s.truth["injection"]
    s.check(bool(f["bug_line"]) and re.search(r"kernel BUG at arch/powerpc/mm/", f["bug_line"]),
            f"A: kernel BUG in arch/powerpc/mm ({f['bug_line']!r})")
    s.check("pmd_fragment_free" in (f["pc_line"] or ""), f"A: NIP in pmd_fragment_free ({f['pc_line']!r})")
    path = set(f["trace"]) | {re.sub(r"\+.*", "", (f.get("lr_line") or "").split("] ")[-1])}
    want = {"remove_pagetable", "radix__remove_section_mapping", "dlpar_remove_lmb"}
    s.check(want <= path, f"A: LR/trace through {sorted(want)}")
    # the table page in the dump: ppc64/check-injection.py's radix reader
    ck = load(os.path.join(TESTDATA, "ppc64", "check-injection.py"), "vt_ppc_check")
    shift = t["layout"]["page_shift"]
    D = ck.Dump(s.path("vmcore.elf"), s.vmlinux, shift)
    D.kpgd = D.prog["init_mm"].pgd.value_() - ck.PAGE_OFFSET
    table_pa = h(inj["table_pa"])
    page_t = prog.type("struct page")
    try:
        off_frag = page_t.member("pt_frag_refcount").offset
    except LookupError:
        off_frag = prog.type("struct ptdesc").member("pt_frag_refcount").offset
    ppa = D.kpa(prog["vmemmap"].value_() + (table_pa >> shift) * page_t.size)
    flags = struct.unpack("<Q", D.phys(ppa, 8))[0]
    frag = struct.unpack("<i", D.phys(ppa + off_frag, 4))[0]
    resv = flags >> prog["PG_reserved"].value_() & 1
    s.check(frag == 0 and not resv, f"A: table page pfn 0x{table_pa >> shift:x}: pt_frag_refcount {frag}, "
                                    f"PG_reserved {resv} (want 0, 0)")
    pud = struct.unpack(">Q", D.phys(h(inj["pud_entry_va"]) - ck.PAGE_OFFSET, 8))[0]
    s.check(pud == h(inj["pud_entry"]), f"A: PUD entry 0x{pud:x} still names the table "
                                        f"(injection: {inj['pud_entry']})")
    ents = struct.unpack(">512Q", D.phys(table_pa, 8 * 512))
    used = [i for i, e in enumerate(ents) if e]
    s.check(not used, f"A: the PMD table at 0x{table_pa:x} is empty (non-none: {used[:8]})")
    # QEMU's translations: the kept ones hold in the dump, the ones of the
    # removed dimm (taken before the removal) no longer translate
    bad = []
    for e in t["gva2gpa"]:
        pa, _ = D.walk(D.kpgd, h(e["va"]))
        if pa != (h(e["pa"]) if e["pa"] else None):
            bad.append(e)
    s.check(not bad, f"A: {len(t['gva2gpa'])} gva2gpa entries match the dump's radix walk ({bad[:2]})")
    undone = t.get("gva2gpa_undone_by_fire", [])
    still = [e for e in undone if D.walk(D.kpgd, h(e["va"]))[0] is not None]
    s.check(undone and not still, f"A: {len(undone)} linear-map translations of the removed dimm "
                                  f"are gone from the dump ({still[:2]})")


def check_b(s, prog, f):
    inj = s.truth["injection"]
    s.check(bool(f["bug_line"]) and "kernel BUG at arch/x86/mm/init_64.c" in f["bug_line"],
            f"B: kernel BUG in arch/x86/mm/init_64.c ({f['bug_line']!r})")
    s.check("sync_global_pgds" in (f["pc_line"] or ""), f"B: RIP in sync_global_pgds ({f['pc_line']!r})")
    # (arch_add_memory is inlined: add_pages, add_memory_resource name the hot-add)
    s.check("vmemmap_populate" in f["trace"] and "add_memory_resource" in f["trace"],
            f"B: vmemmap_populate and add_memory_resource in the trace {f['trace'][:8]}")
    # the two entries the BUG_ON compared, still in the dump
    slot = inj["index"]
    pgd = prog.read_u64(prog["page_offset_base"].value_() + h(inj["pgd_pa"]) + 8 * slot)
    ref = prog.read_u64(prog.symbol("init_top_pgt").address + 8 * slot)   # an asm symbol
    s.check(pgd == h(inj["new"]), f"B: the pgd's slot {slot} is 0x{pgd:x} (injected {inj['new']})")
    s.check(ref == h(inj["init_entry"]), f"B: init_top_pgt[{slot}] is 0x{ref:x} ({inj['init_entry']})")


def check_d(s, prog, f):
    inj = s.truth["injection"]
    s.check(bool(f["bug_line"]) and re.search(r"kernel BUG at arch/powerpc/mm/", f["bug_line"]),
            f"D: kernel BUG in arch/powerpc/mm ({f['bug_line']!r})")
    s.check("pte_fragment_free" in (f["pc_line"] or ""), f"D: NIP in pte_fragment_free ({f['pc_line']!r})")
    # the injected fragment page, as the BUG_ON read it: count <= 0.  Two
    # orders lead there: the mm's teardown subtracted the cached fragments
    # (destroy_pagetable_cache) before the RCU-deferred fragment frees ran,
    # so the first of them reads after - cached; or those frees ran first,
    # the count reached 0 on the used-th - 1 and freed the page (_refcount 0)
    # (drgn cannot read the vmemmap of a QEMU ELF: ppc64/check-injection.py's
    # radix reader translates it)
    ck = load(os.path.join(TESTDATA, "ppc64", "check-injection.py"), "vt_ppc_check")
    D = ck.Dump(s.path("vmcore.elf"), s.vmlinux, s.truth["layout"]["page_shift"])
    D.kpgd = D.prog["init_mm"].pgd.value_() - ck.PAGE_OFFSET
    page_t = prog.type("struct page")
    try:
        off_frag = page_t.member("pt_frag_refcount").offset
    except LookupError:
        off_frag = prog.type("struct ptdesc").member("pt_frag_refcount").offset
    ppa = D.kpa(h(inj["page"]))
    frag = struct.unpack("<i", D.phys(ppa + off_frag, 4))[0]
    ref = struct.unpack("<i", D.phys(ppa + page_t.member("_refcount").offset, 4))[0]
    cache_first = frag == inj["pt_frag_refcount_after"] - inj["cached"] and ref > 0
    frees_first = ref == 0 and frag <= 0
    s.check(cache_first or frees_first,
            f"D: fragment page {inj['page']} (pfn {inj['pfn']}): pt_frag_refcount {frag}, _refcount {ref} "
            f"(want {inj['pt_frag_refcount_after']} - {inj['cached']} cached with the page in use, "
            "or <= 0 with the page freed)")


def run(s):
    t = s.truth
    f = t.get("fired")
    need(f, "truth.json has no 'fired' (not a fired scenario)")
    prog, what = open_core(s)
    print(f"{s.name}: {what}")
    need(release(prog) == t["kernel_release"], f"release {t['kernel_release']}")
    check_common(s, prog, f)
    cls = t.get("fired_class")
    if cls == "E":
        check_e(s, f)
    elif cls == "A":
        check_a(s, prog, f)
    elif cls == "B":
        check_b(s, prog, f)
    elif cls == "D":
        check_d(s, prog, f)
    else:
        need(False, f"unknown fired_class {cls!r}")
    if not s.failures:
        print(f"check-fired: {s.name}: class {cls} fired as recorded: "
              + " | ".join(f[k] for k in DEATH_KEYS if f.get(k)))


if __name__ == "__main__":
    dumpcheck.main(run)
