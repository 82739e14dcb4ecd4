"""Shared pieces of the benchmarks: where things are, and one way to time a
command (best of BENCH_REPS runs; wall time from perf_counter, since GNU
time's %e has 10 ms steps; peak RSS from GNU time's %M)."""
import os
import subprocess
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
    return best


def dumpdir(scenario):
    """The cached test dumps of a scenario (made on first use)."""
    return subprocess.run([os.path.join(TOP, "testdata", "dumpdir"), scenario],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
