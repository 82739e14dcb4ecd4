#!/usr/bin/python3
"""Split dumps (issue 17 item 2): makedumpfile --split writes a dump as
pieces, each holding the pages of one pfn range. vmtriage reads them
together when given all (`vmtriage report P1 P2 P3`, any order), with the
same results as the whole dump; a piece alone is read too, and names the
physical ranges only the other pieces hold, which become `unknown`.

The pieces and a whole dump with the same options are made here, by the
host's makedumpfile, from the cached x86-hotplug QEMU dump (its program
headers moved first: testdata/lib/elf-phdrs-first.py). Each piece's range
is read here from its kdump sub-header, separately from vmtriage.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_split")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
MKD = shutil.which("makedumpfile")
if not MKD:
    vtlib.skip("makedumpfile is not installed")


def prepare(scen, tmp, npieces):
    """(pieces, whole): a split -d 31 dump of the scenario and the same unsplit."""
    d = vtlib.dumpdir(scen)
    elf = os.path.join(tmp, scen + ".elf")
    subprocess.run(["cp", "--sparse=always", os.path.join(d, "vmcore.elf"), elf], check=True)
    os.chmod(elf, 0o644)
    subprocess.run([sys.executable, os.path.join(vtlib.TOP, "testdata", "lib",
                                                 "elf-phdrs-first.py"), elf], check=True)
    pieces = [os.path.join(tmp, f"{scen}.p{i}") for i in range(1, npieces + 1)]
    whole = os.path.join(tmp, scen + ".whole")
    for args in (["--split", "-c", "-d", "31", elf, *pieces], ["-c", "-d", "31", elf, whole]):
        p = subprocess.run([MKD, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        if p.returncode:
            print(f"FAIL: makedumpfile {' '.join(args[:4])}: {p.stdout[-300:]}")
            sys.exit(1)
    os.unlink(elf)
    return pieces, whole


def piece_range(path):
    """(start_pfn, end_pfn, max_mapnr) from a piece's kdump sub-header (v6)."""
    with open(path, "rb") as f:
        h = f.read(448)
        block, = struct.unpack_from("<I", h, 428)
        f.seek(block)
        sub = f.read(104)
    split, = struct.unpack_from("<i", sub, 12)
    start, end, max_mapnr = struct.unpack_from("<QQQ", sub, 80)
    c.equal(split, 1, f"{os.path.basename(path)}: the sub-header says split")
    return start * 4096, end * 4096, max_mapnr * 4096


def report(*args):
    rc, out, err = vtlib.run("report", *args, "--json", check=False)
    ok = c.check(rc in (0, 1), f"report {' '.join(map(os.path.basename, args))}: exit {rc}: "
                 f"{err.strip()[-300:]}")
    return json.loads(out) if ok else None


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep["results"]}


with tempfile.TemporaryDirectory(prefix="vt-split.", dir=TMP) as tmp:
    pieces, whole = prepare("x86-hotplug", tmp, 3)
    full = report(whole)
    c.equal(full["dump"]["split"], None, "an unsplit dump has split null")
    memmap_whole = vtlib.run("memmap", whole, "--json")[1]
    # Every piece alone.
    ranges = [piece_range(p) for p in pieces]
    size = ranges[0][2]
    for p, (start, end, _) in zip(pieces, ranges):
        name = os.path.basename(p)
        rep = report(p)
        if not rep:
            continue
        sp = rep["dump"]["split"]
        c.equal(sp and sp["pieces"], 1, f"{name}: one piece")
        held = [(int(r["start"], 16), int(r["end"], 16)) for r in sp["held"]]
        missing = [(int(r["start"], 16), int(r["end"], 16)) for r in sp["missing"]]
        c.equal(held, [(start, end)] if end > start else [], f"{name}: the range it holds")
        want = [r for r in ((0, start), (end, size)) if r[1] > r[0]]
        c.equal(missing, want, f"{name}: the ranges the other pieces hold")
        for plugin, v in verdicts(rep).items():
            c.check(v in (verdicts(full)[plugin], "unknown"),
                    f"{name}: {plugin} {v}, the whole dump's {verdicts(full)[plugin]}")
        out = vtlib.run("report", p, check=False)[1]
        c.check("of a split dump (makedumpfile --split)" in out, f"{name}: the text warns")
    # All pieces, in two orders: the whole dump's results.
    for order in (pieces, pieces[::-1]):
        what = "pieces " + " ".join(os.path.basename(p)[-2:] for p in order)
        rep = report(*order)
        if not rep:
            continue
        c.equal(rep["dump"]["split"]["missing"], [], f"{what}: nothing missing")
        for key in ("results", "crash", "signature"):
            c.equal(rep[key], full[key], f"{what}: {key} as the whole dump's")
        c.equal(vtlib.run("memmap", *order, "--json")[1], memmap_whole,
                f"{what}: memmap --json as the whole dump's")
    # Not pieces of one dump: refused, naming the odd file.
    rc, _, err = vtlib.run("info", pieces[0], whole, check=False)
    c.check(rc == 2 and "not a piece of the same split dump" in err and "whole" in err,
            f"a whole dump given as a piece: exit {rc}: {err.strip()}")
    other, other_whole = prepare("x86-basic", tmp, 2)
    rc, _, err = vtlib.run("info", pieces[0], other[1], check=False)
    c.check(rc == 2 and "not a piece of the same split dump" in err,
            f"a piece of another dump: exit {rc}: {err.strip()}")
    # batch over the folder: each split set is one dump, reported from all
    # its pieces (the whole files stay dumps of their own)
    out = os.path.join(tmp, "batch-out")
    proc = subprocess.run([vtlib.VMTRIAGE, "batch", tmp, "--out", out, "--jobs", "2"],
                          capture_output=True, text=True, timeout=900)
    c.check(proc.returncode in (0, 1), f"batch over the pieces: exit {proc.returncode} "
            f"{proc.stderr[-300:]}")
    rows = [json.loads(x) for x in open(os.path.join(out, "summary.jsonl"))] \
        if os.path.exists(os.path.join(out, "summary.jsonl")) else []
    by = {os.path.basename(r["path"]): r for r in rows}
    c.equal(sorted(by), sorted(os.path.basename(x) for x in (pieces[0], other[0], whole, other_whole)),
            "batch: one entry per split set (its first piece) and per whole dump")
    for first, rest, wh in ((pieces[0], pieces[1:], full), (other[0], other[1:], report(other_whole))):
        r = by.get(os.path.basename(first), {})
        c.equal(r.get("pieces"), rest, f"batch: {os.path.basename(first)} carries the set's other pieces")
        rep = json.load(open(os.path.join(out, r["result"]))) if r.get("result") else None
        if c.check(rep is not None, f"batch: the set's report of {os.path.basename(first)}"):
            c.equal(rep["dump"]["split"]["pieces"], 1 + len(rest), "batch: report read every piece")
            c.equal(rep["dump"]["split"]["missing"], [], "batch: nothing missing")
            c.equal(rep["results"], wh["results"], "batch: the set's results are the whole dump's")
c.done()
