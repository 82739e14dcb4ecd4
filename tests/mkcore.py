#!/usr/bin/env python3
"""mkcore: make small synthetic Linux dumps from text specs (stdlib only).

    tests/mkcore.py SPEC OUT [--format elf|kdump|kdump-zlib]

Writes OUT as an ELF vmcore (what /proc/vmcore gives: ET_CORE, one PT_NOTE
with the VMCOREINFO note and optional NT_PRSTATUS notes, one PT_LOAD per
range of memory with p_paddr and the kernel linear-map p_vaddr) or as a
makedumpfile kdump-compressed file ("KDUMP   ", header version 6: the
disk_dump_header block, the kdump_sub_header with the notes and
offset/size_vmcoreinfo pointing into them, the two bitmaps, one page
descriptor per dumped page, the page data raw or zlib-compressed; zero pages
share one copy, as makedumpfile writes them).

Spec: one directive a line; '#' starts a comment (not in vmcoreinfo and
string lines). Numbers are expressions: integers (0x.., 0b.., decimal),
names from `set`, + - * // % << >> & | ^ ~ and parentheses; where several
follow on one line they are split at blanks, so write them without any
(`set` takes the rest of its line). Addresses are physical.

  arch x86_64|ppc64le|arm64        required; sets the ELF machine and the
                                   kdump utsname.machine (little-endian)
  format elf|kdump|kdump-zlib      default elf; --format overrides it
  page_size N                      default 4096 (the kdump block size; also
                                   the granule of memory/exclude ranges)
  release TEXT                     utsname.release in a kdump header
                                   (default: VMCOREINFO's OSRELEASE)
  page_offset VA [PHYS]            linear map: p_vaddr = VA + paddr - PHYS
                                   (defaults: x86_64 0xffff888000000000, or
                                   0xff11000000000000 when VMCOREINFO says
                                   NUMBER(pgtable_l5_enabled)=1; ppc64le
                                   0xc000000000000000; arm64
                                   0xffff000000000000 from the lowest RAM)
  vmcoreinfo TEXT                  one VMCOREINFO line, verbatim
  prstatus PID [PID...]            one NT_PRSTATUS note per CPU (all
                                   registers zero); no notes if absent
  set NAME EXPR                    a name for later expressions
  memory START SIZE [zero|pattern|fill BYTE]
                                   RAM the dump holds. pattern: every 8-byte
                                   word holds its own physical address
  exclude START SIZE               RAM the dump leaves out: kdump: in the
                                   first bitmap but not the second (filtered);
                                   ELF: cut out of the PT_LOADs
  u8|u16|u32|u64 ADDR EXPR...      values at ADDR, ADDR+size, ... in the
                                   arch's byte order
  be64 ADDR EXPR...                big-endian 64-bit values (radix entries)
  bytes ADDR HEX                   raw bytes
  string ADDR "TEXT"               a Python string literal, UTF-8, no NUL
  file ADDR PATH                   a file's bytes (path relative to the spec;
                                   e.g. a BTF blob)
  truncate N                       cut the written file to N bytes (N < 0:
                                   drop -N bytes from its end), for bad cases

Writes must land inside `memory` ranges (not in excluded pages).
"""
import argparse
import ast
import operator
import os
import struct
import sys
import zlib

ARCHES = {
    # name: (ELF e_machine, kdump utsname.machine, NT_PRSTATUS size, pr_pid offset)
    "x86_64": (62, "x86_64", 336, 32),
    "ppc64le": (21, "ppc64le", 504, 32),
    "arm64": (183, "aarch64", 392, 32),
}
FORMATS = ("elf", "kdump", "kdump-zlib")

# ELF64 (elf.h)
EHDR_SIZE, PHDR_SIZE = 64, 56
ET_CORE, EV_CURRENT = 4, 1
PT_LOAD, PT_NOTE = 1, 4
PF_RWX = 7
NT_PRSTATUS = 1

# makedumpfile's diskdump_mod.h, 64-bit layout: disk_dump_header is
# signature[8], header_version, new_utsname (6 x 65 bytes), padding to 8,
# timeval {tv_sec, tv_usec}, status, block_size, sub_hdr_size, bitmap_blocks,
# max_mapnr, total_ram_blocks, device_blocks, written_blocks, current_cpu,
# nr_cpus (all 32-bit).
KDUMP_SIGNATURE = b"KDUMP   "
KDUMP_VERSION = 6
DDH_UTSNAME = 12
DDH_TIMESTAMP = (DDH_UTSNAME + 6 * 65 + 7) & ~7     # 408
DDH_STATUS = DDH_TIMESTAMP + 16                     # 424: then block_size 428 ...
# kdump_sub_header (64-bit): phys_base, dump_level (i32), split (i32),
# start_pfn, end_pfn, offset_vmcoreinfo, size_vmcoreinfo, offset_note,
# size_note, offset_eraseinfo, size_eraseinfo, start_pfn_64, end_pfn_64,
# max_mapnr_64.
KSH_FORMAT = "QiiQQQQQQQQQQQ"
DUMP_DH_COMPRESSED_ZLIB = 0x1
PAGE_DESC_FORMAT = "QIIQ"           # offset, size, flags, page_flags
PAGE_DESC_SIZE = 24


class SpecError(Exception):
    pass


_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
           ast.LShift: operator.lshift, ast.RShift: operator.rshift,
           ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
           ast.BitXor: operator.xor}
_UNOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}


def evaluate(text, names):
    """An integer expression over names; nothing else is evaluated."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                raise SpecError(f"unknown name {node.id}")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNOPS:
            return _UNOPS[type(node.op)](ev(node.operand))
        raise SpecError(f"not an integer expression: {text}")
    try:
        return ev(ast.parse(text, mode="eval"))
    except SyntaxError:
        raise SpecError(f"not an integer expression: {text}") from None


def split_exprs(text):
    """Expressions separated by blanks (no blanks inside one expression)."""
    return text.split()


class Spec:
    def __init__(self):
        self.arch = None
        self.format = "elf"
        self.page_size = 4096
        self.release = None
        self.page_offset = None
        self.vmcoreinfo = []
        self.prstatus = []
        self.names = {}
        self.memory = []        # (start, size, kind, byte)
        self.exclude = []       # (start, size)
        self.writes = []        # (addr, bytes, line number)
        self.truncate = None

    @property
    def endian(self):
        return "<"      # every arch here is little-endian

    def vmcoreinfo_text(self):
        return "".join(line + "\n" for line in self.vmcoreinfo).encode()

    def vmcoreinfo_value(self, key):
        for line in self.vmcoreinfo:
            k, _, v = line.partition("=")
            if k == key:
                return v
        return None


def parse_spec(path):
    spec = Spec()
    base = os.path.dirname(os.path.abspath(path))
    with open(path) as f:
        lines = f.read().splitlines()
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        if word != "vmcoreinfo" and word != "string" and "#" in rest:
            rest = rest.split("#", 1)[0].strip()
        try:
            parse_directive(spec, word, rest, base, lineno)
        except SpecError as e:
            raise SpecError(f"{path}:{lineno}: {e}") from None
    if spec.arch is None:
        raise SpecError(f"{path}: no arch directive")
    return spec


def parse_directive(spec, word, rest, base, lineno):
    ev = lambda t: evaluate(t, spec.names)  # noqa: E731
    args = split_exprs(rest)
    if word == "arch":
        if rest not in ARCHES:
            raise SpecError(f"arch {rest}: not one of {', '.join(ARCHES)}")
        spec.arch = rest
    elif word == "format":
        if rest not in FORMATS:
            raise SpecError(f"format {rest}: not one of {', '.join(FORMATS)}")
        spec.format = rest
    elif word == "page_size":
        spec.page_size = ev(rest)
        if spec.page_size < 4096 or spec.page_size & (spec.page_size - 1):
            raise SpecError("page_size must be a power of two >= 4096")
    elif word == "release":
        spec.release = rest
    elif word == "page_offset":
        vals = [ev(a) for a in args]
        if len(vals) not in (1, 2):
            raise SpecError("page_offset VA [PHYS]")
        spec.page_offset = (vals[0], vals[1] if len(vals) == 2 else None)
    elif word == "vmcoreinfo":
        if "=" not in rest:
            raise SpecError("vmcoreinfo lines are KEY=VALUE")
        spec.vmcoreinfo.append(rest)
    elif word == "prstatus":
        spec.prstatus = [ev(a) for a in args]
    elif word == "set":
        name, _, expr = rest.partition(" ")
        if not name.isidentifier():
            raise SpecError(f"set {name}: not a name")
        spec.names[name] = ev(expr.strip())
    elif word == "memory":
        if len(args) < 2:
            raise SpecError("memory START SIZE [zero|pattern|fill BYTE]")
        start, size = ev(args[0]), ev(args[1])
        kind = args[2] if len(args) > 2 else "zero"
        byte = 0
        if kind == "fill":
            if len(args) != 4:
                raise SpecError("memory START SIZE fill BYTE")
            byte = ev(args[3]) & 0xff
        elif kind not in ("zero", "pattern") or len(args) > 3:
            raise SpecError(f"memory fill {kind}: zero, pattern or fill BYTE")
        spec.memory.append((start, size, kind, byte))
    elif word == "exclude":
        if len(args) != 2:
            raise SpecError("exclude START SIZE")
        spec.exclude.append((ev(args[0]), ev(args[1])))
    elif word in ("u8", "u16", "u32", "u64", "be64"):
        if len(args) < 2:
            raise SpecError(f"{word} ADDR VALUE...")
        fmt = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "be64": "Q"}[word]
        order = ">" if word == "be64" else spec.endian
        bits = 8 * struct.calcsize(fmt)
        data = b""
        for a in args[1:]:
            v = ev(a)
            if v < -(1 << (bits - 1)) or v >= 1 << bits:
                raise SpecError(f"{a} = {v:#x} does not fit in {bits} bits")
            data += struct.pack(order + fmt, v & ((1 << bits) - 1))
        spec.writes.append((ev(args[0]), data, lineno))
    elif word == "bytes":
        if len(args) < 2:
            raise SpecError("bytes ADDR HEX")
        try:
            data = bytes.fromhex("".join(args[1:]))
        except ValueError:
            raise SpecError("bytes: not hex") from None
        spec.writes.append((ev(args[0]), data, lineno))
    elif word == "string":
        addr, _, lit = rest.partition(" ")
        try:
            text = ast.literal_eval(lit.strip())
        except (ValueError, SyntaxError):
            text = None
        if not isinstance(text, str):
            raise SpecError('string ADDR "TEXT"')
        spec.writes.append((ev(addr), text.encode(), lineno))
    elif word == "file":
        if len(args) != 2:
            raise SpecError("file ADDR PATH")
        with open(os.path.join(base, args[1]), "rb") as f:
            spec.writes.append((ev(args[0]), f.read(), lineno))
    elif word == "truncate":
        spec.truncate = ev(rest)
    else:
        raise SpecError(f"unknown directive {word}")


class Memory:
    """The dump's RAM: page-aligned ranges with their bytes, and which pages
    the dump leaves out."""

    def __init__(self, spec):
        ps = spec.page_size
        self.page_size = ps
        self.ranges = []    # [start, bytearray], sorted, not overlapping
        for start, size, kind, byte in sorted(spec.memory):
            if start % ps or size % ps or size <= 0:
                raise SpecError(f"memory {start:#x} {size:#x}: not whole pages of {ps}")
            if self.ranges and start < self.ranges[-1][0] + len(self.ranges[-1][1]):
                raise SpecError(f"memory {start:#x}: overlaps the range before")
            if kind == "pattern":
                data = bytearray(struct.pack(spec.endian + f"{size // 8}Q",
                                             *range(start, start + size, 8)))
            else:
                data = bytearray([byte]) * size
            self.ranges.append([start, data])
        if not self.ranges:
            raise SpecError("no memory")
        self.excluded = set()
        for start, size in spec.exclude:
            if start % ps or size % ps:
                raise SpecError(f"exclude {start:#x} {size:#x}: not whole pages")
            for pa in range(start, start + size, ps):
                if not self.holds(pa, 1):
                    raise SpecError(f"exclude {pa:#x}: not in memory")
                self.excluded.add(pa // ps)
        for addr, data, lineno in spec.writes:
            self.write(addr, data, lineno)

    def find(self, addr):
        for r in self.ranges:
            if r[0] <= addr < r[0] + len(r[1]):
                return r
        return None

    def holds(self, addr, n):
        r = self.find(addr)
        return r is not None and addr + n <= r[0] + len(r[1])

    def write(self, addr, data, lineno):
        if not self.holds(addr, len(data)):
            raise SpecError(f"line {lineno}: write of {len(data)} bytes at {addr:#x} "
                            "is not inside one memory range")
        for pfn in range(addr // self.page_size, (addr + len(data) - 1) // self.page_size + 1):
            if pfn in self.excluded:
                raise SpecError(f"line {lineno}: write at {addr:#x} into an excluded page")
        r = self.find(addr)
        r[1][addr - r[0]:addr - r[0] + len(data)] = data

    def dumped_runs(self):
        """(paddr, bytes) runs of the pages the dump holds, in order."""
        ps = self.page_size
        for start, data in self.ranges:
            run = None
            for off in range(0, len(data), ps):
                if (start + off) // ps in self.excluded:
                    if run is not None:
                        yield start + run, bytes(data[run:off])
                        run = None
                elif run is None:
                    run = off
            if run is not None:
                yield start + run, bytes(data[run:])

    def max_pfn(self):
        start, data = self.ranges[-1]
        return (start + len(data)) // self.page_size


def elf_note(name, ntype, desc, e):
    name_b = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)  # noqa: E731
    return struct.pack(e + "III", len(name_b), len(desc), ntype) + pad(name_b) + pad(desc)


def notes_blob(spec):
    """The PT_NOTE contents: NT_PRSTATUS per CPU, then VMCOREINFO (as
    crash_save_vmcoreinfo writes it: name "VMCOREINFO", type 0)."""
    e = spec.endian
    _, _, prsize, pidoff = ARCHES[spec.arch]
    out = b""
    for pid in spec.prstatus:
        desc = bytearray(prsize)
        struct.pack_into(e + "i", desc, pidoff, pid)
        out += elf_note("CORE", NT_PRSTATUS, bytes(desc), e)
    vmcoreinfo = spec.vmcoreinfo_text()
    vi_desc_off = len(out) + 12 + 12        # "VMCOREINFO\0" pads to 12
    out += elf_note("VMCOREINFO", 0, vmcoreinfo, e)
    return out, vi_desc_off, len(vmcoreinfo)


def linear_map(spec, mem):
    if spec.page_offset:
        va, phys = spec.page_offset
        return va, mem.ranges[0][0] if phys is None else phys
    if spec.arch == "x86_64":
        l5 = (spec.vmcoreinfo_value("NUMBER(pgtable_l5_enabled)") or "0").strip()
        return (0xff11000000000000 if l5 not in ("0", "") else 0xffff888000000000), 0
    if spec.arch == "ppc64le":
        return 0xc000000000000000, 0
    return 0xffff000000000000, mem.ranges[0][0]


def write_elf(spec, mem, out):
    e = spec.endian
    machine = ARCHES[spec.arch][0]
    notes, _, _ = notes_blob(spec)
    runs = list(mem.dumped_runs())
    va_base, pa_base = linear_map(spec, mem)
    phnum = 1 + len(runs)
    note_off = EHDR_SIZE + phnum * PHDR_SIZE
    data_off = (note_off + len(notes) + spec.page_size - 1) & ~(spec.page_size - 1)
    ident = b"\x7fELF" + bytes([2, 1, EV_CURRENT, 0]) + bytes(8)   # ELFCLASS64, LSB
    hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", ET_CORE, machine, EV_CURRENT, 0,
                              EHDR_SIZE, 0, 0, EHDR_SIZE, PHDR_SIZE, phnum, 0, 0, 0)
    phdrs = struct.pack(e + "IIQQQQQQ", PT_NOTE, 0, note_off, 0, 0,
                        len(notes), len(notes), 0)
    off = data_off
    for paddr, data in runs:
        phdrs += struct.pack(e + "IIQQQQQQ", PT_LOAD, PF_RWX, off,
                             (va_base + paddr - pa_base) & (2**64 - 1), paddr,
                             len(data), len(data), 0)
        off += len(data)
    out.write(hdr + phdrs + notes)
    out.write(b"\0" * (data_off - note_off - len(notes)))
    for _, data in runs:
        out.write(data)


def write_kdump(spec, mem, out, compress):
    e = spec.endian
    ps = spec.page_size
    notes, vi_off_in_notes, vi_size = notes_blob(spec)
    max_mapnr = mem.max_pfn()
    # Block 0: the header; then the sub-header and the notes after it.
    sub_size = struct.calcsize("<" + KSH_FORMAT)
    offset_note = ps + ((sub_size + 7) & ~7)
    sub_hdr_blocks = (offset_note + len(notes) + ps - 1) // ps - 1
    # Two bitmaps of equal size, whole blocks each: pfn N is bit N % 8 of byte N / 8.
    bitmap_bytes = max(ps, (max_mapnr + 8 * ps - 1) // (8 * ps) * ps)
    bitmap1 = bytearray(bitmap_bytes)
    bitmap2 = bytearray(bitmap_bytes)
    for start, data in mem.ranges:
        for pfn in range(start // ps, (start + len(data)) // ps):
            bitmap1[pfn // 8] |= 1 << (pfn % 8)
            if pfn not in mem.excluded:
                bitmap2[pfn // 8] |= 1 << (pfn % 8)
    bitmap_blocks = 2 * bitmap_bytes // ps
    pd_off = (1 + sub_hdr_blocks + bitmap_blocks) * ps
    pages = [(pa, data[o:o + ps]) for pa, data in mem.dumped_runs()
             for o in range(0, len(data), ps)]
    data_off = pd_off + PAGE_DESC_SIZE * len(pages)

    uts = b""
    release = spec.release or spec.vmcoreinfo_value("OSRELEASE") or ""
    for field in ("Linux", "synthetic", release, "#1 SMP", ARCHES[spec.arch][1], "(none)"):
        uts += field.encode()[:64].ljust(65, b"\0")
    header = bytearray(ps)
    header[0:8] = KDUMP_SIGNATURE
    struct.pack_into(e + "i", header, 8, KDUMP_VERSION)
    header[DDH_UTSNAME:DDH_UTSNAME + len(uts)] = uts
    # timestamp left 0: tv_usec must not look like a 32-bit header's block size
    struct.pack_into(e + "IiiIIIIIIi", header, DDH_STATUS,
                     DUMP_DH_COMPRESSED_ZLIB if compress else 0, ps, sub_hdr_blocks,
                     bitmap_blocks, min(max_mapnr, 0xffffffff), len(pages), 0, 0, 0,
                     max(1, len(spec.prstatus)))
    phys_base = int(spec.vmcoreinfo_value("NUMBER(phys_base)") or "0", 0) & (2**64 - 1)
    sub = bytearray((1 + sub_hdr_blocks) * ps - ps)
    struct.pack_into(e + KSH_FORMAT, sub, 0, phys_base, 31 if mem.excluded else 0, 0,
                     0, max_mapnr, offset_note + vi_off_in_notes, vi_size,
                     offset_note, len(notes), 0, 0, 0, max_mapnr, max_mapnr)
    sub[offset_note - ps:offset_note - ps + len(notes)] = notes

    descs = bytearray()
    blobs = []
    pos = data_off
    zero_at = None
    for _, page in pages:
        if page.count(0) == ps and zero_at is not None:
            descs += struct.pack(e + PAGE_DESC_FORMAT, *zero_at)
            continue
        blob, flags = page, 0
        if compress:
            z = zlib.compress(page)
            if len(z) < ps:
                blob, flags = z, DUMP_DH_COMPRESSED_ZLIB
        desc = (pos, len(blob), flags, 0)
        if page.count(0) == ps:
            zero_at = desc
        descs += struct.pack(e + PAGE_DESC_FORMAT, *desc)
        blobs.append(blob)
        pos += len(blob)
    for part in (header, sub, bitmap1, bitmap2, descs, *blobs):
        out.write(part)


def make(spec_path, out_path, fmt=None):
    spec = parse_spec(spec_path)
    fmt = fmt or spec.format
    mem = Memory(spec)
    with open(out_path, "wb") as out:
        if fmt == "elf":
            write_elf(spec, mem, out)
        else:
            write_kdump(spec, mem, out, fmt == "kdump-zlib")
        if spec.truncate is not None:
            size = out.tell()
            out.truncate(spec.truncate if spec.truncate >= 0 else size + spec.truncate)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("spec")
    ap.add_argument("out")
    ap.add_argument("--format", choices=FORMATS)
    a = ap.parse_args()
    try:
        make(a.spec, a.out, a.format)
    except (SpecError, OSError) as e:
        print(f"mkcore: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
