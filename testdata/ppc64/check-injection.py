#!/usr/bin/env python3
"""Check that a ppc64le scenario's dumps really contain what truth.json says.

usage: check-injection.py SCENARIO_DIR   (scaffolding: lib/dumpcheck.py)

With drgn (Debian's python3-drgn, 0.0.22) on vmcore.elf + vmlinux:
  * the release, and that the kdump files open and agree (read physically:
    drgn 0.0.22 walks ppc64 page tables for 64 KiB pages only, "Unsupported
    page shift: 12" on the 4 KiB 6.12 kernel);
  * a radix page-table walker of our own over physical reads (drgn 0.0.22
    cannot translate vmemmap 0xc00c... or vmalloc 0xc008... on ppc64):
    init_mm.pgd, big-endian entries, bit 62 _PAGE_PTE = leaf, the level
    geometry from truth.layout.page_shift (64 KiB: 13/9/9/5 bits, 4 KiB:
    13/9/9/9). Every gva2gpa truth entry (QEMU's translation before the
    panic) must walk to the same physical address in the dump;
  * the injected state of truth["injection"] (A, C, D, E), read from the dump;
    for the clean twin, that none of those states is there.
Exits non-zero with a message naming the failed check.
"""
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import dumpcheck  # noqa: E402  (exits with a message without python3-drgn)
from dumpcheck import CheckError, need, open_prog, release  # noqa: E402
import drgn  # noqa: E402
from drgn.helpers.linux.pid import find_task  # noqa: E402

PAGE_OFFSET = 0xC000000000000000
PTE_PRESENT = 1 << 63
PTE_LEAF = 1 << 62                     # _PAGE_PTE
NLB_MASK = 0x0FFFFFFFFFFFFF00          # next-level base (~0xc0000000000000ff)
RPN_MASK = 0x01FFFFFFFFFFF000          # leaf RPN (then aligned to the level)
# radix (shift, index bits) per level, by page shift:
#   64 KiB pages: PGD 13 | PUD 9 | PMD 9 | PTE 5 | offset 16
#    4 KiB pages: PGD 13 | PUD 9 | PMD 9 | PTE 9 | offset 12
RADIX_LEVELS = {16: [(39, 13), (30, 9), (21, 9), (16, 5)],
                12: [(39, 13), (30, 9), (21, 9), (12, 9)]}
ASSIGNED = 0x8


class Kdump:
    """Minimal reader of makedumpfile's kdump-compressed format (diskdump
    header, kdump sub-header, two bitmaps, page descriptors; zlib pages):
    physical reads without drgn/libkdumpfile, which refuse 4 KiB ppc64."""

    def __init__(self, path):
        self.f = open(path, "rb")
        h = self.f.read(464)
        need(h[:8] == b"KDUMP   ", f"{path}: not a kdump file (signature {h[:8]!r})")
        self.version = struct.unpack_from("<i", h, 8)[0]
        self.utsname = [h[12 + 65 * i:12 + 65 * (i + 1)].split(b"\0")[0].decode() for i in range(6)]
        (self.block_size, sub_hdr_size, bitmap_blocks,
         max_mapnr) = struct.unpack_from("<iiII", h, 428)
        self.f.seek(self.block_size)
        sub = self.f.read(120)
        if self.version >= 6:
            max_mapnr = struct.unpack_from("<Q", sub, 96)[0]
        self.max_mapnr = max_mapnr
        bm_off = self.block_size * (1 + sub_hdr_size)
        half = bitmap_blocks * self.block_size // 2
        self.f.seek(bm_off + half)
        self.bitmap2 = int.from_bytes(self.f.read(half), "little")
        self.desc_off = bm_off + bitmap_blocks * self.block_size

    def page(self, pfn):
        """The page's bytes, or None when the dump left it out (filtered)."""
        if pfn >= self.max_mapnr or not (self.bitmap2 >> pfn) & 1:
            return None
        idx = (self.bitmap2 & ((1 << pfn) - 1)).bit_count()
        self.f.seek(self.desc_off + 24 * idx)
        off, size, flags, _ = struct.unpack("<qIIQ", self.f.read(24))
        self.f.seek(off)
        data = self.f.read(size)
        if flags & 0x1:
            data = zlib.decompress(data)
        else:
            need(flags == 0, f"kdump page {pfn:#x}: compression flags {flags:#x} not handled")
        need(len(data) == self.block_size, f"kdump page {pfn:#x}: {len(data)} bytes")
        return data

    def read(self, pa, n):
        out = b""
        while n:
            pfn, off = divmod(pa, self.block_size)
            pg = self.page(pfn)
            need(pg is not None, f"kdump: pfn {pfn:#x} not in the dump")
            k = min(n, self.block_size - off)
            out += pg[off:off + k]
            pa += k
            n -= k
        return out


class Dump:
    def __init__(self, path, vmlinux, page_shift):
        self.prog = open_prog(path, vmlinux)
        self.levels = RADIX_LEVELS[page_shift]

    def release(self):
        """init_uts_ns.name.release, read physically (linear-map address)."""
        p = self.prog
        va = p.symbol("init_uts_ns").address + drgn.offsetof(p.type("struct uts_namespace"), "name.release")
        return self.phys(va - PAGE_OFFSET, 65).split(b"\0")[0].decode()

    def phys(self, pa, n):
        return self.prog.read(pa, n, True)

    def u64be(self, pa):
        return struct.unpack(">Q", self.phys(pa, 8))[0]

    def walk(self, pgd_pa, va):
        """(pa, [(level, table_pa, entry)]) or (None, path) when unmapped."""
        ea = va & 0x000FFFFFFFFFFFFF
        table, path = pgd_pa, []
        for lvl, (shift, bits) in enumerate(self.levels):
            idx = (ea >> shift) & ((1 << bits) - 1)
            e = self.u64be(table + 8 * idx)
            path.append((lvl, table, e))
            if not e & PTE_PRESENT:
                return None, path
            if e & PTE_LEAF:
                return (e & RPN_MASK & ~((1 << shift) - 1)) | (ea & ((1 << shift) - 1)), path
            table = e & NLB_MASK
        raise CheckError(f"walk 0x{va:x}: no leaf after the PTE level")

    def kpa(self, va):
        pa, _ = self.walk(self.kpgd, va)
        need(pa is not None, f"0x{va:x} does not translate in the dump's init_mm")
        return pa


def check(sc):
    d, truth, vml = sc.dir, sc.truth, sc.vmlinux
    shift = truth["layout"].get("page_shift", 16)
    psize = 1 << shift
    D = Dump(os.path.join(d, "vmcore.elf"), vml, shift)
    prog = D.prog
    rel = release(prog)
    need(rel == truth["kernel_release"], f"release {rel} != truth {truth['kernel_release']}")
    need(D.release() == rel, f"vmcore.elf: physical read of the release gives {D.release()!r}")
    rel_pa = (prog.symbol("init_uts_ns").address - PAGE_OFFSET
              + drgn.offsetof(prog.type("struct uts_namespace"), "name.release"))
    for f in ("vmcore.kdump-zlib", "vmcore.kdump-d31"):
        k = Kdump(os.path.join(d, f))
        need(k.block_size == psize and k.utsname[2] == rel,
             f"{f}: header block_size {k.block_size}, release {k.utsname[2]!r}")
        r = k.read(rel_pa, 65).split(b"\0")[0].decode()
        need(r == rel, f"{f}: init_uts_ns release {r!r}")
        if shift == 16:   # drgn 0.0.22 (libkdumpfile) opens 64 KiB ppc64 kdumps only
            r = Dump(os.path.join(d, f), vml, shift).release()
            need(r == rel, f"{f}: release through drgn {r}")
    D.kpgd = prog["init_mm"].pgd.value_() - PAGE_OFFSET
    for e in truth["gva2gpa"]:
        va = int(e["va"], 16)
        pa, _ = D.walk(D.kpgd, va)
        want = int(e["pa"], 16) if e["pa"] else None
        need(pa == want, f"radix walk of {e['va']} ({e['kind']}) gives "
             f"{hex(pa) if pa is not None else None}, QEMU said {e['pa']}")
    print(f"check-injection: {truth['scenario']}: release ok, kdump files ok, "
          f"{len(truth['gva2gpa'])} gva2gpa entries match the dump's radix tables")

    page_t = prog.type("struct page")
    need(page_t.size == truth["layout"]["struct_page_size"],
         f"sizeof(struct page) {page_t.size} != truth {truth['layout']['struct_page_size']}")
    try:                                    # up to 6.5 in struct page
        off_frag = page_t.member("pt_frag_refcount").offset
    except LookupError:                     # 6.6+: only in struct ptdesc (overlays struct page)
        off_frag = prog.type("struct ptdesc").member("pt_frag_refcount").offset
    pg_reserved = prog["PG_reserved"].value_()

    def page_fields(page_va):
        pa = D.kpa(page_va)
        flags = struct.unpack("<Q", D.phys(pa, 8))[0]
        frag = struct.unpack("<i", D.phys(pa + off_frag, 4))[0]
        return flags, frag

    inj = truth.get("injection")
    mode = inj["mode"] if inj else None
    s2 = int(truth["hotplug"]["present"]["start"], 16)

    # ---- A: the PMD table page of the present dimm's linear map
    _, path = D.walk(D.kpgd, PAGE_OFFSET + s2)
    pmd_table = path[1][2] & NLB_MASK
    flags, frag = page_fields(prog["vmemmap"].value_() + (pmd_table >> shift) * page_t.size)
    if mode == "a":
        need(int(inj["table_pa"], 16) == pmd_table,
             f"A: module's table {inj['table_pa']} is not the dump's PMD table 0x{pmd_table:x}")
        need(not flags & (1 << pg_reserved) and frag == 0,
             f"A: PMD table page flags 0x{flags:x} pt_frag_refcount {frag} (want !PG_reserved, 0)")
        print(f"check-injection: A ok: PMD table 0x{pmd_table:x} pt_frag_refcount 0, not reserved")
    else:
        need(frag >= 1, f"clean: PMD table page 0x{pmd_table:x} pt_frag_refcount {frag} < 1")

    # ---- C: live ibm,dynamic-memory-v2 vs drmem_info
    node = prog["of_root"].child
    while node and node.full_name.string_() != b"ibm,dynamic-reconfiguration-memory":
        node = node.sibling
    need(bool(node), "C: no ibm,dynamic-reconfiguration-memory node under of_root")

    def prop(p, name):
        while p:
            if p.name.string_() == name:
                return p
            p = p.next
        return None
    live = prop(node.properties, b"ibm,dynamic-memory-v2")
    val = prog.read(live.value.value_(), live.length.value_())
    need(val.hex() == truth["devicetree"]["ibm,dynamic-memory-v2"],
         "C: live ibm,dynamic-memory-v2 in the dump differs from /proc/device-tree before the panic")
    lmb_size = int(truth["hotplug"]["lmb_size"], 16)
    dt = {}
    (nsets,) = struct.unpack(">I", val[:4])
    for i in range(nsets):
        seq, base, drc, aa, fl = struct.unpack(">IQIII", val[4 + 24 * i:28 + 24 * i])
        for k in range(seq):
            dt[drc + k] = fl
    info = prog["drmem_info"]
    dr = {}
    for i in range(info.n_lmbs.value_()):
        lmb = info.lmbs[i]
        dr[lmb.drc_index.value_()] = lmb.flags.value_()
    removed = [int(x["drc_index"], 16) for x in truth["hotplug"]["removed"]["lmbs"]]
    stale = [x for x in removed if dt[x] & ASSIGNED and not dr[x] & ASSIGNED]
    if mode == "c":
        need(stale == removed, f"C: removed LMBs {[hex(x) for x in removed]}: DT flags "
             f"{[hex(dt[x]) for x in removed]}, drmem flags {[hex(dr[x]) for x in removed]}")
        dead = prop(node.deadprops, b"ibm,dynamic-memory-v2")
        need(dead is not None, "C: no ibm,dynamic-memory-v2 on deadprops")
        old = prog.read(dead.value.value_(), dead.length.value_())
        need(old.hex() == truth["devicetree_before_injection"]["ibm,dynamic-memory-v2"],
             "C: deadprops value is not the pre-injection property")
        print(f"check-injection: C ok: LMBs {[hex(x) for x in removed]} ASSIGNED in the DT, "
              f"not in drmem_info; old value on deadprops")
    else:
        need(not stale, f"clean: stale DT LMBs {[hex(x) for x in stale]}")
        need(all(bool(dt[x] & ASSIGNED) == bool(dr[x] & ASSIGNED) for x in dr),
             "clean: DT and drmem_info ASSIGNED flags differ")

    # ---- D: the sleep task's PTE fragments
    task = find_task(prog, truth["sleep_pid"])
    need(bool(task) and bool(task.mm), f"D: task {truth['sleep_pid']} or its mm not found")
    mm = task.mm
    upgd = mm.pgd.value_() - PAGE_OFFSET
    frags = {}
    for e0 in struct.unpack(">8192Q", D.phys(upgd, 8 * 8192)):   # quadrant 0: user space
        if not e0 & PTE_PRESENT or e0 & PTE_LEAF:
            continue
        pud = e0 & NLB_MASK
        for i1 in range(512):
            e1 = D.u64be(pud + 8 * i1)
            if not e1 & PTE_PRESENT or e1 & PTE_LEAF:
                continue
            pmd = e1 & NLB_MASK
            ents = struct.unpack(">512Q", D.phys(pmd, 4096))
            for e2 in ents:
                if e2 & PTE_PRESENT and not e2 & PTE_LEAF:
                    pte = e2 & NLB_MASK
                    frags.setdefault(pte >> shift, set()).add(pte & (psize - 1))
    frag_shift = prog["__pte_frag_size_shift"].value_()
    bad = []
    ptefrag = mm.context.pte_frag.value_()
    for pfn, offs in frags.items():
        used = len({o >> frag_shift for o in offs})
        cached = 0
        if ptefrag and (ptefrag - PAGE_OFFSET) >> shift == pfn:
            cached = (psize - (ptefrag & (psize - 1))) >> frag_shift
        _, cnt = page_fields(prog["vmemmap"].value_() + pfn * page_t.size)
        if cnt < used + cached:
            bad.append((pfn, used, cached, cnt))
    if mode == "d":
        need(len(bad) == 1 and bad[0][0] == int(inj["pfn"], 16) and bad[0][3] < bad[0][1],
             f"D: deficits {bad}, module said pfn {inj['pfn']} used {inj['used']}")
        print(f"check-injection: D ok: pid {truth['sleep_pid']} PTE fragment page pfn "
              f"0x{bad[0][0]:x}: used {bad[0][1]} cached {bad[0][2]} pt_frag_refcount {bad[0][3]}")
    else:
        need(not bad, f"clean: PTE fragment deficits in pid {truth['sleep_pid']}: {bad}")

    # ---- E: struct pages filled with 0xff
    if mode == "e":
        first = int(inj["struct_page_first"], 16)
        n = inj["count"]
        for i in range(n):
            pa = D.kpa(first + i * page_t.size)
            need(D.phys(pa, page_t.size) == b"\xff" * page_t.size,
                 f"E: struct page of pfn 0x{int(inj['pfn_first'], 16) + i:x} is not all 0xff")
        print(f"check-injection: E ok: {n} struct pages from {inj['struct_page_first']} are 0xff")
    else:
        # the RTAS pages that ppc-e poisons are intact here
        vmemmap = prog["vmemmap"].value_()
        flags, _ = page_fields(vmemmap)          # pfn 0: kernel image, PG_reserved
        need(flags != 0xFFFFFFFFFFFFFFFF and flags & (1 << pg_reserved), "clean: pfn 0 struct page")


if __name__ == "__main__":
    dumpcheck.main(check)
