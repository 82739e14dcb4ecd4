#!/usr/bin/python3
"""Make a "log cut off" variant of an ELF dump: a copy whose printk ring
holds no record, for the tests of verdicts that must come from the stack
(issue 13) rather than from the log.

usage: cutlog.py DUMP.elf OUT.elf VMLINUX

DUMP.elf is read only; OUT.elf is a sparse copy (cp --sparse=always) in
which the printk ringbuffer's descriptor ring (struct prb_desc[]), its
record metadata (struct printk_info[]) and its text data ring (and the dict
ring of 5.10) are zeroed, so no descriptor is in a committed/finalized state
and no text is left: a reader finds no records.  Written are only those
bytes; everything else (the task's stack, registers, page tables, memmap)
is the original's.

What is found where:
  * the ringbuffer: SYMBOL(prb) of the dump's own VMCOREINFO note (the
    runtime address: KASLR included) -> *prb, the struct printk_ringbuffer
    in use (printk_rb_static, or the one setup_log_buf() moved it to);
  * the layout: struct printk_ringbuffer, prb_desc_ring, prb_data_ring,
    prb_desc, printk_info from VMLINUX's types (drgn), checked against the
    VMCOREINFO OFFSET/SIZE lines where the note has them;
  * virtual -> physical: x86_64 walks init_top_pgt (SYMBOL(init_top_pgt),
    phys_base, NUMBER(pgtable_l5_enabled)); ppc64 linear map
    (0xc000000000000000 + pa); arm64 kernel image (va - kimage_voffset)
    and linear map (va - PAGE_OFFSET + PHYS_OFFSET, PAGE_OFFSET =
    -2^VA_BITS); then the ELF's PT_LOADs (p_paddr) to file offsets.
Prints what it zeroed.  Exit 0 done; 1 with a message otherwise (OUT is
removed on failure).  Run with Debian's /usr/bin/python3 (python3-drgn).
"""
import os
import struct
import subprocess
import sys

try:
    import drgn
except ImportError:
    sys.exit("cutlog: needs python3-drgn (run with /usr/bin/python3)")

EM = {62: "x86_64", 21: "ppc64", 183: "aarch64"}


class Elf:
    def __init__(self, path, mode="rb"):
        self.f = open(path, mode)
        eh = self.f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2 or eh[5] != 1:
            raise SystemExit(f"cutlog: {path}: not a little-endian ELF64 file")
        self.machine = EM.get(struct.unpack_from("<H", eh, 18)[0])
        if not self.machine:
            raise SystemExit(f"cutlog: {path}: e_machine {struct.unpack_from('<H', eh, 18)[0]} not handled")
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        self.loads, notes = [], b""
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p_type, _, off, _, paddr, filesz, _ = struct.unpack("<IIQQQQQ", self.f.read(48))
            if p_type == 1:
                self.loads.append((paddr, filesz, off))
            elif p_type == 4:
                self.f.seek(off)
                notes += self.f.read(filesz)
        self.vmcoreinfo = {}
        o = 0
        while o + 12 <= len(notes):
            namesz, descsz, _ = struct.unpack_from("<III", notes, o)
            name = notes[o + 12:o + 12 + namesz].rstrip(b"\0")
            d0 = o + 12 + ((namesz + 3) & ~3)
            if name == b"VMCOREINFO":
                for line in notes[d0:d0 + descsz].decode(errors="replace").splitlines():
                    if "=" in line:
                        k, v = line.split("=", 1)
                        self.vmcoreinfo.setdefault(k, v)
            o = d0 + ((descsz + 3) & ~3)
        if not self.vmcoreinfo:
            raise SystemExit(f"cutlog: {path}: no VMCOREINFO note")

    def offset(self, pa, n):
        for base, size, off in self.loads:
            if base <= pa and pa + n <= base + size:
                return off + pa - base
        raise SystemExit(f"cutlog: no PT_LOAD holds physical 0x{pa:x}+0x{n:x}")

    def phys(self, pa, n):
        self.f.seek(self.offset(pa, n))
        return self.f.read(n)

    def u64(self, pa):
        return struct.unpack("<Q", self.phys(pa, 8))[0]

    def num(self, key):
        v = self.vmcoreinfo[key]
        return int(v, 16) if v.lower().startswith(("0x", "-0x")) or key.startswith("SYMBOL(") \
            else int(v, 0)


class Translator:
    """Kernel virtual -> physical for the dump's arch (see the docstring)."""

    def __init__(self, elf):
        self.e = elf
        vi = elf.vmcoreinfo
        if elf.machine == "x86_64":
            self.phys_base = elf.num("NUMBER(phys_base)")
            self.levels = 5 if vi.get("NUMBER(pgtable_l5_enabled)") == "1" else 4
            self.pgd = self.image_pa(elf.num("SYMBOL(init_top_pgt)"))
        elif elf.machine == "aarch64":
            self.kimage_voffset = elf.num("NUMBER(kimage_voffset)")
            va_bits = int(vi["NUMBER(VA_BITS)"])
            self.page_offset = (-(1 << va_bits)) % 2**64
            self.page_end = (-(1 << (va_bits - 1))) % 2**64
            self.phys_offset = elf.num("NUMBER(PHYS_OFFSET)") % 2**64

    def image_pa(self, va):
        return va - 0xffffffff80000000 + self.phys_base

    def pa(self, va):
        m = self.e.machine
        if m == "ppc64":
            if va >> 60 != 0xc:
                raise SystemExit(f"cutlog: 0x{va:x} is not in ppc64's linear map")
            return va - 0xc000000000000000
        if m == "aarch64":
            if self.page_offset <= va < self.page_end:
                return (va - self.page_offset + self.phys_offset) % 2**64
            return (va - self.kimage_voffset) % 2**64
        # x86_64: the kernel's own page tables
        table = self.pgd
        shifts = [48, 39, 30, 21, 12][5 - self.levels:]
        for i, sh in enumerate(shifts):
            e = self.e.u64(table + 8 * ((va >> sh) & 511))
            if not e & 1:
                raise SystemExit(f"cutlog: 0x{va:x} is not mapped (level {i}, entry 0x{e:x})")
            if sh in (30, 21) and e & 0x80:          # 1 GiB / 2 MiB page
                return (e & 0x000fffffffffe000 & ~((1 << sh) - 1)) | (va & ((1 << sh) - 1))
            table = e & 0x000ffffffffff000
        return table | (va & 0xfff)


def layout(prog, vi):
    """Offsets and sizes from the vmlinux, checked against VMCOREINFO."""
    L = {}

    def off(t, m, key):
        L[key] = drgn.offsetof(prog.type(t), m)
        want = vi.get(f"OFFSET({t.split()[-1]}.{m})")
        if want is not None and int(want) != L[key]:
            raise SystemExit(f"cutlog: vmlinux says offsetof({t}, {m}) = {L[key]}, the dump's "
                             f"VMCOREINFO {want}: wrong vmlinux?")

    def size(t, key):
        L[key] = drgn.sizeof(prog.type(t))
        want = vi.get(f"SIZE({t.split()[-1]})")
        if want is not None and int(want) != L[key]:
            raise SystemExit(f"cutlog: vmlinux says sizeof({t}) = {L[key]}, the dump's VMCOREINFO {want}")

    rb = "struct printk_ringbuffer"
    off(rb, "desc_ring", "desc_ring")
    off(rb, "text_data_ring", "text_ring")
    rbt = prog.type(rb)
    L["dict_ring"] = drgn.offsetof(rbt, "dict_data_ring") if any(
        m.name == "dict_data_ring" for m in rbt.members) else None       # 5.10 only
    off("struct prb_desc_ring", "count_bits", "count_bits")
    off("struct prb_desc_ring", "descs", "descs")
    dr = prog.type("struct prb_desc_ring")
    L["infos"] = drgn.offsetof(dr, "infos") if any(m.name == "infos" for m in dr.members) else None
    off("struct prb_data_ring", "size_bits", "size_bits")
    off("struct prb_data_ring", "data", "data")
    size("struct prb_desc", "desc_size")
    size("struct printk_info", "info_size")
    return L


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: cutlog.py DUMP.elf OUT.elf VMLINUX")
    src, out, vmlinux = sys.argv[1:]
    if os.path.abspath(src) == os.path.abspath(out):
        sys.exit("cutlog: OUT must not be the dump itself")
    src_elf = Elf(src)          # validate before copying
    vi = src_elf.vmcoreinfo
    if "SYMBOL(prb)" not in vi:
        sys.exit("cutlog: VMCOREINFO has no SYMBOL(prb) (a kernel before the v5.10 ringbuffer?)")
    prog = drgn.Program()
    prog.load_debug_info([vmlinux])
    L = layout(prog, vi)
    subprocess.run(["cp", "--sparse=always", src, out], check=True)
    try:
        os.chmod(out, 0o644)
        e = Elf(out, "r+b")
        tr = Translator(e)
        prb = e.u64(tr.pa(e.num("SYMBOL(prb)")))
        d = prb + L["desc_ring"]
        count_bits = struct.unpack("<I", e.phys(tr.pa(d + L["count_bits"]), 4))[0]
        regions = [("descs", e.u64(tr.pa(d + L["descs"])), L["desc_size"] << count_bits)]
        if L["infos"] is not None:
            regions.append(("infos", e.u64(tr.pa(d + L["infos"])), L["info_size"] << count_bits))
        for name, key in (("text data", "text_ring"), ("dict data", "dict_ring")):
            if L[key] is None:
                continue
            r = prb + L[key]
            bits = struct.unpack("<I", e.phys(tr.pa(r + L["size_bits"]), 4))[0]
            regions.append((name, e.u64(tr.pa(r + L["data"])), 1 << bits))
        print(f"cutlog: {e.machine}: prb 0x{prb:x} ({count_bits} count bits)")
        for name, va, n in regions:
            done = 0
            while done < n:     # page by page: virtually contiguous only
                pa = tr.pa(va + done)
                k = min(n - done, 4096 - (pa & 4095))
                e.f.seek(e.offset(pa, k))
                e.f.write(b"\0" * k)
                done += k
            print(f"cutlog: zeroed {name}: 0x{va:x} (phys 0x{tr.pa(va):x}), {n} bytes")
        e.f.close()
        os.chmod(out, 0o444)
    except BaseException:
        os.unlink(out)
        raise


if __name__ == "__main__":
    main()
