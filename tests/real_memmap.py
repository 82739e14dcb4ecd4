#!/usr/bin/python3
"""`vmtriage memmap` (issue 4) on real dumps, against independent oracles:

  drgn     tests/oracles/drgn_memmap.py: sections, nodes, zones and per-page
           totals from the kernel's structures, in Python (x86_64; on ppc64le
           drgn 0.0.22 cannot read vmemmap, so sections/nodes/zones only)
  crash    tests/oracles/crash_kmem_n.py: crash 8.0.2's `kmem -n` section
           table and node/zone spans (x86_64; ppc64le only when an emulated
           ppc64el crash is given in $VT_CRASH_PPC64, ~60 s a run)
  guest    truth.json: /proc/zoneinfo (tests/oracles/zoneinfo.py), the memory
           blocks in sysfs, the hot-removed/present dimms, the pmem device

Checks, per scenario (x86-basic, x86-hotplug, x86-pmem, ppc-hotplug):
- sections (nr, start_pfn, flags, mem_map, valid_subsections) equal drgn's;
  the present ones equal crash's (STATE letters P M O E D);
- nodes and zones equal drgn's, the zones' spans equal /proc/zoneinfo and
  crash's;
- totals (flag, zone and page-type counts, unknown ranges) equal drgn's on
  the unfiltered and the filtered (-d 31) kdump; valid_pfns equals what the
  sections say (early: whole section, else valid subsections);
- the plain ELF (types from the vmlinux's DWARF) gives the same document as
  the kdump-zlib (types from the dump's BTF);
- on kdump-d31 every valid pfn is counted or inside an unknown range, and
  no count exceeds the unfiltered one;
- memory blocks online in the guest have present+online sections, the
  hot-removed dimm has no section, the present dimm's are present+online
  and not early; x86-pmem's device section is present without a memmap
  online state and its pages are in zone Device;
- `--pfn N --json` for ~20 pfns per dump (zone edges, section starts, one
  page of each kind: buddy, slab, head, tail, lru, reserved; invalid pfns)
  equals drgn's struct page (flags, _refcount, _mapcount, mapping, the raw
  compound_head word, the struct page's address).
"""
import json
import os
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracles"))

import crash_kmem_n  # noqa: E402
import drgn_memmap  # noqa: E402
import zoneinfo  # noqa: E402
from vtlib import Checks, dumpdir, drgn_program, run, truth  # noqa: E402

ULONG_MAX = 2**64 - 1
c = Checks("real_memmap")


def h(x):
    """'0x..' -> int; None and ints pass through."""
    return int(x, 16) if isinstance(x, str) else x


def memmap(tag, *args):
    """vmtriage memmap ... --json, or None (and a failure) when it fails."""
    rc, out, err = run("memmap", *args, "--json", check=False)
    shown = " ".join(os.path.basename(str(a)) for a in args)
    if not c.check(rc == 0, f"{tag}: vmtriage memmap {shown} "
                   f"exited {rc}: {err.strip()[:300]}"):
        return None
    try:
        return json.loads(out)
    except ValueError as e:
        c.check(False, f"{tag}: vmtriage memmap printed no JSON: {e}")
        return None


def section_rows(doc, crash=False):
    rows = {}
    for s in doc["sections"]:
        row = (h(s["start_pfn"]), tuple(s["flags"]), h(s["mem_map"]))
        if not crash:
            row += (s["valid_subsections"],)
        rows[s["nr"]] = row
    return rows


def zone_rows(node):
    return {z["index"]: (z["name"], h(z["start_pfn"]), z["spanned"], z["present"], z["managed"])
            for z in node["zones"]}


def nonzero(d):
    return {k: v for k, v in d.items() if v}


def compare_sections(tag, vt, oracle, crash):
    got = section_rows(vt)
    want = section_rows(oracle)
    c.equal(sorted(got), sorted(want), f"{tag}: section numbers vs drgn")
    for nr in sorted(set(got) & set(want)):
        c.equal(got[nr], want[nr], f"{tag}: section {nr} (start_pfn, flags, mem_map, "
                                    "valid_subsections) vs drgn")
    if crash is None:
        return
    present = {nr: row[:3] for nr, row in got.items() if "present" in row[1]}
    c.equal(section_rows(crash, crash=True), present, f"{tag}: present sections vs crash kmem -n")


def compare_nodes(tag, vt, oracle, crash, zi):
    c.equal([n["id"] for n in vt["nodes"]], [n["id"] for n in oracle["nodes"]],
            f"{tag}: node ids vs drgn")
    for got, want in zip(vt["nodes"], oracle["nodes"]):
        nid = want["id"]
        fdp = h(want["first_deferred_pfn"])
        c.equal((h(got["start_pfn"]), got["spanned"], got["present"],
                 h(got["first_deferred_pfn"])),
                (h(want["start_pfn"]), want["spanned"], want["present"],
                 None if fdp == ULONG_MAX else fdp),
                f"{tag}: node {nid} start_pfn, spanned, present, first_deferred_pfn vs drgn")
        gz, wz = zone_rows(got), zone_rows(want)
        # Every zone vmtriage lists equals drgn's; every spanned one is listed.
        for i, row in gz.items():
            c.equal(row, wz.get(i), f"{tag}: node {nid} zone {i} vs drgn")
        for i, row in wz.items():
            if row[2] or row[3]:
                c.check(i in gz, f"{tag}: node {nid} zone {i} ({row[0]}) spans pages "
                                 "but vmtriage does not list it")
        for i, (name, start, spanned, present, managed) in gz.items():
            z = zi.get(nid, {}).get(name)
            if not c.check(z is not None or not (spanned or present),
                           f"{tag}: node {nid} zone {name} not in /proc/zoneinfo"):
                continue
            if z is None:
                continue
            c.equal((spanned, present, managed), (z["spanned"], z["present"], z["managed"]),
                    f"{tag}: node {nid} zone {name} spanned/present/managed vs /proc/zoneinfo")
            if z["start_pfn"] is not None:
                c.equal(start, z["start_pfn"], f"{tag}: node {nid} zone {name} start_pfn "
                                               "vs /proc/zoneinfo")
        if crash is None:
            continue
        cn = [n for n in crash["nodes"] if n["id"] == nid]
        if not c.check(len(cn) == 1, f"{tag}: crash lists node {nid} once"):
            continue
        c.equal(got["spanned"], cn[0]["spanned"], f"{tag}: node {nid} spanned vs crash")
        for cz in cn[0]["zones"]:
            row = gz.get(cz["index"])
            if row is None or not cz["spanned"]:
                continue
            c.equal((row[0], row[1], row[2]), (cz["name"], h(cz["start_pfn"]), cz["spanned"]),
                    f"{tag}: node {nid} zone {cz['index']} name, start_pfn, spanned vs crash")


def expected_valid(doc, pages_per_section, subsections_per_section):
    """valid_pfns from the section list alone: pfn_valid() of 6.1 (a section
    with a memmap: early ones whole, others by valid subsection)."""
    per_sub = pages_per_section // subsections_per_section
    return sum(pages_per_section if "early" in s["flags"] else s["valid_subsections"] * per_sub
               for s in doc["sections"] if "has_mem_map" in s["flags"])


def compare_totals(tag, vt, oracle):
    got, want = vt["totals"], oracle["totals"]
    for key in ("valid_pfns", "unknown_pfns"):
        c.equal(got[key], want[key], f"{tag}: totals.{key} vs drgn")
    c.equal(nonzero(got["flags"]), nonzero(want["flags"]), f"{tag}: per-flag counts vs drgn")
    c.equal(nonzero(got["zones"]), nonzero(want["zones"]), f"{tag}: per-zone counts vs drgn")
    c.equal(nonzero(got["page_types"]), nonzero(want["page_types"]),
            f"{tag}: page types vs drgn")
    c.equal([(h(r["start_pfn"]), h(r["end_pfn"])) for r in vt["unknown_ranges"]],
            [(h(r["start_pfn"]), h(r["end_pfn"])) for r in oracle["unknown_ranges"]],
            f"{tag}: unknown ranges vs drgn")


def check_filtered(tag, d31, full):
    """kdump-d31 against the unfiltered dump's vmtriage output."""
    t, u = d31["totals"], full["totals"]
    c.equal(section_rows(d31), section_rows(full), f"{tag}: sections as unfiltered")
    c.equal(d31["nodes"], full["nodes"], f"{tag}: nodes and zones as unfiltered")
    c.equal(t["valid_pfns"], u["valid_pfns"], f"{tag}: valid_pfns as unfiltered")
    c.equal(sum(t["zones"].values()) + t["unknown_pfns"], t["valid_pfns"],
            f"{tag}: every valid pfn is counted in a zone or unknown")
    ranges = [(h(r["start_pfn"]), h(r["end_pfn"])) for r in d31["unknown_ranges"]]
    if not d31.get("unknown_ranges_omitted"):
        c.equal(sum(b - a for a, b in ranges), t["unknown_pfns"],
                f"{tag}: unknown ranges add up to unknown_pfns")
    c.check(all(a < b for a, b in ranges) and
            all(ranges[i][1] <= ranges[i + 1][0] for i in range(len(ranges) - 1)),
            f"{tag}: unknown ranges sorted and disjoint")
    for group in ("flags", "zones", "page_types"):
        over = {k: (v, u[group].get(k, 0)) for k, v in t[group].items() if v > u[group].get(k, 0)}
        c.check(not over, f"{tag}: {group} counts above the unfiltered dump's: {over}")


def check_blocks(tag, vt, tr, section_bytes):
    """Memory blocks the guest had (sysfs) against the section flags."""
    bs = int(tr["memory_block_size"], 16)
    per_block = bs // section_bytes
    secs = {s["nr"]: s["flags"] for s in vt["sections"]}
    blocks = {b["index"]: b["state"] for b in tr["memory_blocks"]}
    for idx, state in blocks.items():
        nrs = range(idx * per_block, (idx + 1) * per_block)
        want = "online" if state == "online" else None
        c.check(all("present" in secs.get(n, ()) and (want is None or want in secs[n])
                    for n in nrs),
                f"{tag}: memory block {idx} ({state}): sections {nrs.start}..{nrs.stop - 1} "
                f"present{'+online' if want else ''}: {[secs.get(n) for n in nrs]}")
    # The kernel's own memory block devices (memory_blocks xarray) in the dump
    # equal what the guest's sysfs listed: same ids, states, first sections.
    got = vt.get("memory_blocks")
    if c.check(got is not None, f"{tag}: memory blocks read: {vt.get('memory_blocks_error')}"):
        c.equal({b["index"]: b["state"] for b in got}, blocks, f"{tag}: memory blocks vs sysfs")
        c.check(all(b["start_section"] == b["index"] * per_block for b in got),
                f"{tag}: each block starts at its first section")
    # An online section belongs to a memory block the guest saw.
    for nr, flags in secs.items():
        if "online" in flags:
            c.check(nr // per_block in blocks, f"{tag}: online section {nr} has no memory "
                                               "block in the guest's sysfs")


def check_hotplug(tag, vt, tr, section_bytes):
    hp = tr.get("hotplug")
    if not hp:
        return
    secs = {s["nr"]: s["flags"] for s in vt["sections"]}
    rm = hp["removed"]
    lo, hi = h(rm["start"]) // section_bytes, (h(rm["start"]) + h(rm["size"])) // section_bytes
    c.check(not any(n in secs for n in range(lo, hi)),
            f"{tag}: hot-removed dimm (sections {lo}..{hi - 1}) has no section: "
            f"{[(n, secs[n]) for n in range(lo, hi) if n in secs]}")
    pr = hp["present"]
    lo, hi = h(pr["start"]) // section_bytes, (h(pr["start"]) + h(pr["size"])) // section_bytes
    for n in range(lo, hi):
        c.equal(secs.get(n), ["present", "has_mem_map", "online"],
                f"{tag}: present dimm's section {n} (hot-added: not early)")


def check_pmem(tag, vt, oracle, tr, section_bytes, page_shift):
    pm = tr.get("pmem")
    if not pm:
        return
    start, size = h(pm["start"]), h(pm["size"])
    secs = {s["nr"]: s["flags"] for s in vt["sections"]}
    # The kernel taints a section SECTION_TAINT_ZONE_DEVICE only where a
    # ZONE_DEVICE range starts or ends inside it (move_pfn_range_to_zone());
    # this namespace is section-aligned, so the flag must be absent, as in drgn.
    for n in range(start // section_bytes, (start + size) // section_bytes):
        c.equal(secs.get(n), ["present", "has_mem_map"],
                f"{tag}: pmem section {n}: present with a memmap, not online, not early")
    dev = [z for node in vt["nodes"] for z in node["zones"] if z["name"] == "Device"]
    c.check(dev and h(dev[0]["start_pfn"]) == start >> page_shift and
            dev[0]["spanned"] == size >> page_shift,
            f"{tag}: zone Device spans the pmem namespace: {dev}")
    if vt.get("totals") and oracle.get("totals"):
        n = vt["totals"]["zones"].get("Device", 0)
        data = (start + size - h(pm["pfn_device"]["resource"])) >> page_shift
        c.check(n == oracle["totals"]["zones"].get("Device") and n >= data,
                f"{tag}: {n} pages in zone Device (drgn: "
                f"{oracle['totals']['zones'].get('Device')}, data pages: {data})")


# ---- --pfn against drgn ------------------------------------------------

def pick_pfns(prog, oracle, tr, mm, limit=24):
    """~20 interesting pfns: zone edges, section starts, one page of each kind
    (read with drgn in bulk from one section's memmap), holes."""
    pfns = []
    for node in oracle["nodes"]:
        for z in node["zones"]:
            if z["spanned"]:
                s = h(z["start_pfn"])
                pfns += [s, s + z["spanned"] - 1]
    secs = [s for s in oracle["sections"] if "has_mem_map" in s["flags"]]
    for s in secs[:: max(1, len(secs) // 4)]:
        pfns.append(h(s["start_pfn"]) + 12345 % mm.pages_per_section)
    # One page of each kind, by the flags and page_type words of the memmap
    # read in bulk (the first section is mostly reserved low memory: last).
    zone_of = lambda f: f >> mm.zones_pgoff & mm.zones_mask  # noqa: E731
    kinds = {"buddy": lambda f, t: t & 0xF0000080 == 0xF0000000,
             "table": lambda f, t: t & 0xF0000200 == 0xF0000000,
             "slab": lambda f, t: f >> 9 & 1, "head": lambda f, t: f >> 16 & 1,
             "lru": lambda f, t: f >> 4 & 1, "reserved": lambda f, t: f >> 12 & 1,
             "bad zone": lambda f, t: zone_of(f) >= mm.max_nr_zones}
    sp = mm.struct_page_size
    for s in secs[1:] + secs[:1]:
        if not kinds:
            break
        n = mm.pages_per_section
        buf = prog.read(h(s["mem_map"]), n * sp)
        flags = memoryview(buf).cast("Q")[mm.flags_off // 8::sp // 8]
        types = memoryview(buf).cast("I")[mm.mapcount_off // 4::sp // 4]
        for i in range(n):
            for k in list(kinds):
                if kinds[k](flags[i], types[i]):
                    pfns.append(h(s["start_pfn"]) + i)
                    if k == "head":
                        pfns.append(h(s["start_pfn"]) + i + 1)     # its first tail
                    del kinds[k]
            if not kinds:
                break
    if tr.get("pmem"):
        pfns.append(h(tr["pmem"]["pfn_device"]["resource"]) >> mm.page_shift)
    seen, out = set(), []
    for p in pfns:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out[:limit]


def invalid_pfns(oracle, tr, mm):
    """pfns pfn_valid() rejects: a removed dimm, past the last section, a
    missing subsection; vmtriage must say so (exit 2), not print a page."""
    out = [(1 << (mm.max_physmem_bits - mm.page_shift)) - 1]
    present = {s["nr"] for s in oracle["sections"] if "has_mem_map" in s["flags"]}
    last = max(present)
    gap = [n for n in range(last) if n not in present]
    if gap:
        out.append(gap[0] << mm.pfn_section_shift)
    out.append((last + 1) << mm.pfn_section_shift)
    if tr.get("hotplug"):
        out.append(h(tr["hotplug"]["removed"]["start"]) >> mm.page_shift)
    return out


def check_pfns(tag, dump, vmlinux_args, prog, pfns, bad):
    from drgn.helpers.linux.mm import pfn_to_page
    for pfn in pfns:
        got = memmap(f"{tag} --pfn {hex(pfn)}", dump, *vmlinux_args, "--pfn", hex(pfn))
        if got is None:
            continue
        p = pfn_to_page(prog, pfn)
        want = {"page": p.value_(), "flags": p.flags.value_(),
                "refcount": p._refcount.counter.value_(),
                "mapcount": p._mapcount.counter.value_(),
                "mapping": p.mapping.value_(),
                "compound_head": p.compound_head.value_()}
        have = {k: h(got.get(k)) for k in want}
        c.equal(have, want, f"{tag}: --pfn {hex(pfn)} vs drgn's struct page")
    for pfn in bad:
        rc, out, err = run("memmap", dump, *vmlinux_args, "--pfn", hex(pfn), "--json",
                           check=False)
        c.check(rc == 2 and "not valid" in err,
                f"{tag}: --pfn {hex(pfn)} (not pfn_valid) exits 2 saying so: "
                f"rc {rc}, {err.strip()[:200]} {out[:100]}")


# ---- per scenario --------------------------------------------------------

def crash_for(arch):
    if arch == "x86_64":
        return "crash"
    return os.environ.get("VT_CRASH_PPC64") or None


def scenario(name):
    d = dumpdir(name)
    tr = truth(d)
    vmlinux = os.path.join(d, "vmlinux")
    ppc = tr["arch"].startswith("ppc")
    zi = zoneinfo.parse(tr["zoneinfo"])
    # drgn: ELF on ppc64 (its kdump has no vmemmap reads anyway), kdump-zlib on x86_64.
    full = "vmcore.elf" if ppc else "vmcore.kdump-zlib"
    prog = drgn_program(os.path.join(d, full), vmlinux)
    mm = drgn_memmap.Memmap(prog)
    oracle = mm.run()
    prog31 = drgn_program(os.path.join(d, "vmcore.kdump-d31"), vmlinux)
    oracle31 = drgn_memmap.Memmap(prog31).run()
    section_bytes = 1 << mm.section_size_bits
    c.check(oracle["derived"]["vmcoreinfo_length_mem_section"] in
            (None, mm.nr_roots), f"{name}: oracle's NR_SECTION_ROOTS matches VMCOREINFO")
    if oracle["totals"]:
        c.equal(list(oracle["derived"]["pages_by_node_in_flags"]), [0],
                f"{name}: oracle's page->flags layout puts every page on node 0")

    crash = None
    cr = crash_for(tr["arch"])
    if cr:
        try:
            crash = crash_kmem_n.kmem_n(os.path.join(d, "vmcore.kdump-zlib"), vmlinux, cr)
        except Exception as e:  # noqa: BLE001 - crash missing, timing out, or failing
            c.check(False, f"{name}: crash kmem -n failed: {e}")
    else:
        print(f"NOTE: {name}: no ppc64el crash ($VT_CRASH_PPC64 unset): crash not compared")

    # The oracles agree with each other (so a failure below is vmtriage's).
    present = {nr: row[:3] for nr, row in section_rows(oracle).items() if "present" in row[1]}
    if crash:
        c.equal(section_rows(crash, crash=True), present, f"{name}: drgn vs crash sections")

    # vmtriage on three formats. x86_64: the kdumps alone (BTF, kallsyms),
    # the plain ELF with the vmlinux (DWARF); ppc64: always with the vmlinux.
    vmargs = [vmlinux] if ppc else []
    docs = {
        "vmcore.kdump-zlib": memmap(f"{name}/kdump-zlib", os.path.join(d, "vmcore.kdump-zlib"),
                                    *vmargs, "--sections"),
        "vmcore.elf": memmap(f"{name}/elf", os.path.join(d, "vmcore.elf"), vmlinux,
                             "--sections"),
        "vmcore.kdump-d31": memmap(f"{name}/kdump-d31", os.path.join(d, "vmcore.kdump-d31"),
                                   *vmargs, "--sections"),
    }
    for fmt, vt in docs.items():
        tag = f"{name}/{fmt}"
        if vt is None:
            continue
        want = oracle31 if fmt == "vmcore.kdump-d31" else oracle
        compare_sections(tag, vt, want, crash if fmt == "vmcore.kdump-zlib" else None)
        compare_nodes(tag, vt, want, crash if fmt == "vmcore.kdump-zlib" else None, zi)
        c.equal(vt["totals"]["valid_pfns"],
                expected_valid(vt, mm.pages_per_section, mm.subsections_per_section),
                f"{tag}: valid_pfns from the section list (pfn_valid)")
        if want["totals"]:
            compare_totals(tag, vt, want)
        else:
            # No per-page oracle (ppc64 vmemmap): what the kernel must hold anyway.
            zones = nonzero(vt["totals"]["zones"])
            named = {z["name"] for n in vt["nodes"] for z in n["zones"] if z["spanned"]}
            stray = {k: v for k, v in zones.items() if k not in named}
            c.check(sum(stray.values()) * 1000 <= vt["totals"]["valid_pfns"],
                    f"{tag}: pages outside any spanned zone (at most 0.1%): {stray}")
            c.check(vt["totals"]["page_types"].get("buddy", 0) > 0 and
                    vt["totals"]["flags"].get("reserved", 0) > 0,
                    f"{tag}: a booted kernel has buddy and reserved pages: {vt['totals']}")
        check_blocks(tag, vt, tr, section_bytes)
        check_hotplug(tag, vt, tr, section_bytes)
        check_pmem(tag, vt, want, tr, section_bytes, mm.page_shift)
    elf, zlib, d31 = docs["vmcore.elf"], docs["vmcore.kdump-zlib"], docs["vmcore.kdump-d31"]
    if elf and zlib:
        diff = sorted(k for k in set(elf) | set(zlib) if elf.get(k) != zlib.get(k))
        c.check(not diff, f"{name}: ELF (DWARF) and kdump-zlib differ in {diff}")
    if d31 and zlib:
        check_filtered(f"{name}/kdump-d31", d31, zlib)
    # Without --sections: the count only.
    short = memmap(f"{name}/no --sections", os.path.join(d, "vmcore.kdump-zlib"), *vmargs)
    if short and zlib:
        c.check("sections" not in short and short.get("nsections") == len(zlib["sections"]),
                f"{name}: without --sections, nsections {short.get('nsections')} == "
                f"{len(zlib['sections'])} sections")

    if not ppc:   # drgn reads struct pages on x86_64 only
        pfns = pick_pfns(prog, oracle, tr, mm)
        bad = invalid_pfns(oracle, tr, mm)
        check_pfns(f"{name}/kdump-zlib", os.path.join(d, "vmcore.kdump-zlib"), [], prog, pfns, bad)
        check_pfns(f"{name}/kdump-d31", os.path.join(d, "vmcore.kdump-d31"), [], prog31,
                   pfns[:8], [])
    return oracle, crash


for s in ("x86-basic", "x86-hotplug", "x86-pmem", "ppc-hotplug"):
    scenario(s)


def check_ranges_x86(name):
    """--ranges on x86: memblock rebuilt from the dump's log equals the node
    ranges the guest printed on its serial console; the e820 column equals
    the console's user/BIOS map."""
    import re
    d = dumpdir(name)
    doc = json.loads(run("memmap", os.path.join(d, "vmcore.kdump-zlib"), "--ranges",
                         "--json")[1])
    console = open(os.path.join(d, "console.log"), errors="replace").read()
    want = [(int(a, 16), int(b, 16) + 1) for a, b in
            re.findall(r"node +\d+: \[mem (0x[0-9a-f]+)-(0x[0-9a-f]+)\]", console)]
    got, cur = [], None
    for r in doc["ranges"]:
        s, e = int(r["start"], 16), int(r["end"], 16)
        if r["memblock"] == "yes":
            cur = (cur[0], e) if cur and cur[1] == s else cur
            if not cur or cur[1] != e:
                if cur:
                    got.append(cur)
                cur = (s, e)
    if cur:
        got.append(cur)
    c.check(any("boot log" in src for src in doc["sources"]), f"{name}: memblock from the log")
    c.equal(got, want, f"{name}: --ranges memblock regions vs the console's node ranges")


for s in ("x86-basic", "x86-pmem"):
    check_ranges_x86(s)
c.done()
