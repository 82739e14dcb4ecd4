"""ppc64le pseries part of the guest runner (testdata/lib/run_guest.py).

Scenarios ppc-STATE (kernel family deb12) or ppc-FAMILY-STATE, STATE one of
hotplug (the clean twin), a, c, d, e; KDIR (fetch.sh) has the kernel, its
family key and page_shift.  Boots the pinned Debian ppc64el kernel on
`-M pseries -cpu power9` (radix MMU), does the memory-hotplug sequence (two
pc-dimms added through QMP, pseries DLPAR onlines their LMBs; the first is
then removed with device_del), optionally loads testdata/ppc64/module
(classes A, C, D, E); the panic (sysrq-c) calls ibm,os-term and QEMU pauses
(-action panic=pause).  Writes
  vmcore.raw     dump-guest-memory (ELF, paging: false) exactly as QEMU 7.2
                 wrote it (big-endian headers/notes, no VMCOREINFO note)
  console.log    hvc0
gen.sh then runs fix-elf.py (-> vmcore.elf) and makedumpfile.
"""
import os
import re

from qemu import StepError
from run_guest import GuestRun, nm_symbols, strip_stamp

DIMM_SIZE = 512 << 20            # 2 LMBs of 256 MiB each
STRUCT_PAGE_SIZE = 64            # SIZE(page) in these kernels' vmcoreinfo (checked)
PAGE_OFFSET = 0xc000000000000000
STATES = {"hotplug": None, "a": "a", "c": "c", "d": "d", "e": "e"}
# Extra kernel parameters per family. DLPAR onlines the added LMBs into
# ZONE_NORMAL; on 6.12 (4 KiB pages: 2 of 4 tries) kernel allocations made
# after dimm1 came online (at pfn 0x5f000, 16 MiB below its end) pin it and
# the hot-remove of dimm1 fails ("page dumped because: unmovable page",
# "indexed-count-remove failed"): the 6.12 families online hot-added memory
# movable. 6.1 removed it in every run so far; its dumps stay as they were.
FAMILY_APPEND = {"deb12": ""}
DEFAULT_APPEND = "memhp_default_state=online_movable"

KALLSYMS_NAMES = [
    "_stext", "_etext", "start_kernel", "panic", "sysrq_handle_crash", "of_update_property",
    "dlpar_memory", "drmem_update_dt", "pte_fragment_free", "pmd_fragment_free",
    "remove_pagetable", "radix__remove_section_mapping", "vmemmap_free", "arch_remove_memory",
    "dlpar_remove_lmb", "stable_page_flags", "kpageflags_read", "__tlb_remove_table",
]
# Data symbols (not in kallsyms: no KALLSYMS_ALL): from the vmlinux with nm.
NM_NAMES = [
    "init_mm", "drmem_info", "of_root", "mem_section", "vmemmap", "init_task", "init_uts_ns",
    "vmcoreinfo_note", "swapper_pg_dir", "node_data", "memblock", "__pte_frag_nr",
    "__pte_frag_size_shift", "__pmd_frag_nr", "__pmd_frag_size_shift", "kexec_crash_image",
    "initial_boot_params", "_stext",
]


def parse_scenario(name):
    """ppc-STATE (deb12) or ppc-FAMILY-STATE -> (family, state, twin name)."""
    parts = name.split("-")
    if parts[0] != "ppc" or len(parts) not in (2, 3) or parts[-1] not in STATES:
        raise SystemExit(f"run_guest.py: unknown scenario {name}")
    fam = parts[1] if len(parts) == 3 else "deb12"
    twin = None if parts[-1] == "hotplug" else "-".join(parts[:-1] + ["hotplug"])
    return fam, parts[-1], twin


class Run(GuestRun):
    ARCH = "ppc64le"
    QEMU_BIN = (None, "qemu-system-ppc64")
    # TCG cannot provide the Spectre workarounds: say so instead of warning.
    # x-vof=on: QEMU's Virtual Open Firmware instead of SLOF boots to the
    # shell in ~4 s instead of ~10 s (DLPAR, RTAS, os-term work).
    MACHINE = "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,cap-ccf-assist=off"
    CPU = "power9"
    KERNEL_FILE = "boot-vmlinux"
    DEVICES = ["-action", "panic=pause"]
    CONSOLE = ["-chardev", "file,id=con,path={con}", "-device", "spapr-vty,chardev=con"]
    CMDCHAN = ["-chardev", "{chardev}", "-device", "spapr-vty,chardev=vtcmd"]
    PANIC_WAIT = "pvpanic"          # ibm,os-term: QEMU's panic action too
    DUMPS = [("vmcore.raw", "elf", False)]

    def parse(self, scen):
        fam, state, twin = parse_scenario(scen)
        kfam = open(os.path.join(self.a.kdir, "family")).read().strip()
        if kfam != fam:
            raise StepError("run-guest", f"{scen} wants kernel family {fam}, {self.a.kdir} is {kfam}")
        self.cfg = dict(inject=STATES[state], twin=twin, mem="1G,slots=4,maxmem=4G")
        self.family = fam
        self.page_shift = int(open(os.path.join(self.a.kdir, "page_shift")).read())

    def needs_module(self):
        return bool(self.cfg["inject"])

    def initramfs_spec(self):
        files = [f"{self.a.module}:/vt/vt_ppc_inject.ko"] if self.cfg["inject"] else []
        return os.path.join(self.a.kdir, "busybox"), None, (), files

    def append(self):
        return " ".join(["console=hvc0 vtcmd=hvc1 panic=0",
                         FAMILY_APPEND.get(self.family, DEFAULT_APPEND)]).strip()

    def scenario(self):
        self.nm = nm_symbols(os.path.join(self.a.kdir, "vmlinux"), NM_NAMES, required=True)
        self.boot()
        self.ksyms = self.kallsyms(KALLSYMS_NAMES)
        # ppc64 book3s does not randomize its base; verify (vmcoreinfo KERNELOFFSET too)
        self.kernel_offset = self.ksyms["_stext"][0] - self.nm["_stext"]
        self.vmemmap = self.read_phys_u64(self.nm["vmemmap"] + self.kernel_offset - PAGE_OFFSET)
        self.setup_hotplug()
        self.sleep_pid = self.start_process("sleep 1000", "start sleep")
        self.truth["sleep_pid"] = self.sleep_pid
        self.truth["injection"] = None
        if self.cfg["inject"]:
            self.truth["devicetree_before_injection"] = self.dt_hex()
            self.setup_inject(self.cfg["inject"])
        self.truth["twin"] = self.cfg["twin"]
        self.record()

    def dt_hex(self):
        d = "/proc/device-tree/ibm,dynamic-reconfiguration-memory"
        res = {}
        for p in ("ibm,lmb-size", "ibm,dynamic-memory-v2", "ibm,associativity-lookup-arrays"):
            res[p] = self.g.run(f"od -An -v -tx1 '{d}/{p}' | tr -d ' \\n'; echo", step=f"read DT {p}").strip()
        return res

    # ------------------------------------------------------------- hotplug
    def setup_hotplug(self):
        self.bs = self.block_size()
        dimms = {n: self.add_dimm(n, DIMM_SIZE, wait=False) for n in (1, 2)}
        for n, (start, size, blocks) in dimms.items():
            self.wait_guest(self.blocks_cond(blocks, "grep -qx online {}/state 2>/dev/null"), 60,
                            f"hotplug: dimm{n} LMBs online in the guest")
        s1, z1, b1 = dimms[1]
        self.remove_dimm(1, b1)
        s2, z2, b2 = dimms[2]
        self.dimms = dimms
        # drc indexes as the kernel reported them
        msgs = self.g.run("dmesg | grep -E 'pseries-hotplug-mem: Memory at [0-9a-f]+ \\(drc index'",
                          step="hotplug: read DLPAR messages")
        drc = {}
        for m in re.finditer(r"Memory at ([0-9a-f]+) \(drc index ([0-9a-f]+)\) was hot-(added|removed)", msgs):
            drc.setdefault(int(m.group(1), 16), int(m.group(2), 16))

        def lmbs(start, size):
            return [{"base": hex(a), "drc_index": hex(drc[a]) if a in drc else None}
                    for a in range(start, start + size, self.bs)]
        self.truth["hotplug"] = {
            "lmb_size": hex(self.bs),
            "removed": {"id": "dimm1", "start": hex(s1), "size": hex(z1), "blocks": b1,
                        "lmbs": lmbs(s1, z1)},
            "present": {"id": "dimm2", "start": hex(s2), "size": hex(z2), "blocks": b2,
                        "lmbs": lmbs(s2, z2), "state": "online"},
            "dlpar_log": [strip_stamp(ln) for ln in msgs.splitlines()],
        }

    # ------------------------------------------------------------- inject
    def setup_inject(self, mode):
        ins = "insmod /vt/vt_ppc_inject.ko mode=" + mode
        s1, z1, _ = self.dimms[1]
        s2, z2, _ = self.dimms[2]
        if mode == "a":
            ins += f" init_mm_addr=0x{self.nm['init_mm'] + self.kernel_offset:x}"
            ins += f" dimm_base=0x{s2:x} dimm_size=0x{z2:x}"
        elif mode == "c":
            ins += f" of_update_property_addr=0x{self.ksyms['of_update_property'][0]:x}"
            ins += f" dimm_base=0x{s1:x} dimm_size=0x{z1:x}"
        elif mode == "d":
            ins += f" target_pid={self.sleep_pid}"
        elif mode == "e":
            start, n = self.pick_e_pfns()
            ins += f" pfn_start=0x{start:x} pfn_count={n}"
        inj = self.insmod_json(ins)
        if mode == "e":
            inj["choice"] = self.e_choice
        self.truth["injection"] = inj

    def pick_e_pfns(self):
        """Class E wants PG_reserved pfns with a present memmap in an early,
        online section. pseries RAM has no holes; the closest analogue of
        firmware-reserved memory is the RTAS region (linux,rtas-base/rtas-size;
        memblock-reserved at boot, so its pages stay PG_reserved; 0x83c bytes:
        one page with 4 KiB or 64 KiB pages). Take its pfns (at most 4)."""
        d = "/proc/device-tree/rtas"
        vals = self.g.run(f"od -An -v -tx1 {d}/linux,rtas-base {d}/rtas-size | tr -d ' \\n'; echo",
                          step="inject: read RTAS base/size").strip()
        if len(vals) != 16:
            raise StepError("inject: RTAS", f"unexpected linux,rtas-base/rtas-size: {vals!r}")
        base, size = int(vals[:8], 16), int(vals[8:], 16)
        first = base >> self.page_shift
        last = (base + size - 1) >> self.page_shift
        n = min(4, last - first + 1)
        self.e_choice = {"why": "RTAS region (firmware; memblock-reserved at boot: PG_reserved)",
                         "rtas_base": hex(base), "rtas_size": hex(size)}
        return first, n

    # --------------------------------------------------------------- truth
    def record(self):
        g, t = self.g.run, self.truth
        self.record_basics()
        t["devicetree"] = self.dt_hex()
        self.record_modules()
        vi = g("cat /sys/kernel/vmcoreinfo").split()
        t["vmcoreinfo"] = {"paddr": hex(int(vi[0], 16)), "size": hex(int(vi[1], 16))}
        t["mmu"] = g("sed -n 's/^MMU[[:space:]]*: //p' /proc/cpuinfo").strip()
        t["kallsyms_sample"] = self.kallsyms_sample(self.ksyms, 450)
        t["data_symbols"] = {n: hex(a + self.kernel_offset) for n, a in sorted(self.nm.items())}
        t["layout"] = {"page_offset": hex(PAGE_OFFSET), "kernel_offset": hex(self.kernel_offset),
                       "vmemmap": hex(self.vmemmap), "page_shift": self.page_shift,
                       "struct_page_size": STRUCT_PAGE_SIZE}
        self.record_gva2gpa()

    def record_gva2gpa(self):
        """QEMU's own translations (HMP gva2gpa on CPU 0, in the kernel), taken
        BEFORE the panic: after ibm,os-term the CPU runs RTAS with the MMU off."""
        want = []
        s2, z2, _ = self.dimms[2]
        pas = [0, 0x10000, 0x1000000, 0x3fff0000, s2, s2 + z2 // 2, s2 + z2 - 0x10000]
        for pa in pas:
            want.append(("linear", PAGE_OFFSET + pa))
        for pa in pas:
            want.append(("vmemmap", self.vmemmap + (pa >> self.page_shift) * STRUCT_PAGE_SIZE))
        inj = self.truth.get("injection") or {}
        for k in ("page", "struct_page_first"):
            if k in inj:
                want.append(("vmemmap-injection", int(inj[k], 16)))
        want += [("vmalloc-module", va) for va in self.module_bases()]
        want += [("vmalloc", va) for va in self.vmalloc_areas(4)]
        for n in ("_stext", "start_kernel", "panic"):
            want.append(("kernel-text", self.ksyms[n][0]))
        for n in ("init_mm", "drmem_info"):
            want.append(("kernel-data", self.nm[n] + self.kernel_offset))
        q = self.vm.qmp
        q.cmd("stop", step="gva2gpa: stop the vCPUs")
        try:
            cpu, msr = self.virtual_mode_cpu()
            res = self.translate(want, cpu)
            for e in res:
                va = int(e["va"], 16)
                if e["kind"] in ("linear", "kernel-text", "kernel-data") and \
                        (int(e["pa"], 16) if e["pa"] else None) != va - PAGE_OFFSET:
                    raise StepError("gva2gpa", f"CPU {cpu} (MSR 0x{msr:x}) translates linear "
                                    f"0x{va:x} to {e['pa']!r}")
        finally:
            q.cmd("cont", step="gva2gpa: resume the vCPUs")
        self.truth["gva2gpa"] = res
        self.truth["gva2gpa_cpu"] = {"cpu_index": cpu, "msr": hex(msr)}

    def virtual_mode_cpu(self):
        """A vCPU in the kernel with relocation on (MSR IR|DR set, PR clear): with
        the MMU off (an interrupt vector, an hcall) ppc's gva2gpa answers in
        real mode (top address bits masked), which would be a wrong 'truth';
        in problem state (a user process) it refuses kernel addresses. Called
        with the VM stopped; resumes it briefly until some vCPU qualifies."""
        def test(regs, cpu):
            m = re.search(r"MSR ([0-9a-f]+)", regs)
            # IR|DR on (0x30), PR off (0x4000): kernel mode, MMU on
            if m and int(m.group(1), 16) & 0x4030 == 0x30:
                return int(m.group(1), 16)
            return None
        return self.cpu_where(test, "with MSR[IR,DR] set", tries=50, pause=0.05)

    def read_phys_u64(self, pa):
        """A little-endian u64 of guest physical memory. HMP prints in the
        TARGET's byte order, and qemu-system-ppc64 is a big-endian target."""
        out = self.hmp(f"xp /1gx 0x{pa:x}").strip()
        try:
            v = int(out.split(":", 1)[1].split()[0], 16)
        except (IndexError, ValueError):
            raise StepError("hmp xp", f"cannot read 0x{pa:x}: {out!r}")
        return int.from_bytes(v.to_bytes(8, "big"), "little")

