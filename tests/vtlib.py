"""Helpers for the real-dump tests: find dumps, run vmtriage, count checks.

Every test prints one line per failed check and ends with the closing line
'N passed, N failed' that CI reads; exit 0 only when nothing failed,
77 when the test cannot run here (no QEMU outside CI).
"""
import json
import os
import subprocess
import sys

# drgn, the tests' oracle, reads kdump-compressed files with libkdumpfile,
# whose 0.5.1 (Debian 12) reads freed memory in kdump_free()
# (ptesarik/libkdumpfile#72; analyzer/target/target.c works around it for
# vmtriage): a SIGSEGV in the test's own python when glibc had already
# unmapped that memory (CI saw it once in real_memmap.py). Keep freed memory
# mapped in this process: restart it once with malloc serving up to 32 MiB
# from the heap and never trimming it, then drop the setting so that the
# vmtriage processes the tests run keep the default.
if os.environ.get("VT_TEST_MALLOC_PINNED") != "1":
    os.execve(sys.executable, [sys.executable] + sys.argv,
              dict(os.environ, VT_TEST_MALLOC_PINNED="1",
                   GLIBC_TUNABLES="glibc.malloc.mmap_threshold=33554432:"
                                  "glibc.malloc.trim_threshold=4294967296"))
# (a python this one starts goes through the same restart when it imports vtlib)
os.environ.pop("GLIBC_TUNABLES", None)
os.environ.pop("VT_TEST_MALLOC_PINNED", None)

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..")
VMTRIAGE = os.environ.get("VMTRIAGE") or os.path.join(TOP, "vmtriage")


class Checks:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}", flush=True)
        return cond

    def equal(self, got, want, what):
        return self.check(got == want, f"{what}: got {got!r}, want {want!r}")

    def done(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)


def skip(reason):
    print(f"SKIP: {reason}")
    sys.exit(77)


def dumpdir(scenario):
    """The scenario's directory, generated (or reused from the cache)."""
    proc = subprocess.run([os.path.join(TOP, "testdata", "dumpdir"), scenario],
                          stdout=subprocess.PIPE, text=True)
    if proc.returncode == 77:
        skip(f"dumps for {scenario} cannot be made here")
    if proc.returncode != 0:
        print(f"FAIL: generating {scenario} failed (exit {proc.returncode})")
        sys.exit(1)
    return proc.stdout.strip()


def drgn_scenario(d, dump, tr, tmp):
    """A drgn Program on the scenario's dump and vmlinux (tmp: a scratch folder
    that must outlive the Program's first reads)."""
    core = dump
    if tr["arch"] == "aarch64":
        # drgn 0.0.22 needs the PT_LOADs' virtual addresses, which
        # QEMU leaves equal to the physical ones on arm64.
        core = os.path.join(tmp, "drgn.elf")
        subprocess.run([sys.executable, os.path.join(TOP, "testdata", "arm64",
                                                     "elf-for-drgn.py"), dump, core,
                        os.path.join(d, "truth.json")], check=True,
                       stdout=subprocess.DEVNULL)
    return drgn_program(core, os.path.join(d, "vmlinux"))


def truth(d):
    with open(os.path.join(d, "truth.json")) as f:
        return json.load(f)


def run(*args, check=True, timeout=300):
    """Run vmtriage; returns (exit status, stdout, stderr)."""
    proc = subprocess.run([VMTRIAGE, *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"vmtriage {' '.join(map(str, args))} exited "
                           f"{proc.returncode}: {proc.stderr.strip()}")
    return proc.returncode, proc.stdout, proc.stderr


def run_json(*args):
    return json.loads(run(*args, "--json")[1])


def flatten_members(members, prefix=""):
    """vmtriage type --json members -> {dotted name: (offset_bits, size)}."""
    out = {}
    for m in members:
        name = m["name"]
        if not name and "members" in m:
            out.update(flatten_members(m["members"], prefix))
            continue
        out[prefix + name] = (m["bit_offset"], m["size"])
    return out


def drgn_flatten(t, prefix="", base=0):
    """drgn Type -> {dotted name: (offset_bits, size)}, anonymous members inlined."""
    import drgn
    out = {}
    for m in t.members:
        off = base + m.bit_offset
        mt = m.type.unqualified()
        if m.name is None:
            if mt.kind in (drgn.TypeKind.STRUCT, drgn.TypeKind.UNION):
                out.update(drgn_flatten(mt, prefix, off))
            continue
        try:
            size = drgn.sizeof(mt)
        except (TypeError, ValueError):
            size = 0
        out[prefix + m.name] = (off, size)
    return out


def drgn_program(core, vmlinux):
    import drgn
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([vmlinux])
    return prog


def cut_log(dump, out, vmlinux):
    """Copy dump (ELF) to out with its printk ring zeroed (tests/cutlog.py,
    which needs drgn's python); returns (ok, what cutlog printed)."""
    p = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests", "cutlog.py"),
                        dump, out, vmlinux], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode == 0, p.stdout
