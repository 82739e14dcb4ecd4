#!/usr/bin/python3
"""bench/scale/gen-scale.py: a simulated N GiB x86_64 machine, made from a
real QEMU ELF dump (the x86-basic scenario: Debian 12, 6.1, 1 GiB guest)
and its kernel, as a sparse ELF vmcore.

The source's RAM stays where it is (0-1 GiB); the new RAM goes above 4 GiB
(skipping the e820 reserved ranges up there) and the kernel state that
describes memory is made to agree with it:

  struct pages      one 2 MiB memmap per new 128 MiB section, copied from the
                    source's DMA32 sections (free, reserved, slab, page cache,
                    compound pages...) with the zone bits set to Normal and the
                    pointers into the copied section (compound_head, lists,
                    slab freelists) moved with it; the pfns of the memmap and
                    of the new metadata below are PG_reserved, like memblock's
  vmemmap           PMD entries (2 MiB pages) mapping each new memmap, in the
                    source's PMD table and in new PMD tables under vmemmap's PUD
  direct map        1 GiB PUD entries for the new RAM (new PUD tables and PGD
                    slots past 512 GiB, set in init_top_pgt and every pgd on
                    pgd_list, as sync_global_pgds would)
  mem_section       SPARSEMEM_EXTREME roots and entries (present, mem_map,
                    online, early) with the encoded mem_map and a usage
                    (subsection map, pageblock flags) copied from the source
  node and zones    node 0's spanned/present pages, ZONE_NORMAL's start,
                    spanned, present, present_early and managed pages
  globals           max_pfn, max_possible_pfn, high_memory, _totalram_pages
  e820              e820_table, e820_table_kexec, e820_table_firmware: new
                    copies with the RAM added (the kernel's are sized to
                    their entries), in the metadata like memblock's
  memory blocks     memory_block_size_probed by the kernel's rule, the
                    memory_blocks xarray rebuilt with a memory_block per block

Not changed: the boot log, vm_stat counters, buddy free lists and counts
(the copied free pages are not linked into the zone's free_area).

Every layout comes from the dump's own types (`vmtriage type --json`),
every address from its symbols (`vmtriage sym --json`) and VMCOREINFO; the
page tables are walked as the MMU does. Only the metadata and the struct
pages are written: the new RAM's data pages are holes in the file. An extra
PT_LOAD gives the kernel image's virtual addresses, so that drgn can read
init_top_pgt (QEMU's plain ELF has only physical addresses).

Usage: gen-scale.py SRC_DIR GIB OUT.elf      write one dump, print its facts
       gen-scale.py --cached SCENARIO GIB    the cached dump's directory
         (${VMTRIAGE_SCALE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/vmtriage/scale}/
          SCENARIO-GIBg-HASH, HASH of this file, the source dump and GIB;
          made when missing, older hashes of the same name removed; one
          generator at a time per cache, by a lock file)
VMTRIAGE names the vmtriage binary asked for types and symbols.
"""
import array
import fcntl
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
VT = os.environ.get("VMTRIAGE", os.path.join(TOP, "vmtriage"))
PAGE = 4096
GIB = 1 << 30
START_KERNEL_MAP = 0xffffffff80000000
PFN_MASK = 0x000ffffffffff000
PSE = 0x80
MAX_BLOCK = 2 * GIB          # arch/x86/mm/init_64.c MAX_BLOCK_SIZE
LARGE_BLOCK_RAM = 64 * GIB   # MEM_SIZE_FOR_LARGE_BLOCK
E820_RAM = 1


def die(msg):
    sys.exit(f"gen-scale: {msg}")


class Source:
    """The source ELF: notes, PT_LOADs, VMCOREINFO, physical reads."""

    def __init__(self, path):
        self.path = path
        self.f = open(path, "rb")
        eh = self.f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
            die(f"{path}: not a little-endian ELF64 core")
        self.ehdr = eh
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        self.f.seek(phoff)
        ph = self.f.read(phentsize * phnum)
        self.loads, self.notes = [], b""
        for i in range(phnum):
            (p_type, p_flags, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz,
             p_align) = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
            if p_type == 1:
                if p_filesz != p_memsz:
                    die("a PT_LOAD with filesz != memsz")
                self.loads.append((p_paddr, p_offset, p_filesz))
            elif p_type == 4:
                self.f.seek(p_offset)
                self.notes += self.f.read(p_filesz)
        self.vmcoreinfo = self._vmcoreinfo()

    def _vmcoreinfo(self):
        out, off = {}, 0
        while off + 12 <= len(self.notes):
            namesz, descsz, _ = struct.unpack_from("<III", self.notes, off)
            name = self.notes[off + 12:off + 12 + namesz].rstrip(b"\0")
            d0 = off + 12 + (namesz + 3 & ~3)
            desc = self.notes[d0:d0 + descsz]
            off = d0 + (descsz + 3 & ~3)
            if name == b"VMCOREINFO":
                for line in desc.decode("ascii", "replace").splitlines():
                    k, _, v = line.partition("=")
                    out[k] = v
        if not out:
            die("no VMCOREINFO note")
        return out

    def vi_num(self, key):
        return int(self.vmcoreinfo[key], 0)

    def vi_sym(self, name):
        return int(self.vmcoreinfo[f"SYMBOL({name})"], 16)

    def read(self, pa, n):
        for p, off, size in self.loads:
            if p <= pa and pa + n <= p + size:
                self.f.seek(off + pa - p)
                return self.f.read(n)
        return None


class Kernel:
    """Types and symbols of the source dump, from vmtriage."""

    def __init__(self, dump, vmlinux):
        self.args = [dump, vmlinux]
        self._types = {}

    def type(self, name):
        """{member: (offset, size)} of a struct, anonymous members flattened
        (the first of overlapping names wins), and "__size__"."""
        if name not in self._types:
            doc = json.loads(subprocess.run([VT, "type", *self.args, name, "--json"],
                                            stdout=subprocess.PIPE, check=True).stdout)
            out = {"__size__": (0, doc["size"])}

            def walk(members):
                for m in members:
                    if m["name"] and m["name"] not in out:
                        out[m["name"]] = (m["offset"], m["size"])
                    if not m["name"] and "members" in m:
                        walk(m["members"])
            walk(doc["members"])
            self._types[name] = out
        return self._types[name]

    def off(self, type_, member):
        t = self.type(type_)
        if member not in t:
            die(f"{type_} has no member {member}")
        return t[member][0]

    def size(self, type_):
        return self.type(type_)["__size__"][1]

    def enum(self, name):
        out = subprocess.run([VT, "type", *self.args, name], stdout=subprocess.PIPE,
                             check=True, text=True).stdout
        vals = {}
        for line in out.splitlines():
            k, eq, v = line.strip().rstrip(",").partition(" = ")
            if eq:
                vals[k] = int(v, 0)
        return vals

    def syms(self, *names):
        doc = json.loads(subprocess.run([VT, "sym", *self.args, *names, "--json"],
                                        stdout=subprocess.PIPE, check=True).stdout)
        got = {d["query"]: int(d["address"], 16) for d in doc if d.get("address")}
        missing = [n for n in names if n not in got]
        if missing:
            die(f"symbols not found: {missing}")
        return got


class Memory:
    """Physical memory of the new dump: the source's bytes with an overlay
    of changed 4 KiB pages (new RAM reads as zeros until written)."""

    def __init__(self, src):
        self.src = src
        self.pages = {}

    def _page(self, pfn):
        pg = self.pages.get(pfn)
        if pg is None:
            data = self.src.read(pfn * PAGE, PAGE)
            pg = self.pages[pfn] = bytearray(data if data is not None else PAGE)
        return pg

    def read(self, pa, n):
        out = bytearray()
        while n:
            k = min(n, PAGE - pa % PAGE)
            pfn = pa // PAGE
            if pfn in self.pages:
                out += self.pages[pfn][pa % PAGE:pa % PAGE + k]
            else:
                data = self.src.read(pa, k)
                out += data if data is not None else bytes(k)
            pa, n = pa + k, n - k
        return bytes(out)

    def write(self, pa, data):
        i = 0
        while i < len(data):
            k = min(len(data) - i, PAGE - pa % PAGE)
            self._page(pa // PAGE)[pa % PAGE:pa % PAGE + k] = data[i:i + k]
            pa, i = pa + k, i + k

    def u64(self, pa):
        return struct.unpack("<Q", self.read(pa, 8))[0]

    def put64(self, pa, v):
        self.write(pa, struct.pack("<Q", v & (2**64 - 1)))


class Scaler:
    def __init__(self, src_dir, gib):
        self.src_dir = src_dir
        self.gib = gib
        self.src = Source(os.path.join(src_dir, "vmcore.elf"))
        self.k = Kernel(os.path.join(src_dir, "vmcore.elf"), os.path.join(src_dir, "vmlinux"))
        self.mem = Memory(self.src)
        if self.src.vi_num("NUMBER(pgtable_l5_enabled)"):
            die("5-level paging: not handled")
        self.sym = self.k.syms(
            "init_top_pgt", "vmemmap_base", "page_offset_base", "_text", "_end", "max_pfn",
            "max_possible_pfn", "high_memory", "_totalram_pages", "node_data", "e820_table",
            "e820_table_kexec", "e820_table_firmware", "memory_blocks", "pgd_list",
            "memory_block_size_probed")
        self.phys_base = self.src.vi_num("NUMBER(phys_base)")
        self.pgd_pa = self.kimg_pa(self.sym["init_top_pgt"])
        self.vmemmap = self.mem.u64(self.kimg_pa(self.sym["vmemmap_base"]))
        self.page_offset = self.mem.u64(self.kimg_pa(self.sym["page_offset_base"]))
        self.psz = self.src.vi_num("SIZE(page)")
        self.sec_bits = self.src.vi_num("NUMBER(SECTION_SIZE_BITS)")
        self.sec_bytes = 1 << self.sec_bits
        self.pps = self.sec_bytes // PAGE
        self.map_bytes = self.pps * self.psz           # one section's memmap
        if self.map_bytes % (2 << 20):
            die("a section's memmap is not a whole number of 2 MiB pages")

    # ---- address translation, as the MMU does -------------------------
    def kimg_pa(self, va):
        return va - START_KERNEL_MAP + self.phys_base

    def walk(self, va):
        """[(level, entry address)] down to the leaf and the physical
        address, or None where an entry is not present."""
        table, path = self.pgd_pa, []
        for level, shift in (("pgd", 39), ("pud", 30), ("pmd", 21), ("pte", 12)):
            ea = table + ((va >> shift) & 511) * 8
            e = self.mem.u64(ea)
            path.append((level, ea, e))
            if not e & 1:
                return path, None
            if level in ("pud", "pmd") and e & PSE:
                return path, (e & PFN_MASK & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))
            table = e & PFN_MASK
        return path, (e & PFN_MASK) | (va & 0xfff)

    def pa(self, va):
        if va >= START_KERNEL_MAP:
            return self.kimg_pa(va)
        _, pa = self.walk(va)
        if pa is None:
            die(f"0x{va:x} is not mapped")
        return pa

    def kread(self, va, n):
        return self.mem.read(self.pa(va), n)

    def ku64(self, va):
        return self.mem.u64(self.pa(va))

    def kput64(self, va, v):
        self.mem.put64(self.pa(va), v)

    def dm(self, pa):
        return self.page_offset + pa

    # ---- the layout of the new machine ----------------------------------
    def plan(self):
        e820 = self.e820_entries(self.sym["e820_table"])
        reserved = sorted((a, a + n) for a, n, t in e820 if t != E820_RAM and a >= 4 * GIB)
        src_ram = sum(n for a, n, t in e820 if t == E820_RAM)
        want = self.gib * GIB - ((src_ram + GIB - 1) // GIB) * GIB
        if want <= 0:
            die(f"{self.gib} GiB is not more than the source's RAM")
        ranges, at = [], 4 * GIB
        while want:
            for a, b in reserved:
                if a <= at < b:
                    at = (b + GIB - 1) // GIB * GIB
            nxt = min([a for a, b in reserved if a > at] + [at + want])
            n = min(nxt - at, want)
            ranges.append((at, at + n))
            want -= n
            at += n
        self.ranges = ranges
        self.end_pfn = ranges[-1][1] // PAGE
        self.new_secs = [s for a, b in ranges for s in range(a >> self.sec_bits, b >> self.sec_bits)]
        self.sec_index = {s: i for i, s in enumerate(self.new_secs)}
        self.new_pages = len(self.new_secs) * self.pps
        # Metadata at the top of the largest range, top-down like memblock:
        # the new memmaps, then the small tables under them.
        home = max(ranges, key=lambda r: r[1] - r[0])
        top = home[1]
        self.map_base = top - len(self.new_secs) * self.map_bytes
        nblocks = len(self.new_secs) + 64
        small = (len(self.new_secs) // 256 + 8) * PAGE * 2 + \
            len(self.new_secs) * 64 + nblocks * (self.k.size("struct memory_block") + 64) + \
            (nblocks // 64 + 16) * self.k.size("struct xa_node") + (64 << 10) + \
            3 * self.k.size("struct e820_table")
        small = (small + (2 << 20) - 1) // (2 << 20) * (2 << 20)
        self.meta_base = self.map_base - small
        self.meta_next = self.meta_base
        if self.meta_base < home[0]:
            die("the metadata does not fit in the largest RAM range")
        self.reserved_pfns = (self.meta_base // PAGE, top // PAGE)

    def alloc(self, n, align=8):
        self.meta_next = (self.meta_next + align - 1) // align * align
        a = self.meta_next
        self.meta_next += n
        if self.meta_next > self.map_base:
            die("metadata area overflow")
        return a

    def map_pa(self, sec):
        return self.map_base + self.sec_index[sec] * self.map_bytes

    # ---- e820 -------------------------------------------------------------
    def e820_entries(self, ptr_sym):
        tab = self.ku64(ptr_sym)
        nr = struct.unpack("<I", self.kread(tab + self.k.off("struct e820_table", "nr_entries"), 4))[0]
        esz = self.k.size("struct e820_entry")
        o = self.k.off("struct e820_table", "entries")
        oa, os_, ot = (self.k.off("struct e820_entry", m) for m in ("addr", "size", "type"))
        raw = self.kread(tab + o, nr * esz)
        return [(struct.unpack_from("<Q", raw, i * esz + oa)[0],
                 struct.unpack_from("<Q", raw, i * esz + os_)[0],
                 struct.unpack_from("<I", raw, i * esz + ot)[0]) for i in range(nr)]

    def fix_e820(self):
        self.pending_e820 = []
        esz = self.k.size("struct e820_entry")
        o = self.k.off("struct e820_table", "entries")
        oa, os_, ot = (self.k.off("struct e820_entry", m) for m in ("addr", "size", "type"))
        cap = (self.k.size("struct e820_table") - o) // esz
        for name in ("e820_table", "e820_table_kexec", "e820_table_firmware"):
            ents = self.e820_entries(self.sym[name]) + [(a, b - a, E820_RAM) for a, b in self.ranges]
            ents.sort()
            if len(ents) > cap:
                die(f"{name}: more than {cap} entries")
            # e820__reallocate_tables() left each table just big enough
            # for its entries: a new one, in the metadata, like memblock's.
            buf = bytearray(o + len(ents) * esz)
            struct.pack_into("<I", buf, self.k.off("struct e820_table", "nr_entries"), len(ents))
            for i, (a, n, t) in enumerate(ents):
                struct.pack_into("<Q", buf, o + i * esz + oa, a)
                struct.pack_into("<Q", buf, o + i * esz + os_, n)
                struct.pack_into("<I", buf, o + i * esz + ot, t)
            tab = self.alloc(len(buf), 64)
            self.mem.write(tab, bytes(buf))
            self.pending_e820.append((self.sym[name], self.dm(tab)))

    # ---- page tables --------------------------------------------------------
    def table_at(self, entry_pa, like):
        """The table an entry points at, made (zeroed, in the metadata) when
        the entry is empty; its flags then copied from `like`."""
        e = self.mem.u64(entry_pa)
        if e & 1:
            if e & PSE:
                die(f"a large page where a table was expected (entry at 0x{entry_pa:x})")
            return e & PFN_MASK
        t = self.alloc(PAGE, PAGE)
        self.mem.write(t, bytes(PAGE))
        self.mem.put64(entry_pa, t | (like & ~PFN_MASK))
        return t

    def map_vmemmap(self):
        probe = self.vmemmap + self.map_bytes      # section 1's memmap
        path, pa = self.walk(probe)
        levels = {lv: (ea, e) for lv, ea, e in path}
        if pa is None or "pmd" not in levels or not levels["pmd"][1] & PSE:
            die("the source's vmemmap is not mapped with 2 MiB pages")
        pud_like, pmd_like = levels["pud"][1], levels["pmd"][1]
        leaf_flags = pmd_like & ~PFN_MASK & ~(0x1fffff & ~0xfff)
        for sec in self.new_secs:
            for k in range(self.map_bytes >> 21):
                va = self.vmemmap + sec * self.map_bytes + (k << 21)
                pgd_e = self.pgd_pa + ((va >> 39) & 511) * 8
                pud = self.table_at(pgd_e, levels["pgd"][1])
                pmd = self.table_at(pud + ((va >> 30) & 511) * 8, pud_like)
                self.mem.put64(pmd + ((va >> 21) & 511) * 8,
                               (self.map_pa(sec) + (k << 21)) | leaf_flags)

    def map_direct(self):
        """1 GiB pages for the new RAM; new PGD slots go into every pgd."""
        path, pa = self.walk(self.page_offset + (16 << 20))
        lv = {l: e for l, _, e in path}
        leaf = lv.get("pmd") if "pmd" in lv and lv["pmd"] & PSE else lv.get("pud")
        if pa is None or not leaf or not leaf & PSE:
            die("the source's direct map is not mapped with large pages")
        leaf_flags = leaf & ~PFN_MASK & ~(0x1fffff & ~0xfff)
        new_slots = {}
        for a, b in self.ranges:
            for g in range(a, b, GIB):
                va = self.dm(g)
                slot = (va >> 39) & 511
                pgd_e = self.pgd_pa + slot * 8
                if not self.mem.u64(pgd_e) & 1:
                    new_slots[slot] = True
                pud = self.table_at(pgd_e, lv["pgd"])
                self.mem.put64(pud + ((va >> 30) & 511) * 8, g | leaf_flags)
        # sync_global_pgds(): every pgd on pgd_list gets the new slots
        lru = self.k.off("struct page", "lru")
        head = self.sym["pgd_list"]
        node, n = self.ku64(head), 0
        while node != head:
            n += 1
            if n > 100000:
                die("pgd_list does not end")
            pfn = (node - lru - self.vmemmap) // self.psz
            for slot in new_slots:
                self.mem.put64(pfn * PAGE + slot * 8, self.mem.u64(self.pgd_pa + slot * 8))
            node = self.ku64(node)
        self.npgds = n

    # ---- sections -------------------------------------------------------------
    def fix_sections(self):
        roots = self.src.vi_sym("mem_section")
        nroots = self.src.vi_num("LENGTH(mem_section)")
        ssz = self.src.vi_num("SIZE(mem_section)")
        per_root = PAGE // ssz
        o_map = self.k.off("struct mem_section", "section_mem_map")
        o_usage = self.k.off("struct mem_section", "usage")
        root0 = self.ku64(roots)
        s1 = root0 + 1 * ssz            # the source's section 1 (DMA32, early)
        coded = self.ku64(s1 + o_map)     # with vmemmap the same for every section
        u1, u2 = self.ku64(s1 + o_usage), self.ku64(root0 + 2 * ssz + o_usage)
        usz = u2 - u1
        if not 0 < usz <= 4096:
            die(f"usage stride {usz}")
        usage = self.kread(u1, usz)
        ublock = self.alloc(usz * len(self.new_secs), 64)
        for i, sec in enumerate(self.new_secs):
            r = sec // per_root
            if r >= nroots:
                die(f"section {sec} past the last root")
            base = self.ku64(roots + 8 * r)
            if not base:
                page = self.alloc(PAGE, PAGE)
                self.mem.write(page, bytes(PAGE))
                base = self.dm(page)
                self.kput64(roots + 8 * r, base)
            ent = base + (sec % per_root) * ssz
            self.kput64(ent + o_map, coded)
            self.mem.write(ublock + i * usz, usage)
            self.kput64(ent + o_usage, self.dm(ublock + i * usz))

    # ---- node, zones, globals ---------------------------------------------------
    def fix_node(self):
        zone_names = self.k.enum("enum zone_type")
        normal = zone_names["ZONE_NORMAL"]
        pgdat = self.ku64(self.sym["node_data"])
        zsz = self.k.size("struct zone")
        z = pgdat + self.k.off("struct pglist_data", "node_zones") + normal * zsz
        reserved = self.reserved_pfns[1] - self.reserved_pfns[0]
        managed = self.new_pages - reserved
        first = self.ranges[0][0] // PAGE
        zt = "struct zone"
        self.kput64(z + self.k.off(zt, "zone_start_pfn"), first)
        self.kput64(z + self.k.off(zt, "spanned_pages"), self.end_pfn - first)
        self.kput64(z + self.k.off(zt, "present_pages"), self.new_pages)
        if "present_early_pages" in self.k.type(zt):
            self.kput64(z + self.k.off(zt, "present_early_pages"), self.new_pages)
        self.kput64(z + self.k.off(zt, "managed_pages"), managed)
        pt = "struct pglist_data"
        start = self.ku64(pgdat + self.k.off(pt, "node_start_pfn"))
        present = self.ku64(pgdat + self.k.off(pt, "node_present_pages"))
        self.kput64(pgdat + self.k.off(pt, "node_present_pages"), present + self.new_pages)
        self.kput64(pgdat + self.k.off(pt, "node_spanned_pages"), self.end_pfn - start)
        self.kput64(self.sym["max_pfn"], self.end_pfn)
        self.kput64(self.sym["max_possible_pfn"], self.end_pfn)
        self.kput64(self.sym["high_memory"], self.dm(self.end_pfn * PAGE))
        total = self.ku64(self.sym["_totalram_pages"])
        self.kput64(self.sym["_totalram_pages"], total + managed)
        self.normal_zone, self.normal_index, self.managed = z, normal, managed
        self.zone_index_dma32 = zone_names["ZONE_DMA32"]
        self.max_nr_zones = zone_names["__MAX_NR_ZONES"]
        # page->flags from the top (page-flags-layout.h, SPARSEMEM_VMEMMAP:
        # no section bits): node (NODES_SHIFT = log2 MAX_NUMNODES), zone
        nodes_shift = (self.src.vi_num("LENGTH(node_data)") - 1).bit_length()
        self.zones_pgoff = 64 - nodes_shift - (self.max_nr_zones - 1).bit_length()

    # ---- memory blocks -------------------------------------------------------------
    def fix_memory_blocks(self):
        end = self.end_pfn * PAGE
        if end < LARGE_BLOCK_RAM:
            bz = self.sec_bytes
        else:          # a guest: the largest block size aligned to the end of memory
            bz = MAX_BLOCK
            while bz > self.sec_bytes and end % bz:
                bz >>= 1
        self.block_size = bz
        self.kput64(self.sym["memory_block_size_probed"], bz)
        spb = bz // self.sec_bytes
        mt = "struct memory_block"
        xa = self.sym["memory_blocks"]
        head = self.ku64(xa + self.k.off("struct xarray", "xa_head"))
        old = self.xa_entries(head)
        if 1 not in old:
            die("the source has no memory block 1 to copy")
        tmpl = bytearray(self.kread(old[1], self.k.size(mt)))
        roots = self.src.vi_sym("mem_section")
        present = [s for s in range((self.end_pfn * PAGE) >> self.sec_bits)
                   if self.section_present(roots, s)]
        blocks = {}
        for s in present:
            bid = s // spb
            if bid in blocks:
                continue
            if bid in old and self.ku64(old[bid] + self.k.off(mt, "start_section_nr")) == bid * spb:
                blocks[bid] = old[bid]
                continue
            b = bytearray(tmpl)
            struct.pack_into("<Q", b, self.k.off(mt, "start_section_nr"), bid * spb)
            struct.pack_into("<i", b, self.k.off(mt, "nid"), 0)
            if "zone" in self.k.type(mt):
                zone = self.normal_zone if s in self.sec_index else \
                    struct.unpack_from("<Q", tmpl, self.k.off(mt, "zone"))[0]
                struct.pack_into("<Q", b, self.k.off(mt, "zone"), zone)
            pa = self.alloc(len(b), 64)
            self.mem.write(pa, bytes(b))
            blocks[bid] = self.dm(pa)
        self.kput64(xa + self.k.off("struct xarray", "xa_head"), self.xa_build(xa, blocks))
        self.nblocks = len(blocks)

    def section_present(self, roots, s):
        ssz = self.src.vi_num("SIZE(mem_section)")
        per_root = PAGE // ssz
        base = self.ku64(roots + 8 * (s // per_root))
        return bool(base) and bool(self.ku64(base + (s % per_root) * ssz) & 1)

    def xa_entries(self, head):
        out = {}
        o_shift, _ = self.k.type("struct xa_node")["shift"]
        o_slots, _ = self.k.type("struct xa_node")["slots"]

        def node(n, base):
            shift = self.kread(n + o_shift, 1)[0]
            for i in range(64):
                e = self.ku64(n + o_slots + 8 * i)
                idx = base + (i << shift)
                if not e or e & 1:
                    continue
                if e & 3 == 2 and e > 4096 and shift:
                    node(e - 2, idx)
                elif e & 3 == 0:
                    out[idx] = e
        if head & 3 == 2 and head > 4096:
            node(head - 2, 0)
        elif head and head & 3 == 0:
            out[0] = head
        return out

    def xa_build(self, xa, entries):
        """A fresh xarray tree holding entries {index: pointer}; its head."""
        nt = "struct xa_node"
        nsz = self.k.size(nt)
        o = {m: self.k.off(nt, m) for m in ("shift", "offset", "count", "parent", "array", "slots")}
        top = max(entries)
        shift = 0
        while top >> (shift + 6):
            shift += 6
        if top == 0:
            return entries[0]

        def build(base, sh, parent, offset):
            buf = bytearray(nsz)
            pa = self.alloc(nsz, 64)
            va = self.dm(pa)
            buf[o["shift"]] = sh
            buf[o["offset"]] = offset
            struct.pack_into("<Q", buf, o["parent"], parent)
            struct.pack_into("<Q", buf, o["array"], xa)
            count = 0
            for i in range(64):
                lo, hi = base + (i << sh), base + ((i + 1) << sh)
                if sh == 0:
                    e = entries.get(lo, 0)
                else:
                    if not any(lo <= k < hi for k in keys_in(lo, hi)):
                        continue
                    e = build(lo, sh - 6, va, i) | 2
                if e:
                    struct.pack_into("<Q", buf, o["slots"] + 8 * i, e)
                    count += 1
            buf[o["count"]] = count
            self.mem.write(pa, bytes(buf))
            return va

        keys = sorted(entries)

        def keys_in(lo, hi):
            import bisect
            i = bisect.bisect_left(keys, lo)
            return keys[i:i + 1] if i < len(keys) and keys[i] < hi else []
        return build(0, shift, 0, 0) | 2

    # ---- struct pages --------------------------------------------------------------
    def templates(self):
        """The source's DMA32 sections' memmaps (1-7), zone bits set to Normal,
        with the word indexes of pointers into the section's memmap or its
        memory (moved with each copy)."""
        zones_shift = (self.max_nr_zones - 1).bit_length()
        zmask = ((1 << zones_shift) - 1) << self.zones_pgoff
        o_flags = self.k.off("struct page", "flags") // 8
        words = self.psz // 8
        out = []
        for sec in range(1, 8):
            if not self.section_present(self.src.vi_sym("mem_section"), sec):
                continue
            raw = self.kread(self.vmemmap + sec * self.map_bytes, self.map_bytes)
            arr = array.array("Q", raw)
            same = 0
            rwords = array.array("Q", self.reserved_page())
            for p in range(0, len(arr), words):
                f = arr[p + o_flags]
                if (f & zmask) >> self.zones_pgoff == self.zone_index_dma32:
                    arr[p + o_flags] = (f & ~zmask) | (self.normal_index << self.zones_pgoff)
                    same += 1
                else:      # outside DMA32 (the end of RAM): a reserved page of Normal
                    arr[p:p + words] = rwords
            if same < self.pps * 3 // 4:
                die(f"source section {sec}: only {same} pages in DMA32 by the zone bits "
                    f"at {self.zones_pgoff}: the flags layout is not the one assumed")
            mm_lo = self.vmemmap + sec * self.map_bytes
            dm_lo = self.dm(sec * self.sec_bytes)
            patches = []
            for i, v in enumerate(arr):
                if mm_lo <= v < mm_lo + self.map_bytes + 1:
                    patches.append((i, 0, v))
                elif dm_lo <= v < dm_lo + self.sec_bytes:
                    patches.append((i, 1, v))
            out.append((sec, arr, patches))
        if not out:
            die("no source section 1-7 to copy")
        return out

    def reserved_page(self):
        """A PG_reserved struct page of the source: the one of its own memmap."""
        pfn = self.pa(self.vmemmap) // PAGE
        raw = bytearray(self.kread(self.vmemmap + pfn * self.psz, self.psz))
        flags = struct.unpack_from("<Q", raw, 0)[0]
        zmask = ((1 << (self.max_nr_zones - 1).bit_length()) - 1) << self.zones_pgoff
        struct.pack_into("<Q", raw, 0, (flags & ~zmask) | (self.normal_index << self.zones_pgoff))
        return bytes(raw)

    def memmap_chunks(self):
        """(physical address, bytes) of every new section's memmap."""
        tmpls = self.templates()
        rpage = self.reserved_page()
        lo, hi = self.reserved_pfns
        for n, sec in enumerate(self.new_secs):
            src_sec, arr, patches = tmpls[n % len(tmpls)]
            a = array.array("Q", arr)
            d_map = (sec - src_sec) * self.map_bytes
            d_dm = (sec - src_sec) * self.sec_bytes
            for i, kind, v in patches:
                a[i] = v + (d_dm if kind else d_map)
            buf = bytearray(a.tobytes())
            first = sec * self.pps
            r0, r1 = max(lo, first), min(hi, first + self.pps)
            if r0 < r1:
                buf[(r0 - first) * self.psz:(r1 - first) * self.psz] = rpage * (r1 - r0)
            yield self.map_pa(sec), buf

    # ---- the whole --------------------------------------------------------------------
    def build(self):
        self.plan()
        self.fix_node()
        self.fix_e820()
        self.map_vmemmap()
        self.map_direct()
        for var, tab in self.pending_e820:
            self.kput64(var, tab)
        self.fix_sections()
        self.fix_memory_blocks()

    def facts(self):
        return {
            "source": os.path.basename(os.path.normpath(self.src_dir)),
            "gib": self.gib,
            "ram_ranges": [[hex(a), hex(b)] for a, b in self.ranges],
            "max_pfn": self.end_pfn,
            "new_sections": len(self.new_secs),
            "new_pfns": self.new_pages,
            "normal_managed": self.managed,
            "reserved_pfns": self.reserved_pfns[1] - self.reserved_pfns[0],
            "memory_block_size": self.block_size,
            "memory_blocks": self.nblocks,
            "pgds_synced": self.npgds,
            "memmap_bytes": len(self.new_secs) * self.map_bytes,
        }

    def write(self, out):
        kt, ke = self.sym["_text"], self.sym["_end"]
        kpa = self.kimg_pa(kt)
        loads = [(p, size) for p, _, size in self.src.loads] + \
                [(a, b - a) for a, b in self.ranges]
        nph = 1 + len(loads) + 1
        notes_off = 64 + 56 * nph
        off = (notes_off + len(self.src.notes) + PAGE - 1) // PAGE * PAGE
        placed = []
        for p, size in loads:
            placed.append((p, off, size))
            off += (size + PAGE - 1) // PAGE * PAGE
        fileoff = {p: o for p, o, _ in placed}

        def file_of(pa):
            for p, o, size in placed:
                if p <= pa < p + size:
                    return o + pa - p
            die(f"physical 0x{pa:x} is in no PT_LOAD")
        ph = bytearray()
        ph += struct.pack("<IIQQQQQQ", 4, 0, notes_off, 0, 0, len(self.src.notes),
                          len(self.src.notes), 0)
        for p, o, size in placed:
            ph += struct.pack("<IIQQQQQQ", 1, 7, o, 0, p, size, size, 0)
        ksize = (ke - kt + PAGE - 1) // PAGE * PAGE
        ph += struct.pack("<IIQQQQQQ", 1, 7, file_of(kpa), kt, kpa, ksize, ksize, 0)
        eh = bytearray(self.src.ehdr)
        struct.pack_into("<Q", eh, 32, 64)             # e_phoff
        struct.pack_into("<HH", eh, 54, 56, nph)       # e_phentsize, e_phnum
        struct.pack_into("<Q", eh, 40, 0)              # no section headers (QEMU's
        struct.pack_into("<HHH", eh, 58, 0, 0, 0)      # sat where the phdrs are now)
        tmp = out + ".tmp"
        with open(tmp, "wb") as f:
            f.truncate(off)
            f.write(eh)
            f.write(ph)
            f.write(self.src.notes)
            zero = bytes(1 << 16)
            for p, soff, size in self.src.loads:      # the source's RAM, holes kept
                done = 0
                while done < size:
                    n = min(8 << 20, size - done)
                    self.src.f.seek(soff + done)
                    data = self.src.f.read(n)
                    for i in range(0, n, 1 << 16):
                        piece = data[i:i + (1 << 16)]
                        if piece != zero[:len(piece)]:
                            f.seek(fileoff[p] + done + i)
                            f.write(piece)
                    done += n
            for pfn, pg in sorted(self.mem.pages.items()):
                f.seek(file_of(pfn * PAGE))
                f.write(pg)
            for pa, buf in self.memmap_chunks():
                f.seek(file_of(pa))
                f.write(buf)
        os.replace(tmp, out)


def cache_root():
    d = os.environ.get("VMTRIAGE_SCALE_CACHE")
    if d:
        return d
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(xdg, "vmtriage", "scale")


def cached(scenario, gib):
    """The cached scaled dump's directory (vmcore.elf, vmlinux, facts.json)."""
    src_dir = subprocess.run([os.path.join(TOP, "testdata", "dumpdir"), scenario],
                             stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    st = os.stat(os.path.join(src_dir, "vmcore.elf"))
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    h.update(f"{os.path.basename(src_dir)} {st.st_size} {gib}".encode())
    name = f"{scenario}-{gib}g"
    root = cache_root()
    d = os.path.join(root, f"{name}-{h.hexdigest()[:16]}")
    if os.path.exists(os.path.join(d, "facts.json")):
        return d
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)       # another run may be making it
        if not os.path.exists(os.path.join(d, "facts.json")):
            generate(src_dir, gib, name, root, d)
    return d


def generate(src_dir, gib, name, root, d):
    """Write the dump into d, the older hashes of its name removed first."""
    for old in os.listdir(root):                 # an older generator's dump
        if old.startswith(name + "-") and len(old) == len(name) + 17:
            shutil.rmtree(os.path.join(root, old), ignore_errors=True)
    os.makedirs(d, exist_ok=True)
    s = Scaler(src_dir, gib)
    s.build()
    s.write(os.path.join(d, "vmcore.elf"))
    vml = os.path.join(d, "vmlinux")
    if not os.path.lexists(vml):
        os.symlink(os.path.realpath(os.path.join(src_dir, "vmlinux")), vml)
    with open(os.path.join(d, "facts.json.tmp"), "w") as f:
        json.dump(s.facts(), f, indent=1)
    os.replace(os.path.join(d, "facts.json.tmp"), os.path.join(d, "facts.json"))


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "--cached":
        print(cached(a[1], int(a[2])))
    elif len(a) == 3 and not a[0].startswith("-"):
        s = Scaler(a[0], int(a[1]))
        s.build()
        s.write(a[2])
        print(json.dumps(s.facts(), indent=1))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
