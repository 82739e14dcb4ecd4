#!/usr/bin/python3
"""Oracle for `vmtriage memmap`: the SPARSEMEM sections, nodes, zones and
per-page totals of a dump, computed with drgn from the kernel's own data
structures, in Python, independently of vmtriage.

Usage: drgn_memmap.py DUMP VMLINUX [--no-pages]
Prints one JSON document, the shape of `vmtriage memmap --json --sections`:

  sections        every mem_section whose section_mem_map is non-zero, in
                  section-number order: nr, start_pfn, flags (decoded from
                  the kernel's SECTION_*_BIT enum), mem_map (the struct page
                  of start_pfn, decoded as the kernel's
                  __section_mem_map_addr() + start_pfn; null without
                  SECTION_HAS_MEM_MAP), valid_subsections (bits set in
                  ms->usage->subsection_map)
  nodes           node_data[] (NUMA) or contig_page_data, each with all its
                  MAX_NR_ZONES zones (empty ones included, as /proc/zoneinfo)
  totals          over valid pfns (pfn_valid() of 6.1 SPARSEMEM_VMEMMAP:
                  valid_section() && (early_section() || subsection bit
                  set)): valid_pfns, unknown_pfns (valid pfns whose struct
                  page cannot be read: filtered out of a makedumpfile dump),
                  flags (count per enum pageflags bit, name without "PG_",
                  over the pfns whose struct page was read), zones (count by
                  the zone index in page->flags), page_types (page_type in
                  the _mapcount union: buddy, offline, table, guard)
  unknown_ranges  [start_pfn, end_pfn) runs of unknown pfns
  derived         what this oracle derived and from where (not part of
                  vmtriage's output; for the reader and the test's messages)

Where the numbers come from (no drgn mm helpers are used, so that this is a
second implementation rather than a wrapper of one):
  * SECTION_SIZE_BITS, MAX_PHYSMEM_BITS, PAGESIZE, LENGTH(mem_section): the
    kernel's own vmcoreinfo_data text, read from the dump's memory (x86_64
    6.1 chooses MAX_PHYSMEM_BITS at run time: 46 or 52 with la57).
  * NR_SECTION_ROOTS = DIV_ROUND_UP(NR_MEM_SECTIONS, SECTIONS_PER_ROOT),
    SECTIONS_PER_ROOT = PAGE_SIZE / sizeof(struct mem_section)
    (SPARSEMEM_EXTREME: mem_section is struct mem_section **).
  * SECTION_* bits from the anonymous enum (SECTION_MARKED_PRESENT_BIT ...
    SECTION_MAP_LAST_BIT); SECTION_MAP_MASK = ~(BIT(SECTION_MAP_LAST_BIT)-1).
  * SUBSECTION_SHIFT is 21 on every 6.1 architecture (2 MiB subsections);
    SUBSECTIONS_PER_SECTION = 1 << (SECTION_SIZE_BITS - 21).
  * page->flags layout (include/linux/page-flags-layout.h) with VMEMMAP:
    SECTIONS_WIDTH = 0, ZONES_WIDTH = order_base_2(__MAX_NR_ZONES),
    NODES_SHIFT = log2(len(node_data)) (MAX_NUMNODES; 0 without NUMA),
    NODES_WIDTH = NODES_SHIFT if SECTIONS_WIDTH + ZONES_WIDTH + NODES_SHIFT
    <= BITS_PER_LONG - __NR_PAGEFLAGS else 0;
    ZONES_PGOFF = BITS_PER_LONG - SECTIONS_WIDTH - NODES_WIDTH - ZONES_WIDTH.
    (Debian 6.1 x86_64: NODES_SHIFT 10, 5 zones -> ZONES_PGOFF 51.)
  * page_type (6.1): PAGE_TYPE_BASE 0xf0000000, PG_buddy 0x80, PG_offline
    0x100, PG_table 0x200, PG_guard 0x400; PageType(page, f) is
    (page_type & (PAGE_TYPE_BASE | f)) == PAGE_TYPE_BASE.

Per-page reading: the memmap of each run of valid pfns is read with one
prog.read() and unpacked with memoryview slices (flags and page_type words
at their offsets, stride sizeof(struct page)) and collections.Counter, not
one drgn Object per page.  When a run cannot be read (a filtered dump), it
is re-read one memmap page (PAGE_SIZE bytes of struct pages) at a time and
the struct pages of the missing memmap pages become unknown.

ppc64le: drgn 0.0.22 cannot translate vmemmap addresses (0xc00c...) there,
so on a ppc64 dump (or with --no-pages) the per-page part is not computed:
"totals" and "unknown_ranges" are null.  The sections, their usage maps and
the nodes/zones live in the linear map and are computed as on x86_64.
Per-page totals also need a little-endian target (this host's order).
"""
import collections
import json
import sys

import struct

import drgn

BITS_PER_LONG = 64
SUBSECTION_SHIFT = 21
PAGE_TYPE_BASE = 0xF0000000
# The #defines of v5.11-v6.9 (PG_kmemcg's removal moved table and guard down).
PAGE_TYPES = {"buddy": 0x80, "offline": 0x100, "table": 0x200, "guard": 0x400}
PAGE_TYPES_5_10 = {"buddy": 0x80, "offline": 0x100, "table": 0x400, "guard": 0x800}
TYPE_NAMES = ("buddy", "offline", "table", "guard", "hugetlb", "slab", "zsmalloc",
              "unaccepted")


def page_type_rules(prog, release):
    """(decode(page_type) -> name or None, names) by the kernel's own rules:
    v6.12+ `enum pagetype` PGTY_* in the top byte; v6.10-6.11 PG_* bits of
    `enum pagetype` under PAGE_TYPE_BASE, set when clear; before, #defines
    (not in debug info) under 0xf0000000, by release."""
    def const(name):
        try:
            return prog.constant(name).value_()
        except (KeyError, LookupError):
            return None
    if const("PGTY_buddy") is not None:
        vals = {n: const("PGTY_" + n) for n in TYPE_NAMES}
        vals = {n: v for n, v in vals.items() if v is not None}
        return (lambda v: next((n for n, b in vals.items() if v >> 24 == b), None)), list(vals)
    base = const("PAGE_TYPE_BASE")
    if base is not None:
        vals = {n: const("PG_" + n) for n in TYPE_NAMES}
        vals = {n: v for n, v in vals.items() if v is not None}
    else:
        major, minor = (int(x) for x in release.split(".")[:2])
        vals = PAGE_TYPES if (major, minor) >= (5, 11) else PAGE_TYPES_5_10
        base = PAGE_TYPE_BASE
    return (lambda v: next((n for n, b in vals.items() if v & (base | b) == base), None)
            if v & base == base else None), list(vals)
SECTION_FLAGS = [  # vmtriage's names, in its order, and the kernel's enum names
    ("present", "SECTION_MARKED_PRESENT_BIT"),
    ("has_mem_map", "SECTION_HAS_MEM_MAP_BIT"),
    ("online", "SECTION_IS_ONLINE_BIT"),
    ("early", "SECTION_IS_EARLY_BIT"),
    ("zone_device", "SECTION_TAINT_ZONE_DEVICE_BIT"),
]


def order_base_2(n):
    return (n - 1).bit_length() if n > 1 else 0


def enum_value(prog, name):
    try:
        return prog[name].value_()
    except KeyError:
        return None


def kernel_vmcoreinfo(prog):
    """The kernel's vmcoreinfo_data text (in the dump's memory) as a dict."""
    try:
        text = prog["vmcoreinfo_data"].string_().decode()
    except (KeyError, drgn.FaultError):
        try:
            text = prog["VMCOREINFO"].string_().decode()   # drgn's copy of the note
        except KeyError:
            # a kdump vmcore: with a crash kernel loaded, vmcoreinfo_data is
            # the safe copy in its reservation, which the vmcore leaves out;
            # the ELF note the kernel keeps (vmcoreinfo_note) is readable
            note = prog["vmcoreinfo_note"].value_()
            namesz, descsz = struct.unpack("<II", prog.read(note, 8))
            off = 12 + ((namesz + 3) & ~3)
            text = prog.read(note + off, descsz).decode(errors="replace")
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


class Memmap:
    def __init__(self, prog, want_pages=True):
        self.prog = prog
        self.le = bool(prog.platform.flags & drgn.PlatformFlags.IS_LITTLE_ENDIAN)
        self.arch = prog.platform.arch
        vi = kernel_vmcoreinfo(prog)
        self.page_size = int(vi["PAGESIZE"])
        self.page_shift = self.page_size.bit_length() - 1
        self.section_size_bits = int(vi["NUMBER(SECTION_SIZE_BITS)"])
        self.max_physmem_bits = int(vi["NUMBER(MAX_PHYSMEM_BITS)"])
        self.pfn_section_shift = self.section_size_bits - self.page_shift
        self.pages_per_section = 1 << self.pfn_section_shift
        self.nr_mem_sections = 1 << (self.max_physmem_bits - self.section_size_bits)
        ms_type = prog.type("struct mem_section")
        self.ms_size = ms_type.size
        self.sections_per_root = self.page_size // self.ms_size
        self.nr_roots = -(-self.nr_mem_sections // self.sections_per_root)
        roots = vi.get("LENGTH(mem_section)")
        self.vmcoreinfo_roots = int(roots) if roots is not None else None
        self.sec_bits = {name: enum_value(prog, kname) for name, kname in SECTION_FLAGS}
        self.map_last_bit = enum_value(prog, "SECTION_MAP_LAST_BIT")
        if self.map_last_bit is None:
            # Before the enum (v5.12) these were #defines, absent from debug
            # info: SECTION_MARKED_PRESENT 1<<0, HAS_MEM_MAP 1<<1, IS_ONLINE
            # 1<<2, IS_EARLY 1<<3, SECTION_MAP_LAST_BIT 1<<4, no ZONE_DEVICE taint.
            self.sec_bits = {"present": 0, "has_mem_map": 1, "online": 2, "early": 3,
                             "zone_device": None}
            self.map_last_bit = 4
        self.map_mask = ~((1 << self.map_last_bit) - 1) & (2**64 - 1)
        self.subsections_per_section = 1 << (self.section_size_bits - SUBSECTION_SHIFT)
        self.pages_per_subsection = self.pages_per_section // self.subsections_per_section
        usage = prog.type("struct mem_section_usage")
        self.usage_map_off = drgn.offsetof(usage, "subsection_map")
        self.page_type = prog.type("struct page")
        self.struct_page_size = self.page_type.size
        self.mapcount_off = drgn.offsetof(self.page_type, "_mapcount")
        self.flags_off = drgn.offsetof(self.page_type, "flags")
        self._page_flags_layout()
        self.page_types = page_type_rules(prog, vi.get("OSRELEASE", "0.0"))
        self.want_pages = want_pages and self.le and self.arch in (
            drgn.Architecture.X86_64, drgn.Architecture.AARCH64)

    def _page_flags_layout(self):
        prog = self.prog
        self.nr_pageflags = enum_value(prog, "__NR_PAGEFLAGS")
        names = {}
        for e in prog.type("enum pageflags").enumerators:
            if e.name == "__NR_PAGEFLAGS":
                break   # the aliases after it are second names of these bits
            names.setdefault(e.value, e.name[3:] if e.name.startswith("PG_") else e.name)
        self.flag_names = names
        self.max_nr_zones = enum_value(prog, "__MAX_NR_ZONES")
        try:
            self.max_numnodes = len(prog["node_data"])
        except KeyError:
            self.max_numnodes = 1
        self.nodes_shift = order_base_2(self.max_numnodes)
        sections_width = 0      # SPARSEMEM_VMEMMAP
        self.zones_width = order_base_2(self.max_nr_zones)
        fits = (sections_width + self.zones_width + self.nodes_shift
                <= BITS_PER_LONG - self.nr_pageflags)
        self.nodes_width = self.nodes_shift if fits else 0
        self.nodes_pgoff = BITS_PER_LONG - sections_width - self.nodes_width
        self.zones_pgoff = self.nodes_pgoff - self.zones_width
        self.zones_mask = (1 << self.zones_width) - 1
        self.nodes_mask = (1 << self.nodes_width) - 1

    # ---- sections ----------------------------------------------------
    def read_sections(self):
        """[(nr, section_mem_map, usage_pointer)] for non-zero sections."""
        prog = self.prog
        ms = prog["mem_section"]
        out = []
        if ms.type_.kind == drgn.TypeKind.POINTER:        # SPARSEMEM_EXTREME
            base = ms.value_()
            if base == 0:
                return out
            roots = prog.read(base, self.nr_roots * 8)
            root_ptrs = memoryview(roots).cast("Q")
            tables = [(i, p) for i, p in enumerate(root_ptrs) if p]
        else:                                             # static 2-D array
            tables = [(i, ms[i].address_) for i in range(len(ms))]
        for i, p in tables:
            raw = prog.read(p, self.sections_per_root * self.ms_size)
            words = memoryview(raw).cast("Q")
            step = self.ms_size // 8
            for j in range(self.sections_per_root):
                smm, usage = words[j * step], words[j * step + 1]
                if smm:
                    out.append((i * self.sections_per_root + j, smm, usage))
        return out

    def subsection_map(self, usage):
        if not usage:
            return 0
        nwords = -(-self.subsections_per_section // 64)
        raw = self.prog.read(usage + self.usage_map_off, nwords * 8)
        return int.from_bytes(raw, "little" if self.le else "big")

    def section_info(self):
        bit = self.sec_bits
        out = []
        for nr, smm, usage in self.read_sections():
            start_pfn = nr << self.pfn_section_shift
            flags = [n for n, _ in SECTION_FLAGS if bit[n] is not None and smm >> bit[n] & 1]
            has_map = "has_mem_map" in flags
            mem_map = ((smm & self.map_mask) + start_pfn * self.struct_page_size) & (2**64 - 1)
            smap = self.subsection_map(usage)
            out.append({
                "nr": nr, "start_pfn": start_pfn, "flags": flags,
                "mem_map": mem_map if has_map else None,
                "valid_subsections": bin(smap).count("1"),
                "_subsection_map": smap,
            })
        return out

    def valid_runs(self, sec):
        """[(first_pfn, npfns)] runs of pfn_valid() pfns in a section."""
        if "has_mem_map" not in sec["flags"]:       # valid_section()
            return []
        start = sec["start_pfn"]
        if "early" in sec["flags"]:
            return [(start, self.pages_per_section)]
        runs, cur = [], None
        for i in range(self.subsections_per_section):
            if sec["_subsection_map"] >> i & 1:
                pfn = start + i * self.pages_per_subsection
                if cur and cur[0] + cur[1] == pfn:
                    cur[1] += self.pages_per_subsection
                else:
                    cur = [pfn, self.pages_per_subsection]
                    runs.append(cur)
        return [tuple(r) for r in runs]

    # ---- nodes and zones ---------------------------------------------
    def nodes(self):
        prog = self.prog
        try:
            pgdats = [p for p in prog["node_data"] if p.value_()]
        except KeyError:
            pgdats = [prog["contig_page_data"].address_of_()]
        out = []
        for pg in pgdats:
            try:
                fdp = pg.first_deferred_pfn.value_()
            except AttributeError:
                fdp = None
            zones = []
            for i in range(self.max_nr_zones):
                z = pg.node_zones[i]
                zones.append({
                    "index": i, "name": z.name.string_().decode(),
                    "start_pfn": z.zone_start_pfn.value_(),
                    "spanned": z.spanned_pages.value_(),
                    "present": z.present_pages.value_(),
                    "managed": z.managed_pages.counter.value_(),
                })
            out.append({
                "id": pg.node_id.value_(), "start_pfn": pg.node_start_pfn.value_(),
                "spanned": pg.node_spanned_pages.value_(),
                "present": pg.node_present_pages.value_(),
                "first_deferred_pfn": fdp, "zones": zones,
            })
        return out

    def zone_names(self):
        try:
            return [s.string_().decode() for s in self.prog["zone_names"]]
        except KeyError:
            return None

    # ---- per-page totals ---------------------------------------------
    def read_memmap(self, addr, npages):
        """(bytes, known) for npages struct pages at addr; known is None when
        all were read, else a list of booleans per struct page."""
        size = npages * self.struct_page_size
        try:
            return self.prog.read(addr, size), None
        except drgn.FaultError:
            pass
        buf = bytearray(size)
        bad = []                        # [start, end) byte ranges not read
        off = 0
        while off < size:
            # One memmap page at a time, aligned to the kernel's page size.
            end = min(size, (addr + off) // self.page_size * self.page_size + self.page_size - addr)
            try:
                buf[off:end] = self.prog.read(addr + off, end - off)
            except drgn.FaultError:
                bad.append((off, end))
            off = end
        sp = self.struct_page_size
        known = [True] * npages
        for b0, b1 in bad:
            for i in range(b0 // sp, -(-b1 // sp)):
                known[i] = False
        return bytes(buf), known

    def totals(self, sections):
        sp = self.struct_page_size
        flag_values = collections.Counter()
        type_values = collections.Counter()
        valid = unknown = 0
        unknown_runs = []

        def add_unknown(pfn, n):
            if unknown_runs and unknown_runs[-1][1] == pfn:
                unknown_runs[-1][1] = pfn + n
            else:
                unknown_runs.append([pfn, pfn + n])

        def count(buf, first, last):
            mv = memoryview(buf)[first * sp:last * sp]
            flag_values.update(mv.cast("Q")[self.flags_off // 8::sp // 8])
            type_values.update(mv.cast("I")[self.mapcount_off // 4::sp // 4])

        for sec in sections:
            for pfn, n in self.valid_runs(sec):
                valid += n
                addr = sec["mem_map"] + (pfn - sec["start_pfn"]) * sp
                buf, known = self.read_memmap(addr, n)
                if known is None:
                    count(buf, 0, n)
                    continue
                i = 0
                while i < n:            # alternate runs of known/unknown pages
                    j = i
                    while j < n and known[j] == known[i]:
                        j += 1
                    if known[i]:
                        count(buf, i, j)
                    else:
                        unknown += j - i
                        add_unknown(pfn + i, j - i)
                    i = j

        flags = {name: 0 for name in self.flag_names.values()}
        zones = collections.Counter()
        nodes = collections.Counter()
        for v, n in flag_values.items():
            for b, name in self.flag_names.items():
                if v >> b & 1:
                    flags[name] += n
            zones[v >> self.zones_pgoff & self.zones_mask] += n
            nodes[v >> self.nodes_pgoff & self.nodes_mask] += n
        types = {name: 0 for name in self.page_types[1]}
        for v, n in type_values.items():
            name = self.page_types[0](v)
            if name:
                types[name] += n
        names = self.zone_names() or []
        zone_counts = {(names[z] if z < len(names) else f"zone{z}"): n
                       for z, n in sorted(zones.items())}
        totals = {"valid_pfns": valid, "unknown_pfns": unknown, "flags": flags,
                  "zones": zone_counts, "page_types": types}
        return totals, unknown_runs, dict(sorted(nodes.items()))

    def run(self):
        sections = self.section_info()
        out = {"sections": [], "nodes": self.nodes(), "totals": None, "unknown_ranges": None}
        for s in sections:
            out["sections"].append({
                "nr": s["nr"], "start_pfn": hex(s["start_pfn"]), "flags": s["flags"],
                "mem_map": hex(s["mem_map"]) if s["mem_map"] is not None else None,
                "valid_subsections": s["valid_subsections"],
            })
        for node in out["nodes"]:
            node["start_pfn"] = hex(node["start_pfn"])
            if node["first_deferred_pfn"] is not None:
                node["first_deferred_pfn"] = hex(node["first_deferred_pfn"])
            for z in node["zones"]:
                z["start_pfn"] = hex(z["start_pfn"])
        nodes_in_flags = None
        if self.want_pages:
            totals, runs, nodes_in_flags = self.totals(sections)
            out["totals"] = totals
            out["unknown_ranges"] = [{"start_pfn": hex(a), "end_pfn": hex(b)} for a, b in runs]
        out["derived"] = {
            "arch": str(self.arch), "page_size": self.page_size,
            "section_size_bits": self.section_size_bits,
            "max_physmem_bits": self.max_physmem_bits,
            "nr_mem_sections": self.nr_mem_sections,
            "sections_per_root": self.sections_per_root, "nr_section_roots": self.nr_roots,
            "vmcoreinfo_length_mem_section": self.vmcoreinfo_roots,
            "section_map_last_bit": self.map_last_bit,
            "subsections_per_section": self.subsections_per_section,
            "sizeof_struct_page": self.struct_page_size,
            "nr_pageflags": self.nr_pageflags, "max_nr_zones": self.max_nr_zones,
            "max_numnodes": self.max_numnodes, "nodes_shift": self.nodes_shift,
            "nodes_width": self.nodes_width, "zones_width": self.zones_width,
            "nodes_pgoff": self.nodes_pgoff, "zones_pgoff": self.zones_pgoff,
            # Sanity check of the layout: the node ids decoded from page->flags.
            "pages_by_node_in_flags": nodes_in_flags,
            "per_page": self.want_pages,
        }
        return out


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    prog = drgn.Program()
    prog.set_core_dump(args[0])
    prog.load_debug_info([args[1]])
    out = Memmap(prog, want_pages="--no-pages" not in argv).run()
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
