#!/usr/bin/python3
"""Soak (issue 17): one `vmtriage batch --jobs 2` over every cached test dump
ROUNDS times in a row, watching the batch parent for leaks.

The dumps are linked into ROUNDS copies of one tree (round01/SCENARIO/...,
symlinks to the cache, each scenario's vmlinux beside its dumps), so a single
batch process triages every dump ROUNDS times. While it runs, its VmRSS and
the entries of /proc/PID/fd are sampled every 0.2 s. It passes when

  - the parent's RSS does not grow with rounds: the peak during the last
    half of the run is within 25% (+ 4 MiB) of the peak during the first
    half (children are separate processes; their peaks are in the results);
  - the parent's open fds (stdio, summary files, a pipe per running child)
    never exceed 3 + 4 x jobs (one leaked per dump would pass that within
    the first round);
  - every round's JSON for a dump equals round 1's (paths normalised);
  - every dump's status is the same in every round.

Figures go to stdout and, with --record FILE, as JSON (rounds, dumps, wall
time, RSS samples summary, fd counts). Not part of `make check` (tens of
minutes): `make soak`, or tools/soak.py [--rounds N] [--jobs N] [--vmtriage BIN]
[--scenario GLOB...].
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CACHE = os.environ.get("VT_CACHE") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vmtriage")


def scenario_dirs(globs):
    """The cached scenario directories (newest hash of each scenario)."""
    root = os.path.join(CACHE, "dumps")
    best = {}
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        scen = name.rsplit("-", 1)[0]
        if not os.path.exists(os.path.join(d, "truth.json")):
            continue
        if globs and not any(fnmatch.fnmatch(scen, g) for g in globs):
            continue
        if scen not in best or os.path.getmtime(d) > os.path.getmtime(best[scen]):
            best[scen] = d
    return best


def link_tree(top, rounds, scens):
    """round01..roundNN/SCENARIO/{vmcore.*, vmlinux} as symlinks."""
    n = 0
    for r in range(1, rounds + 1):
        for scen, d in scens.items():
            dst = os.path.join(top, f"round{r:02d}", scen)
            os.makedirs(dst)
            for f in os.listdir(d):
                if f.startswith("vmcore.") or f == "vmlinux":
                    os.symlink(os.path.join(d, f), os.path.join(dst, f))
                    n += f.startswith("vmcore.") and r == 1
    return n


def sample(pid):
    """(VmRSS KiB, sorted fd targets) of a process, or None when gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        fds = sorted(os.readlink(f"/proc/{pid}/fd/{fd}")
                     for fd in os.listdir(f"/proc/{pid}/fd"))
        return rss, fds
    except (OSError, AttributeError):
        return None


def normalised(path, top):
    with open(path) as f:
        text = f.read()
    return re.sub(re.escape(top) + r"/round\d\d/", "ROUND/", text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--vmtriage", default=os.environ.get("VMTRIAGE") or
                    os.path.join(TOP, "vmtriage-plain"))
    ap.add_argument("--scenario", action="append", default=[])
    ap.add_argument("--record")
    a = ap.parse_args()

    scens = scenario_dirs(a.scenario)
    if not scens:
        sys.exit(f"soak: no cached dumps under {CACHE}/dumps (make-dumps first)")
    failures = []
    with tempfile.TemporaryDirectory(prefix="vmtriage-soak-") as top:
        top = os.path.realpath(top)
        tree, out = os.path.join(top, "tree"), os.path.join(top, "out")
        ndumps = link_tree(tree, a.rounds, scens)
        rounds = sorted(os.listdir(tree))
        print(f"soak: {len(scens)} scenarios, {ndumps} dumps, {a.rounds} rounds, "
              f"--jobs {a.jobs}, {a.vmtriage}", flush=True)
        start = time.monotonic()
        proc = subprocess.Popen([a.vmtriage, "batch", *[os.path.join(tree, r) for r in rounds],
                                 "--jobs", str(a.jobs), "--out", out],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        samples = []
        while proc.poll() is None:
            s = sample(proc.pid)
            if s:
                samples.append((time.monotonic() - start, *s))
            time.sleep(0.2)
        wall = time.monotonic() - start
        err = proc.stderr.read()
        if proc.returncode not in (0, 1):
            failures.append(f"batch exited {proc.returncode}: {err[-500:]}")

        rss = [s[1] for s in samples]
        half = len(rss) // 2
        first, last = max(rss[:half] or [0]), max(rss[half:] or [0])
        fd_counts = [len(s[2]) for s in samples]
        fd_limit = 3 + 4 * a.jobs
        if rss and last > first * 1.25 + 4096:
            failures.append(f"parent RSS grew: peak {first} KiB in the first half, "
                            f"{last} KiB in the second")
        if fd_counts and max(fd_counts) > fd_limit:
            failures.append(f"parent had {max(fd_counts)} fds open (limit {fd_limit})")

        # Identical results in every round.
        jsonl = [json.loads(line) for line in open(os.path.join(out, "summary.jsonl"))]
        by_dump = {}
        for rec in jsonl:
            m = re.match(re.escape(tree) + r"/(round\d\d)/(.*)$", rec["path"])
            if not m:
                failures.append(f"unexpected path in summary.jsonl: {rec['path']}")
                continue
            by_dump.setdefault(m.group(2), {})[m.group(1)] = rec
        if len(jsonl) != ndumps * a.rounds:
            failures.append(f"summary.jsonl has {len(jsonl)} records, want {ndumps * a.rounds}")
        differ = 0
        for dump, recs in sorted(by_dump.items()):
            base = recs.get(rounds[0])
            if not base:
                failures.append(f"{dump}: no result in {rounds[0]}")
                continue
            want = normalised(os.path.join(out, base["result"]), tree) if base["result"] else None
            for r, rec in sorted(recs.items()):
                if rec["status"] != base["status"]:
                    failures.append(f"{dump}: status {rec['status']} in {r}, "
                                    f"{base['status']} in {rounds[0]}")
                got = normalised(os.path.join(out, rec["result"]), tree) if rec["result"] else None
                if got != want:
                    differ += 1
                    failures.append(f"{dump}: {r}'s JSON differs from {rounds[0]}'s")
        statuses = {}
        for rec in jsonl:
            statuses[rec["status"]] = statuses.get(rec["status"], 0) + 1
            if rec["status"] not in ("ok", "findings"):
                failures.append(f"{rec['path']}: {rec['status']} (signal {rec['signal']}, "
                                f"exit {rec['exit']}): {rec['message'][:200]}")
        if failures:
            # Keep what the failed runs left (NAME.stderr, summary.jsonl).
            kept = tempfile.mkdtemp(prefix="vmtriage-soak-failed-")
            for name in os.listdir(out):
                if name.endswith(".stderr") or name.startswith("summary"):
                    shutil.copy(os.path.join(out, name), kept)
            print(f"soak: the failed runs' stderr and summaries are in {kept}")

    figures = {"scenarios": len(scens), "dumps": ndumps, "rounds": a.rounds,
               "jobs": a.jobs, "reports": len(jsonl), "wall_s": round(wall, 1),
               "statuses": statuses, "parent_rss_kib": {
                   "min": min(rss or [0]), "peak_first_half": first,
                   "peak_second_half": last},
               "parent_fds": {                              "max_first_half": max(fd_counts[:half] or [0]),
                              "max_second_half": max(fd_counts[half:] or [0])},
               "json_differences": differ, "failures": len(failures)}
    print(json.dumps(figures, indent=1))
    if a.record:
        with open(a.record, "w") as f:
            json.dump(figures, f, indent=1)
            f.write("\n")
    for line in failures[:50]:
        print("FAIL:", line)
    print(f"soak: {'PASS' if not failures else f'{len(failures)} failures'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
