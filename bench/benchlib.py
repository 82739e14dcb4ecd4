"""Shared pieces of the benchmarks: where things are, and one way to time a
command (best of BENCH_REPS runs; wall time from perf_counter, since GNU
time's %e has 10 ms steps; peak RSS from GNU time's %M)."""
import os
import subprocess
import sys
import time

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
VT = os.environ.get("VMTRIAGE", os.path.join(TOP, "vmtriage"))
REPS = int(os.environ.get("BENCH_REPS", "3"))


def measure(argv, stdin=None, ok=(0,), capture=False, reps=None):
    """Best of reps runs: (seconds, peak RSS KiB, stdout of the best run or None)."""
    best = None
    for _ in range(reps or REPS):
        t0 = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], input=stdin,
                              stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        sec = time.perf_counter() - t0
        if proc.returncode not in ok:
            raise RuntimeError(f"{argv[0]} failed ({proc.returncode}): {proc.stderr[-400:]}")
        rss = int(proc.stderr.strip().splitlines()[-1])
        cur = (sec, rss, proc.stdout if capture else None)
        best = cur if best is None or cur[0] < best[0] else best
    _note(argv, stdin, best[0], best[1], reps or REPS)
    return best


def drgn_core(d, dump, arch, tmp):
    """The dump as drgn 0.0.22 can read it: on arm64 a copy in tmp whose
    PT_LOADs carry virtual addresses (QEMU leaves them equal to the physical
    ones), elsewhere the dump itself."""
    if arch != "aarch64":
        return dump
    core = os.path.join(tmp, "drgn.elf")
    subprocess.run([sys.executable, os.path.join(TOP, "testdata", "arm64", "elf-for-drgn.py"),
                    dump, core, os.path.join(d, "truth.json")], check=True,
                   stdout=subprocess.DEVNULL)
    return core


def dumpdir(scenario):
    """The cached test dumps of a scenario (made on first use)."""
    return subprocess.run([os.path.join(TOP, "testdata", "dumpdir"), scenario],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.strip()


# ---- Results: every measure() is recorded; save(NAME) writes them -------
#
# bench/results/NAME.json (BENCH_RESULTS overrides the directory):
#   {"bench": NAME, "date", "machine": {nproc, cpu, kernel}, "vmtriage": version,
#    "drgn": version, "reps", "rows": [ROW, ...]}
# ROW: scenario, format, dump_bytes (st_size), dump_disk_bytes (blocks in use:
# a sparse dump's real size), tool (vmtriage | drgn | crash | ...), series (a
# short name: "vmtriage info +vmlinux", "drgn startup", "crash foreach bt"),
# argv (paths as DUMP, VMLINUX, a script's name), seconds, peak_rss_kib, reps,
# date; ratios {PEER SERIES: {"time", "rss"}} against every drgn and crash row
# of the same dump; work {UNIT: count} and rates {UNIT/s} where a script said
# how much work a dump holds (record_work). Rows of earlier runs on other dumps
# are kept; a row of the same dump and series is replaced. Written atomically.
import json as _json
import re as _re
import tempfile as _tempfile

RESULTS = os.environ.get("BENCH_RESULTS", os.path.normpath(os.path.join(TOP, "bench", "results")))
_ROWS = []
_WORK = {}
_DUMPDIR_RE = _re.compile(r"^(.+)-[0-9a-f]{16}$")


def _scenario_of(path):
    """(scenario, file name) when path is a cached test dump's file, else None."""
    d, base = os.path.split(os.path.abspath(path))
    m = _DUMPDIR_RE.match(os.path.basename(d))
    return (m.group(1), base) if m and "vmtriage" in d else None


def _tool(argv0):
    base = os.path.basename(argv0)
    return "vmtriage" if base.startswith("vmtriage") else base


def _describe(argv, stdin):
    """(tool, series, argv with paths named, dump path or None, scenario, dump dir)."""
    tool = _tool(argv[0])
    named, dump, scenario, ddir, vmlinux, script = [tool], None, None, None, False, None
    for a in argv[1:]:
        sc = _scenario_of(a) if os.sep in a else None
        if sc and sc[1] == "vmlinux":
            named.append("VMLINUX")
            vmlinux, scenario = True, scenario or sc[0]
            ddir = ddir or os.path.dirname(os.path.abspath(a))
        elif sc:
            named.append("DUMP")
            dump, scenario, ddir = a, sc[0], os.path.dirname(os.path.abspath(a))
        elif a != "/dev/null" and os.path.isfile(a):
            base = os.path.basename(a)
            if _re.match(r"^tmp\w{6,}", base):       # a NamedTemporaryFile
                base = "script" + os.path.splitext(base)[1]
            if a.endswith(".py"):
                script = base
                named.append(base)
            else:                                     # a converted core (drgn.elf)
                dump = dump or a
                named.append("DUMP")
        else:
            named.append(a)
    if tool == "drgn":
        series = f"drgn {script}" if script else "drgn startup"
    elif tool == "crash":
        cmds = [c.strip() for c in (stdin or "").splitlines() if c.strip() not in ("", "quit")]
        series = "crash " + (cmds[0].split(">")[0].strip() if cmds else "startup")
    else:
        rest = [a for a in named[1:] if a not in ("DUMP", "VMLINUX")]
        series = " ".join([tool, *rest]) + (" +vmlinux" if vmlinux else "")
    return tool, series, named, dump, scenario, ddir


def _dump_fields(dump, ddir):
    """format, sizes: drgn's stand-ins for QEMU's ELF (vmcore.elf-paging, an
    arm64 copy with virtual addresses) count as vmcore.elf, its size and
    all, so that they are compared with vmtriage's rows on vmcore.elf."""
    sc = _scenario_of(dump)
    fmt = sc[1] if sc else None
    out = {}
    if fmt != "vmcore.elf" and (fmt == "vmcore.elf-paging" or not sc) and ddir \
            and os.path.exists(os.path.join(ddir, "vmcore.elf")):
        out["file"] = os.path.basename(dump)
        fmt, dump = "vmcore.elf", os.path.join(ddir, "vmcore.elf")
    st = os.stat(dump)
    out.update(format=fmt or os.path.basename(dump), dump_bytes=st.st_size,
               dump_disk_bytes=st.st_blocks * 512)
    return out


def _note(argv, stdin, sec, rss, reps):
    tool, series, named, dump, scenario, ddir = _describe(argv, stdin)
    row = {"scenario": scenario, "format": None, "dump_bytes": None,
           "dump_disk_bytes": None, "tool": tool, "series": series, "argv": named,
           "seconds": round(sec, 6), "peak_rss_kib": rss, "reps": reps,
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if stdin:
        row["stdin"] = stdin
    if dump:
        row.update(_dump_fields(dump, ddir))
    _ROWS.append(row)


def record(tool, series, seconds, scenario, fmt, dump=None, rss_kib=None, reps=None):
    """Record a timing that measure() did not take (a pread loop, a sum of
    runs): a row like measure()'s, dump being the file its size comes from."""
    row = {"scenario": scenario, "format": fmt, "dump_bytes": None, "dump_disk_bytes": None,
           "tool": tool, "series": series, "argv": None, "seconds": round(seconds, 6),
           "peak_rss_kib": rss_kib, "reps": reps or REPS,
           "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if dump:
        st = os.stat(dump)
        row.update(dump_bytes=st.st_size, dump_disk_bytes=st.st_blocks * 512)
    _ROWS.append(row)


def record_work(scenario, fmt, **units):
    """How much work the dump holds (valid_pfns=..., tasks=...): every row of
    that dump gets rates UNIT/s = count / seconds."""
    _WORK.setdefault((scenario, fmt), {}).update(units)


def machine():
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":")[0].strip() in ("model name", "cpu", "Model"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release}


def _version(argv):
    try:
        out = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, timeout=60).stdout.strip()
        return out.splitlines()[0] if out else None
    except (OSError, subprocess.SubprocessError):
        return None


def derive(rows, work=None):
    """Fill each row's ratios (time and RSS against every drgn and crash
    row of the same dump) and rates (work per second)."""
    work = work or {}
    for r in rows:
        peers = [p for p in rows if p["tool"] in ("drgn", "crash") and p is not r
                 and (p["scenario"], p["format"]) == (r["scenario"], r["format"])]
        r["ratios"] = {p["series"]: {
            "time": round(r["seconds"] / p["seconds"], 4) if p["seconds"] else None,
            "rss": round(r["peak_rss_kib"] / p["peak_rss_kib"], 4)
            if r.get("peak_rss_kib") and p.get("peak_rss_kib") else None} for p in peers}
        w = work.get((r["scenario"], r["format"]), r.get("work"))
        if w:
            r["work"] = w
            r["rates"] = {f"{u}/s": round(n / r["seconds"], 1) if r["seconds"] else None
                          for u, n in w.items()}
    return rows


def save(name, results=None):
    """Merge this run's rows into RESULTS/NAME.json (atomically) and return its path."""
    results = results or RESULTS
    os.makedirs(results, exist_ok=True)
    path = os.path.join(results, name + ".json")
    old = []
    try:
        with open(path) as f:
            old = _json.load(f).get("rows", [])
    except (OSError, ValueError):
        pass
    key = lambda r: (r["scenario"], r["format"], r["series"])  # noqa: E731
    new = {key(r): r for r in _ROWS}
    rows = [r for r in old if key(r) not in new] + list(new.values())
    rows.sort(key=lambda r: (str(r["scenario"]), str(r["format"]), r["tool"], r["series"]))
    for r in rows:               # ratios again: a peer may be new
        r.pop("ratios", None)
    derive(rows, _WORK)
    doc = {"bench": name, "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "machine": machine(), "vmtriage": _version([VT, "--version"]),
           "drgn": _version(["drgn", "--version"]), "reps": REPS, "rows": rows}
    fd, tmp = _tempfile.mkstemp(prefix="." + name, suffix=".tmp", dir=results)
    try:
        with os.fdopen(fd, "w") as f:
            _json.dump(doc, f, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"{name}: {len(_ROWS)} rows recorded in {path}")
    return path
