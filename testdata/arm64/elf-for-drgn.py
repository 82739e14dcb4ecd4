#!/usr/bin/env python3
"""Make a drgn-readable copy of QEMU's arm64 ELF dump (for the checks only).

usage: elf-for-drgn.py IN.elf OUT.elf TRUTH.json

QEMU 7.2's aarch64 ELF dump sets every PT_LOAD's p_vaddr to its p_paddr
(QEMU has no aarch64 memory-mapping walker; paging=true changes nothing).
drgn 0.0.22 takes p_vaddr for kernel virtual addresses and then cannot even
read swapper_pg_dir ("recursive address translation").  /proc/vmcore (and so
makedumpfile's input) describes the same memory as: the linear map
(p_vaddr = PAGE_OFFSET + p_paddr - PHYS_OFFSET) plus the kernel image
(p_vaddr = p_paddr + kimage_voffset).  This writes OUT as a sparse copy of IN
whose program header table (moved to the end of the file, e_phoff there, no
section headers) says exactly that; the notes and the memory are IN's bytes
at IN's offsets.  vmcore.elf itself stays as QEMU wrote it.
"""
import json
import shutil
import struct
import subprocess
import sys

PT_LOAD, PT_NOTE = 1, 4


def main():
    src, dst, truth_path = sys.argv[1:4]
    t = json.load(open(truth_path))
    lay = t["layout"]
    m64 = 2**64 - 1
    page_offset, phys_offset = int(lay["page_offset"], 16), int(lay["phys_offset"], 16)
    kvo = int(lay["kimage_voffset"], 16)
    k_lo = (int(lay["kimage_text"], 16) - kvo) & m64
    k_hi = (int(lay["kimage_end"], 16) - kvo) & m64

    subprocess.run(["cp", "--sparse=always", src, dst], check=True)
    with open(dst, "r+b") as f:
        eh = bytearray(f.read(64))
        assert eh[:4] == b"\x7fELF" and eh[4] == 2 and eh[5] == 1
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        old = [struct.unpack("<IIQQQQQQ", f.read(phentsize)[:56]) for _ in range(phnum)]
        new = []
        for (p_type, p_flags, off, vaddr, paddr, filesz, memsz, align) in old:
            if p_type == PT_NOTE:
                new.append((p_type, p_flags, off, 0, 0, filesz, memsz, align))
            elif p_type == PT_LOAD:
                lin = (page_offset + paddr - phys_offset) & m64
                new.append((p_type, p_flags, off, lin, paddr, filesz, memsz, align))
                lo, hi = max(paddr, k_lo), min(paddr + filesz, k_hi)
                if lo < hi:                      # the kernel image inside this segment
                    new.append((p_type, p_flags, off + lo - paddr, (lo + kvo) & m64, lo,
                                hi - lo, hi - lo, align))
        f.seek(0, 2)
        end = (f.tell() + 7) & ~7
        f.seek(end)
        for ph in new:
            f.write(struct.pack("<IIQQQQQQ", *ph))
        struct.pack_into("<Q", eh, 32, end)          # e_phoff
        struct.pack_into("<Q", eh, 40, 0)            # e_shoff
        struct.pack_into("<HH", eh, 54, 56, len(new))
        struct.pack_into("<HHH", eh, 58, 64, 0, 0)   # e_shentsize, e_shnum, e_shstrndx
        f.seek(0)
        f.write(eh)


if __name__ == "__main__":
    shutil.which("cp") or sys.exit("cp missing")
    main()
