#!/usr/bin/env python3
"""Run one test scenario in QEMU (TCG) and take its dumps: the guest runner
of every arch.

usage: run_guest.py SCENARIO --kdir KDIR --out DIR [--module KO] [--toolchain TEXT]

The scenario's prefix names the arch (ARCHES below); the arch's module
(testdata/<arch>/guest.py) holds what is truly per arch: its scenario table,
its QEMU machine (binary, machine, CPU, firmware, console and command
channel), how the panic is noticed and which dumps QEMU writes, and the
arch-specific states and records.  This file is the rest: the initramfs,
the QEMU command line, the guest's command channel, memory blocks and
hotplug through QMP, the test module's insmod and log line, the records
every arch takes (uname, /proc files, kallsyms sample, gva2gpa), the panic
and the dumps, truth.json.

The guest boots the family's kernel (KDIR from fetch.sh) with a busybox
initramfs, the scenario's state is made, the ground truth recorded through
the guest's command console and QEMU's monitor, the guest panicked
(sysrq-c), and DIR gets the arch's QEMU dumps, console.log and truth.json
(qemu.log and initrd.gz: working files).  gen.sh does the conversions.
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

LIB = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(LIB)
sys.path.insert(0, LIB)
import qemu  # noqa: E402
from qemu import StepError, log  # noqa: E402

# scenario-name prefix -> arch folder (testdata/<arch>/guest.py)
ARCHES = {"x86-": "x86", "ppc-": "ppc64", "arm64-": "arm64"}

SYSMEM = "/sys/devices/system/memory"


def strip_stamp(line):
    """A dmesg line without its '[  12.345678] ' timestamp."""
    return re.sub(r"^\[\s*[0-9.]+\]\s*", "", line)


def nm_symbols(vmlinux, names, required=False):
    """Addresses of names in the vmlinux (nm; first definition wins)."""
    want = set(names)
    out = subprocess.run(["nm", vmlinux], check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in want and f[2] not in syms:
            syms[f[2]] = int(f[0], 16)
    missing = want - set(syms)
    if required and missing:
        raise StepError("nm vmlinux", f"symbols not found: {sorted(missing)}")
    return syms


class GuestRun:
    """One scenario's guest run.  An arch subclass sets the class data below
    and defines parse(), initramfs_spec(), append() and scenario()."""

    ARCH = None                 # truth.arch
    QEMU_BIN = None             # (environment override, default binary)
    MACHINE = CPU = None        # -machine, -cpu (or methods returning them)
    KERNEL_FILE = "vmlinuz"     # in KDIR
    DEVICES = []                # after -append
    CONSOLE = []                # console into {con}
    CMDCHAN = []                # the command channel: chardev id vtcmd
    PANIC_WAIT = "pvpanic"      # or "console": wait for the end of panic()
    DUMPS = []                  # (file, format, paging) written after the panic
    BOOT_TIMEOUT = 180

    def __init__(self, a):
        self.a = a
        self.out = a.out
        self.sockdir = None
        self.vm = None
        self.parse(a.scenario)
        self.truth = {"scenario": a.scenario, "arch": self.ARCH, "kernel": self.family}

    # ---------------------------------------------------------------- boot
    def initramfs(self, busybox, moddir, modules=(), files=()):
        path = os.path.join(self.out, "initrd.gz")
        empty = None
        if moddir is None:
            moddir = empty = tempfile.mkdtemp(prefix="vt-mods-")
        argv = [sys.executable, os.path.join(LIB, "mkinitramfs.py"), path,
                "--busybox", busybox, "--moddir", moddir]
        for m in modules:
            argv += ["--module", m]
        for f in files:
            argv += ["--file", f]
        rc = subprocess.run(argv).returncode
        if empty:
            shutil.rmtree(empty, ignore_errors=True)
        if rc:
            raise StepError("initramfs", "mkinitramfs.py failed")
        return path

    def qemu_argv(self, initrd, sock):
        con = os.path.join(self.out, "console.log")
        chardev = "socket,id=vtcmd,path=" + os.path.join(sock, "cmd.sock") + ",server=on,wait=off"
        env, default = self.QEMU_BIN
        argv = [os.environ.get(env, default) if env else default,
                "-nodefaults", "-display", "none", "-no-reboot",
                "-machine", self.machine(), "-accel", "tcg", "-cpu", self.cpu(), "-smp", "2",
                "-m", self.cfg["mem"]]
        argv += self.firmware()
        argv += ["-kernel", os.path.join(self.a.kdir, self.KERNEL_FILE), "-initrd", initrd,
                 "-append", self.append()]
        argv += self.DEVICES
        argv += [x.format(con=con) for x in self.CONSOLE]
        argv += [x.format(chardev=chardev) for x in self.CMDCHAN]
        argv += ["-qmp", "unix:" + os.path.join(sock, "qmp.sock") + ",server=on,wait=off"]
        return argv

    def machine(self):
        return self.MACHINE

    def cpu(self):
        return self.CPU

    def firmware(self):
        return []

    def boot(self):
        initrd = self.initramfs(*self.initramfs_spec())
        # unix socket paths are limited to 108 bytes: keep them short in /tmp
        sock = tempfile.mkdtemp(prefix=f"vt-{self.ARCH}-")
        self.sockdir = sock
        argv = self.qemu_argv(initrd, sock)
        self.booted(argv)
        self.vm = qemu.VM(argv, self.out, os.path.join(sock, "qmp.sock"),
                          os.path.join(sock, "cmd.sock"), boot_timeout=self.BOOT_TIMEOUT)
        self.g = self.vm.guest

    def booted(self, argv):
        """Hook: the QEMU command line, before it starts."""

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

    def kallsyms_sample(self, syms, step):
        """The named symbols plus every step-th line of /proc/kallsyms."""
        sample = [{"name": n, "addr": hex(a), "type": ty} for n, (a, ty) in sorted(syms.items())]
        names = set(syms)
        for line in self.g.run(f"awk 'NR % {step} == 0 && NF == 3' /proc/kallsyms",
                               step="kallsyms sample").splitlines():
            a, ty, n = line.split()
            if n not in names:
                names.add(n)
                sample.append({"name": n, "addr": hex(int(a, 16)), "type": ty})
        return sample

    def hmp(self, line, cpu=None):
        args = {"command-line": line}
        if cpu is not None:
            args["cpu-index"] = cpu
        return self.vm.qmp.cmd("human-monitor-command", args, step="hmp " + line.split()[0])

    def gva2gpa(self, va, cpu=None):
        """QEMU's own translation of va on vCPU cpu (None: the current one)."""
        out = self.hmp(f"gva2gpa 0x{va:x}", cpu).strip()
        return int(out.split()[1], 16) if out.startswith("gpa:") else None

    def translate(self, want, cpu=None, **extra):
        """[(kind, va)] -> gva2gpa truth entries."""
        res = []
        for kind, va in want:
            pa = self.gva2gpa(va, cpu)
            res.append(dict({"va": hex(va), "pa": hex(pa) if pa is not None else None,
                             "kind": kind}, **extra))
        return res

    def cpu_where(self, test, what, tries=50, pause=0.05):
        """With the VM stopped: (cpu, value) of a vCPU whose `info registers`
        satisfies test (it returns a value or None); resumes the VM briefly
        until one does."""
        for _ in range(tries):
            for cpu in (0, 1):
                v = test(self.hmp("info registers", cpu), cpu)
                if v is not None:
                    return cpu, v
            self.vm.qmp.cmd("cont")
            time.sleep(pause)
            self.vm.qmp.cmd("stop")
        raise StepError("gva2gpa", f"no vCPU {what} after {tries} tries")

    def wait_guest(self, cond, timeout, step):
        """Poll a guest shell condition until it holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.g.run(cond + " && echo yes || echo no", step=step).strip().endswith("yes"):
                return
            time.sleep(0.3)
        raise StepError(step, f"timed out after {timeout}s waiting for: {cond}")

    def start_process(self, command, step):
        """Start a background process in the guest; its pid."""
        out = self.g.run(f"{command} < /dev/null > /dev/null 2>&1 & echo $!", step=step)
        pid = int(out.strip().splitlines()[-1])
        time.sleep(0.5)  # let it exec and settle
        return pid

    def ram_ranges(self):
        """(start, end) of the System RAM lines of truth.iomem."""
        ram = []
        for line in self.truth["iomem"]:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) : System RAM", line)
            if m:
                ram.append((int(m.group(1), 16), int(m.group(2), 16)))
        return ram

    def vmalloc_areas(self, n):
        vm = self.g.run(f"grep -E 'pages=[0-9]+ vmalloc' /proc/vmallocinfo | head -{n}",
                        step="read vmallocinfo")
        return [int(line.split("-")[0], 16) for line in vm.splitlines()]

    def module_bases(self, n=3):
        # "name size refs deps state addr [taint]"
        return [int(line.split()[5], 16) for line in self.truth["modules"][:n]]

    # ------------------------------------------------------- memory blocks
    def block_size(self):
        return int(self.g.run(f"cat {SYSMEM}/block_size_bytes"), 16)

    def memory_blocks(self):
        out = self.g.run(f"for d in {SYSMEM}/memory*; do "
                         "echo \"${d##*/memory} $(cat $d/state) $(cat $d/phys_index) "
                         "$(cat $d/valid_zones 2>/dev/null)\"; done", step="read memory blocks")
        blocks = []
        for line in out.splitlines():
            f = line.split(None, 3)
            blocks.append({"index": int(f[0]), "state": f[1], "phys_index": hex(int(f[2], 16)),
                           "valid_zones": f[3] if len(f) > 3 else ""})
        return sorted(blocks, key=lambda b: b["index"])

    def blocks_in(self, start, size):
        return list(range(start // self.bs, (start + size) // self.bs))

    def set_blocks(self, blocks, state, step):
        for b in blocks:
            self.g.run(f"echo {state} > {SYSMEM}/memory{b}/state",
                       timeout=120, step=f"{step}: memory{b} {state}")

    def blocks_cond(self, blocks, test):
        return " && ".join(test.format(f"{SYSMEM}/memory{b}") for b in blocks)

    # ------------------------------------------------------------- hotplug
    def add_dimm(self, n, size, addr=None, wait=True):
        """object-add + device_add a pc-dimm; (start, size, blocks) once the
        guest has its memory blocks (wait)."""
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
        blocks = self.blocks_in(start, sz)
        if wait:
            self.wait_guest(self.blocks_cond(blocks, "[ -e {} ]"), 60,
                            f"hotplug: guest sees dimm{n} blocks")
        return start, sz, blocks

    def remove_dimm(self, n, blocks):
        """device_del, DEVICE_DELETED, the blocks vanish, object-del."""
        q = self.vm.qmp
        q.cmd("device_del", {"id": f"dimm{n}"}, step=f"hotplug: device_del dimm{n}")
        q.wait_event("DEVICE_DELETED", 60, f"hotplug: wait DEVICE_DELETED dimm{n}",
                     pred=lambda e: e.get("data", {}).get("device") == f"dimm{n}")
        self.wait_guest(self.blocks_cond(blocks, "[ ! -e {} ]"), 60,
                        f"hotplug: dimm{n} blocks vanish in the guest")
        q.cmd("object-del", {"id": f"mem{n}"}, step=f"hotplug: object-del mem{n}")

    def hotplug_movable(self, size):
        """The x86 / arm64 sequence: auto_online_blocks set to offline (6.12+
        Debian kernels online hot-added memory themselves); dimm1 added,
        onlined online_movable, offlined, unplugged; dimm2 added right after
        dimm1's range (so the two differ) and onlined online_movable.
        Returns (auto_online_blocks before, (s1, z1, b1), (s2, z2, b2))."""
        aob = f"{SYSMEM}/auto_online_blocks"
        auto = self.g.run(f"cat {aob}", step="hotplug: read auto_online_blocks").strip()
        self.g.run(f"echo offline > {aob}", step="hotplug: auto_online_blocks=offline")
        s1, z1, b1 = self.add_dimm(1, size)
        log(f"dimm1 at 0x{s1:x} size 0x{z1:x} blocks {b1}")
        self.set_blocks(b1, "online_movable", "hotplug: online dimm1")
        self.set_blocks(b1, "offline", "hotplug: offline dimm1")
        self.remove_dimm(1, b1)
        s2, z2, b2 = self.add_dimm(2, size, addr=s1 + z1)
        log(f"dimm2 at 0x{s2:x} size 0x{z2:x} blocks {b2}")
        self.set_blocks(b2, "online_movable", "hotplug: online dimm2")
        return auto, (s1, z1, b1), (s2, z2, b2)

    # -------------------------------------------------------------- inject
    def insmod(self, cmd):
        try:
            self.g.run(cmd, step=f"inject: {cmd}")
        except StepError as e:
            tail = self.g.run("dmesg | tail -5", check=False)
            raise StepError(e.step, f"{e.msg}\nguest dmesg:\n{tail}")

    def module_log(self, marker):
        """The last dmesg line of the test module, from marker on."""
        line = self.g.run(f"dmesg | grep '{marker}' | tail -1", step="inject: read log line")
        return line[line.index(marker.split()[0]):]

    def insmod_json(self, cmd):
        """insmod a module that logs one 'VT-INJECT {json}' line: the dict."""
        self.insmod(cmd)
        line = self.module_log("VT-INJECT {")
        inj = json.loads(line[len("VT-INJECT "):])
        inj["log"] = line
        inj["insmod"] = cmd
        log("injected: " + line)
        return inj

    # --------------------------------------------------------------- truth
    def record_basics(self, after_cmdline=()):
        """uname -r, cmdline, (after_cmdline: (key, value)...), iomem, memory
        blocks, zoneinfo."""
        g, t = self.g.run, self.truth
        t["kernel_release"] = g("uname -r").strip()
        t["cmdline"] = g("cat /proc/cmdline").strip()
        for k, v in after_cmdline:
            t[k] = v
        t["iomem"] = g("cat /proc/iomem").splitlines()
        t["memory_block_size"] = hex(self.bs)
        t["memory_blocks"] = self.memory_blocks()
        t["zoneinfo"] = g("cat /proc/zoneinfo", step="read zoneinfo") + "\n"

    def record_modules(self):
        self.truth["modules"] = self.g.run("cat /proc/modules").splitlines()

    # ---------------------------------------------------------- panic, dump
    def panic_and_dump(self):
        self.g.send_nowait("sh -c 'echo \"@@VT-PANICPID $$\"; echo c > /proc/sysrq-trigger'")
        while True:
            line = self.g.readline(30, "panic: read panic pid")
            if line.startswith("@@VT-PANICPID"):
                self.truth["panic_pid"] = int(line.split()[1])
                break
        if self.PANIC_WAIT == "pvpanic":
            self.vm.wait_panicked(60)       # -action panic=pause
        else:
            # no pvpanic driver: wait for the end of the panic message on the
            # console (panic=0: the kernel then spins in panic()), then stop
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
        for name, fmt, paging in self.DUMPS:
            self.vm.dump(os.path.join(self.out, name), fmt=fmt, paging=paging)
        self.vm.quit()

    def main(self):
        t0 = time.monotonic()
        try:
            self.scenario()
            self.panic_and_dump()
        except BaseException:
            if self.vm:
                self.vm.kill()
            raise
        finally:
            if self.sockdir:
                shutil.rmtree(self.sockdir, ignore_errors=True)
        with open(os.path.join(self.out, "truth.json"), "w") as f:
            json.dump(self.truth, f, indent=1)
            f.write("\n")
        log(f"{self.a.scenario}: guest run done in {time.monotonic() - t0:.1f}s")


def arch_of(scenario):
    for prefix, arch in ARCHES.items():
        if scenario.startswith(prefix):
            return arch
    raise SystemExit(f"run_guest.py: unknown scenario {scenario} (prefixes: {', '.join(ARCHES)})")


def load_arch(arch):
    path = os.path.join(TESTDATA, arch, "guest.py")
    spec = importlib.util.spec_from_file_location(f"vt_guest_{arch}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--module", help="the test module (.ko) for the initramfs")
    ap.add_argument("--toolchain", default=None,
                    help="recorded as truth.toolchain (module compiler, makedumpfile)")
    a = ap.parse_args()
    Run = load_arch(arch_of(a.scenario)).Run
    try:
        run = Run(a)
        if run.needs_module() and not a.module:
            ap.error("--module is required for " + a.scenario)
        run.main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
