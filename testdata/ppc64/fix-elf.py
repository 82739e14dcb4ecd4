#!/usr/bin/env python3
"""Turn QEMU 7.2's pseries ELF dump into what /proc/vmcore would give.

usage: fix-elf.py IN.raw OUT.elf --vmcoreinfo PADDR:SIZE [--page-offset 0xc000000000000000]

QEMU 7.2 (dump-guest-memory, paging=false) on a little-endian ppc64 guest
writes the ELF header, program headers and its CPU register notes
BIG-endian (it asks the CPU for the interrupt endianness after the guest
called ibm,os-term), puts an (empty) section header table before the program
headers and leaves every PT_LOAD's p_vaddr at 0.  pseries has no
-device vmcoreinfo, so there is no VMCOREINFO note either.  This script
writes a new little-endian ELF:

  Elf64_Ehdr | Elf64_Phdr x (1 PT_NOTE + N PT_LOAD) | notes | pad | memory...

* the CPU notes ("CORE": NT_PRSTATUS, NT_PRFPREG, NT_PPC_VMX, NT_PPC_VSX,
  NT_PPC_SPE) are converted field by field (layouts from QEMU's
  target/ppc/arch_dump.c);
* a VMCOREINFO note is appended: the kernel's own ELF note (vmcoreinfo_note,
  address and size from the guest's /sys/kernel/vmcoreinfo before the panic)
  copied verbatim from the dumped memory;
* PT_LOAD p_vaddr = page_offset + p_paddr (as /proc/vmcore does);
* memory is copied with holes punched for all-zero 64 KiB blocks (sparse).

If the input is already little-endian only the missing pieces are added.
"""
import argparse
import os
import struct
import sys

PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRFPREG = 1, 2
NT_PPC_VMX, NT_PPC_SPE, NT_PPC_VSX = 0x100, 0x101, 0x102
ALIGN = 0x10000
CHUNK = 0x10000


def die(msg):
    sys.exit(f'testdata: step "fix-elf" failed: {msg}')


def swap_words(data, fmt_char, size):
    """Re-encode a buffer of big-endian words of `size` bytes as little-endian."""
    n = len(data) // size
    vals = struct.unpack(f">{n}{fmt_char}", data[:n * size])
    return struct.pack(f"<{n}{fmt_char}", *vals) + data[n * size:]


def convert_desc(ntype, desc):
    """Convert one CPU note descriptor from big- to little-endian."""
    d = bytearray(desc)
    if ntype == NT_PRSTATUS:
        # pad1[32] | u32 pid | pad2[76] | 44 x u64 regs | pad3[40]
        d[32:36] = swap_words(bytes(d[32:36]), "I", 4)
        d[112:112 + 44 * 8] = swap_words(bytes(d[112:112 + 44 * 8]), "Q", 8)
    elif ntype in (NT_PRFPREG, NT_PPC_VSX):
        d[:] = swap_words(bytes(d), "Q", 8)              # u64 fpr[32], fpscr / vsr[32]
    elif ntype == NT_PPC_VMX:
        # avr[32], vscr: 128-bit values written as one big-endian quadword
        for i in range(33):
            d[i * 16:(i + 1) * 16] = bytes(reversed(d[i * 16:(i + 1) * 16]))
        d[33 * 16:33 * 16 + 4] = swap_words(bytes(d[33 * 16:33 * 16 + 4]), "I", 4)  # vrsave
    elif ntype == NT_PPC_SPE:
        d[:128] = swap_words(bytes(d[:128]), "I", 4)
        d[128:136] = swap_words(bytes(d[128:136]), "Q", 8)
        d[136:140] = swap_words(bytes(d[136:140]), "I", 4)
    else:
        print(f"fix-elf: warning: unknown note type {ntype:#x}, descriptor left as is",
              file=sys.stderr)
    return bytes(d)


def pad4(n):
    return (n + 3) & ~3


def parse_notes(data, end):
    out, off = [], 0
    while off + 12 <= len(data):
        namesz, descsz, ntype = struct.unpack(end + "III", data[off:off + 12])
        name = data[off + 12:off + 12 + namesz]
        doff = off + 12 + pad4(namesz)
        desc = data[doff:doff + descsz]
        out.append((name, ntype, desc))
        off = doff + pad4(descsz)
    return out


def note_bytes(name, ntype, desc):
    return (struct.pack("<III", len(name), len(desc), ntype) + name + b"\0" * (pad4(len(name)) - len(name))
            + desc + b"\0" * (pad4(len(desc)) - len(desc)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--vmcoreinfo", required=True, help="PADDR:SIZE (hex) from /sys/kernel/vmcoreinfo")
    ap.add_argument("--page-offset", default="0xc000000000000000")
    a = ap.parse_args()
    page_offset = int(a.page_offset, 16)
    vi_paddr, vi_size = (int(x, 16) for x in a.vmcoreinfo.split(":"))

    f = open(a.inp, "rb")
    ident = f.read(16)
    if ident[:4] != b"\x7fELF" or ident[4] != 2:
        die(f"{a.inp} is not an ELF64 file")
    end = ">" if ident[5] == 2 else "<"
    (etype, mach, ver, entry, phoff, shoff, flags, ehsize, phentsize, phnum,
     shentsize, shnum, shstrndx) = struct.unpack(end + "HHIQQQIHHHHHH", f.read(48))
    if etype != 4 or mach != 21:
        die(f"{a.inp}: not a ppc64 core file (e_type {etype}, e_machine {mach})")
    if phnum == 0xFFFF:
        die("PN_XNUM program header counts are not supported")
    f.seek(phoff)
    phdrs = [struct.unpack(end + "IIQQQQQQ", f.read(56)) for _ in range(phnum)]
    loads = [p for p in phdrs if p[0] == PT_LOAD]

    notes = []
    for p in phdrs:
        if p[0] != PT_NOTE:
            continue
        f.seek(p[2])
        for name, ntype, desc in parse_notes(f.read(p[5]), end):
            if name.rstrip(b"\0") == b"VMCOREINFO":
                continue                      # replaced by the kernel's own below
            if end == ">" and name.rstrip(b"\0") == b"CORE":
                desc = convert_desc(ntype, desc)
            notes.append(note_bytes(name, ntype, desc))

    # The kernel's VMCOREINFO note, copied from the dumped memory.
    src = None
    for p in loads:
        if p[4] <= vi_paddr < p[4] + p[5]:
            src = p[2] + (vi_paddr - p[4])
    if src is None:
        die(f"VMCOREINFO note at {vi_paddr:#x} is not in any PT_LOAD")
    f.seek(src)
    raw = f.read(vi_size)
    namesz, descsz, ntype = struct.unpack("<III", raw[:12])
    name = raw[12:12 + namesz]
    if name.rstrip(b"\0") != b"VMCOREINFO" or 12 + pad4(namesz) + descsz > vi_size:
        die(f"no VMCOREINFO note at {vi_paddr:#x} (name {name!r}, descsz {descsz})")
    desc = raw[12 + pad4(namesz):12 + pad4(namesz) + descsz]
    if b"OSRELEASE=" not in desc:
        die("VMCOREINFO note has no OSRELEASE= line")
    notes.append(note_bytes(name, ntype, desc))
    note_data = b"".join(notes)

    nph = 1 + len(loads)
    hdr_len = 64 + 56 * nph
    data_off = (hdr_len + len(note_data) + ALIGN - 1) & ~(ALIGN - 1)
    out_ph = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, hdr_len, 0, 0, len(note_data), len(note_data), 0)]
    placed, off = [], data_off
    for p in loads:
        (_, pflags, poff, _vaddr, paddr, filesz, memsz, _align) = p
        out_ph.append(struct.pack("<IIQQQQQQ", PT_LOAD, pflags or 7, off, page_offset + paddr,
                                  paddr, filesz, memsz, 0))
        placed.append((poff, off, filesz))
        off = (off + filesz + ALIGN - 1) & ~(ALIGN - 1)
    ehdr = (b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
            + struct.pack("<HHIQQQIHHHHHH", 4, 21, 1, 0, 64, 0, flags, 64, 56, nph, 0, 0, 0))

    tmp = a.out + ".tmp"
    with open(tmp, "wb") as o:
        o.write(ehdr + b"".join(out_ph) + note_data)
        zero = bytes(CHUNK)
        for src_off, dst_off, size in placed:
            f.seek(src_off)
            o.seek(dst_off)
            left = size
            while left:
                blk = f.read(min(CHUNK, left))
                if not blk:
                    die("input truncated")
                if blk == zero[:len(blk)]:
                    o.seek(len(blk), os.SEEK_CUR)
                else:
                    o.write(blk)
                left -= len(blk)
        o.truncate(placed[-1][1] + placed[-1][2] if placed else o.tell())
    os.replace(tmp, a.out)
    print(f"fix-elf: {len(loads)} PT_LOAD, {len(notes)} notes ({'BE->LE' if end == '>' else 'LE'}), "
          f"VMCOREINFO {descsz} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
