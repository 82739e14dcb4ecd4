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
