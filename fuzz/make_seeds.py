#!/usr/bin/python3
"""Seed corpora for the fuzz harnesses, cut from the real test dumps.

Run by fuzz/make-seeds.sh (which finds the dumps and vmtriage):
    make_seeds.py OUTDIR VMTRIAGE X86_DUMPDIR PPC_DUMPDIR [ARM64_DUMPDIR|"" [PPC_6.12_DUMPDIR]]
Writes OUTDIR/<harness>/<name>; every seed is in the input format its
harness documents at the top of fuzz/fuzz_<harness>.c.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

out, VT, X86, PPC = sys.argv[1:5]
ARM64 = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
PPC13 = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
PPC_VMLINUX = os.path.join(PPC, "vmlinux")


def vt(*args):
    return subprocess.run([VT, *args], check=True, capture_output=True, text=True).stdout


def rd(dump, addr, length, phys=False, vmlinux=None):
    args = ["rd", dump] + ([vmlinux] if vmlinux else []) + [hex(addr), str(length), "--json"]
    return bytes.fromhex(json.loads(vt(*args + (["--phys"] if phys else [])))["bytes"])


def save(harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def elf_phdrs(path):
    with open(path, "rb") as f:
        h = f.read(64)
        phoff, = struct.unpack_from("<Q", h, 32)
        phnum, = struct.unpack_from("<H", h, 56)
        f.seek(phoff)
        return [struct.unpack("<IIQQQQQQ", f.read(56)) for _ in range(phnum)]


def vmcoreinfo(path):
    """The VMCOREINFO note's text of an ELF dump."""
    with open(path, "rb") as f:
        for typ, _, off, _, _, filesz, _, _ in elf_phdrs(path):
            if typ != 4:
                continue
            f.seek(off)
            notes, p = f.read(filesz), 0
            while p + 12 <= len(notes):
                namesz, descsz, _ = struct.unpack_from("<III", notes, p)
                name = notes[p + 12:p + 12 + namesz].rstrip(b"\0")
                desc_at = p + 12 + ((namesz + 3) & ~3)
                if name == b"VMCOREINFO":
                    return notes[desc_at:desc_at + descsz].rstrip(b"\0")
                p = desc_at + ((descsz + 3) & ~3)
    raise SystemExit(f"{path}: no VMCOREINFO note")


def head(path, n):
    with open(path, "rb") as f:
        return f.read(n)


# --- vmcoreinfo, dumpcheck, flattened: bytes of the files as they are ---
for scen, d in (("x86-basic", X86), ("ppc-hotplug", PPC)):
    save("vmcoreinfo", scen, vmcoreinfo(os.path.join(d, "vmcore.elf")))
    for fmt in sorted(os.listdir(d)):
        if fmt.startswith("vmcore."):
            save("dumpcheck", f"{scen}-{fmt[7:]}", head(os.path.join(d, fmt), 65536))

flat = os.path.join(X86, "vmcore.qemu-kdump.flat")
with open(flat, "rb") as f:
    stream, pos = bytearray(f.read(4096)), 4096
    while len(stream) < (256 << 10):
        f.seek(pos)
        off, size = struct.unpack(">qq", f.read(16))
        if off < 0:
            break
        stream += struct.pack(">qq", off, size) + f.read(size)
        pos += 16 + size
    save("flattened", "qemu-kdump-head", bytes(stream) + struct.pack(">qq", -1, -1))

# --- btf: the dump's own .BTF, and a small one with the names we ask ---
kd = os.path.join(X86, "vmcore.kdump-zlib")
start = int(vt("sym", kd, "__start_BTF").split()[0], 16)
stop = int(vt("sym", kd, "__stop_BTF").split()[0], 16)
save("btf", "x86-basic-vmlinux", rd(kd, start, stop - start))
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(tmp, "t.c")
    with open(src, "w") as f:
        f.write("""
enum pageflags { PG_locked, PG_slab = 9, NR_PAGEFLAGS = 22 };
enum zone_type { ZONE_DMA, ZONE_NORMAL, MAX_NR_ZONES };
typedef struct { unsigned long pgd; } pgd_t;
struct list_head { struct list_head *next, *prev; };
struct page { unsigned long flags; union { struct { struct list_head lru;
  void *mapping; }; struct { unsigned long compound_head; }; };
  unsigned int bits : 3; struct page *self[4]; const volatile int refs; };
struct mem_section { unsigned long section_mem_map; struct mem_section_usage *usage; };
struct pglist_data { struct page *node_mem_map; int node_id; };
struct mm_struct { pgd_t *pgd; struct mm_struct *next; };
union thread_union { unsigned long stack[2048]; };
struct printk_ringbuffer { struct fwd *f; };
struct page p; struct mem_section ms; struct pglist_data pd; struct mm_struct mm;
union thread_union tu; struct printk_ringbuffer prb; enum pageflags pf; enum zone_type zt;
""")
    obj = os.path.join(tmp, "t.o")
    bpf = os.path.join(tmp, "t.btf")
    clang = shutil.which("clang-14") or shutil.which("clang")
    objcopy = shutil.which("llvm-objcopy-14") or shutil.which("llvm-objcopy")
    if clang and objcopy:
        subprocess.run([clang, "-target", "bpf", "-g", "-c", src, "-o", obj], check=True)
        subprocess.run([objcopy, f"--dump-section=.BTF={bpf}", obj], check=True)
        save("btf", "small", open(bpf, "rb").read())

# --- pgtable: real walks, their tables relocated into a small image ---
def pgtable_seed(name, dump, vaddr, mode, vmlinux=None):
    """Header (fuzz_pgtable.c) + each level's table at 64 KiB steps."""
    args = ["vtop", dump] + ([vmlinux] if vmlinux else []) + [hex(vaddr), "--json"]
    levels = json.loads(vt(*args))["levels"]
    radix = mode in (2, 3)
    step = 0x10000 if radix else 0x1000
    bits = {"PGD": 13, "PUD": 9, "PMD": 9, "PTE": 5} if radix else {}
    image = bytearray()
    for k, lv in enumerate(levels):
        size = 8 << bits.get(lv["level"], 9)
        table = bytearray(rd(dump, int(lv["table"], 16), size, phys=True, vmlinux=vmlinux))
        if k + 1 < len(levels):	# point the entry used at the next table's new home
            i, nxt = lv["index"], (k + 1) * step
            if radix:
                e, = struct.unpack_from(">Q", table, 8 * i)
                struct.pack_into(">Q", table, 8 * i, (e & ~0x0fffffffffffff00) | nxt)
            else:
                e, = struct.unpack_from("<Q", table, 8 * i)
                struct.pack_into("<Q", table, 8 * i, (e & ~0x000ffffffffff000) | nxt)
        image += bytes(k * step - len(image)) + table
    save("pgtable", name, struct.pack("<BBHIQ", mode, 0, 0, 0, vaddr) + bytes(image))


pgtable_seed("x86-kernel-text", kd, 0xffffffff81000000, 0)
pgtable_seed("x86-vmemmap", kd, 0xffffea0000000000, 0)
pgtable_seed("x86-direct-map", kd, 0xffff888000100000, 0)
pd = os.path.join(PPC, "vmcore.kdump-zlib")
pgtable_seed("ppc-vmemmap", pd, 0xc00c000000000140, 2, PPC_VMLINUX)
if ARM64:	# mode 5: 4K pages, 48-bit VA, descriptors laid out as x86's here
    a64, a64_vmlinux = os.path.join(ARM64, "vmcore.elf"), os.path.join(ARM64, "vmlinux")
    for sym in ("_text", "init_task"):
        addr = int(json.loads(vt("sym", a64, a64_vmlinux, sym, "--json"))[0]["address"], 16)
        pgtable_seed(f"arm64-{sym.strip('_')}", a64, addr, 5, a64_vmlinux)

# --- drmem: the ppc64 boot FDT and its LMB properties ---
ibp = int(json.loads(vt("sym", pd, PPC_VMLINUX, "initial_boot_params", "--json"))[0]["address"], 16)
blob_va, = struct.unpack("<Q", rd(pd, ibp, 8, vmlinux=PPC_VMLINUX))
total, = struct.unpack(">I", rd(pd, blob_va, 8, vmlinux=PPC_VMLINUX)[4:8])
fdt = rd(pd, blob_va, total, vmlinux=PPC_VMLINUX)
save("drmem", "ppc-boot-fdt", b"\0" + fdt)


def fdt_props(b):
    """{path/name: value} of an FDT (enough of the spec for the seeds)."""
    off_struct, off_strings = struct.unpack_from(">II", b, 8)
    p, path, props = off_struct, [], {}
    while p + 4 <= len(b):
        tok, = struct.unpack_from(">I", b, p)
        p += 4
        if tok == 1:
            end = b.index(b"\0", p)
            path.append(b[p:end].decode())
            p = (end + 4) & ~3
        elif tok == 2:
            path.pop()
        elif tok == 3:
            ln, nameoff = struct.unpack_from(">II", b, p)
            name = b[off_strings + nameoff:b.index(b"\0", off_strings + nameoff)].decode()
            props["/".join(path) + "/" + name] = b[p + 8:p + 8 + ln]
            p = (p + 8 + ln + 3) & ~3
        elif tok == 9:
            break
    return props


props = {k.rsplit("/", 1)[1]: v for k, v in fdt_props(fdt).items()
         if "dynamic-reconfiguration-memory" in k}
lmb = props.get("ibm,lmb-size", struct.pack(">Q", 256 << 20))
if "ibm,dynamic-memory" in props:
    save("drmem", "ppc-dynamic-memory-v1", b"\1" + lmb + props["ibm,dynamic-memory"])
if "ibm,dynamic-memory-v2" in props:
    save("drmem", "ppc-dynamic-memory-v2", b"\2" + lmb + props["ibm,dynamic-memory-v2"])
if "ibm,associativity-lookup-arrays" in props:
    save("drmem", "ppc-assoc", b"\3" + props["ibm,associativity-lookup-arrays"])

# --- dump: the pages a real run reads, as a tiny ELF core (fuzz_dump.c) ---
BUDGET = 1200 << 10


def dump_seed(name, ppc, elf, cmd, budget=BUDGET, extra=(), whole=False):
    strace = shutil.which("strace")
    if not strace:
        print("make_seeds: strace not installed: no seeds for fuzz_dump", file=sys.stderr)
        return
    loads = [(off, paddr, filesz) for typ, _, off, _, paddr, filesz, _, _ in elf_phdrs(elf)
             if typ == 1 and filesz]
    with tempfile.NamedTemporaryFile("r") as log:
        # One thread (no read-ahead, no parallel scan): every read in the
        # order the run needs it, so the budget cuts the end of the run.
        subprocess.run([strace, "-f", "-e", "trace=pread64", "-e", "signal=none", "-o", log.name,
                        VT, cmd, elf, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, VMTRIAGE_THREADS="1"))
        reads = re.findall(r"pread64(?:\(\d+, | resumed>).*, (\d+), (\d+)\) = \d+", log.read())
    pages = {}
    for n, off in ((int(a), int(b)) for a, b in reads):
        for lo, paddr, filesz in loads:
            if lo <= off < lo + filesz:
                for pg in range((off - lo + paddr) >> 12, ((off - lo + paddr + (n if whole else min(n, 65536)) - 1) >> 12) + 1):
                    if pg not in pages and len(pages) * 4096 < budget:
                        pages[pg] = lo + (pg << 12) - paddr
                break
    segs, data = [], bytearray()
    with open(elf, "rb") as f:
        for pg in sorted(pages):
            f.seek(pages[pg])
            chunk = f.read(4096)
            if segs and segs[-1][0] + segs[-1][1] // 4096 == pg:
                segs[-1][1] += len(chunk)
            else:
                segs.append([pg, len(chunk)])
            data += chunk
    vi = vmcoreinfo(elf)
    blob = struct.pack("<BH", {True: 1, False: 0, "arm64": 4}[ppc], len(vi)) + vi + struct.pack("<H", len(segs))
    blob += b"".join(struct.pack("<II", pfn, ln) for pfn, ln in segs) + data
    save("dump", name, blob)


# Small seeds: the first pages a run reads (VMCOREINFO-only paths, the
# symbol layer's refusals).
dump_seed("x86-basic-report", False, os.path.join(X86, "vmcore.elf"), "report")
dump_seed("x86-basic-log", False, os.path.join(X86, "vmcore.elf"), "log")
dump_seed("x86-basic-memmap", False, os.path.join(X86, "vmcore.elf"), "memmap")
dump_seed("ppc-hotplug-report", True, os.path.join(PPC, "vmcore.elf"), "report")
# Whole runs: symbols from kallsyms and the dump's BTF take ~4-5 MiB, then
# every model and plugin (tasks, page tables, zones, the log) reads its
# pages, ~6.6 MiB in all on x86-basic; the memmap scan comes last (16 MiB
# of struct pages per GiB): the budget keeps its start, and the models
# report the rest as missing.
FULL = 7 << 20
dump_seed("x86-basic-report-full", False, os.path.join(X86, "vmcore.elf"), "report", FULL, whole=True)
if ARM64:
    dump_seed("arm64-report", "arm64", os.path.join(ARM64, "vmcore.elf"), "report")
    # arm64: ~8 MiB before the scan
    dump_seed("arm64-report-full", "arm64", os.path.join(ARM64, "vmcore.elf"), "report", 9 << 20,
              whole=True)
if PPC13:
    # 6.1 ppc64 has no BTF: a whole run from the dump alone needs 6.12. Its
    # report reads ~17 MiB before the scan, 8 MiB of it the mem_section
    # root array (mostly zeros, SPARSEMEM_EXTREME over ppc64's 2^51 bytes).
    dump_seed("ppc-deb13-report-full", True, os.path.join(PPC13, "vmcore.elf"), "report", 18 << 20,
              whole=True)
for h in sorted(os.listdir(out)):
    if os.path.isdir(os.path.join(out, h)):
        print(f"make_seeds: {h}: {len(os.listdir(os.path.join(out, h)))} seed(s)")
