#!/usr/bin/python3
"""Oracle for `vmtriage memmap`'s zones: the guest's own /proc/zoneinfo,
recorded before the panic (truth.json "zoneinfo").

parse(text) -> {node: {zone name: {"start_pfn", "spanned", "present",
"managed"}}}, numbers as ints.  /proc/zoneinfo lists every zone of every
online node, populated or not; "start_pfn:" is printed only for populated
zones (6.1 zoneinfo_show_print() returns early for the others), so an empty
zone's start_pfn is None.

Usage: zoneinfo.py TRUTH.json   prints the parsed JSON.
"""
import json
import re
import sys

HEADER = re.compile(r"^Node\s+(\d+),\s+zone\s+(\S+)\s*$")
FIELD = re.compile(r"^\s+(spanned|present|managed)\s+(\d+)\s*$")
START = re.compile(r"^\s+start_pfn:\s+(\d+)\s*$")


def parse(text):
    out = {}
    cur = None
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            cur = {"start_pfn": None, "spanned": None, "present": None, "managed": None}
            out.setdefault(int(m.group(1)), {})[m.group(2)] = cur
            continue
        if cur is None:
            continue
        m = FIELD.match(line)
        if m:
            cur[m.group(1)] = int(m.group(2))
            continue
        m = START.match(line)
        if m:
            cur["start_pfn"] = int(m.group(1))
    return out


def main(argv):
    if len(argv) != 2:
        print("usage: zoneinfo.py TRUTH.json", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        zi = parse(json.load(f)["zoneinfo"])
    json.dump({str(n): z for n, z in zi.items()}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
