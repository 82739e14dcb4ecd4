#!/usr/bin/env python3
"""Run one ppc64le pseries test scenario in QEMU (TCG) and take its ELF dump.

usage: run-guest.py SCENARIO --kdir KDIR --out DIR [--module KO]

SCENARIO is ppc-STATE (kernel family deb12) or ppc-FAMILY-STATE, STATE one
of hotplug (the clean twin), a, c, d, e; KDIR (fetch.sh FAMILY) has the
kernel, its family key and page_shift. Boots the pinned Debian ppc64el
kernel on `-M pseries -cpu power9` (radix MMU) with a busybox initramfs, does the
memory-hotplug sequence (two pc-dimms added through QMP, pseries DLPAR
onlines their LMBs; the first is then removed with device_del), optionally
loads testdata/ppc64/module (classes A, C, D, E), records the ground truth
through the guest's command console (hvc1) and QEMU's monitor, panics the
guest (sysrq-c; the kernel calls ibm,os-term and QEMU pauses with
-action panic=pause), then writes into DIR:
  vmcore.raw     dump-guest-memory (ELF, paging: false) exactly as QEMU 7.2
                 wrote it (big-endian headers/notes, no VMCOREINFO note)
  console.log    hvc0
  truth.json     the ground truth (see testdata/README.md, "ppc64le")
gen.sh then runs fix-elf.py (-> vmcore.elf) and makedumpfile.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "lib")
sys.path.insert(0, LIB)
import qemu  # noqa: E402
from qemu import StepError, log  # noqa: E402

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


def parse_scenario(name):
    """ppc-STATE (deb12) or ppc-FAMILY-STATE -> (family, state, twin name)."""
    parts = name.split("-")
    if parts[0] != "ppc" or len(parts) not in (2, 3) or parts[-1] not in STATES:
        raise SystemExit(f"run-guest.py: unknown scenario {name}")
    fam = parts[1] if len(parts) == 3 else "deb12"
    twin = None if parts[-1] == "hotplug" else "-".join(parts[:-1] + ["hotplug"])
    return fam, parts[-1], twin

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


def nm_symbols(vmlinux, names):
    want = set(names)
    out = subprocess.run(["nm", vmlinux], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in want and f[2] not in syms:
            syms[f[2]] = int(f[0], 16)
    missing = want - set(syms)
    if missing:
        raise StepError("nm vmlinux", f"symbols not found: {sorted(missing)}")
    return syms


class Run:
    def __init__(self, a):
        self.a = a
        fam, state, twin = parse_scenario(a.scenario)
        kfam = open(os.path.join(a.kdir, "family")).read().strip()
        if kfam != fam:
            raise StepError("run-guest", f"{a.scenario} wants kernel family {fam}, {a.kdir} is {kfam}")
        self.cfg = dict(inject=STATES[state], twin=twin)
        self.family = fam
        self.page_shift = int(open(os.path.join(a.kdir, "page_shift")).read())
        self.out = a.out
        self.truth = {"scenario": a.scenario, "arch": "ppc64le", "kernel": fam}

    # ---------------------------------------------------------------- boot
    def initramfs(self):
        path = os.path.join(self.out, "initrd.gz")
        empty = tempfile.mkdtemp(prefix="vt-ppc-mods-")
        argv = [sys.executable, os.path.join(LIB, "mkinitramfs.py"), path,
                "--busybox", os.path.join(self.a.kdir, "busybox"), "--moddir", empty]
        if self.cfg["inject"]:
            argv += ["--file", f"{self.a.module}:/vt/vt_ppc_inject.ko"]
        rc = subprocess.run(argv).returncode
        shutil.rmtree(empty, ignore_errors=True)
        if rc:
            raise StepError("initramfs", "mkinitramfs.py failed")
        return path

    def boot(self):
        initrd = self.initramfs()
        sock = tempfile.mkdtemp(prefix="vt-ppc-")      # unix socket paths <= 108 bytes
        self.sockdir = sock
        o = self.out
        argv = ["qemu-system-ppc64", "-nodefaults", "-display", "none", "-no-reboot",
                # TCG cannot provide the Spectre workarounds: say so instead of warning.
                # x-vof=on: QEMU's Virtual Open Firmware instead of SLOF boots to
                # the shell in ~4 s instead of ~10 s (DLPAR, RTAS, os-term work).
                "-machine", "pseries,x-vof=on,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,"
                "cap-ccf-assist=off",
                "-accel", "tcg", "-cpu", "power9", "-smp", "2", "-m", "1G,slots=4,maxmem=4G",
                "-kernel", os.path.join(self.a.kdir, "boot-vmlinux"), "-initrd", initrd,
                "-append", " ".join(["console=hvc0 vtcmd=hvc1 panic=0",
                                     FAMILY_APPEND.get(self.family, DEFAULT_APPEND)]).strip(),
                "-action", "panic=pause",
                "-chardev", "file,id=con,path=" + os.path.join(o, "console.log"),
                "-device", "spapr-vty,chardev=con",
                "-chardev", "socket,id=vtcmd,path=" + os.path.join(sock, "cmd.sock") + ",server=on,wait=off",
                "-device", "spapr-vty,chardev=vtcmd",
                "-qmp", "unix:" + os.path.join(sock, "qmp.sock") + ",server=on,wait=off"]
        self.vm = qemu.VM(argv, o, os.path.join(sock, "qmp.sock"), os.path.join(sock, "cmd.sock"),
                          boot_timeout=180)
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

    def dt_hex(self):
        d = "/proc/device-tree/ibm,dynamic-reconfiguration-memory"
        res = {}
        for p in ("ibm,lmb-size", "ibm,dynamic-memory-v2", "ibm,associativity-lookup-arrays"):
            res[p] = self.g.run(f"od -An -v -tx1 '{d}/{p}' | tr -d ' \\n'; echo", step=f"read DT {p}").strip()
        return res

    # ------------------------------------------------------------- hotplug
    def add_dimm(self, n):
        q = self.vm.qmp
        q.cmd("object-add", {"qom-type": "memory-backend-ram", "id": f"mem{n}", "size": DIMM_SIZE},
              step=f"hotplug: object-add mem{n}")
        q.cmd("device_add", {"driver": "pc-dimm", "id": f"dimm{n}", "memdev": f"mem{n}"},
              step=f"hotplug: device_add dimm{n}")
        for d in q.cmd("query-memory-devices"):
            if d["data"].get("id") == f"dimm{n}":
                return d["data"]["addr"], d["data"]["size"]
        raise StepError("hotplug", f"dimm{n} not in query-memory-devices")

    def setup_hotplug(self):
        self.bs = int(self.g.run("cat /sys/devices/system/memory/block_size_bytes"), 16)
        dimms = {}
        for n in (1, 2):
            start, size = self.add_dimm(n)
            blocks = list(range(start // self.bs, (start + size) // self.bs))
            dimms[n] = (start, size, blocks)
        for n, (start, size, blocks) in dimms.items():
            conds = " && ".join(f"grep -qx online /sys/devices/system/memory/memory{b}/state 2>/dev/null"
                                for b in blocks)
            self.wait_guest(conds, 60, f"hotplug: dimm{n} LMBs online in the guest")
        self.vm.qmp.cmd("device_del", {"id": "dimm1"}, step="hotplug: device_del dimm1")
        self.vm.qmp.wait_event("DEVICE_DELETED", 60, "hotplug: wait DEVICE_DELETED dimm1",
                               pred=lambda e: e.get("data", {}).get("device") == "dimm1")
        s1, z1, b1 = dimms[1]
        self.wait_guest(" && ".join(f"[ ! -e /sys/devices/system/memory/memory{b} ]" for b in b1),
                        60, "hotplug: dimm1 blocks vanish in the guest")
        self.vm.qmp.cmd("object-del", {"id": "mem1"}, step="hotplug: object-del mem1")
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
            "dlpar_log": [re.sub(r"^\[\s*[0-9.]+\]\s*", "", ln) for ln in msgs.splitlines()],
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
        try:
            self.g.run(ins, step=f"inject: {ins}")
        except StepError as e:
            tail = self.g.run("dmesg | tail -5", check=False)
            raise StepError(e.step, f"{e}\nguest dmesg:\n{tail}")
        line = self.g.run("dmesg | grep 'VT-INJECT {' | tail -1", step="inject: read log line")
        line = line[line.index("VT-INJECT "):]
        inj = json.loads(line[len("VT-INJECT "):])
        inj["log"] = line
        inj["insmod"] = ins
        if mode == "e":
            inj["choice"] = self.e_choice
        self.truth["injection"] = inj
        log("injected: " + line)

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
        t["kernel_release"] = g("uname -r").strip()
        t["cmdline"] = g("cat /proc/cmdline").strip()
        t["iomem"] = g("cat /proc/iomem").splitlines()
        t["memory_block_size"] = hex(self.bs)
        t["memory_blocks"] = self.memory_blocks()
        t["zoneinfo"] = g("cat /proc/zoneinfo", step="read zoneinfo") + "\n"
        t["devicetree"] = self.dt_hex()
        t["modules"] = g("cat /proc/modules").splitlines()
        vi = g("cat /sys/kernel/vmcoreinfo").split()
        t["vmcoreinfo"] = {"paddr": hex(int(vi[0], 16)), "size": hex(int(vi[1], 16))}
        t["mmu"] = g("sed -n 's/^MMU[[:space:]]*: //p' /proc/cpuinfo").strip()

        sample = [{"name": n, "addr": hex(a), "type": ty} for n, (a, ty) in sorted(self.ksyms.items())]
        names = set(self.ksyms)
        for line in g("awk 'NR % 450 == 0 && NF == 3' /proc/kallsyms", step="kallsyms sample").splitlines():
            a, ty, n = line.split()
            if n not in names:
                names.add(n)
                sample.append({"name": n, "addr": hex(int(a, 16)), "type": ty})
        t["kallsyms_sample"] = sample
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
        for line in self.truth["modules"][:3]:
            want.append(("vmalloc-module", int(line.split()[5], 16)))
        vm = self.g.run("grep -E 'pages=[0-9]+ vmalloc' /proc/vmallocinfo | head -4",
                        step="read vmallocinfo")
        for line in vm.splitlines():
            want.append(("vmalloc", int(line.split("-")[0], 16)))
        for n in ("_stext", "start_kernel", "panic"):
            want.append(("kernel-text", self.ksyms[n][0]))
        for n in ("init_mm", "drmem_info"):
            want.append(("kernel-data", self.nm[n] + self.kernel_offset))
        res = []
        q = self.vm.qmp
        q.cmd("stop", step="gva2gpa: stop the vCPUs")
        try:
            cpu, msr = self.virtual_mode_cpu()
            for kind, va in want:
                out = self.hmp(f"gva2gpa 0x{va:x}", cpu).strip()
                pa = int(out.split()[1], 16) if out.startswith("gpa:") else None
                if kind in ("linear", "kernel-text", "kernel-data") and pa != va - PAGE_OFFSET:
                    raise StepError("gva2gpa", f"CPU {cpu} (MSR 0x{msr:x}) translates linear "
                                    f"0x{va:x} to {out!r}")
                res.append({"va": hex(va), "pa": hex(pa) if pa is not None else None, "kind": kind})
        finally:
            q.cmd("cont", step="gva2gpa: resume the vCPUs")
        self.truth["gva2gpa"] = res
        self.truth["gva2gpa_cpu"] = {"cpu_index": cpu, "msr": hex(msr)}

    def hmp(self, line, cpu=None):
        args = {"command-line": line}
        if cpu is not None:
            args["cpu-index"] = cpu
        return self.vm.qmp.cmd("human-monitor-command", args, step="hmp " + line.split()[0])

    def virtual_mode_cpu(self):
        """A vCPU in the kernel with relocation on (MSR IR|DR set, PR clear): with
        the MMU off (an interrupt vector, an hcall) ppc's gva2gpa answers in
        real mode (top address bits masked), which would be a wrong 'truth';
        in problem state (a user process) it refuses kernel addresses. Called
        with the VM stopped; resumes it briefly until some vCPU qualifies."""
        for _ in range(50):
            for cpu in (0, 1):
                m = re.search(r"MSR ([0-9a-f]+)", self.hmp("info registers", cpu))
                # IR|DR on (0x30), PR off (0x4000): kernel mode, MMU on
                if m and int(m.group(1), 16) & 0x4030 == 0x30:
                    return cpu, int(m.group(1), 16)
            self.vm.qmp.cmd("cont")
            time.sleep(0.05)
            self.vm.qmp.cmd("stop")
        raise StepError("gva2gpa", "no vCPU with MSR[IR,DR] set")

    def read_phys_u64(self, pa):
        """A little-endian u64 of guest physical memory. HMP prints in the
        TARGET's byte order, and qemu-system-ppc64 is a big-endian target."""
        out = self.hmp(f"xp /1gx 0x{pa:x}").strip()
        try:
            v = int(out.split(":", 1)[1].split()[0], 16)
        except (IndexError, ValueError):
            raise StepError("hmp xp", f"cannot read 0x{pa:x}: {out!r}")
        return int.from_bytes(v.to_bytes(8, "big"), "little")

    # ---------------------------------------------------------- panic, dump
    def panic_and_dump(self):
        self.g.send_nowait("sh -c 'echo \"@@VT-PANICPID $$\"; echo c > /proc/sysrq-trigger'")
        while True:
            line = self.g.readline(30, "panic: read panic pid")
            if line.startswith("@@VT-PANICPID"):
                self.truth["panic_pid"] = int(line.split()[1])
                break
        self.vm.wait_panicked(60)
        self.vm.dump(os.path.join(self.out, "vmcore.raw"))
        self.vm.quit()

    def main(self):
        t0 = time.monotonic()
        self.sockdir = None
        self.nm = nm_symbols(os.path.join(self.a.kdir, "vmlinux"), NM_NAMES)
        try:
            self.boot()
            self.ksyms = self.kallsyms(KALLSYMS_NAMES)
            # ppc64 book3s does not randomize its base; verify (vmcoreinfo KERNELOFFSET too)
            self.kernel_offset = self.ksyms["_stext"][0] - self.nm["_stext"]
            self.vmemmap = self.read_phys_u64(self.nm["vmemmap"] + self.kernel_offset - PAGE_OFFSET)
            self.setup_hotplug()
            out = self.g.run("sleep 1000 < /dev/null > /dev/null 2>&1 & echo $!", step="start sleep")
            self.sleep_pid = int(out.strip().splitlines()[-1])
            time.sleep(0.5)
            self.truth["sleep_pid"] = self.sleep_pid
            self.truth["injection"] = None
            if self.cfg["inject"]:
                self.truth["devicetree_before_injection"] = self.dt_hex()
                self.setup_inject(self.cfg["inject"])
            self.truth["twin"] = self.cfg["twin"]
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
    ap.add_argument("scenario")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--module")
    a = ap.parse_args()
    if STATES[parse_scenario(a.scenario)[1]] and not a.module:
        ap.error("--module is required for " + a.scenario)
    try:
        Run(a).main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
