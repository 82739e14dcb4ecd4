"""x86_64 part of the guest runner (testdata/lib/run_guest.py).

Scenarios x86-[FAMILY-]KIND: one family's pinned Debian cloud kernel
(FAMILY deb11 | deb12 (plain names) | deb13 | sid; KIND basic | hotplug |
pmem | b-latent | b-conflict | e) on `-machine pc -cpu max,la57=off`;
states: memory hotplug, a pmem namespace, the vtinject module.  QEMU pauses
on pvpanic after the panic and writes
  vmcore.elf               dump-guest-memory, paging: false
  vmcore.elf-paging        dump-guest-memory, paging: true
  vmcore.qemu-kdump.flat   dump-guest-memory, format kdump-zlib (flattened)
"""
import os
import re

from qemu import StepError, log
from run_guest import GuestRun, strip_stamp

PMEM_MODULES = ["nd_e820", "nd_pmem"]

# Kernel families (testdata/pins.sh VT_X86_FAMILIES): what differs per kernel.
#   modules  loaded at boot: qemu_fw_cfg (VMCOREINFO for -device vmcoreinfo)
#            and the driver of QEMU's ISA pvpanic device (ACPI QEMU0001):
#            5.10 has one "pvpanic" module; 5.12+ split it into a core
#            pvpanic module (loaded as a dependency) + pvpanic-mmio / -pci
#   prefix   scenario-name prefix (deb12 keeps the original plain names)
KERNELS = {
    "deb11": dict(modules=["qemu_fw_cfg", "pvpanic"], prefix="x86-deb11-"),
    "deb12": dict(modules=["qemu_fw_cfg", "pvpanic_mmio"], prefix="x86-"),
    "deb13": dict(modules=["qemu_fw_cfg", "pvpanic_mmio"], prefix="x86-deb13-"),
    "sid": dict(modules=["qemu_fw_cfg", "pvpanic_mmio"], prefix="x86-sid-"),
}

# Scenario kinds (every family gets each): memory option, KASLR, extra kernel
# parameters, what to do; twin is the kind of the clean twin.
KINDS = {
    "basic": dict(mem="1G", kaslr=False),
    "hotplug": dict(mem="1G,slots=4,maxmem=4G", kaslr=True, setup="hotplug"),
    "pmem": dict(mem="2G", kaslr=False, append="memmap=128M!768M", setup="pmem",
                 modules=PMEM_MODULES),
    "b-latent": dict(mem="1G", kaslr=False, inject="b-latent", twin="basic"),
    "b-conflict": dict(mem="1G", kaslr=False, inject="b-conflict", twin="basic"),
    "e": dict(mem="1G", kaslr=False, inject="e", twin="basic"),
}

STRUCT_PAGE_SIZE = 64  # SIZE(page) in this kernel's vmcoreinfo
KALLSYMS_NAMES = [
    "_stext", "_etext", "_sdata", "_edata", "__bss_start", "_end", "init_top_pgt",
    "init_mm", "init_task", "init_uts_ns", "jiffies_64", "page_offset_base",
    "vmemmap_base", "vmalloc_base", "mem_section", "node_data", "pgd_list",
    "e820_table", "e820_table_firmware", "vmcoreinfo_note", "panic", "sysrq_handle_crash",
    "__per_cpu_offset", "kallsyms_names", "__start_BTF", "__stop_BTF", "phys_base",
    "max_pfn", "contig_page_data", "swapper_pg_dir",
]
KERNEL_BASE = 0xffffffff81000000     # _stext without KASLR


def parse_kv(line):
    """'vtinject: mode=e pfn=0x3ffe0 npfn=16' -> dict (decimal -> int)."""
    out = {}
    for tok in line.split():
        if "=" not in tok:
            continue
        k, v = tok.split("=", 1)
        out[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    return out


class Run(GuestRun):
    ARCH = "x86_64"
    QEMU_BIN = ("VT_QEMU_X86", "qemu-system-x86_64")
    MACHINE, CPU = "pc", "max,la57=off"
    DEVICES = ["-device", "vmcoreinfo", "-device", "pvpanic", "-action", "panic=pause"]
    CONSOLE = ["-serial", "file:{con}"]
    CMDCHAN = ["-chardev", "{chardev}", "-serial", "chardev:vtcmd"]
    PANIC_WAIT = "pvpanic"
    DUMPS = [("vmcore.elf", "elf", False), ("vmcore.elf-paging", "elf", True),
             ("vmcore.qemu-kdump.flat", "kdump-zlib", False)]

    def parse(self, scen):
        # the longest family prefix that leaves a known kind
        for fam, k in sorted(KERNELS.items(), key=lambda kv: -len(kv[1]["prefix"])):
            if scen.startswith(k["prefix"]) and scen[len(k["prefix"]):] in KINDS:
                self.family, self.kind = fam, scen[len(k["prefix"]):]
                break
        else:
            raise SystemExit(f"run_guest.py: unknown x86 scenario {scen}")
        self.cfg = KINDS[self.kind]
        self.kern = KERNELS[self.family]

    def needs_module(self):
        return bool(self.cfg.get("inject"))

    def initramfs_spec(self):
        files = [f"{self.a.module}:/vt/vtinject.ko"] if self.cfg.get("inject") else []
        return ("/bin/busybox", os.path.join(self.a.kdir, "modules"),
                self.kern["modules"] + self.cfg.get("modules", []), files)

    def append(self):
        append = "console=ttyS0 panic=0 vtcmd=ttyS1"
        if not self.cfg["kaslr"]:
            append += " nokaslr"
        if self.cfg.get("append"):
            append += " " + self.cfg["append"]
        return append

    def scenario(self):
        if self.a.toolchain:
            self.truth["toolchain"] = self.a.toolchain
        self.boot()
        self.bs = self.block_size()
        setup = self.cfg.get("setup")
        if setup == "hotplug":
            self.setup_hotplug()
        elif setup == "pmem":
            self.setup_pmem()
        self.truth["injection"] = None
        if self.cfg.get("inject"):
            self.setup_inject(self.cfg["inject"])
        twin = self.cfg.get("twin")
        self.truth["twin"] = self.kern["prefix"] + twin if twin else None
        self.record()

    # ------------------------------------------------------------ scenarios
    def setup_hotplug(self):
        auto, (s1, z1, b1), (s2, z2, b2) = self.hotplug_movable(256 << 20)
        self.truth["hotplug"] = {
            "auto_online_blocks": auto,
            "removed": {"start": hex(s1), "size": hex(z1), "blocks": b1},
            "present": {"start": hex(s2), "size": hex(z2), "blocks": b2, "state": "online_movable"},
        }

    def setup_pmem(self):
        """fsdax on the memmap=! range, via sysfs (what ndctl create-namespace
        -m fsdax does): unbind the raw namespace, configure the region's seed
        pfn device (uuid, namespace, mode) and bind it to nd_pmem."""
        nd = "/sys/bus/nd/devices"
        self.wait_guest(f"[ -e {nd}/namespace0.0 ]", 30, "pmem: namespace0.0 appears")
        g = self.g.run
        g("echo namespace0.0 > /sys/bus/nd/drivers/nd_pmem/unbind", step="pmem: unbind namespace0.0")
        pfn = g(f"cat {nd}/region0/pfn_seed", step="pmem: pfn_seed").strip()
        p = f"{nd}/{pfn}"
        g(f"cat /proc/sys/kernel/random/uuid > {p}/uuid", step="pmem: write uuid")
        g(f"echo pmem > {p}/mode", step="pmem: mode=pmem (memmap in the device)")
        g(f"echo namespace0.0 > {p}/namespace", step="pmem: attach namespace")
        g(f"echo {pfn} > /sys/bus/nd/drivers/nd_pmem/bind", step=f"pmem: bind {pfn}")
        self.wait_guest("[ -b /dev/pmem0 ]", 30, "pmem: /dev/pmem0 appears")
        info = {}
        for k in ("uuid", "mode", "align", "resource", "size"):
            info[k] = g(f"cat {p}/{k} 2>/dev/null || true", step=f"pmem: read {k}").strip()
        ns = g(f"cat {nd}/namespace0.0/resource {nd}/namespace0.0/size", step="pmem: ns range").split()
        self.truth["pmem"] = {
            "mode": "fsdax", "device": pfn, "namespace": "namespace0.0",
            "start": hex(int(ns[0], 16)), "size": hex(int(ns[1])),
            "pfn_device": info,
            "memmap": "pmem" if info.get("mode") == "pmem" else info.get("mode"),
        }

    def setup_inject(self, mode):
        ins = "insmod /vt/vtinject.ko mode=" + mode
        if mode.startswith("b-"):
            pid = self.start_process("sleep 100000", "inject: start sleep")
            kpgd = self.kallsyms(["init_top_pgt"])["init_top_pgt"][0]
            ins += f" pid={pid} kpgd=0x{kpgd:x}"
        else:
            start, npfn = self.pick_e_pfns()
            ins += f" pfn=0x{start:x} npfn={npfn}"
        self.insmod(ins)
        line = self.module_log("vtinject: mode=")
        self.truth["injection"] = parse_kv(line)
        self.truth["injection"]["log"] = line
        log("injected: " + line)

    def pick_e_pfns(self):
        """First e820 'reserved' range below 4 GiB that directly follows a
        'usable' one (the tail above the last RAM page): its pfns are
        PG_reserved and lie in an early, online section."""
        out = self.g.run("dmesg | grep 'BIOS-e820: \\[mem'", step="inject: e820")
        prev = None
        for line in out.splitlines():
            # up to 6.x "usable" / "reserved"; 7.x (the e820 printing rework)
            # "System RAM" / "device reserved", and "[gap ...]" lines
            m = re.search(r"\[mem 0x([0-9a-f]+)-0x([0-9a-f]+)\]\s+(.*\S)", line)
            if not m:
                continue
            s, e = int(m.group(1), 16), int(m.group(2), 16)
            t = {"usable": "usable", "System RAM": "usable", "reserved": "reserved",
                 "device reserved": "reserved"}.get(m.group(3), m.group(3))
            if t == "reserved" and prev == "usable" and s < (1 << 32) and s >= (1 << 20):
                npfn = min(16, (e + 1 - s) >> 12)
                return s >> 12, npfn
            prev = t
        raise StepError("inject: e820", "no reserved range after usable RAM below 4 GiB")

    # --------------------------------------------------------------- truth
    def record(self):
        g, t = self.g.run, self.truth
        self.record_basics(after_cmdline=[("kaslr", self.cfg["kaslr"])])
        t["e820"] = [strip_stamp(ln) for ln in
                     g("dmesg | grep -E 'e820|BIOS-e820|user:'").splitlines()]
        self.record_modules()

        syms = self.kallsyms(KALLSYMS_NAMES)
        t["kallsyms_sample"] = self.kallsyms_sample(syms, 997)

        # Layout values, read by QEMU from guest memory.
        rd = self.vm.read_u64
        lay = {k: hex(rd(syms[k][0])) for k in ("page_offset_base", "vmemmap_base", "vmalloc_base")}
        lay["phys_base"] = hex(rd(syms["phys_base"][0]))
        lay["kernel_offset"] = hex(syms["_stext"][0] - KERNEL_BASE)
        t["layout"] = lay
        t["kaslr_verified"] = syms["_stext"][0] != KERNEL_BASE
        self.record_gva2gpa(syms, int(lay["page_offset_base"], 16), int(lay["vmemmap_base"], 16))

    def record_gva2gpa(self, syms, pob, vmb):
        """QEMU's own translations (HMP gva2gpa on CPU 0, which idles in the
        kernel with a kernel CR3) of ~20 addresses of each kind."""
        want = []
        pas = []
        for s, e in self.ram_ranges()[:4]:
            pas += [s + 0x1000 if e - s > 0x2000 else s, (s + e) // 2 & ~0xfff, e & ~0xfff]
        for pa in sorted(set(pas))[:7]:
            want.append(("directmap", pob + pa))
        for pa in sorted(set(pas))[:7]:
            want.append(("vmemmap", vmb + (pa >> 12) * STRUCT_PAGE_SIZE))
        inj = self.truth.get("injection") or {}
        if "page" in inj:
            want.append(("vmemmap", int(inj["page"], 16)))
        # scenario ranges: hot-(un)plugged dimms, the pmem device; a removed
        # dimm's direct map and vmemmap are expected to be unmapped (pa null)
        ranges = []
        hp = self.truth.get("hotplug")
        if hp:
            ranges += [int(hp["removed"]["start"], 16), int(hp["present"]["start"], 16)]
        if self.truth.get("pmem"):
            ranges += [int(self.truth["pmem"]["pfn_device"]["resource"], 16)]
        for pa in ranges:
            want.append(("directmap", pob + pa + 0x1000))
            want.append(("vmemmap", vmb + ((pa >> 12) + 1) * STRUCT_PAGE_SIZE))
        want += [("vmalloc-module", va) for va in self.module_bases()]
        want += [("vmalloc", va) for va in self.vmalloc_areas(3)]
        for n in ("_stext", "init_top_pgt", "init_task", "jiffies_64"):
            want.append(("kernel-image", syms[n][0]))
        self.truth["gva2gpa"] = self.translate(want)
