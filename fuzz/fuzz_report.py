#!/usr/bin/python3
"""The records and figures of `make fuzz-long` (fuzz/fuzz-long.sh).

    fuzz_report.py record DIR HARNESS LOG START SECONDS REV RC NEW_FINDINGS [CPUFILE]
        append one run's figures, read from libFuzzer's fork-mode log, to
        DIR/runs.jsonl
    fuzz_report.py coverage DIR BUILDDIR HARNESS...
        run each harness's coverage build (BUILDDIR/fuzz/build-cov/) over
        its whole corpus once; write DIR/coverage.json: per harness and
        for all of them together, per library source file, the lines,
        functions and regions covered (llvm-cov export)
    fuzz_report.py markdown DIR DOC
        replace the part of DOC between the fuzz-long markers with tables
        of the runs (per harness: CPU time, executions, corpus, findings)
        and of the coverage
    fuzz_report.py findings DIR
        list the inputs in DIR/artifacts that are not kept yet as
        regression tests (tests/fuzz-regressions/); exit 1 if any. Once a
        finding is fixed and one input of it kept, move its other inputs
        (duplicates of the same bug) to DIR/artifacts-fixed/
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- fuzz-long:begin -->", "<!-- fuzz-long:end -->"
# libFuzzer's fork-mode status line:
# "#123: cov: 45 ft: 67 corp: 8 exec/s: 9 oom/timeout/crash: 0/1/2 time: 10s job: 3 dft_time: 0"
FORK_RE = re.compile(r"^#(\d+): cov: (\d+) ft: (\d+) corp: (\d+) exec/s:? (\d+) "
                     r"oom/timeout/crash: (\d+)/(\d+)/(\d+) time: (\d+)s")


def record(d, harness, log, start, secs, rev, rc, new_findings, cpufile=None):
    last = None
    for line in open(log, errors="replace"):
        m = FORK_RE.match(line)
        if m:
            last = m
    rec = {"harness": harness, "start": start, "seconds_asked": int(secs), "rev": rev,
           "exit": int(rc), "new_findings": int(new_findings)}
    if last:
        g = [int(x) for x in last.groups()]
        rec.update(execs=g[0], cov=g[1], ft=g[2], corpus=g[3], oom=g[5], timeout=g[6],
                   crash=g[7], seconds=g[8])
    else:
        rec["error"] = "no fork-mode status line in " + log
    # user+system time of the fuzzer and its fork-mode children (time(1)):
    # what the run really got when it shared the machine
    try:
        u, s = open(cpufile).read().split()[-2:]
        rec["cpu_seconds"] = int(float(u) + float(s))
    except (TypeError, OSError, ValueError):
        pass
    with open(os.path.join(d, "runs.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")
    print("fuzz-long: " + json.dumps(rec))


def inputs_of(d, build, h):
    dirs = [os.path.join(d, "corpus", h), os.path.join(build, "fuzz", "seeds", h),
            os.path.join(build, "fuzz", "corpus", h), os.path.join(TOP, "tests", "fuzz-regressions", h)]
    return [x for x in dirs if os.path.isdir(x) and os.listdir(x)]


def max_len(dirs):
    """libFuzzer clamps its default -max_len to 1 MiB and cuts longer inputs
    to it: fuzz/max-len.sh gives the largest input's size instead."""
    return subprocess.run([os.path.join(TOP, "fuzz", "max-len.sh"), *dirs], check=True,
                          capture_output=True, text=True).stdout.strip()


def export(binaries, profdata):
    """llvm-cov's per-file summary of the library sources (the harness
    files themselves and system headers left out)."""
    args = ["llvm-cov", "export", "-summary-only", "-instr-profile", profdata, binaries[0]]
    for b in binaries[1:]:
        args += ["-object", b]
    out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    files = {}
    for f in out["data"][0]["files"]:
        # relative to the tree that built it (a worktree's is not TOP)
        path = os.path.realpath(f["filename"])
        at = path.rfind("/analyzer/")
        if at < 0:
            continue    # the harnesses themselves, system headers
        name = path[at + 1:]
        s = f["summary"]
        files[name] = {k: [s[k]["covered"], s[k]["count"]] for k in ("lines", "functions", "regions")}
    return files


def coverage(d, build, harnesses):
    res = {"harnesses": {}, "all": {}}
    tmp = tempfile.mkdtemp(prefix="fuzzcov-")
    binaries, raws = [], []
    try:
        for h in harnesses:
            binary = os.path.join(build, "fuzz", "build-cov", "fuzz_" + h)
            if not os.path.exists(binary):
                print(f"fuzz-long: no coverage build {binary}: skipped", file=sys.stderr)
                continue
            raw = os.path.join(tmp, h + ".profraw")
            env = dict(os.environ, LLVM_PROFILE_FILE=raw)
            dirs = inputs_of(d, build, h)
            # -runs=0: each input of the corpus once, nothing new. An input
            # that kills the process (a finding the build predates) loses
            # the profile: then once more without the kept findings.
            for attempt in (dirs, [x for x in dirs if "fuzz-regressions" not in x]):
                subprocess.run([binary, "-runs=0", "-timeout=60", "-rss_limit_mb=4096", f"-max_len={max_len(attempt)}",
                                f"-artifact_prefix={tmp}/", *attempt], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
                if os.path.exists(raw) and os.path.getsize(raw):
                    break
            if not os.path.exists(raw) or not os.path.getsize(raw):
                print(f"fuzz-long: {h} wrote no profile", file=sys.stderr)
                continue
            prof = os.path.join(tmp, h + ".profdata")
            subprocess.run(["llvm-profdata", "merge", "-sparse", raw, "-o", prof], check=True)
            res["harnesses"][h] = export([binary], prof)
            binaries.append(binary)
            raws.append(raw)
        if raws:
            prof = os.path.join(tmp, "all.profdata")
            subprocess.run(["llvm-profdata", "merge", "-sparse", *raws, "-o", prof], check=True)
            res["all"] = export(binaries, prof)
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(d, "coverage.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)


def pct(c):
    return f"{100.0 * c[0] / c[1]:.0f}%" if c[1] else "-"


def cpu_of(run):
    """A run record's CPU seconds; older records have none: they ran alone
    on a core, so their wall time."""
    return run.get("cpu_seconds", run.get("seconds", 0))


def markdown(d, doc):
    runs = [json.loads(x) for x in open(os.path.join(d, "runs.jsonl"))] \
        if os.path.exists(os.path.join(d, "runs.jsonl")) else []
    cov = json.load(open(os.path.join(d, "coverage.json"))) \
        if os.path.exists(os.path.join(d, "coverage.json")) else {"harnesses": {}, "all": {}}
    per = {}
    for r in runs:
        p = per.setdefault(r["harness"], {"runs": 0, "seconds": 0, "cpu": 0, "execs": 0, "findings": 0,
                                          "crash": 0, "timeout": 0, "oom": 0, "last": r})
        p["runs"] += 1
        p["seconds"] += r.get("seconds", 0)
        p["cpu"] += cpu_of(r)
        p["execs"] += r.get("execs", 0)
        p["findings"] += r.get("new_findings", 0)
        for k in ("crash", "timeout", "oom"):
            p[k] += r.get(k, 0)
        p["last"] = r
    lines = [BEGIN, "",
             "Generated by `fuzz/fuzz_report.py markdown` from the run records "
             "(`$VMTRIAGE_FUZZ_DIR/runs.jsonl`) and the corpus's coverage.", "",
             "| harness | runs | CPU hours | executions | exec/s | corpus | crash / timeout / oom | "
             "finding inputs | lines covered (its files) | last run |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for h in sorted(set(per) | set(cov["harnesses"])):
        p = per.get(h)
        hc = cov["harnesses"].get(h, {})
        # the files this harness reaches at all
        reached = [v["lines"] for v in hc.values() if v["lines"][0]]
        lc = [sum(x[0] for x in reached), sum(x[1] for x in reached)]
        if p:
            last = p["last"]
            lines.append(f"| {h} | {p['runs']} | {p['cpu'] / 3600:.2f} | {p['execs']:,} | "
                         f"{p['execs'] // max(p['seconds'], 1):,} | {last.get('corpus', '-')} | "
                         f"{p['crash']} / {p['timeout']} / {p['oom']} | {p['findings']} | "
                         f"{pct(lc)} of {lc[1]:,} | {last['start'][:10]} at {last['rev']} |")
        else:
            lines.append(f"| {h} | 0 | - | - | - | - | - | - | {pct(lc)} of {lc[1]:,} | - |")
    lines += ["", "Coverage of the library by all harnesses' corpora together, per file "
              "(lines, functions, regions covered; files no harness reaches are left out):", "",
              "| file | lines | functions | regions |", "|---|---:|---:|---:|"]
    tot = [[0, 0], [0, 0], [0, 0]]
    for name, v in sorted(cov["all"].items()):
        if not v["lines"][0]:
            continue
        for i, k in enumerate(("lines", "functions", "regions")):
            tot[i][0] += v[k][0]
            tot[i][1] += v[k][1]
        lines.append(f"| `{name}` | {pct(v['lines'])} of {v['lines'][1]} | "
                     f"{pct(v['functions'])} of {v['functions'][1]} | "
                     f"{pct(v['regions'])} of {v['regions'][1]} |")
    lines.append(f"| **total** | {pct(tot[0])} of {tot[0][1]:,} | {pct(tot[1])} of {tot[1][1]:,} "
                 f"| {pct(tot[2])} of {tot[2][1]:,} |")
    lines += ["", END]
    text = open(doc).read() if os.path.exists(doc) else f"# Fuzzing\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        sys.exit(f"fuzz_report: {doc} has no {BEGIN} ... {END} part")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(doc, "w") as f:
        f.write(head + "\n".join(lines) + tail)


def cpu_seconds(d, harness):
    """CPU seconds the records give HARNESS so far (what markdown counts)."""
    path = os.path.join(d, "runs.jsonl")
    runs = [json.loads(x) for x in open(path)] if os.path.exists(path) else []
    return sum(cpu_of(r) for r in runs if r["harness"] == harness)


def findings(d):
    kept = set()
    for f in glob.glob(os.path.join(TOP, "tests", "fuzz-regressions", "*", "*")):
        kept.add(hashlib.sha1(open(f, "rb").read()).hexdigest())
    new = []
    for f in sorted(glob.glob(os.path.join(d, "artifacts", "*", "*"))):
        if hashlib.sha1(open(f, "rb").read()).hexdigest() not in kept:
            new.append(f)
    for f in new:
        print(f"fuzz-long: finding not kept as a regression test yet: {f}")
    return 1 if new else 0


def main():
    cmd = sys.argv[1]
    a = sys.argv[2:]
    if cmd == "record":
        record(*a)
    elif cmd == "coverage":
        coverage(a[0], a[1], a[2:])
    elif cmd == "markdown":
        markdown(a[0], a[1])
    elif cmd == "cpu":
        print(cpu_seconds(a[0], a[1]))
    elif cmd == "findings":
        sys.exit(findings(a[0]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
