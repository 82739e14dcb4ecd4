#!/usr/bin/python3
"""Check that an arm64 scenario's dumps really contain what truth.json says.

usage: check-injection.py SCENARIO_DIR   (scaffolding: lib/dumpcheck.py)

With drgn (Debian's python3-drgn 0.0.22, which knows aarch64) + vmlinux on a
temporary copy of vmcore.elf with /proc/vmcore-style program headers
(elf-for-drgn.py: drgn 0.0.22 cannot use QEMU's ELF as is, its PT_LOAD p_vaddr
equal p_paddr, "recursive address translation"; nor QEMU's kdump, whose
header names no architecture):
  * the release; the makedumpfile files (where there are: Debian's
    makedumpfile cannot convert the 6.12 arm64 kernel) open and agree, and
    their memory equals the ELF's at every gva2gpa physical address;
  * vmcore.elf: its VMCOREINFO note equals the one the guest had
    (truth.vmcoreinfo, read by QEMU before the panic), and its memory equals
    the kdump file's at every gva2gpa physical address;
  * translations: an arm64 4-level (4K granule) walk of our own over physical
    reads, from swapper_pg_dir (kernel) or the process's mm->pgd (user), must
    give QEMU's gva2gpa answer for every entry (unmapped included); and the
    page drgn reads at the virtual address (drgn's own page-table walk; for
    user addresses access_remote_vm) must equal the physical page QEMU named;
  * class E: injected -- the struct pages of the module's pfns are all 0xff,
    their neighbours are not, and no other struct page in any present
    section is; clean -- no struct page anywhere is all 0xff, and the
    candidate hole pfns (truth.e_candidate) are intact PG_reserved pages.
Exits non-zero with a message naming the failed check.
"""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import dumpcheck  # noqa: E402  (exits with a message without python3-drgn)
from dumpcheck import CheckError, ElfCore, h, need, open_prog, release  # noqa: E402
import drgn  # noqa: E402
from drgn.helpers.linux.mm import access_remote_vm, pfn_to_page  # noqa: E402,F401
from drgn.helpers.linux.pid import find_task  # noqa: E402

PAGE = 4096
OA_MASK = 0x0000FFFFFFFFF000        # output address bits [47:12] (48-bit PA)
OA_MASK_LPA2 = 0x0003FFFFFFFFF000   # LPA2 (TCR.DS=1): OA[49:12] here, OA[51:50] in bits [9:8]


EM_AARCH64 = 183


def walk(prog, pgd_pa, va, va_bits):
    """arm64 stage-1 walk, 4K granule: 4 levels (0..3) for 48-bit VA; 5 levels
    (-1..3) and the LPA2 descriptor format for 52-bit VA. The PA, or None if
    unmapped."""
    lpa2 = va_bits > 48
    levels = [(-1, 48, va_bits - 48)] if lpa2 else []
    levels += [(0, 39, 9), (1, 30, 9), (2, 21, 9), (3, 12, 9)]

    def oa(d):
        if lpa2:
            return (d & OA_MASK_LPA2) | (((d >> 8) & 3) << 50)
        return d & OA_MASK
    table = pgd_pa
    for lvl, shift, bits in levels:
        idx = (va >> shift) & ((1 << bits) - 1)
        d = struct.unpack("<Q", prog.read(table + 8 * idx, 8, True))[0]
        if not d & 1:
            return None
        if lvl == 3:
            need(d & 2, f"walk 0x{va:x}: reserved level-3 descriptor 0x{d:x}")
            return oa(d) | (va & 0xFFF)
        if not d & 2:               # block (level 1: 1 GiB, level 2: 2 MiB; LPA2: level 0 512 GiB)
            need(lvl in (0, 1, 2), f"walk 0x{va:x}: block descriptor at level {lvl}")
            size = 1 << shift
            return (oa(d) & ~(size - 1)) | (va & (size - 1))
        table = oa(d)
    raise CheckError("unreachable")


def kread(prog, pgd_pa, va_bits, va, n):
    """Read kernel virtual memory through our own walk (page by page)."""
    out = bytearray()
    while n > 0:
        pa = walk(prog, pgd_pa, va, va_bits)
        need(pa is not None, f"0x{va:x} is not mapped in the dump's swapper_pg_dir")
        k = min(n, PAGE - (va & 0xFFF))
        out += prog.read(pa, k, True)
        va, n = va + k, n - k
    return bytes(out)


def check(sc):
    d, truth, vml, scen = sc.dir, sc.truth, sc.vmlinux, sc.name
    delf = os.path.join(sc.scratch(), "drgn.elf")
    subprocess.run([sys.executable, os.path.join(HERE, "elf-for-drgn.py"), os.path.join(d, "vmcore.elf"),
                    delf, os.path.join(d, "truth.json")], check=True)
    prog = open_prog(delf, vml)
    rel = release(prog)
    need(rel == truth["kernel_release"], f"release {rel} != truth {truth['kernel_release']}")
    kdumps = {}
    for f in ("vmcore.kdump-zlib", "vmcore.kdump-d31"):
        if os.path.exists(os.path.join(d, f)):
            kdumps[f] = open_prog(os.path.join(d, f), vml)
            r = release(kdumps[f])
            need(r == rel, f"{f}: release {r}")
    print(f"check-injection: {scen}: release {rel}; drgn opens vmcore.elf (p_vaddr fixed copy)"
          + "".join(f", {f}" for f in kdumps))

    # ---- vmcore.elf: VMCOREINFO note and memory
    elf = ElfCore(os.path.join(d, "vmcore.elf"), EM_AARCH64)
    vi = elf.note("VMCOREINFO")
    need(vi is not None, "vmcore.elf has no VMCOREINFO note (-device vmcoreinfo + qemu_fw_cfg)")
    kv = dict(l.split("=", 1) for l in vi.decode().splitlines() if "=" in l)
    for k, v in truth["vmcoreinfo"]["lines"].items():
        need(kv.get(k) == v, f"vmcore.elf VMCOREINFO {k}={kv.get(k)} != truth {v}")
    need(len(elf.loads) >= 1, "vmcore.elf has no PT_LOAD")

    lay = truth["layout"]
    kvo = h(lay["kimage_voffset"])
    page_offset, phys_offset = h(lay["page_offset"]), h(lay["phys_offset"])
    va_rt = lay["va_bits_runtime"]
    need(lay["page_shift"] == 12 and va_rt in (48, 52),
         f"walker knows 4K pages, 48/52-bit VA only (page_shift {lay['page_shift']}, VA {va_rt})")
    kpgd = h(truth["vmcoreinfo"]["lines"]["SYMBOL(swapper_pg_dir)"]) - kvo
    need(prog.symbol("swapper_pg_dir").address - kvo == kpgd, "swapper_pg_dir symbol vs vmcoreinfo")

    # drgn 0.0.22 walks with the configured VA_BITS: a VA_BITS=52 kernel running
    # with 48-bit VAs (no LPA2) defeats it outside the linear map and the image
    drgn_walks = lay["va_bits"] == va_rt
    drgn_faults = []

    # ---- translations
    user_pgd = {}
    nk = nu = distinct = 0
    for e in truth["gva2gpa"]:
        va = h(e["va"])
        want = h(e["pa"]) if e["pa"] else None
        if "pid" in e:
            if e["pid"] not in user_pgd:
                task = find_task(prog, e["pid"])
                need(bool(task) and bool(task.mm), f"pid {e['pid']} or its mm not in the dump")
                user_pgd[e["pid"]] = (task.mm, (task.mm.pgd.value_() - page_offset + phys_offset) % 2**64)
            mm, pgd = user_pgd[e["pid"]]
            nu += 1
        else:
            mm, pgd = None, kpgd
            nk += 1
        got = walk(prog, pgd, va, va_rt)
        need(got == want, f"walk of {e['va']} ({e['kind']}) gives "
             f"{hex(got) if got is not None else None}, QEMU said {e['pa']}")
        if want is None:
            continue
        pg_va, pg_pa = va & ~0xFFF, want & ~0xFFF
        phys = prog.read(pg_pa, PAGE, True)
        need(elf.phys(pg_pa, PAGE) == phys, f"drgn's physical read of vmcore.elf is wrong at 0x{pg_pa:x}")
        if "vmcore.kdump-zlib" in kdumps:
            need(kdumps["vmcore.kdump-zlib"].read(pg_pa, PAGE, True) == phys,
                 f"vmcore.elf and vmcore.kdump-zlib differ at 0x{pg_pa:x}")
        try:
            virt = access_remote_vm(mm, pg_va, PAGE) if mm is not None else prog.read(pg_va, PAGE)
        except drgn.FaultError:
            if drgn_walks:
                raise
            drgn_faults.append(e["kind"])
            continue
        need(virt == phys, f"drgn's read of the page at 0x{pg_va:x} ({e['kind']}) is not the page "
             f"at QEMU's 0x{pg_pa:x}")
        distinct += phys.count(0) != PAGE
    print(f"check-injection: {scen}: {nk} kernel + {nu} user gva2gpa entries: our {va_rt}-bit walk == QEMU; "
          f"drgn reads the same pages ({distinct} of them not all-zero)"
          + ("; vmcore.elf == kdump-zlib there" if "vmcore.kdump-zlib" in kdumps else ""))
    if drgn_faults:
        print(f"check-injection: {scen}: note: drgn 0.0.22 cannot translate {len(drgn_faults)} of them "
              f"({', '.join(sorted(set(drgn_faults)))}): VA_BITS={lay['va_bits']} kernel running "
              f"{va_rt}-bit (known drgn limitation; our walk agrees with QEMU)")

    # ---- class E: all-0xff struct pages in every present section
    sp = prog.type("struct page").size
    need(sp == lay["struct_page_size"], f"sizeof(struct page) {sp}")
    vmemmap = h(lay["vmemmap"])
    if drgn_walks:
        need(pfn_to_page(prog, 0x40000).value_() == (vmemmap + 0x40000 * sp) % 2**64,
             "drgn's pfn_to_page disagrees with truth.layout.vmemmap")

    def kr(va, n):
        return kread(prog, kpgd, va_rt, va % 2**64, n)
    sbits = lay["section_size_bits"] - 12
    per_root = PAGE // prog.type("struct mem_section").size
    ms_root = prog["mem_section"]
    max_pfn = prog["max_pfn"].value_()
    ff = []
    nsec = 0
    for nr in range((max_pfn >> sbits) + 1):
        root = ms_root[nr // per_root]
        if not root.value_():
            continue
        ms = root[nr % per_root]
        if not ms.section_mem_map.value_() & 1:      # SECTION_MARKED_PRESENT
            continue
        nsec += 1
        base = nr << sbits
        data = kr(vmemmap + base * sp, (1 << sbits) * sp)
        allff = b"\xff" * sp
        i = data.find(allff)
        while i >= 0:
            if i % sp == 0:
                ff.append(base + i // sp)
                i = data.find(allff, i + sp)
            else:
                i = data.find(allff, i + 1)
    inj = truth.get("injection")
    if inj:
        first, n = h(inj["pfn_first"]), inj["count"]
        need((vmemmap + first * sp) % 2**64 == h(inj["struct_page_first"]),
             f"E: struct page of pfn 0x{first:x} at {inj['struct_page_first']} (module)")
        need(ff == list(range(first, first + n)),
             f"E: all-0xff struct pages at pfns {[hex(p) for p in ff[:20]]}, want 0x{first:x}+{n}")
        for p in (first - 1, first + n):
            flags, = struct.unpack("<Q", kr(vmemmap + p * sp, 8))
            need(flags != 2**64 - 1, f"E: neighbour pfn 0x{p:x} poisoned")
        for f, kp in kdumps.items():     # the vmemmap page is kernel data: kept by -d 31 too
            need(kp.read(h(inj["struct_page_first"]), n * sp) == b"\xff" * (n * sp),
                 f"E: {f}: the struct pages are not 0xff")
        print(f"check-injection: {scen}: E ok: struct pages of pfns 0x{first:x}..0x{first + n - 1:x} "
              f"are 0xff, nothing else in {nsec} present sections")
    else:
        need(not ff, f"clean: all-0xff struct pages at pfns {[hex(p) for p in ff[:20]]}")
        c = truth.get("e_candidate")
        if c:
            pg_reserved = prog["PG_reserved"].value_()
            for p in range(h(c["pfn_first"]), h(c["pfn_first"]) + c["count"]):
                flags, = struct.unpack("<Q", kr(vmemmap + p * sp, 8))
                need(flags & (1 << pg_reserved), f"clean: candidate pfn 0x{p:x} flags 0x{flags:x} "
                     "not PG_reserved")
        print(f"check-injection: {scen}: clean: no all-0xff struct page in {nsec} present sections"
              + (f"; hole pfns {c['pfn_first']}+{c['count']} PG_reserved" if c else ""))


if __name__ == "__main__":
    dumpcheck.main(check)
