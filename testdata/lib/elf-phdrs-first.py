#!/usr/bin/env python3
"""Rewrite an ELF64 core's header in place so the program headers directly
follow the ELF header (e_phoff = 64) and there are no section headers.

Why: makedumpfile 1.7.2 assumes the program header table starts right after
the ELF header; QEMU 7.2's dump-guest-memory puts section headers there
(e_shoff = 64) and the program headers after them.  Segment offsets are not
touched, so the notes and memory stay where they are; the new table is never
longer than the old shdr+phdr area it is written over.

usage: elf-phdrs-first.py FILE      (run it on a temporary copy!)
Little-endian ELF64 only (x86_64, ppc64le after its header byte-swap).
"""
import struct
import sys

path = sys.argv[1]
with open(path, "r+b") as f:
    eh = bytearray(f.read(64))
    if eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
        sys.exit(f"{path}: not a little-endian ELF64 file")
    (e_phoff, e_shoff) = struct.unpack_from("<QQ", eh, 32)
    (e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx) = \
        struct.unpack_from("<HHHHHH", eh, 52)
    if e_phnum == 0xFFFF:  # PN_XNUM: real count in section 0's sh_info
        f.seek(e_shoff)
        sh0 = f.read(64)
        e_phnum = struct.unpack_from("<I", sh0, 44)[0]
        sys.exit(f"{path}: {e_phnum} program headers (PN_XNUM) cannot be moved here")
    if e_phoff == 64:
        sys.exit(0)  # already in the expected layout
    f.seek(e_phoff)
    phdrs = f.read(e_phnum * e_phentsize)
    end = 64 + len(phdrs)
    # every segment's data must start after the new table
    for i in range(e_phnum):
        off = struct.unpack_from("<Q", phdrs, i * e_phentsize + 8)[0]
        if off < end:
            sys.exit(f"{path}: segment {i} at 0x{off:x} overlaps the moved table")
    struct.pack_into("<QQ", eh, 32, 64, 0)
    struct.pack_into("<HHHHHH", eh, 52, e_ehsize, e_phentsize, e_phnum, e_shentsize, 0, 0)
    f.seek(0)
    f.write(eh)
    f.write(phdrs)
