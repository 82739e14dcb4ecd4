"""Dumps are opened read-only and nothing is written beside them (issue 17).

Every command that reads a dump runs on every format of three real
scenarios (x86_64, ppc64, arm64) in two independent ways:

- the scenarios' directories are bind-mounted read-only over themselves in a
  private mount namespace (root only: unshare -m), so a write would fail
  with EROFS and change the command's result;
- the commands run under strace, and every open/creat/rename/unlink/
  truncate/mkdir/link of a path inside a dump's directory is checked: opens
  must be O_RDONLY, nothing else may touch those paths.

Afterwards each directory holds the same files with the same sizes,
mtimes and inodes, and every file under 256 MiB has the same SHA-256.
The strace check proves itself: it must see the dump opened O_RDONLY.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

checks = vtlib.Checks("real_readonly")
SCENARIOS = ["x86-basic", "ppc-hotplug", "arm64-deb13-va48"]
HASH_LIMIT = 256 << 20
# Syscalls that create, change or remove files; "open" ones are checked for
# their flags, the others must not name a dump's directory at all.
OPENS = ("open", "openat", "openat2", "creat")
CHANGES = ("truncate", "rename", "renameat", "renameat2", "unlink", "unlinkat",
           "mkdir", "mkdirat", "link", "linkat", "symlink", "symlinkat",
           "chmod", "fchmodat", "chown", "fchownat", "utimensat", "setxattr",
           "removexattr", "mknod", "mknodat")
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND", "O_TMPFILE")


# Every command on these formats, info and report on the others.
FULL = ("vmcore.elf", "vmcore.kdump-d31", "vmcore.qemu-kdump.flat")


def commands(tr, dump, vmlinux):
    """The commands that read a dump, as vmtriage argument lists."""
    cmds = [["info", dump, vmlinux], ["report", dump, "--json"]]
    if os.path.basename(dump) not in FULL:
        return cmds
    cmds += [["info", dump], ["report", dump, vmlinux],
            ["memmap", dump, vmlinux, "--json"],
            ["log", dump], ["ps", dump, vmlinux], ["bt", dump, vmlinux, "--all"],
            ["crashimage", dump, vmlinux], ["sym", dump, vmlinux, "init_task"],
            ["rd", dump, vmlinux, "init_task", "64"],
            ["type", dump, vmlinux, "struct page"],
            ["vtop", dump, vmlinux, "init_task"]]
    if tr["arch"] == "x86_64":
        cmds.append(["pgtables", dump, vmlinux, "--json"])
    if tr["arch"] == "ppc64le":
        cmds += [["lmbs", dump, vmlinux], ["dt", dump]]
    return cmds


def snapshot(d):
    """{name: (size, mtime_ns, inode, sha256 or None)} of a directory."""
    snap = {}
    for name in sorted(os.listdir(d)):
        p = os.path.join(d, name)
        st = os.lstat(p)
        digest = None
        if os.path.isfile(p) and st.st_size <= HASH_LIMIT:
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            digest = h.hexdigest()
        snap[name] = (st.st_size, st.st_mtime_ns, st.st_ino, digest)
    return snap


def strace_violations(log, dirs):
    """(violations, paths opened read-only) in an strace -f log: any write-ish
    use of a path inside one of dirs."""
    bad, ro = [], set()
    call = re.compile(r'^(?:\d+\s+)?(\w+)\((.*)$')
    for line in open(log, errors="replace"):
        m = call.match(line.strip())
        if not m:
            continue
        name, args = m.groups()
        paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        inside = [p for p in paths
                  if any(os.path.normpath(p).startswith(d + os.sep) or
                         os.path.normpath(p) == d for d in dirs)]
        if not inside:
            continue
        if name in OPENS:
            if name == "creat" or any(f in args for f in WRITE_FLAGS):
                bad.append(line.strip())
            else:
                ro.update(inside)
        elif name in CHANGES:
            bad.append(line.strip())
    return bad, ro


def run_all(dirs, log_dir):
    """Run every command on every format under strace; returns the number
    of runs."""
    runs = 0
    # LeakSanitizer cannot run under ptrace; leaks are the other tests' job.
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                 "detect_leaks=0"]))
    for d in dirs:
        tr = vtlib.truth(d)
        vmlinux = os.path.join(d, "vmlinux")
        dumps = sorted(n for n in os.listdir(d) if n.startswith("vmcore."))
        for name in dumps:
            dump = os.path.join(d, name)
            for argv in commands(tr, dump, vmlinux):
                log = os.path.join(log_dir, f"{runs}.strace")
                what = f"{os.path.basename(d)}/{name}: vmtriage {' '.join(argv[:1] + argv[3:])}"
                proc = subprocess.run(
                    ["strace", "-f", "-qq", "-o", log, "-e",
                     "trace=" + ",".join(OPENS + CHANGES), vtlib.VMTRIAGE, *argv],
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                    timeout=600, env=env)
                runs += 1
                # 0 results, 1 findings, 2 a clear refusal: never a crash
                # (ASan exits 1 too, with its report on stderr).
                checks.check(proc.returncode in (0, 1, 2) and
                             "Sanitizer" not in proc.stderr and
                             "Read-only file system" not in proc.stderr,
                             f"{what}: exit {proc.returncode}: {proc.stderr[-300:]}")
                bad, ro = strace_violations(log, dirs)
                checks.check(not bad, f"{what}: writes inside a dump directory: {bad[:3]}")
                checks.check(dump in ro, f"{what}: strace did not see {dump} opened O_RDONLY")
                os.unlink(log)
    # batch: finds the dumps itself, writes its results elsewhere
    log = os.path.join(log_dir, "batch.strace")
    out = os.path.join(log_dir, "batch-out")
    proc = subprocess.run(["strace", "-f", "-qq", "-o", log, "-e",
                           "trace=" + ",".join(OPENS + CHANGES), vtlib.VMTRIAGE,
                           "batch", *dirs, "--jobs", "2", "--out", out],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=1800, env=env)
    runs += 1
    checks.check(proc.returncode in (0, 1), f"batch: exit {proc.returncode}: {proc.stderr[-300:]}")
    bad, ro = strace_violations(log, dirs)
    checks.check(not bad, f"batch: writes inside a dump directory: {bad[:3]}")
    checks.check(len([p for p in ro if "/vmcore." in p]) >= 9,
                 f"batch: strace saw only {sorted(ro)} opened O_RDONLY")
    return runs


def inner(dirs):
    """In the private mount namespace (or without one): mount, run, check."""
    mounted = False
    if os.environ.get("VT_RO_NAMESPACE") == "1":
        for d in dirs:
            subprocess.run(["mount", "--bind", d, d], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", d, d], check=True)
        probe = os.path.join(dirs[0], ".vmtriage-ro-probe")
        try:
            open(probe, "w").close()
            os.unlink(probe)
        except OSError:
            mounted = True
        checks.check(mounted, "the read-only bind mount refuses writes")
    print(f"read-only bind mounts: {'yes' if mounted else 'no (not root?)'}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = run_all(dirs, tmp)
    print(f"{runs} command runs checked under strace")


def main():
    if not shutil.which("strace"):
        vtlib.skip("strace is not installed (testdata/install-deps.sh installs it)")
    dirs = [os.path.realpath(vtlib.dumpdir(s)) for s in SCENARIOS]
    before = {d: snapshot(d) for d in dirs}
    env = dict(os.environ)
    if os.geteuid() == 0 and shutil.which("unshare"):
        env["VT_RO_NAMESPACE"] = "1"
        proc = subprocess.run(["unshare", "-m", "--propagation", "private",
                               sys.executable, os.path.abspath(__file__), "--inner",
                               *dirs], env=env)
    else:
        proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--inner",
                               *dirs], env=env)
    checks.equal(proc.returncode, 0, "the commands' checks (lines above)")
    for d in dirs:
        checks.equal(snapshot(d), before[d], f"{d}: files, sizes, mtimes, inodes, hashes")
    checks.done()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--inner":
        checks = vtlib.Checks("real_readonly (commands)")
        inner([os.path.realpath(d) for d in sys.argv[2:]])
        checks.done()
    else:
        main()
