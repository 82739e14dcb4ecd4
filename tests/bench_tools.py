#!/usr/bin/env python3
"""bench/plot.py and tools/bench-readme.py on a fixture results file (the
shape bench/benchlib.py writes), so that neither breaks silently between
`make bench` runs: the SVG parses, has its axes' labels, one legend entry
and one marker per point of each series, log scales where the values are
wide; the README section is replaced between its markers only, holds one
row per result with the ratios, and --check tells a stale one. Also
benchlib's recording: a measure() of a fake dump becomes a row with its
size and series, and save() merges runs atomically."""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PY = sys.executable
SVG = "{http://www.w3.org/2000/svg}"


def row(scenario, fmt, size, tool, series, sec, rss, ratios=None, **kw):
    return {"scenario": scenario, "format": fmt, "dump_bytes": size, "dump_disk_bytes": size,
            "tool": tool, "series": series, "argv": [tool], "seconds": sec,
            "peak_rss_kib": rss, "reps": 3, "date": "2026-01-02T03:04:05+0000",
            "ratios": ratios or {}, **kw}


FIXTURE = {
    "bench": "fixture", "date": "2026-01-02T03:04:05+0000",
    "machine": {"nproc": 2, "cpu": "Test CPU", "kernel": "6.1"},
    "vmtriage": "vmtriage 0.1.0", "drgn": "drgn 0.0.22 (using Python)", "reps": 3,
    "rows": [
        row("x86-a", "vmcore.kdump-d31", 17_000_000, "vmtriage", "vmtriage report", 0.1, 20000,
            {"drgn startup": {"time": 0.25, "rss": 0.1}, "crash startup": {"time": 0.02, "rss": 0.05}},
            rates={"valid_pfns/s": 2.5e6}),
        row("x86-a", "vmcore.kdump-d31", 17_000_000, "drgn", "drgn startup", 0.4, 200000,
            {"crash startup": {"time": 0.08, "rss": 0.5}}),
        row("x86-a", "vmcore.kdump-d31", 17_000_000, "crash", "crash startup", 5.0, 400000,
            {"drgn startup": {"time": 12.5, "rss": 2.0}}),
        row("x86-a", "vmcore.elf", 1_300_000_000, "vmtriage", "vmtriage report", 0.2, 21000,
            {"drgn startup": {"time": 0.4, "rss": 0.1}}),
        row("x86-a", "vmcore.elf", 1_300_000_000, "drgn", "drgn startup", 0.5, 210000, {},
            file="vmcore.elf-paging"),
    ],
}


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check_svg(path):
    root = ET.parse(path).getroot()
    if root.tag != SVG + "svg":
        fail(f"{path}: root is {root.tag}")
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    for want in ("dump file size (log scale)", "seconds, whole process (log scale)",
                 "vmtriage report", "drgn startup", "crash startup", "20 MB", "1 GB", "0.2 s"):
        if not any(want in t for t in texts):
            fail(f"{path}: no text {want!r} in {texts}")
    lines = [p for p in root.iter(SVG + "polyline")]
    if len(lines) != 2:      # vmtriage report and drgn startup have 2 points each
        fail(f"{path}: {len(lines)} polylines, not 2")
    titles = ["".join(t.itertext()) for t in root.iter(SVG + "title")]
    points = [t for t in titles if ": x86-a/" in t]
    if len(points) != len(FIXTURE["rows"]):
        fail(f"{path}: {len(points)} point markers, not {len(FIXTURE['rows'])}: {titles}")
    print(f"ok: {path}: axes, legend, {len(points)} points")


def check_readme(tmp, results):
    readme = os.path.join(tmp, "README.md")
    before, after = "# T\n\nprose before\n\n", "\nprose after\n"
    with open(readme, "w") as f:
        f.write(before + "<!-- bench:begin -->\nold table\n<!-- bench:end -->" + after)
    tool = [PY, os.path.join(TOP, "tools", "bench-readme.py"), "--readme", readme,
            "--results", results]
    if subprocess.run(tool + ["--check"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        fail("--check passed a stale section")
    subprocess.run(tool, check=True, stdout=subprocess.DEVNULL)
    text = open(readme).read()
    if not text.startswith(before) or not text.endswith("<!-- bench:end -->" + after):
        fail(f"prose around the markers changed:\n{text}")
    if "old table" in text:
        fail("the old section is still there")
    for want in ("#### bench/fixture", "](results/fixture.svg)",
                 "| dump | size | command | seconds | peak MiB | valid_pfns/s "
                 "| / drgn startup | / crash startup |",
                 "| x86-a kdump-d31 | 17 MB | `vmtriage report` | 0.100 | 20 | 2.5 M | 0.250 | 0.020 |",
                 "|  |  | `drgn startup` (on vmcore.elf-paging) | 0.500 | 205 |",
                 "| x86-a elf | 1.3 GB | `vmtriage report` | 0.200 | 21 |  | 0.400 |  |"):
        if want not in text:
            fail(f"no {want!r} in:\n{text}")
    if text.count("| x86-a") != 2 or text.count("`") != 2 * len(FIXTURE["rows"]):
        fail(f"not one row per result:\n{text}")
    subprocess.run(tool + ["--check"], check=True, stdout=subprocess.DEVNULL)
    with open(readme, "w") as f:
        f.write("no markers\n")
    if subprocess.run(tool, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        fail("a README without markers was accepted")
    print("ok: README section regenerated between the markers, --check")


def check_benchlib(tmp):
    """measure() of a command on a fake cached dump, save() twice."""
    ddir = os.path.join(tmp, "vmtriage", "dumps", "x86-z-0123456789abcdef")
    os.makedirs(ddir)
    dump = os.path.join(ddir, "vmcore.kdump-zlib")
    with open(dump, "wb") as f:
        f.write(b"\0" * 12345)
    os.symlink("/dev/null", os.path.join(ddir, "vmlinux"))
    res = os.path.join(tmp, "res")
    code = f"""
import sys; sys.path.insert(0, {os.path.join(TOP, 'bench')!r})
import benchlib
benchlib.measure(["/bin/true", "info", {dump!r}, {os.path.join(ddir, 'vmlinux')!r}], reps=1)
benchlib.measure(["/bin/true", "-q", "-c", {dump!r}, "/dev/null"], reps=1)
benchlib.record_work("x86-z", "vmcore.kdump-zlib", tasks=10)
benchlib.save("lib")
"""
    env = dict(os.environ, BENCH_RESULTS=res, VMTRIAGE="/bin/true")
    for _ in range(2):
        subprocess.run([PY, "-c", code], check=True, env=env, stdout=subprocess.DEVNULL)
    doc = json.load(open(os.path.join(res, "lib.json")))
    rows = doc["rows"]
    if len(rows) != 2 or os.listdir(res) != ["lib.json"]:
        fail(f"save() did not merge one run into the other: {os.listdir(res)} {rows}")
    r = [r for r in rows if r["argv"][1] == "info"][0]
    want = {"scenario": "x86-z", "format": "vmcore.kdump-zlib", "dump_bytes": 12345,
            "series": "true info +vmlinux", "argv": ["true", "info", "DUMP", "VMLINUX"]}
    if any(r[k] != v for k, v in want.items()) or "tasks/s" not in r["rates"]:
        fail(f"row {r} is not {want}")
    if not doc["machine"]["nproc"] or not doc["date"]:
        fail(f"no machine or date: {doc}")
    print("ok: benchlib records measure() rows and merges save()s")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results")
        os.makedirs(results)
        path = os.path.join(results, "fixture.json")
        with open(path, "w") as f:
            json.dump(FIXTURE, f)
        subprocess.run([PY, os.path.join(TOP, "bench", "plot.py"), path], check=True,
                       stdout=subprocess.DEVNULL)
        check_svg(os.path.join(results, "fixture.svg"))
        check_readme(tmp, results)
        check_benchlib(tmp)


if __name__ == "__main__":
    main()
