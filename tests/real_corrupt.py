"""Corrupted-dump corpus (issue 9): damage real dumps the ways real customer
dumps are damaged, and check that vmtriage still behaves.

From x86-basic, x86-e and ppc-hotplug, each variant is a sparse copy in a
temp dir under ${TMPDIR:-/var/tmp} (deleted after its checks): truncated at
several offsets, bad note sizes, zeroed VMCOREINFO, random bytes over some
struct pages (found with memmap --pfn, vtop and the ELF program headers),
over the kernel's top page table and over the crashed task's stack, pages removed (kdump page
descriptors pointing past EOF, a PT_LOAD shortened). For each, `report
--json`, `info` and `memmap` run under a 60 s time limit and a memory limit
and must end with results, or with exit 2 and one line on stderr naming the
file; never a signal or a hang, and never a fired/latent verdict that the
clean dump does not give. `bt --all` runs on each too, and the crashed
task's kernel stack pages (found with bt and vtop) are overwritten with
random bytes: every trace stops with a reason, never a loop or a crash.
"""
import json
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import kdump_layout  # noqa: E402

TIME_LIMIT = 60
MEM_LIMIT = 4 << 30
checks = vtlib.Checks("real_corrupt")
rng = random.Random(9)


def asan_build():
    """ASan reserves terabytes of shadow: no address-space limit then."""
    nm = subprocess.run(["nm", "-D", vtlib.VMTRIAGE], stdout=subprocess.PIPE, text=True)
    return "__asan_init" in nm.stdout


LIMIT_AS = not asan_build()


def limits():
    if LIMIT_AS:
        resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


def vt(*args):
    """(exit status, stdout, stderr) under the limits; 124 on timeout."""
    try:
        p = subprocess.run([vtlib.VMTRIAGE, *map(str, args)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIME_LIMIT, preexec_fn=limits)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return 124, "", "timeout"


def verdicts(report_json):
    return {r["plugin"]: r["verdict"] for r in json.loads(report_json)["results"]}


def check_run(what, path, args, clean):
    rc, out, err = vt(*args)
    name = os.path.basename(path)
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        checks.check(len(lines) == 1 and name in lines[0],
                     f"{what}: exit 2 wants one stderr line naming {name}, got {err[:400]!r}")
        return
    if not checks.check(rc in (0, 1) and (rc == 0 or args[0] == "report"),
                        f"{what}: exit {rc} (signal, hang or bad status); stderr {err[-400:]!r}"):
        return
    if args[0] != "report":
        return
    try:
        got = verdicts(out)
    except (ValueError, KeyError) as e:
        checks.check(False, f"{what}: report --json does not parse ({e})")
        return
    for plugin, v in got.items():
        if v in ("fired", "latent"):
            checks.check(clean.get(plugin) == v,
                         f"{what}: {plugin} says {v}, the clean dump says {clean.get(plugin)}")


# ---------------------------------------------------------------- file layouts
def elf_phdrs(f):
    f.seek(0)
    h = f.read(64)
    phoff, = struct.unpack_from("<Q", h, 32)
    phnum, = struct.unpack_from("<H", h, 56)
    out = []
    for i in range(phnum):
        f.seek(phoff + 56 * i)
        out.append((phoff + 56 * i, struct.unpack("<IIQQQQQQ", f.read(56))))
    return out


def elf_offset(f, paddr):
    """File offset of a physical address in an ELF dump, or None."""
    for _, (typ, _, off, _, pa, filesz, _, _) in elf_phdrs(f):
        if typ == 1 and pa <= paddr < pa + filesz:
            return off + paddr - pa
    return None


def elf_vmcoreinfo(f):
    """(offset of the note header, namesz, descsz) of VMCOREINFO."""
    for _, (typ, _, off, _, _, filesz, _, _) in elf_phdrs(f):
        if typ != 4:
            continue
        f.seek(off)
        notes, p = f.read(filesz), 0
        while p + 12 <= len(notes):
            namesz, descsz, _ = struct.unpack_from("<III", notes, p)
            if notes[p + 12:p + 12 + namesz].rstrip(b"\0") == b"VMCOREINFO":
                return off + p, namesz, descsz
            p += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
    raise RuntimeError("no VMCOREINFO note")


# ---------------------------------------------------------------- corruptions
def truncate_at(frac):
    def go(path):
        size = os.path.getsize(path)
        os.truncate(path, max(4096, int(size * frac)))
    return go


def write_at(path, off, data):
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(data)


def elf_zero_vmcoreinfo(path):
    with open(path, "r+b") as f:
        at, namesz, descsz = elf_vmcoreinfo(f)
    write_at(path, at + 12 + ((namesz + 3) & ~3), bytes(descsz))


def elf_note_size(descsz):
    def go(path):
        with open(path, "r+b") as f:
            at, _, _ = elf_vmcoreinfo(f)
        write_at(path, at + 4, struct.pack("<I", descsz))
    return go


def elf_shorten_load(path):
    """The largest PT_LOAD loses the second half of its file data."""
    with open(path, "r+b") as f:
        at, ph = max(((a, p) for a, p in elf_phdrs(f) if p[0] == 1), key=lambda x: x[1][5])
        f.seek(at + 32)
        f.write(struct.pack("<Q", ph[5] // 2))


def kdump_zero_vmcoreinfo(path):
    with open(path, "r+b") as f:
        data = f.read(1 << 22)
    at = data.find(b"OSRELEASE=")
    end = data.find(b"\0", at)
    write_at(path, at, bytes(end - at))


def kdump_bad_vmcoreinfo_size(path):
    """kdump_sub_header.size_vmcoreinfo (after phys_base, dump_level, split,
    start_pfn, end_pfn, offset_vmcoreinfo) set to 1 TiB."""
    with open(path, "r+b") as f:
        be, _, sub_off, _, _ = kdump_layout(f)
    write_at(path, sub_off + 40, struct.pack(be + "Q", 1 << 40))


def kdump_pages_past_eof(path):
    """Every 37th page descriptor (and not the last) points past the end."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        be, _, _, pd_off, n = kdump_layout(f)
        for i in range(0, n - 1, 37):
            f.seek(pd_off + 24 * i)
            f.write(struct.pack(be + "Q", size + 4096 * i))


def random_over(paddrs, length):
    """Random bytes over [paddr, paddr+length) of an ELF dump, for each paddr."""
    def go(path):
        with open(path, "r+b") as f:
            for pa in paddrs:
                off = elf_offset(f, pa)
                if off is not None:
                    f.seek(off)
                    f.write(bytes(rng.getrandbits(8) for _ in range(length)))
    return go


# ---------------------------------------------------------------- addresses
def page_paddrs(dump, vmlinux, pfns):
    """Physical addresses of the struct pages of pfns (memmap --pfn, vtop)."""
    out = []
    for pfn in pfns:
        extra = [vmlinux] if vmlinux else []
        rc, o, _ = vt("memmap", dump, *extra, "--pfn", pfn, "--json")
        if rc != 0:
            continue
        page = json.loads(o)["page"]
        rc, o, _ = vt("vtop", dump, *extra, page, "--json")
        if rc == 0:
            out.append(int(json.loads(o)["physical"], 16))
    return out


def stack_paddrs(dump, vmlinux):
    """Physical pages of the crashed task's kernel stack (bt's frames' sp)."""
    extra = [vmlinux] if vmlinux else []
    rc, o, _ = vt("bt", dump, *extra, "--json")
    if rc != 0:
        return []
    pages = set()
    for f in json.loads(o)["tasks"][0]["frames"]:
        rc, o, _ = vt("vtop", dump, *extra, f["sp"], "--json")
        if rc == 0:
            pages.add(int(json.loads(o)["physical"], 16) & ~4095)
    return sorted(pages)


def top_pgt_paddr(dump, vmlinux):
    extra = [vmlinux] if vmlinux else []
    sym = "init_top_pgt" if not vmlinux else "swapper_pg_dir"
    rc, o, _ = vt("vtop", dump, *extra, sym, "--json")
    return [int(json.loads(o)["physical"], 16)] if rc == 0 else []


# ---------------------------------------------------------------- the corpus
def run_scenario(tmp, scen, variants, vmlinux_needed=False):
    d = vtlib.dumpdir(scen)
    vmlinux = os.path.join(d, "vmlinux") if vmlinux_needed else None
    extra = [vmlinux] if vmlinux else []
    clean = {}
    for src in sorted({v[1] for v in variants}):
        rc, out, err = vt("report", os.path.join(d, src), *extra, "--json")
        checks.check(rc in (0, 1), f"{scen}/{src}: clean report exit {rc}: {err[:300]}")
        clean[src] = verdicts(out) if rc in (0, 1) else {}
    for name, src, corrupt in variants:
        path = os.path.join(tmp, f"{scen}-{name}")
        subprocess.run(["cp", "--sparse=always", os.path.join(d, src), path], check=True)
        os.chmod(path, 0o644)
        corrupt(path)
        what = f"{scen} {name}"
        check_run(f"{what}: report", path, ["report", path, *extra, "--json"], clean[src])
        check_run(f"{what}: info", path, ["info", path, *extra], clean[src])
        check_run(f"{what}: memmap", path, ["memmap", path, *extra], clean[src])
        check_run(f"{what}: bt --all", path, ["bt", path, *extra, "--all"], clean[src])
        os.unlink(path)


def main():
    tmpdir = os.environ.get("TMPDIR") or "/var/tmp"
    x86 = vtlib.dumpdir("x86-basic")
    x86_kd = os.path.join(x86, "vmcore.kdump-zlib")
    x86_pages = page_paddrs(x86_kd, None, [0x100, 0x1000, 0x8000, 0x20000, 0x3f000])
    x86_pgt = top_pgt_paddr(x86_kd, None)
    checks.check(len(x86_pages) >= 3 and x86_pgt, "x86-basic: struct pages and init_top_pgt found")
    ppc = vtlib.dumpdir("ppc-hotplug")
    ppc_kd, ppc_vmlinux = os.path.join(ppc, "vmcore.kdump-d31"), os.path.join(ppc, "vmlinux")
    ppc_pages = page_paddrs(ppc_kd, ppc_vmlinux, [0x10, 0x800, 0x2000, 0x5000])
    ppc_pgt = top_pgt_paddr(ppc_kd, ppc_vmlinux)
    checks.check(len(ppc_pages) >= 2 and ppc_pgt, "ppc-hotplug: struct pages and swapper_pg_dir found")
    x86_stack = stack_paddrs(x86_kd, None)
    ppc_stack = stack_paddrs(ppc_kd, ppc_vmlinux)
    checks.check(x86_stack and ppc_stack, f"crashed tasks' stack pages found: {x86_stack} {ppc_stack}")
    e = vtlib.dumpdir("x86-e")
    e_pages = page_paddrs(os.path.join(e, "vmcore.kdump-zlib"), None, [0x100, 0x8000, 0x20000])

    with tempfile.TemporaryDirectory(prefix="vt-corrupt.", dir=tmpdir) as tmp:
        run_scenario(tmp, "x86-basic", [
            ("elf-trunc-10pc", "vmcore.elf", truncate_at(0.1)),
            ("elf-trunc-60pc", "vmcore.elf", truncate_at(0.6)),
            ("elf-trunc-end", "vmcore.elf", truncate_at(0.999)),
            ("kdump-trunc-half", "vmcore.kdump-zlib", truncate_at(0.5)),
            ("kdump-trunc-95pc", "vmcore.kdump-zlib", truncate_at(0.95)),
            ("flat-trunc-half", "vmcore.qemu-kdump.flat", truncate_at(0.5)),
            ("elf-note-huge", "vmcore.elf", elf_note_size(0x7fffff00)),
            ("elf-note-short", "vmcore.elf", elf_note_size(7)),
            ("elf-vmcoreinfo-zero", "vmcore.elf", elf_zero_vmcoreinfo),
            ("kdump-vmcoreinfo-zero", "vmcore.kdump-d31", kdump_zero_vmcoreinfo),
            ("kdump-vmcoreinfo-size", "vmcore.kdump-zlib", kdump_bad_vmcoreinfo_size),
            ("kdump-pages-past-eof", "vmcore.kdump-zlib", kdump_pages_past_eof),
            ("elf-load-shortened", "vmcore.elf", elf_shorten_load),
            ("elf-struct-pages-random", "vmcore.elf", random_over(x86_pages, 64)),
            ("elf-memmap-page-random", "vmcore.elf",
             random_over([p & ~4095 for p in x86_pages[:2]], 4096)),
            ("elf-top-pgt-random", "vmcore.elf", random_over(x86_pgt, 4096)),
            ("elf-crashed-stack-random", "vmcore.elf", random_over(x86_stack, 4096)),
        ])
        run_scenario(tmp, "x86-e", [
            ("kdump-trunc-half", "vmcore.kdump-d31", truncate_at(0.5)),
            ("kdump-pages-past-eof", "vmcore.kdump-d31", kdump_pages_past_eof),
            ("elf-struct-pages-random", "vmcore.elf", random_over(e_pages, 64)),
            ("elf-vmcoreinfo-zero", "vmcore.elf", elf_zero_vmcoreinfo),
        ])
        run_scenario(tmp, "ppc-hotplug", [
            ("elf-trunc-40pc", "vmcore.elf", truncate_at(0.4)),
            ("kdump-trunc-half", "vmcore.kdump-d31", truncate_at(0.5)),
            ("elf-note-huge", "vmcore.elf", elf_note_size(0x7fffff00)),
            ("kdump-vmcoreinfo-size", "vmcore.kdump-d31", kdump_bad_vmcoreinfo_size),
            ("kdump-pages-past-eof", "vmcore.kdump-d31", kdump_pages_past_eof),
            ("elf-load-shortened", "vmcore.elf", elf_shorten_load),
            ("elf-struct-pages-random", "vmcore.elf", random_over(ppc_pages, 64)),
            ("elf-top-pgt-random", "vmcore.elf", random_over(ppc_pgt, 1 << 16)),
            ("elf-crashed-stack-random", "vmcore.elf", random_over(ppc_stack, 4096)),
        ], vmlinux_needed=True)
    checks.done()


main()
