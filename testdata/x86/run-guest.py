#!/usr/bin/env python3
"""Run one x86_64 test scenario in QEMU (TCG) and take its dumps.

usage: run-guest.py SCENARIO --family FAMILY --kind KIND --kdir KDIR --out DIR
                     [--vtinject KO] [--toolchain TEXT]

Boots one family's pinned Debian cloud kernel (KDIR from fetch-kernel.sh;
FAMILY deb11 | deb12 | deb13 | sid, KIND basic | hotplug | pmem | b-latent |
b-conflict | e; SCENARIO is the name recorded, e.g. x86-deb13-e) with a
busybox initramfs, prepares the scenario's state (memory hotplug, pmem
namespace, vtinject module), records the ground truth through the guest's
command serial port and QEMU's monitor, panics the guest (sysrq-c; QEMU
pauses on pvpanic), then writes into DIR:
  vmcore.elf               dump-guest-memory, paging: false
  vmcore.elf-paging        dump-guest-memory, paging: true
  vmcore.qemu-kdump.flat   dump-guest-memory, format kdump-zlib (flattened)
  console.log, truth.json  (qemu.log and initrd.gz: working files)
The makedumpfile conversions are done by gen.sh afterwards.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import qemu  # noqa: E402
from qemu import StepError, log  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.join(HERE, "..", "lib")

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


def parse_kv(line):
    """'vtinject: mode=e pfn=0x3ffe0 npfn=16' -> dict (decimal -> int)."""
    out = {}
    for tok in line.split():
        if "=" not in tok:
            continue
        k, v = tok.split("=", 1)
        out[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    return out


class Run:
    def __init__(self, a):
        self.a = a
        self.cfg = KINDS[a.kind]
        self.kern = KERNELS[a.family]
        self.out = a.out
        self.truth = {"scenario": a.scenario, "arch": "x86_64", "kernel": a.family}
        if a.toolchain:
            self.truth["toolchain"] = a.toolchain

    # ---------------------------------------------------------------- boot
    def initramfs(self):
        path = os.path.join(self.out, "initrd.gz")
        argv = [sys.executable, os.path.join(LIB, "mkinitramfs.py"), path,
                "--busybox", self.a.busybox, "--moddir", os.path.join(self.a.kdir, "modules")]
        for m in self.kern["modules"] + self.cfg.get("modules", []):
            argv += ["--module", m]
        if self.cfg.get("inject"):
            argv += ["--file", f"{self.a.vtinject}:/vt/vtinject.ko"]
        import subprocess
        if subprocess.run(argv).returncode:
            raise StepError("initramfs", "mkinitramfs.py failed")
        return path

    def boot(self):
        initrd = self.initramfs()
        append = "console=ttyS0 panic=0 vtcmd=ttyS1"
        if not self.cfg["kaslr"]:
            append += " nokaslr"
        if self.cfg.get("append"):
            append += " " + self.cfg["append"]
        o = self.out
        # unix socket paths are limited to 108 bytes: keep them short in /tmp
        sock = tempfile.mkdtemp(prefix="vt-x86-")
        self.sockdir = sock
        argv = [os.environ.get("VT_QEMU_X86", "qemu-system-x86_64"),
                "-nodefaults", "-display", "none", "-no-reboot", "-machine", "pc", "-accel", "tcg", "-cpu", "max,la57=off", "-smp", "2",
                "-m", self.cfg["mem"], "-kernel", os.path.join(self.a.kdir, "vmlinuz"),
                "-initrd", initrd, "-append", append,
                "-device", "vmcoreinfo", "-device", "pvpanic", "-action", "panic=pause",
                "-serial", "file:" + os.path.join(o, "console.log"),
                "-chardev", "socket,id=vtcmd,path=" + os.path.join(sock, "cmd.sock") + ",server=on,wait=off",
                "-serial", "chardev:vtcmd",
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

    def memory_blocks(self):
        out = self.g.run("for d in /sys/devices/system/memory/memory*; do "
                         "echo \"${d##*/memory} $(cat $d/state) $(cat $d/phys_index) "
                         "$(cat $d/valid_zones 2>/dev/null)\"; done", step="read memory blocks")
        blocks = []
        for line in out.splitlines():
            f = line.split(None, 3)
            blocks.append({"index": int(f[0]), "state": f[1],
                           "phys_index": hex(int(f[2], 16)),
                           "valid_zones": f[3] if len(f) > 3 else ""})
        return sorted(blocks, key=lambda b: b["index"])

    def block_size(self):
        return int(self.g.run("cat /sys/devices/system/memory/block_size_bytes"), 16)

    def blocks_in(self, start, size):
        bs = self.block_size()
        return list(range(start // bs, (start + size) // bs))

    def set_blocks(self, blocks, state, step):
        for b in blocks:
            self.g.run(f"echo {state} > /sys/devices/system/memory/memory{b}/state",
                       timeout=120, step=f"{step}: memory{b} {state}")

    def wait_guest(self, cond, timeout, step):
        """Poll a guest shell condition until it holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.g.run(cond + " && echo yes || echo no", step=step)
            if out.strip().endswith("yes"):
                return
            time.sleep(0.3)
        raise StepError(step, f"timed out after {timeout}s waiting for: {cond}")

    # ------------------------------------------------------------ scenarios
    def add_dimm(self, n, size, addr=None):
        self.vm.qmp.cmd("object-add", {"qom-type": "memory-backend-ram", "id": f"mem{n}",
                                       "size": size}, step=f"hotplug: object-add mem{n}")
        args = {"driver": "pc-dimm", "id": f"dimm{n}", "memdev": f"mem{n}"}
        if addr is not None:
            args["addr"] = addr
        self.vm.qmp.cmd("device_add", args, step=f"hotplug: device_add dimm{n}")
        for d in self.vm.qmp.cmd("query-memory-devices"):
            if d["data"].get("id") == f"dimm{n}":
                start, sz = d["data"]["addr"], d["data"]["size"]
                break
        else:
            raise StepError("hotplug", f"dimm{n} not in query-memory-devices")
        blocks = self.blocks_in(start, sz)
        last = f"/sys/devices/system/memory/memory{blocks[-1]}/state"
        self.wait_guest(f"[ -e {last} ]", 60, f"hotplug: guest sees dimm{n} blocks")
        return start, sz, blocks

    def setup_hotplug(self):
        size = 256 << 20
        # 6.12+ Debian kernels online hot-added memory themselves
        # (MHP_DEFAULT_ONLINE_TYPE_ONLINE_AUTO): keep new blocks offline so
        # that they are onlined online_movable below, as on 5.10 / 6.1.
        aob = "/sys/devices/system/memory/auto_online_blocks"
        auto = self.g.run(f"cat {aob}", step="hotplug: read auto_online_blocks").strip()
        self.g.run(f"echo offline > {aob}", step="hotplug: auto_online_blocks=offline")
        # dimm1: add, online (movable), offline, unplug.
        s1, z1, b1 = self.add_dimm(1, size)
        log(f"dimm1 at 0x{s1:x} size 0x{z1:x} blocks {b1}")
        self.set_blocks(b1, "online_movable", "hotplug: online dimm1")
        self.set_blocks(b1, "offline", "hotplug: offline dimm1")
        self.vm.qmp.cmd("device_del", {"id": "dimm1"}, step="hotplug: device_del dimm1")
        self.vm.qmp.wait_event("DEVICE_DELETED", 60, "hotplug: wait DEVICE_DELETED dimm1",
                               pred=lambda e: e.get("data", {}).get("device") == "dimm1")
        self.vm.qmp.cmd("object-del", {"id": "mem1"}, step="hotplug: object-del mem1")
        self.wait_guest(f"[ ! -e /sys/devices/system/memory/memory{b1[0]} ]", 60,
                        "hotplug: dimm1 blocks vanish in guest")
        # dimm2: at a different address than dimm1 (right after it), stays online.
        s2, z2, b2 = self.add_dimm(2, size, addr=s1 + z1)
        log(f"dimm2 at 0x{s2:x} size 0x{z2:x} blocks {b2}")
        self.set_blocks(b2, "online_movable", "hotplug: online dimm2")
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
            pid = int(self.g.run("sleep 100000 < /dev/null > /dev/null 2>&1 & echo $!",
                                 step="inject: start sleep").strip().splitlines()[-1])
            time.sleep(0.5)  # let it exec and go to sleep
            kpgd = self.kallsyms(["init_top_pgt"])["init_top_pgt"][0]
            ins += f" pid={pid} kpgd=0x{kpgd:x}"
        else:
            start, npfn = self.pick_e_pfns()
            ins += f" pfn=0x{start:x} npfn={npfn}"
        try:
            self.g.run(ins, step=f"inject: {ins}")
        except StepError as e:
            tail = self.g.run("dmesg | tail -5", check=False)
            raise StepError(e.step, f"{e.msg}\nguest dmesg:\n{tail}")
        line = self.g.run("dmesg | grep 'vtinject: mode=' | tail -1", step="inject: read log line")
        line = line[line.index("vtinject:"):]
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
        t["kernel_release"] = g("uname -r").strip()
        t["cmdline"] = g("cat /proc/cmdline").strip()
        t["kaslr"] = self.cfg["kaslr"]
        t["iomem"] = g("cat /proc/iomem").splitlines()
        t["memory_block_size"] = hex(self.block_size())
        t["memory_blocks"] = self.memory_blocks()
        t["zoneinfo"] = g("cat /proc/zoneinfo", step="read zoneinfo") + "\n"
        t["e820"] = [re.sub(r"^\[\s*[0-9.]+\]\s*", "", ln) for ln in
                     g("dmesg | grep -E 'e820|BIOS-e820|user:'").splitlines()]
        t["modules"] = g("cat /proc/modules").splitlines()

        syms = self.kallsyms(KALLSYMS_NAMES)
        sample = [{"name": n, "addr": hex(a), "type": ty} for n, (a, ty) in sorted(syms.items())]
        names = set(syms)
        for line in g("awk 'NR % 997 == 0 && NF == 3' /proc/kallsyms", step="kallsyms sample").splitlines():
            a, ty, n = line.split()
            if n not in names:
                names.add(n)
                sample.append({"name": n, "addr": hex(int(a, 16)), "type": ty})
        t["kallsyms_sample"] = sample

        # Layout values, read by QEMU from guest memory.
        rd = self.vm.read_u64
        lay = {k: hex(rd(syms[k][0])) for k in ("page_offset_base", "vmemmap_base", "vmalloc_base")}
        lay["phys_base"] = hex(rd(syms["phys_base"][0]))
        lay["kernel_offset"] = hex(syms["_stext"][0] - 0xffffffff81000000)
        t["layout"] = lay
        t["kaslr_verified"] = syms["_stext"][0] != 0xffffffff81000000
        self.record_gva2gpa(syms, int(lay["page_offset_base"], 16), int(lay["vmemmap_base"], 16))

    def record_gva2gpa(self, syms, pob, vmb):
        """QEMU's own translations (HMP gva2gpa on CPU 0, which idles in the
        kernel with a kernel CR3) of ~20 addresses of each kind."""
        want = []
        ram = []
        for line in self.truth["iomem"]:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : System RAM", line)
            if m:
                ram.append((int(m.group(1), 16), int(m.group(2), 16)))
        pas = []
        for s, e in ram[:4]:
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
        for line in self.truth["modules"][:3]:
            # "name size refs deps state addr [taint]"
            want.append(("vmalloc-module", int(line.split()[5], 16)))
        vm = self.g.run("grep -E 'pages=[0-9]+ vmalloc' /proc/vmallocinfo | head -3",
                        step="read vmallocinfo")
        for line in vm.splitlines():
            want.append(("vmalloc", int(line.split("-")[0], 16)))
        for n in ("_stext", "init_top_pgt", "init_task", "jiffies_64"):
            want.append(("kernel-image", syms[n][0]))
        res = []
        for kind, va in want:
            pa = self.vm.gva2gpa(va)
            res.append({"va": hex(va), "pa": hex(pa) if pa is not None else None, "kind": kind})
        self.truth["gva2gpa"] = res

    # ---------------------------------------------------------- panic, dump
    def panic_and_dump(self):
        self.g.send_nowait("sh -c 'echo \"@@VT-PANICPID $$\"; echo c > /proc/sysrq-trigger'")
        while True:
            line = self.g.readline(30, "panic: read panic pid")
            if line.startswith("@@VT-PANICPID"):
                self.truth["panic_pid"] = int(line.split()[1])
                break
        self.vm.wait_panicked(60)
        o = self.out
        self.vm.dump(os.path.join(o, "vmcore.elf"))
        self.vm.dump(os.path.join(o, "vmcore.elf-paging"), paging=True)
        self.vm.dump(os.path.join(o, "vmcore.qemu-kdump.flat"), fmt="kdump-zlib")
        self.vm.quit()

    def main(self):
        t0 = time.monotonic()
        self.sockdir = None
        try:
            self.boot()
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
    ap.add_argument("--family", required=True, choices=sorted(KERNELS))
    ap.add_argument("--kind", required=True, choices=sorted(KINDS))
    ap.add_argument("--toolchain", default=None,
                    help="recorded as truth.toolchain (module compiler, makedumpfile)")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--busybox", default="/bin/busybox")
    ap.add_argument("--vtinject")
    a = ap.parse_args()
    if KINDS[a.kind].get("inject") and not a.vtinject:
        ap.error("--vtinject is required for " + a.scenario)
    try:
        Run(a).main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
