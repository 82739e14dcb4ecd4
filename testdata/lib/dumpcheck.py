"""Shared scaffolding of the validity checks (testdata/<arch>/check-injection.py).

Each arch's checker keeps its own checks (what its injected states look like
in a dump) and gets from here: the command line (DIR [--core FILE]), the
scenario's records (truth.json), opening a dump with drgn 0.0.22 (Debian's
python3-drgn: run with /usr/bin/python3), a scratch directory beside the
dump, hard checks (need: the first failure stops the check) and soft ones
(check: "ok:"/"FAIL:" lines, all reported), the reading of QEMU's ELF cores
(notes, physical reads through the PT_LOADs), and the exit status: 0 on
match; 1 with a message naming the failed check (a mismatch, an unreadable
dump, bad usage).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

try:
    import drgn
except ImportError:
    print("check-injection: needs python3-drgn (run with /usr/bin/python3)", file=sys.stderr)
    sys.exit(1)


class CheckError(Exception):
    pass


def need(cond, what):
    """A hard check: stops the checker with what."""
    if not cond:
        raise CheckError(what)


def h(x):
    """truth.json numbers: hex strings or ints."""
    return int(x, 16) if isinstance(x, str) else int(x)


def open_prog(core, vmlinux):
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([vmlinux])
    return prog


def release(prog):
    """init_uts_ns.name.release, through drgn."""
    return prog["init_uts_ns"].name.release.string_().decode()


class Scenario:
    """One scenario directory as a checker sees it."""

    def __init__(self, d, core=None):
        self.dir = d
        self.core = core
        self.truth = json.load(open(os.path.join(d, "truth.json")))
        self.name = self.truth["scenario"]
        self.vmlinux = os.path.join(d, "vmlinux")
        self.failures = []
        self._scratch = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def prog(self, core):
        """drgn on core (a path, or a file name in the directory) + vmlinux."""
        return open_prog(core if os.sep in core else self.path(core), self.vmlinux)

    def check(self, cond, msg):
        """A soft check: reported as ok/FAIL, all failures count at the end."""
        print(("ok:   " if cond else "FAIL: ") + msg)
        if not cond:
            self.failures.append(msg)

    def scratch(self):
        """A temporary directory beside the dump (sparse copies stay cheap)
        if it may be written, else in $TMPDIR; removed at the end."""
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix=".check-",
                                             dir=self.dir if os.access(self.dir, os.W_OK) else None)
        return self._scratch

    def cleanup(self):
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)


def main(check, default_core=None):
    """Run check(scenario) on the command line's DIR [--core FILE]."""
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--core", help="the dump to read (default: " + (default_core or "the checker's own") + ")")
    a = ap.parse_args()
    try:
        s = Scenario(a.dir, a.core or (os.path.join(a.dir, default_core) if default_core else None))
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"check-injection: cannot open {a.dir}: {e}")
    try:
        check(s)
    except (CheckError, drgn.FaultError, LookupError, ValueError, AttributeError,
            subprocess.CalledProcessError) as e:
        sys.exit(f'testdata: step "check-injection" failed: {a.dir}: {e}')
    finally:
        s.cleanup()
    if s.failures:
        sys.exit(f"check-injection: {s.name}: {len(s.failures)} check(s) FAILED")


class ElfCore:
    """A QEMU ELF core (ELF64, little-endian headers): its notes and physical
    reads through its PT_LOADs."""

    def __init__(self, path, machine):
        self.f = open(path, "rb")
        eh = self.f.read(64)
        need(eh[:4] == b"\x7fELF" and eh[4] == 2 and eh[5] == 1, f"{path}: not an ELF64 LE file")
        need(struct.unpack_from("<H", eh, 18)[0] == machine, f"{path}: e_machine is not {machine}")
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        self.loads, self.notes = [], b""
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p_type, _, off, vaddr, paddr, filesz, _ = struct.unpack("<IIQQQQQ", self.f.read(48))
            if p_type == 1:
                self.loads.append((paddr, filesz, off))
            elif p_type == 4:
                self.f.seek(off)
                self.notes += self.f.read(filesz)

    def note(self, name):
        off = 0
        while off + 12 <= len(self.notes):
            namesz, descsz, _ = struct.unpack_from("<III", self.notes, off)
            n = self.notes[off + 12:off + 12 + namesz].rstrip(b"\0").decode()
            d0 = off + 12 + ((namesz + 3) & ~3)
            if n == name:
                return self.notes[d0:d0 + descsz]
            off = d0 + ((descsz + 3) & ~3)
        return None

    def phys(self, pa, n):
        for base, size, off in self.loads:
            if base <= pa and pa + n <= base + size:
                self.f.seek(off + pa - base)
                return self.f.read(n)
        raise CheckError(f"{os.path.basename(self.f.name)} has no PT_LOAD for 0x{pa:x}")
