"""Edits of kdump-compressed dump copies for the tests (never of the cache).

kdump (diskdump) layout: the header's block_size, sub_hdr_size and
bitmap_blocks at offset 428; two bitmaps after the sub-header (the first:
pfns in memory, the second: pfns dumped); one 24-byte page descriptor
{offset u64, size u32, flags u32, page_flags u64} per dumped pfn, in pfn
order, right after the bitmaps.
"""
import struct


def kdump_layout(f):
    """(byte order, block size, sub-header offset, page-descriptor offset, ndumped)."""
    f.seek(0)
    h = f.read(448)
    be = ">" if struct.unpack_from("<I", h, 8)[0] > 0xffff else "<"
    block, sub, bitmap_blocks = struct.unpack_from(be + "III", h, 428)
    bm_off, bm_len = (1 + sub) * block, bitmap_blocks * block
    f.seek(bm_off + bm_len // 2)
    ndumped = sum(bin(b).count("1") for b in f.read(bm_len // 2))
    return be, block, block, bm_off + bm_len, ndumped


def kdump_filter_pfns(path, pfns):
    """Drop pfns from the dump as makedumpfile's filtering does: clear their
    bit in the dumped bitmap and remove their page descriptors (the rest
    move down one; the table's last slot is left as a stale copy). Returns
    the pfns that were dumped before (the ones now filtered)."""
    dropped = []
    with open(path, "r+b") as f:
        be, block, _, pd_off, n = kdump_layout(f)
        f.seek(0)
        h = f.read(448)
        sub, bitmap_blocks = struct.unpack_from(be + "II", h, 432)
        bm2 = (1 + sub) * block + bitmap_blocks * block // 2
        f.seek(bm2)
        bitmap = bytearray(f.read(bitmap_blocks * block // 2))
        f.seek(pd_off)
        descs = bytearray(f.read(24 * n))
        for pfn in sorted(set(pfns), reverse=True):
            byte, bit = pfn // 8, pfn % 8
            if byte >= len(bitmap) or not bitmap[byte] >> bit & 1:
                continue
            rank = sum(bin(b).count("1") for b in bitmap[:byte]) + \
                bin(bitmap[byte] & ((1 << bit) - 1)).count("1")
            bitmap[byte] &= ~(1 << bit)
            descs[24 * rank:] = descs[24 * (rank + 1):] + descs[-24:]
            dropped.append(pfn)
        f.seek(bm2)
        f.write(bitmap)
        f.seek(pd_off)
        f.write(descs)
    return sorted(dropped)


def set_prstatus_pids(path, pids):
    """Set each NT_PRSTATUS note's pr_pid (offset 32 of its desc) in a dump
    copy, ELF or kdump-compressed: pids maps a CPU (note order) to a PID.
    This gives drgn what a kdump vmcore holds (the pid of the task running
    on each CPU); QEMU writes the vCPU number there. Returns how many notes
    were rewritten."""
    with open(path, "r+b") as f:
        head = f.read(64)
        if head[:4] == b"\x7fELF":
            e = ">" if head[5] == 2 else "<"
            phoff, = struct.unpack_from(e + "Q", head, 0x20)
            phentsize, phnum = struct.unpack_from(e + "HH", head, 0x36)
            notes = []
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                p_type, _, p_offset, _, _, p_filesz = struct.unpack(e + "IIQQQQ", f.read(40))
                if p_type == 4:     # PT_NOTE
                    notes.append((p_offset, p_filesz))
        else:
            e, block, sub, _, _ = kdump_layout(f)
            f.seek(sub + 48)        # the sub-header's offset_note, size_note
            notes = [struct.unpack(e + "QQ", f.read(16))]
        cpu = done = 0
        for off, size in notes:
            f.seek(off)
            data = f.read(size)
            pos = 0
            while pos + 12 <= len(data):
                namesz, descsz, typ = struct.unpack_from(e + "III", data, pos)
                desc = pos + 12 + (namesz + 3) // 4 * 4
                if typ == 1:        # NT_PRSTATUS
                    if cpu in pids:
                        f.seek(off + desc + 32)
                        f.write(struct.pack(e + "i", pids[cpu]))
                        done += 1
                    cpu += 1
                pos = desc + (descsz + 3) // 4 * 4
    return done
