#!/usr/bin/env python3
"""Run one arm64 test scenario in QEMU (virt, TCG) and take its dumps.

usage: run-guest.py SCENARIO --kdir KDIR --out DIR [--module KO]

Boots the pinned Debian cloud-arm64 kernel (KDIR from fetch.sh) on
`-M virt -cpu max` with a busybox initramfs, either directly (-kernel,
device tree, no firmware) or through UEFI firmware (qemu-efi-aarch64's
QEMU_EFI.fd loading the same -kernel from fw_cfg; ACPI, needed for pc-dimm
hotplug).  Prepares the scenario's state (memory hotplug, the class E
injection), records the ground truth through the guest's command console
(virtconsole hvc0) and QEMU's monitor, panics the guest (sysrq-c; there is
no pvpanic driver in Debian's arm64 kernels: the console is watched for the
end of the panic message, then the VM is stopped), then writes into DIR:
  vmcore.elf               dump-guest-memory, paging: false
  vmcore.qemu-kdump.flat   dump-guest-memory, format kdump-zlib (flattened)
  console.log, truth.json  (qemu.log and initrd.gz: working files)
gen.sh does the makedumpfile conversions afterwards.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "lib")
sys.path.insert(0, LIB)
import qemu  # noqa: E402
from qemu import StepError, log  # noqa: E402

UEFI_FW = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
BASE_MODULES = ["qemu_fw_cfg", "virtio_pci", "virtio_console"]
DIMM_SIZE = 256 << 20

FAMILIES = ("deb12", "deb13")
KINDS = {
    # DT boot straight into the kernel: no firmware, no ACPI; QEMU puts a
    # kaslr-seed into /chosen, so KASLR is on.
    "basic": dict(boot="dt", mem="1G", kaslr=True),
    # UEFI + ACPI (the GED device announces the dimms); nokaslr keeps the
    # physical layout of this scenario and its injected twin identical.
    "hotplug": dict(boot="uefi", mem="1G,slots=4,maxmem=4G", kaslr=False, setup="hotplug"),
    "e": dict(boot="uefi", mem="1G,slots=4,maxmem=4G", kaslr=False, setup="hotplug",
              inject="e", twin="hotplug"),
    # Debian 13's arm64 kernels are built with VA_BITS=52 + LPA2 (4K pages):
    # on -cpu max (FEAT_LPA2) they run 52-bit with 5 translation levels; on a
    # CPU without LPA2 they fall back to 48 bits at run time (vmcoreinfo still
    # says VA_BITS=52; TCR_EL1_T1SZ says 16).  This is the latter, as basic.
    "va48": dict(boot="dt", mem="1G", kaslr=True, cpu="max,pauth-impdef=on,lpa2=off"),
}
KINDS_OF = {"deb12": ("basic", "hotplug", "e"), "deb13": ("basic", "hotplug", "e", "va48")}


def scenarios():
    out = {}
    for f in FAMILIES:
        for k in KINDS_OF[f]:
            c = dict(KINDS[k], family=f)
            if c.get("twin"):
                c["twin"] = f"arm64-{f}-{c['twin']}"
            out[f"arm64-{f}-{k}"] = c
    return out


SCENARIOS = scenarios()

KALLSYMS_NAMES = [
    "_text", "_stext", "_etext", "_sdata", "_edata", "__bss_start", "_end", "swapper_pg_dir",
    "idmap_pg_dir", "init_task", "init_uts_ns", "jiffies_64", "mem_section", "vmcoreinfo_note",
    "panic", "sysrq_handle_crash", "stable_page_flags", "kpageflags_read", "memmap_init_range",
    "init_unavailable_range", "arch_add_memory", "arch_remove_memory", "vmemmap_populate",
    "vmemmap_free", "__create_pgd_mapping", "efi_init", "kallsyms_names", "__start_BTF",
    "__stop_BTF", "__per_cpu_offset", "start_kernel", "kaslr_early_init",
]
# Data symbols (Debian's arm64 kernels lack KALLSYMS_ALL): nm of the vmlinux
# plus the kernel offset.
NM_NAMES = ["_text", "_stext", "_end", "init_mm", "memstart_addr", "kimage_voffset", "memblock", "mem_section",
            "node_data", "swapper_pg_dir", "vabits_actual", "max_pfn", "min_low_pfn",
            "init_task", "jiffies_64", "init_uts_ns", "vmcoreinfo_note", "contig_page_data"]
VMCOREINFO_KEYS = ["OSRELEASE", "PAGESIZE", "KERNELOFFSET", "NUMBER(VA_BITS)",
                   "NUMBER(kimage_voffset)", "NUMBER(PHYS_OFFSET)", "NUMBER(KERNELPACMASK)",
                   "NUMBER(TCR_EL1_T1SZ)", "NUMBER(MODULES_VADDR)", "NUMBER(MODULES_END)",
                   "NUMBER(VMALLOC_START)", "NUMBER(VMALLOC_END)", "NUMBER(VMEMMAP_START)",
                   "NUMBER(VMEMMAP_END)", "NUMBER(SECTION_SIZE_BITS)", "NUMBER(MAX_PHYSMEM_BITS)",
                   "SIZE(page)", "SYMBOL(swapper_pg_dir)", "SYMBOL(mem_section)",
                   "SYMBOL(_stext)", "BUILD-ID"]


def nm_symbols(vmlinux, names):
    want = set(names)
    out = subprocess.run(["nm", vmlinux], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in want and f[2] not in syms:
            syms[f[2]] = int(f[0], 16)
    return syms


def parse_note(blob):
    """The VMCOREINFO ELF note (as /sys/kernel/vmcoreinfo locates it) -> text."""
    namesz, descsz, _ = struct.unpack_from("<III", blob, 0)
    off = 12 + ((namesz + 3) & ~3)
    name = blob[12:12 + namesz].rstrip(b"\0").decode()
    if name != "VMCOREINFO":
        raise StepError("vmcoreinfo", f"note name {name!r}")
    return blob[off:off + descsz].decode("ascii", "replace")


class Run:
    def __init__(self, a):
        self.a = a
        self.cfg = SCENARIOS[a.scenario]
        self.out = a.out
        self.truth = {"scenario": a.scenario, "arch": "aarch64", "kernel": self.cfg["family"]}

    # ---------------------------------------------------------------- boot
    def initramfs(self):
        path = os.path.join(self.out, "initrd.gz")
        argv = [sys.executable, os.path.join(LIB, "mkinitramfs.py"), path,
                "--busybox", os.path.join(self.a.kdir, "busybox"),
                "--moddir", os.path.join(self.a.kdir, "modules")]
        # modules built into this kernel need no insmod (6.12 has virtio built in)
        builtin = set()
        bf = os.path.join(self.a.kdir, "modules", "modules.builtin")
        if os.path.exists(bf):
            builtin = {os.path.basename(l.strip())[:-3].replace("-", "_") for l in open(bf)}
        for m in BASE_MODULES:
            if m not in builtin:
                argv += ["--module", m]
        if self.a.module:
            # also in the clean twin (not loaded there): the same initrd size
            # keeps the firmware's and the EFI stub's placements identical
            argv += ["--file", f"{self.a.module}:/vt/vt_arm64_inject.ko"]
        if subprocess.run(argv).returncode:
            raise StepError("initramfs", "mkinitramfs.py failed")
        return path

    def boot(self):
        initrd = self.initramfs()
        append = "console=ttyAMA0 panic=0 vtcmd=hvc0"
        if not self.cfg["kaslr"]:
            append += " nokaslr"
        uefi = self.cfg["boot"] == "uefi"
        if uefi:
            append += " efi=debug"        # the EFI memory map in the boot log
        o = self.out
        sock = tempfile.mkdtemp(prefix="vt-arm64-")   # unix socket paths <= 108 bytes
        self.sockdir = sock
        argv = [os.environ.get("VT_QEMU_ARM64", "qemu-system-aarch64"),
                "-nodefaults", "-display", "none", "-no-reboot",
                "-machine", "virt,acpi=" + ("on" if uefi else "off"), "-accel", "tcg",
                # pauth-impdef: QEMU's own PAC hash instead of QARMA5, several
                # times faster under TCG; the guest still has (and uses) PAC.
                "-cpu", self.cfg.get("cpu", "max,pauth-impdef=on"), "-smp", "2", "-m", self.cfg["mem"]]
        if uefi:
            argv += ["-bios", UEFI_FW]
        argv += ["-kernel", os.path.join(self.a.kdir, "vmlinuz"), "-initrd", initrd,
                 "-append", append, "-device", "vmcoreinfo",
                 "-serial", "file:" + os.path.join(o, "console.log"),
                 "-device", "virtio-serial-pci",
                 "-chardev", "socket,id=vtcmd,path=" + os.path.join(sock, "cmd.sock") + ",server=on,wait=off",
                 "-device", "virtconsole,chardev=vtcmd",
                 "-qmp", "unix:" + os.path.join(sock, "qmp.sock") + ",server=on,wait=off"]
        # recorded with the cache paths abstracted: KDIR (fetch.sh), OUT (the dump dir)
        self.truth["qemu_argv"] = [
            re.sub(r"(path=|file:|unix:)[^,]*", r"\1...", a)
            if a.startswith(("file:", "socket,", "unix:")) else
            a.replace(os.path.abspath(self.a.kdir), "KDIR").replace(os.path.abspath(o), "OUT")
            for a in argv]
        self.vm = qemu.VM(argv, o, os.path.join(sock, "qmp.sock"), os.path.join(sock, "cmd.sock"),
                          boot_timeout=300)
        self.g = self.vm.guest

    # ------------------------------------------------------------- helpers
    def kallsyms(self, names):
        pat = "|".join(names)
        out = self.g.run(f"grep -E ' ({pat})$' /proc/kallsyms", step="read kallsyms")
        syms = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3:
                syms.setdefault(f[2], (int(f[0], 16), f[1]))
        return syms

    def hmp(self, line, cpu=None):
        args = {"command-line": line}
        if cpu is not None:
            args["cpu-index"] = cpu
        return self.vm.qmp.cmd("human-monitor-command", args, step="hmp " + line.split()[0])

    def wait_guest(self, cond, timeout, step):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.g.run(cond + " && echo yes || echo no", step=step).strip().endswith("yes"):
                return
            time.sleep(0.3)
        raise StepError(step, f"timed out after {timeout}s waiting for: {cond}")

    def memory_blocks(self):
        out = self.g.run("for d in /sys/devices/system/memory/memory*; do "
                         "echo \"${d##*/memory} $(cat $d/state) $(cat $d/phys_index) "
                         "$(cat $d/valid_zones 2>/dev/null)\"; done", step="read memory blocks")
        blocks = []
        for line in out.splitlines():
            f = line.split(None, 3)
            blocks.append({"index": int(f[0]), "state": f[1], "phys_index": hex(int(f[2], 16)),
                           "valid_zones": f[3] if len(f) > 3 else ""})
        return sorted(blocks, key=lambda b: b["index"])

    def block_size(self):
        return int(self.g.run("cat /sys/devices/system/memory/block_size_bytes"), 16)

    def read_vmcoreinfo(self):
        """The guest's own VMCOREINFO note, located by /sys/kernel/vmcoreinfo
        and read from guest-physical memory by QEMU (pmemsave), before the panic."""
        pa, size = (int(x, 16) for x in self.g.run("cat /sys/kernel/vmcoreinfo").split())
        path = os.path.join(self.out, "vmcoreinfo.note")
        self.vm.qmp.cmd("pmemsave", {"val": pa, "size": size, "filename": path},
                        step="pmemsave vmcoreinfo")
        text = parse_note(open(path, "rb").read())
        os.unlink(path)
        kv = {}
        for line in text.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                kv[k] = v
        return pa, size, kv

    # ------------------------------------------------------------ hotplug
    def add_dimm(self, n, size, addr=None):
        q = self.vm.qmp
        q.cmd("object-add", {"qom-type": "memory-backend-ram", "id": f"mem{n}", "size": size},
              step=f"hotplug: object-add mem{n}")
        args = {"driver": "pc-dimm", "id": f"dimm{n}", "memdev": f"mem{n}"}
        if addr is not None:
            args["addr"] = addr
        q.cmd("device_add", args, step=f"hotplug: device_add dimm{n}")
        for d in q.cmd("query-memory-devices"):
            if d["data"].get("id") == f"dimm{n}":
                start, sz = d["data"]["addr"], d["data"]["size"]
                break
        else:
            raise StepError("hotplug", f"dimm{n} not in query-memory-devices")
        blocks = list(range(start // self.bs, (start + sz) // self.bs))
        self.wait_guest(" && ".join(f"[ -e /sys/devices/system/memory/memory{b} ]" for b in blocks),
                        60, f"hotplug: guest sees dimm{n} blocks (ACPI GED)")
        return start, sz, blocks

    def set_blocks(self, blocks, state, step):
        for b in blocks:
            self.g.run(f"echo {state} > /sys/devices/system/memory/memory{b}/state",
                       timeout=120, step=f"{step}: memory{b} {state}")

    def setup_hotplug(self):
        # 6.12's Debian config onlines hot-added memory itself (6.1's leaves it
        # offline): make both behave alike, we online the blocks by hand
        aob = "/sys/devices/system/memory/auto_online_blocks"
        self.auto_online_default = self.g.run(f"cat {aob}").strip()
        self.g.run(f"echo offline > {aob}", step="hotplug: auto_online_blocks=offline")
        n0 = int(self.g.run("dmesg | wc -l").strip())
        s1, z1, b1 = self.add_dimm(1, DIMM_SIZE)
        log(f"dimm1 at 0x{s1:x} size 0x{z1:x} blocks {b1}")
        self.set_blocks(b1, "online_movable", "hotplug: online dimm1")
        self.set_blocks(b1, "offline", "hotplug: offline dimm1")
        self.vm.qmp.cmd("device_del", {"id": "dimm1"}, step="hotplug: device_del dimm1")
        self.vm.qmp.wait_event("DEVICE_DELETED", 60, "hotplug: wait DEVICE_DELETED dimm1",
                               pred=lambda e: e.get("data", {}).get("device") == "dimm1")
        self.wait_guest(" && ".join(f"[ ! -e /sys/devices/system/memory/memory{b} ]" for b in b1),
                        60, "hotplug: dimm1 blocks vanish in the guest")
        self.vm.qmp.cmd("object-del", {"id": "mem1"}, step="hotplug: object-del mem1")
        # dimm2 right after dimm1's range, so the two differ; stays online
        s2, z2, b2 = self.add_dimm(2, DIMM_SIZE, addr=s1 + z1)
        log(f"dimm2 at 0x{s2:x} size 0x{z2:x} blocks {b2}")
        self.set_blocks(b2, "online_movable", "hotplug: online dimm2")
        self.truth["hotplug"] = {
            "auto_online_blocks_default": self.auto_online_default,
            "removed": {"id": "dimm1", "start": hex(s1), "size": hex(z1), "blocks": b1},
            "present": {"id": "dimm2", "start": hex(s2), "size": hex(z2), "blocks": b2,
                        "state": "online_movable"},
            # the kernel's messages during the sequence
            "log": [re.sub(r"^\[\s*[0-9.]+\]\s*", "", ln) for ln in self.g.run(
                f"dmesg | tail -n +{n0 + 1}").splitlines()],
        }

    # ------------------------------------------------------------- inject
    def pick_e_pfns(self):
        """PG_reserved pfns in an early, online section: the hole at the start
        (or between) the firmware's memory ranges inside a section that also
        holds memory. Since v5.12 such hole pages are initialised as reserved
        (init_unavailable_range: 'N pages in unavailable ranges'). Take the
        last 16 pfns of the first hole (right below memory)."""
        out = self.g.run("dmesg | grep -E 'node +[0-9]+: \\[mem '", step="inject: memory ranges")
        ranges = sorted((int(m.group(1), 16), int(m.group(2), 16) + 1)
                        for m in re.finditer(r"\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]", out))
        sec = 1 << self.section_bits
        holes = []
        prev_end = None
        for s, e in ranges:
            lo = s & ~(sec - 1) if prev_end is None or prev_end <= (s & ~(sec - 1)) else prev_end
            if lo < s:
                holes.append((lo, s))
            prev_end = e
        if not holes:
            return None
        lo, hi = holes[0]
        n = min(16, (hi - lo) >> 12)
        first = (hi >> 12) - n
        return {"pfn_first": hex(first), "count": n, "hole": [hex(lo), hex(hi - 1)],
                "section": first >> (self.section_bits - 12),
                "why": "hole below the first firmware memory range of its section "
                       "(boot log 'node 0: [mem ...]'); PG_reserved since v5.12"}

    def setup_inject(self):
        c = self.e_candidate
        if not c:
            raise StepError("inject", "no hole pfns in an early section (see truth.boot_memory_log)")
        ins = f"insmod /vt/vt_arm64_inject.ko mode=e pfn_start={c['pfn_first']} pfn_count={c['count']}"
        try:
            self.g.run(ins, step=f"inject: {ins}")
        except StepError as e:
            tail = self.g.run("dmesg | tail -5", check=False)
            raise StepError(e.step, f"{e.msg}\nguest dmesg:\n{tail}")
        line = self.g.run("dmesg | grep 'VT-INJECT {' | tail -1", step="inject: read log line")
        line = line[line.index("VT-INJECT "):]
        inj = json.loads(line[len("VT-INJECT "):])
        inj["log"] = line
        inj["insmod"] = ins
        inj["choice"] = c
        self.truth["injection"] = inj
        log("injected: " + line)

    # --------------------------------------------------------------- truth
    def record(self):
        g, t = self.g.run, self.truth
        t["kernel_release"] = g("uname -r").strip()
        t["cmdline"] = g("cat /proc/cmdline").strip()
        t["boot"] = "uefi-acpi" if self.cfg["boot"] == "uefi" else "dt"
        t["kaslr"] = self.cfg["kaslr"]
        t["iomem"] = g("cat /proc/iomem").splitlines()
        t["memory_block_size"] = hex(self.bs)
        t["memory_blocks"] = self.memory_blocks()
        t["zoneinfo"] = g("cat /proc/zoneinfo", step="read zoneinfo") + "\n"
        t["modules"] = g("cat /proc/modules").splitlines()
        t["boot_memory_log"] = [re.sub(r"^\[\s*[0-9.]+\]\s*", "", ln) for ln in g(
            "dmesg | grep -E 'efi: |Zone ranges|DMA|Normal|Movable|Device|Early memory|node +[0-9]+:|"
            "unavailable|Initmem|NUMA|cma:|Memory:|Reserved memory|reserved mem|Machine model|"
            "KASLR|Kernel Offset|PHYS_OFFSET|CPU features: detected'").splitlines()]
        if self.cfg["boot"] == "dt":
            t["dt_chosen"] = {p: g(f"od -An -v -tx1 /proc/device-tree/chosen/{p} 2>/dev/null "
                                   f"| tr -d ' \\n'; echo").strip() or None
                              for p in ("kaslr-seed", "rng-seed")}
            # QEMU's virt board writes a random /chosen/kaslr-seed (and rng-seed)
            # into the DTB it generates; the kernel zeroes kaslr-seed once used.
            t["kaslr_seed"] = "DT /chosen/kaslr-seed written by QEMU virt" if self.cfg["kaslr"] else None
        else:
            t["kaslr_seed"] = None    # nokaslr (EFI_RNG would seed it under UEFI)

        ksyms = self.ksyms
        sample = [{"name": n, "addr": hex(a), "type": ty} for n, (a, ty) in sorted(ksyms.items())]
        names = set(ksyms)
        total = int(g("wc -l < /proc/kallsyms").strip())
        step = max(1, total // 70)
        for line in g(f"awk 'NR % {step} == 0 && NF == 3' /proc/kallsyms", step="kallsyms sample").splitlines():
            a, ty, n = line.split()
            if n not in names:
                names.add(n)
                sample.append({"name": n, "addr": hex(int(a, 16)), "type": ty})
        t["kallsyms_sample"] = sample
        t["data_symbols"] = {n: hex(a + self.kernel_offset) for n, a in sorted(self.nm.items())
                             if n not in ("_text", "_stext", "_end")}

        vi = self.vmcoreinfo
        t["vmcoreinfo"] = {"paddr": hex(self.vi_pa), "size": hex(self.vi_size),
                           "lines": {k: vi[k] for k in VMCOREINFO_KEYS if k in vi}}
        num = lambda k: int(vi[k], 16) if vi[k].startswith("0x") else int(vi[k])  # noqa: E731
        t["layout"] = {
            "page_shift": self.page_shift, "va_bits": self.va_bits,
            "va_bits_runtime": self.va_bits_rt, "lpa2": self.va_bits_rt > 48,
            "translation_levels": 5 if self.va_bits_rt > 48 else 4,
            "page_offset": hex(self.page_offset), "phys_offset": hex(self.phys_offset),
            "kimage_voffset": hex(num("NUMBER(kimage_voffset)")),
            "kernel_offset": hex(self.kernel_offset),
            "vmcoreinfo_kerneloffset": hex(int(vi.get("KERNELOFFSET", "0"), 16)),
            "vmemmap_start": hex(num("NUMBER(VMEMMAP_START)")),
            "vmemmap": hex(self.vmemmap), "struct_page_size": self.struct_page_size,
            "section_size_bits": self.section_bits,
            "vmalloc_start": hex(num("NUMBER(VMALLOC_START)")),
            "modules_vaddr": hex(num("NUMBER(MODULES_VADDR)")),
            "tcr_el1_t1sz": hex(num("NUMBER(TCR_EL1_T1SZ)")),
            # the kernel image [_text, _end) (nm + kernel offset) and its physical start
            "kimage_text": hex(self.nm["_text"] + self.kernel_offset),
            "kimage_end": hex(self.nm["_end"] + self.kernel_offset),
            "kimage_text_phys": hex((self.nm["_text"] + self.kernel_offset - num("NUMBER(kimage_voffset)")) % 2**64),
            "kernelpacmask": vi.get("NUMBER(KERNELPACMASK)"),
        }
        t["kaslr_verified"] = self.kernel_offset != 0
        if self.kernel_offset != int(vi.get("KERNELOFFSET", "0"), 16):
            raise StepError("truth", f"kallsyms-nm offset 0x{self.kernel_offset:x} != vmcoreinfo "
                            f"KERNELOFFSET={vi.get('KERNELOFFSET')}")
        if self.cfg["kaslr"] and not t["kaslr_verified"]:
            raise StepError("truth", "KASLR requested but _stext did not move")
        self.record_gva2gpa()

    def lin(self, pa):
        return (self.page_offset + (pa - self.phys_offset)) & (2**64 - 1)

    def el_of(self, cpu):
        out = self.hmp("info registers", cpu)
        m = re.search(r"PSTATE=([0-9a-f]+) \S+ (?:NS )?EL(\d)([th])", out)
        if not m:
            raise StepError("gva2gpa", f"cannot parse PSTATE of CPU {cpu}: {out[:300]!r}")
        return int(m.group(2)), int(m.group(1), 16)

    def record_gva2gpa(self):
        """QEMU's own translations (HMP gva2gpa), VM stopped, before the panic.
        gva2gpa uses the selected vCPU's current regime and permissions: a vCPU
        in EL1 for kernel addresses; user addresses only translate on a vCPU in
        EL0 running that very process (its TTBR0): the spinner process."""
        want = []
        ram = []
        for line in self.truth["iomem"]:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : System RAM", line)
            if m:
                ram.append((int(m.group(1), 16), int(m.group(2), 16)))
        pas = []
        for s, e in ram[:4]:
            pas += [s, (s + e) // 2 & ~0xfff, e & ~0xfff]
        pas = sorted(set(pas))[:7]
        for pa in pas:
            want.append(("linear", self.lin(pa)))
        for pa in pas:
            want.append(("vmemmap", self.vmemmap + (pa >> self.page_shift) * self.struct_page_size))
        hp = self.truth.get("hotplug")
        if hp:
            for k in ("removed", "present"):
                pa = int(hp[k]["start"], 16) + 0x1000
                want.append((f"linear-{k}-dimm", self.lin(pa)))
                want.append((f"vmemmap-{k}-dimm",
                             self.vmemmap + (pa >> self.page_shift) * self.struct_page_size))
        c = self.e_candidate
        if c:
            want.append(("vmemmap-e", self.vmemmap + int(c["pfn_first"], 16) * self.struct_page_size))
        for line in self.truth["modules"][:3]:
            want.append(("module", int(line.split()[5], 16)))
        vm = self.g.run("grep -E 'pages=[0-9]+ vmalloc' /proc/vmallocinfo | head -3",
                        step="read vmallocinfo")
        for line in vm.splitlines():
            want.append(("vmalloc", int(line.split("-")[0], 16)))
        for n in ("_stext", "start_kernel", "panic"):
            want.append(("kernel-text", self.ksyms[n][0]))
        for n in ("swapper_pg_dir", "init_mm", "init_task", "jiffies_64", "init_uts_ns"):
            if n in self.nm:
                want.append(("kernel-data", self.nm[n] + self.kernel_offset))

        user = self.spinner_addresses()
        res = []
        q = self.vm.qmp
        q.cmd("stop", step="gva2gpa: stop the vCPUs")
        try:
            cpu, pstate = self.cpu_at(1)
            for kind, va in want:
                out = self.hmp(f"gva2gpa 0x{va:x}", cpu).strip()
                pa = int(out.split()[1], 16) if out.startswith("gpa:") else None
                res.append({"va": hex(va), "pa": hex(pa) if pa is not None else None, "kind": kind})
            for e in res:
                if e["kind"] == "linear" and int(e["pa"] or "0", 16) != (int(e["va"], 16) - self.page_offset + self.phys_offset) & (2**64 - 1):
                    raise StepError("gva2gpa", f"CPU {cpu} translates linear {e['va']} to {e['pa']}")
            self.truth["gva2gpa_cpu"] = {"cpu_index": cpu, "pstate": hex(pstate), "el": 1}
            ucpu = None
            if user:
                try:
                    ucpu, upstate = self.cpu_at(0, tries=200)
                except StepError as e:
                    log(f"no vCPU in EL0: user addresses skipped ({e.msg})")
            uinfo = {"pid": self.spin_pid, "comm": "sh (busy loop)", "maps": self.spin_maps}
            if ucpu is not None:
                ures = []
                for kind, va in user:
                    out = self.hmp(f"gva2gpa 0x{va:x}", ucpu).strip()
                    pa = int(out.split()[1], 16) if out.startswith("gpa:") else None
                    ures.append({"va": hex(va), "pa": hex(pa) if pa is not None else None,
                                 "kind": kind, "pid": self.spin_pid})
                if not any(u["pa"] for u in ures if u["kind"] == "user-stack"):
                    log("the EL0 vCPU does not map the spinner's stack: user addresses skipped")
                    uinfo["skipped"] = "the vCPU in EL0 was not running the spinner"
                else:
                    res += ures
                    uinfo["cpu_index"] = ucpu
                    uinfo["pstate"] = hex(upstate)
            else:
                uinfo["skipped"] = "no vCPU caught in EL0"
            self.truth["gva2gpa_user"] = uinfo
        finally:
            q.cmd("cont", step="gva2gpa: resume the vCPUs")
        self.truth["gva2gpa"] = res

    def cpu_at(self, el, tries=50):
        """Called with the VM stopped: a vCPU at exception level el (resumes
        the VM briefly until one is)."""
        for _ in range(tries):
            for cpu in (0, 1):
                e, pstate = self.el_of(cpu)
                if e == el:
                    return cpu, pstate
            self.vm.qmp.cmd("cont")
            time.sleep(0.02)
            self.vm.qmp.cmd("stop")
        raise StepError("gva2gpa", f"no vCPU at EL{el} after {tries} tries")

    def start_spinner(self):
        out = self.g.run("sh -c 'while :; do :; done' < /dev/null > /dev/null 2>&1 & echo $!",
                         step="start the user-mode spinner")
        self.spin_pid = int(out.strip().splitlines()[-1])
        time.sleep(0.5)
        maps = self.g.run(f"cat /proc/{self.spin_pid}/maps", step="spinner maps").splitlines()
        self.spin_maps = maps

    def spinner_addresses(self):
        user = []
        for line in self.spin_maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            name = f[5] if len(f) > 5 else ""
            if name == "[stack]":
                user[:0] = [("user-stack", hi - 0x1000), ("user-stack", hi - 0x2000)]
            elif name == "[heap]":
                user.append(("user-heap", lo))
            elif name.startswith("[v"):       # [vdso], [vvar]
                user.append(("user-" + name.strip("[]"), lo))
            elif "x" in f[1]:
                user.append(("user-text", lo))
            else:
                user.append(("user-data", lo))
        return user[:8]

    # ---------------------------------------------------------- panic, dump
    def panic_and_dump(self):
        self.g.send_nowait("sh -c 'echo \"@@VT-PANICPID $$\"; echo c > /proc/sysrq-trigger'")
        while True:
            line = self.g.readline(30, "panic: read panic pid")
            if line.startswith("@@VT-PANICPID"):
                self.truth["panic_pid"] = int(line.split()[1])
                break
        # No pvpanic in Debian's arm64 kernels (CONFIG_PVPANIC unset): wait for
        # the end of the panic message on the console (panic=0: the kernel then
        # spins in panic()), then stop the VM.
        con = os.path.join(self.out, "console.log")
        deadline = time.monotonic() + 60
        while "---[ end Kernel panic" not in open(con, errors="replace").read():
            if time.monotonic() > deadline:
                raise StepError("wait-panic", "no '---[ end Kernel panic' on the console within 60s")
            if self.vm.proc.poll() is not None:
                raise StepError("wait-panic", f"QEMU exited with {self.vm.proc.returncode}")
            time.sleep(0.2)
        time.sleep(0.5)
        self.vm.qmp.cmd("stop", step="stop after the panic")
        o = self.out
        self.vm.dump(os.path.join(o, "vmcore.elf"))
        self.vm.dump(os.path.join(o, "vmcore.qemu-kdump.flat"), fmt="kdump-zlib")
        self.vm.quit()

    def main(self):
        t0 = time.monotonic()
        self.sockdir = None
        self.nm = nm_symbols(os.path.join(self.a.kdir, "vmlinux"), NM_NAMES)
        try:
            self.boot()
            self.ksyms = self.kallsyms(KALLSYMS_NAMES)
            self.kernel_offset = self.ksyms["_stext"][0] - self.nm["_stext"]
            self.vi_pa, self.vi_size, self.vmcoreinfo = self.read_vmcoreinfo()
            vi = self.vmcoreinfo
            self.page_shift = int(vi["PAGESIZE"]).bit_length() - 1
            self.va_bits = int(vi["NUMBER(VA_BITS)"])
            # PAGE_OFFSET follows the configured VA_BITS; the live TTBR1 range
            # is 64 - TCR_EL1.T1SZ bits (48 when a VA_BITS=52 kernel runs on a
            # CPU without LPA2: memstart_addr is then moved instead)
            self.page_offset = (-(1 << self.va_bits)) & (2**64 - 1)
            self.va_bits_rt = 64 - int(vi["NUMBER(TCR_EL1_T1SZ)"], 16)
            self.phys_offset = int(vi["NUMBER(PHYS_OFFSET)"], 16) & (2**64 - 1)
            self.struct_page_size = int(vi["SIZE(page)"])
            self.section_bits = int(vi["NUMBER(SECTION_SIZE_BITS)"])
            # arm64: vmemmap = (struct page *)VMEMMAP_START - (memstart_addr >> PAGE_SHIFT)
            # (memstart_addr is an s64: negative when a VA_BITS=52 kernel runs
            # with 48-bit VAs, and the shift is arithmetic)
            ms = self.phys_offset - 2**64 if self.phys_offset >= 2**63 else self.phys_offset
            self.vmemmap = (int(vi["NUMBER(VMEMMAP_START)"], 16)
                            - (ms >> self.page_shift) * self.struct_page_size) & (2**64 - 1)
            self.bs = self.block_size()
            if self.cfg.get("setup") == "hotplug":
                self.setup_hotplug()
            self.e_candidate = self.pick_e_pfns()
            self.truth["e_candidate"] = self.e_candidate
            self.truth["injection"] = None
            if self.cfg.get("inject"):
                self.setup_inject()
            self.truth["twin"] = self.cfg.get("twin")
            self.start_spinner()
            self.record()
            self.panic_and_dump()
        except BaseException:
            if getattr(self, "vm", None):
                self.vm.kill()
            raise
        finally:
            if self.sockdir:
                shutil.rmtree(self.sockdir, ignore_errors=True)
        with open(os.path.join(self.out, "truth.json"), "w") as f:
            json.dump(self.truth, f, indent=1)
            f.write("\n")
        log(f"{self.a.scenario}: guest run done in {time.monotonic() - t0:.1f}s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--module")
    a = ap.parse_args()
    if SCENARIOS[a.scenario].get("inject") and not a.module:
        ap.error("--module is required for " + a.scenario)
    try:
        Run(a).main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
