#!/usr/bin/python3
"""Oracle for `vmtriage memmap`: crash's own view of the SPARSEMEM sections,
nodes and zones, from `kmem -n` in batch mode.

Usage: crash_kmem_n.py DUMP VMLINUX [--crash PROGRAM] [--timeout S]
Runs `crash -s VMLINUX DUMP -i CMDFILE` (CMDFILE: `kmem -n`, `quit`) and
prints JSON:

  sections       crash's section table (it lists the sections with
                 SECTION_MARKED_PRESENT): nr, start_pfn ("0x.."), state
                 (crash's letters), flags (the letters as vmtriage's names,
                 see STATE_FLAGS), mem_map (decoded: the struct page of
                 start_pfn), coded_mem_map (section_mem_map without flags)
  nodes          one per NODE block: id, spanned (SIZE column: the node's
                 node_spanned_pages), pglist_data, mem_map, start_pfn, and
                 zones: index, name, spanned (SIZE: zone->spanned_pages),
                 mem_map, start_pfn (START_MAPNR; crash prints 0 for empty
                 zones)
  memory_blocks  crash's MEM_BLOCK table: name, start, end, node, state,
                 start_section
  seconds        how long crash took

crash's `help kmem` documents the STATE letters (crash 8.0.2):
  P SECTION_MARKED_PRESENT, M SECTION_HAS_MEM_MAP, O SECTION_IS_ONLINE,
  E SECTION_IS_EARLY, D SECTION_TAINT_ZONE_DEVICE.
crash 8.0.2 opens the x86_64 QEMU dumps (~6-10 s).  For ppc64le, pass an
emulated crash with --crash (e.g. "qemu-ppc64le -L SYSROOT SYSROOT/usr/bin/crash",
~60 s); the test does that only when such a crash is installed.
Exit 0 with JSON, 1 when crash fails or prints no section table.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time

STATE_FLAGS = {"P": "present", "M": "has_mem_map", "O": "online", "E": "early",
               "D": "zone_device"}
FLAG_ORDER = ["present", "has_mem_map", "online", "early", "zone_device"]

SECTION_HDR = re.compile(r"^NR\s+SECTION\s+CODED_MEM_MAP\s+MEM_MAP\s+STATE\s+PFN")
SECTION_ROW = re.compile(r"^\s*(\d+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Z]+)"
                         r"\s+(\d+)\s*$")
NODE_HDR = re.compile(r"^NODE\s+SIZE\s+PGLIST_DATA")
NODE_ROW = re.compile(r"^\s*(\d+)\s+(\d+)\s+([0-9a-f]+)\s+\S+\s+([0-9a-f]+)\s*$")
NODE_MAP_HDR = re.compile(r"^\s*MEM_MAP\s+START_PADDR\s+START_MAPNR")
NODE_MAP_ROW = re.compile(r"^\s*([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)\s*$")
ZONE_HDR = re.compile(r"^ZONE\s+NAME\s+SIZE\s+MEM_MAP\s+START_PADDR\s+START_MAPNR")
ZONE_ROW = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\d+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(\d+)\s*$")
BLOCK_HDR = re.compile(r"^\s*MEM_BLOCK\s+NAME\s+PHYSICAL RANGE")
BLOCK_ROW = re.compile(r"^\s*([0-9a-f]+)\s+(memory\d+)\s+([0-9a-f]+)\s+-\s+([0-9a-f]+)\s+"
                       r"(?:(\d+)\s+)?([A-Z_]+)\s+(\d+)\s*$")


def run_crash(dump, vmlinux, crash="crash", timeout=600):
    """crash's stdout for `kmem -n`, and the seconds it took."""
    with tempfile.NamedTemporaryFile("w", suffix=".crash", delete=False) as f:
        f.write("kmem -n\nquit\n")
        cmdfile = f.name
    try:
        argv = [*shlex.split(crash), "-s", vmlinux, dump, "-i", cmdfile]
        t0 = time.monotonic()
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=timeout)
        return proc.returncode, proc.stdout, time.monotonic() - t0
    finally:
        os.unlink(cmdfile)


def parse(text):
    sections, nodes, blocks = [], [], []
    mode = None
    node = None
    for line in text.splitlines():
        if SECTION_HDR.match(line):
            mode = "sections"
            continue
        if NODE_HDR.match(line):
            mode = "node"
            continue
        if NODE_MAP_HDR.match(line):
            mode = "node_map"
            continue
        if ZONE_HDR.match(line):
            mode = "zones"
            continue
        if BLOCK_HDR.match(line):
            mode = "blocks"
            continue
        if mode == "sections":
            m = SECTION_ROW.match(line)
            if m:
                nr, sec, coded, mem_map, state, pfn = m.groups()
                sections.append({
                    "nr": int(nr), "start_pfn": hex(int(pfn)), "state": state,
                    "flags": [f for f in FLAG_ORDER
                              if f in {STATE_FLAGS[c] for c in state if c in STATE_FLAGS}],
                    "mem_map": hex(int(mem_map, 16)), "coded_mem_map": hex(int(coded, 16)),
                    "section": hex(int(sec, 16)),
                })
        elif mode == "node":
            m = NODE_ROW.match(line)
            if m:
                node = {"id": int(m.group(1)), "spanned": int(m.group(2)),
                        "pglist_data": hex(int(m.group(3), 16)), "zones": []}
                nodes.append(node)
        elif mode == "node_map":
            m = NODE_MAP_ROW.match(line)
            if m and node is not None:
                node["mem_map"] = hex(int(m.group(1), 16))
                node["start_pfn"] = hex(int(m.group(3)))
                mode = None
        elif mode == "zones":
            m = ZONE_ROW.match(line)
            if m and node is not None:
                idx, name, size, mem_map, paddr, mapnr = m.groups()
                node["zones"].append({
                    "index": int(idx), "name": name, "spanned": int(size),
                    "mem_map": hex(int(mem_map, 16)), "start_pfn": hex(int(mapnr)),
                })
        elif mode == "blocks":
            m = BLOCK_ROW.match(line)
            if m:
                _, name, start, end, nid, state, first = m.groups()
                blocks.append({"name": name, "start": hex(int(start, 16)),
                               "end": hex(int(end, 16)),
                               "node": int(nid) if nid is not None else None,
                               "state": state, "start_section": int(first)})
    return {"sections": sections, "nodes": nodes, "memory_blocks": blocks}


def kmem_n(dump, vmlinux, crash="crash", timeout=600):
    """Run crash and parse; raises RuntimeError when crash gives no table."""
    rc, out, secs = run_crash(dump, vmlinux, crash, timeout)
    res = parse(out)
    if not res["sections"]:
        raise RuntimeError(f"crash exited {rc} without a section table: {out[-600:]}")
    res["seconds"] = round(secs, 2)
    return res


def main(argv):
    args, crash, timeout = [], "crash", 600
    it = iter(argv[1:])
    for a in it:
        if a == "--crash":
            crash = next(it)
        elif a == "--timeout":
            timeout = float(next(it))
        else:
            args.append(a)
    if len(args) != 2:
        print("usage: crash_kmem_n.py DUMP VMLINUX [--crash PROGRAM] [--timeout S]",
              file=sys.stderr)
        return 2
    try:
        res = kmem_n(args[0], args[1], crash, timeout)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
        print(f"crash_kmem_n: {e}", file=sys.stderr)
        return 1
    json.dump(res, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
