"""arm64 (QEMU virt) part of the guest runner (testdata/lib/run_guest.py).

Scenarios arm64-FAMILY-KIND: the pinned Debian cloud-arm64 kernel (KDIR from
fetch.sh) on `-M virt -cpu max`, booted either directly (-kernel, device
tree, no firmware) or through UEFI firmware (qemu-efi-aarch64's QEMU_EFI.fd
loading the same -kernel from fw_cfg; ACPI, needed for pc-dimm hotplug).
States: memory hotplug, the class E injection; the command console is a
virtconsole (hvc0).  There is no pvpanic driver in Debian's arm64 kernels:
the console is watched for the end of the panic message, then the VM is
stopped.  Writes
  vmcore.elf               dump-guest-memory, paging: false
  vmcore.qemu-kdump.flat   dump-guest-memory, format kdump-zlib (flattened)
gen.sh does the makedumpfile conversions afterwards.
"""
import os
import re
import struct

from qemu import StepError, log
from run_guest import GuestRun, nm_symbols, strip_stamp

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


def parse_note(blob):
    """The VMCOREINFO ELF note (as /sys/kernel/vmcoreinfo locates it) -> text."""
    namesz, descsz, _ = struct.unpack_from("<III", blob, 0)
    off = 12 + ((namesz + 3) & ~3)
    name = blob[12:12 + namesz].rstrip(b"\0").decode()
    if name != "VMCOREINFO":
        raise StepError("vmcoreinfo", f"note name {name!r}")
    return blob[off:off + descsz].decode("ascii", "replace")



class Run(GuestRun):
    ARCH = "aarch64"
    QEMU_BIN = ("VT_QEMU_ARM64", "qemu-system-aarch64")
    DEVICES = ["-device", "vmcoreinfo"]
    CONSOLE = ["-serial", "file:{con}"]
    CMDCHAN = ["-device", "virtio-serial-pci", "-chardev", "{chardev}",
               "-device", "virtconsole,chardev=vtcmd"]
    PANIC_WAIT = "console"          # no pvpanic (CONFIG_PVPANIC unset)
    DUMPS = [("vmcore.elf", "elf", False), ("vmcore.qemu-kdump.flat", "kdump-zlib", False)]
    BOOT_TIMEOUT = 300

    def parse(self, scen):
        if scen not in SCENARIOS:
            raise SystemExit(f"run_guest.py: unknown arm64 scenario {scen} (known: {' '.join(sorted(SCENARIOS))})")
        self.cfg = SCENARIOS[scen]
        self.family = self.cfg["family"]

    def needs_module(self):
        return bool(self.cfg.get("inject"))

    def initramfs_spec(self):
        # modules built into this kernel need no insmod (6.12 has virtio built in)
        builtin = set()
        bf = os.path.join(self.a.kdir, "modules", "modules.builtin")
        if os.path.exists(bf):
            builtin = {os.path.basename(l.strip())[:-3].replace("-", "_") for l in open(bf)}
        # the module also in the clean twin (not loaded there): the same initrd
        # size keeps the firmware's and the EFI stub's placements identical
        files = [f"{self.a.module}:/vt/vt_arm64_inject.ko"] if self.a.module else []
        return (os.path.join(self.a.kdir, "busybox"), os.path.join(self.a.kdir, "modules"),
                [m for m in BASE_MODULES if m not in builtin], files)

    def append(self):
        append = "console=ttyAMA0 panic=0 vtcmd=hvc0"
        if not self.cfg["kaslr"]:
            append += " nokaslr"
        if self.cfg["boot"] == "uefi":
            append += " efi=debug"        # the EFI memory map in the boot log
        return append

    def machine(self):
        return "virt,acpi=" + ("on" if self.cfg["boot"] == "uefi" else "off")

    def cpu(self):
        # pauth-impdef: QEMU's own PAC hash instead of QARMA5, several
        # times faster under TCG; the guest still has (and uses) PAC.
        return self.cfg.get("cpu", "max,pauth-impdef=on")

    def firmware(self):
        return ["-bios", UEFI_FW] if self.cfg["boot"] == "uefi" else []

    def booted(self, argv):
        # recorded with the cache paths abstracted: KDIR (fetch.sh), OUT (the dump dir)
        self.truth["qemu_argv"] = [
            re.sub(r"(path=|file:|unix:)[^,]*", r"\1...", a)
            if a.startswith(("file:", "socket,", "unix:")) else
            a.replace(os.path.abspath(self.a.kdir), "KDIR").replace(os.path.abspath(self.out), "OUT")
            for a in argv]

    def scenario(self):
        self.nm = nm_symbols(os.path.join(self.a.kdir, "vmlinux"), NM_NAMES)
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
    def setup_hotplug(self):
        n0 = int(self.g.run("dmesg | wc -l").strip())
        auto, (s1, z1, b1), (s2, z2, b2) = self.hotplug_movable(DIMM_SIZE)
        self.auto_online_default = auto
        self.truth["hotplug"] = {
            "auto_online_blocks_default": self.auto_online_default,
            "removed": {"id": "dimm1", "start": hex(s1), "size": hex(z1), "blocks": b1},
            "present": {"id": "dimm2", "start": hex(s2), "size": hex(z2), "blocks": b2,
                        "state": "online_movable"},
            # the kernel's messages during the sequence
            "log": [strip_stamp(ln) for ln in self.g.run(
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
        inj = self.insmod_json(f"insmod /vt/vt_arm64_inject.ko mode=e pfn_start={c['pfn_first']} "
                               f"pfn_count={c['count']}")
        inj["choice"] = c
        self.truth["injection"] = inj

    # --------------------------------------------------------------- truth
    def record(self):
        g, t = self.g.run, self.truth
        self.record_basics(after_cmdline=[("boot", "uefi-acpi" if self.cfg["boot"] == "uefi" else "dt"),
                                          ("kaslr", self.cfg["kaslr"])])
        self.record_modules()
        t["boot_memory_log"] = [strip_stamp(ln) for ln in g(
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

        total = int(g("wc -l < /proc/kallsyms").strip())
        t["kallsyms_sample"] = self.kallsyms_sample(self.ksyms, max(1, total // 70))
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

    def record_gva2gpa(self):
        """QEMU's own translations (HMP gva2gpa), VM stopped, before the panic.
        gva2gpa uses the selected vCPU's current regime and permissions: a vCPU
        in EL1 for kernel addresses; user addresses only translate on a vCPU in
        EL0 running that very process (its TTBR0): the spinner process."""
        want = []
        pas = []
        for s, e in self.ram_ranges()[:4]:
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
        want += [("module", va) for va in self.module_bases()]
        want += [("vmalloc", va) for va in self.vmalloc_areas(3)]
        for n in ("_stext", "start_kernel", "panic"):
            want.append(("kernel-text", self.ksyms[n][0]))
        for n in ("swapper_pg_dir", "init_mm", "init_task", "jiffies_64", "init_uts_ns"):
            if n in self.nm:
                want.append(("kernel-data", self.nm[n] + self.kernel_offset))

        user = self.spinner_addresses()
        q = self.vm.qmp
        q.cmd("stop", step="gva2gpa: stop the vCPUs")
        try:
            cpu, pstate = self.cpu_at(1)
            res = self.translate(want, cpu)
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
                ures = self.translate(user, ucpu, pid=self.spin_pid)
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
        def test(regs, cpu):
            m = re.search(r"PSTATE=([0-9a-f]+) \S+ (?:NS )?EL(\d)([th])", regs)
            if not m:
                raise StepError("gva2gpa", f"cannot parse PSTATE of CPU {cpu}: {regs[:300]!r}")
            return int(m.group(1), 16) if int(m.group(2)) == el else None
        return self.cpu_where(test, f"at EL{el}", tries=tries, pause=0.02)

    def start_spinner(self):
        self.spin_pid = self.start_process("sh -c 'while :; do :; done'", "start the user-mode spinner")
        self.spin_maps = self.g.run(f"cat /proc/{self.spin_pid}/maps", step="spinner maps").splitlines()

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
