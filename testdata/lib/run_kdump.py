#!/usr/bin/env python3
"""Run one *kdump* scenario: the guest of a latent scenario, with a real
crash kernel loaded (kexec -p), so that the panic boots the capture kernel
and its /proc/vmcore is copied out: a genuine kdump-made vmcore.

usage: run_kdump.py SCENARIO-kdump[-stale] --kdir KDIR --out DIR [--module KO]

SCENARIO is a latent scenario of testdata/scenarios (x86-basic,
x86-b-conflict, x86-hotplug...).  Its guest (ARCH/guest.py) boots with
crashkernel=256M and a virtio disk, and carries kexec (the host's
kexec-tools, its libraries from ldd), the kernel image and a capture
initramfs (the same busybox /init, with lib/capture-helpers.sh as
/vt/helpers.sh and the virtio block modules).  After the scenario's state
is made and recorded:
  1. `kexec -p -d` loads the same kernel as the crash kernel (its debug
     output, the segments, goes to truth.kdump.kexec);
  2. -stale: the hot-added dimm2 is removed after the load (offline, QMP
     device_del), so the loaded elfcorehdr still lists it (class C: the
     crash kernel is not reloaded on a hotplug event, pre-6.5 kernels have
     no in-kernel elfcorehdr update);
  3. the VM is stopped and QEMU dumps it (vmcore.elf: the state before the
     panic), then sysrq-c: panic() -> __crash_kexec() boots the capture
     kernel, whose helpers.sh copies /proc/vmcore to the virtio disk and
     powers off;
  4. the disk's first SIZE bytes (the size /proc/vmcore had) become
     vmcore.kdump-elf, which makedumpfile turns into vmcore.kdump-mkd
     (-c -d 31) like kdump-tools would.
truth.json is the latent scenario's plus "kdump": {kexec (the -d lines),
crashkernel (/proc/iomem's Crash kernel range), loaded_before_remove,
removed (-stale), vmcore_size, capture_console, capture_rc}; -stale moves
the removed dimm's memory blocks and QEMU translations, recorded before
the removal, to memory_blocks_undone_by_remove and
gva2gpa_undone_by_remove.
"""
import argparse
import os
import re
import subprocess
import sys
import time

LIB = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(LIB)
sys.path.insert(0, LIB)
import run_guest  # noqa: E402
from qemu import StepError, log  # noqa: E402

CRASHKERNEL = "256M"
DISK_SIZE = 3 << 30          # sparse; larger than any dump of these guests


def ldd(binary):
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    return [m.group(1) for line in out.splitlines()
            for m in [re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)", line)] if m]


def readelf(args, binary):
    return subprocess.run(["readelf", "-W"] + args + [binary], check=True,
                          capture_output=True, text=True).stdout


def cross_libs(binary, roots):
    """ldd for another arch's binary: its interpreter and the DT_NEEDED
    closure, found in ROOTS (extracted packages, the kernel dir's sysroot).
    Returns (path in a root, path in the guest) pairs."""
    dirs = ["lib64", "usr/lib64", "lib", "usr/lib"]
    dirs += [os.path.join(d, t) for d in ("lib", "usr/lib")
             for root in roots if os.path.isdir(os.path.join(root, d))
             for t in os.listdir(os.path.join(root, d)) if t.endswith("-linux-gnu")]
    interp = re.search(r"interpreter: (/\S+?)\]", readelf(["-l"], binary))
    found, todo = {}, [binary]
    if interp:
        for root in roots:
            if os.path.exists(root + interp.group(1)):
                found[interp.group(1)] = os.path.realpath(root + interp.group(1))
                break
        else:
            raise StepError("kexec", f"{interp.group(1)}, {binary}'s interpreter, not in {roots}")
    while todo:
        for lib in re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", readelf(["-d"], todo.pop())):
            for root in roots:
                hit = [d for d in dirs if os.path.exists(os.path.join(root, d, lib))]
                if hit:
                    guest = "/" + os.path.join(hit[0], lib)
                    if guest not in found:
                        found[guest] = os.path.realpath(os.path.join(root, hit[0], lib))
                        todo.append(found[guest])
                    break
            else:
                raise StepError("kexec", f"{lib}, needed by {binary}, not in {roots}")
    return [(src, guest) for guest, src in sorted(found.items())]


def kdump_class(Base, stale):
    class Kdump(Base):
        def parse(self, scen):
            super().parse(scen)
            self.disk = None

        def append(self):
            return super().append() + f" crashkernel={CRASHKERNEL}"

        def qemu_argv(self, initrd, sock):
            self.disk = os.path.join(self.out, "capture.img")
            with open(self.disk, "wb") as f:
                f.truncate(DISK_SIZE)
            return super().qemu_argv(initrd, sock) + [
                "-drive", f"file={self.disk},if=none,id=cap,format=raw",
                "-device", "virtio-blk-pci,drive=cap"]

        def modules_of_deb(self):
            """The kernel package's modules (a cross arch's guest loads none,
            fetch.sh keeps no modules/): the capture kernel needs virtio-blk."""
            root = os.path.join(self.out, "image-deb")
            deb = [f for f in os.listdir(os.path.join(self.a.kdir, "debs"))
                   if f.startswith("linux-image-") and "-dbg" not in f]
            if len(deb) != 1:
                raise StepError("kdump", f"no single linux-image deb in {self.a.kdir}/debs: {deb}")
            subprocess.run(["dpkg-deb", "-x", os.path.join(self.a.kdir, "debs", deb[0]), root], check=True)
            for d in ("lib/modules", "usr/lib/modules"):
                if os.path.isdir(os.path.join(root, d)):
                    moddir = os.path.join(root, d, os.listdir(os.path.join(root, d))[0])
                    break
            else:
                raise StepError("kdump", f"no modules in {deb[0]}")
            for dirpath, _, files in os.walk(moddir):
                for f in files:
                    if f.endswith((".ko.xz", ".ko.zst")):
                        cmd = ["xz", "-d", "-f"] if f.endswith(".xz") else ["zstd", "-q", "-d", "-f", "--rm"]
                        subprocess.run(cmd + [os.path.join(dirpath, f)], check=True)
            return moddir

        def capture_initramfs(self, busybox, moddir):
            path = os.path.join(self.out, "capture.gz")
            if moddir is None:
                moddir = self.modules_of_deb()
            argv = [sys.executable, os.path.join(LIB, "mkinitramfs.py"), path, "--busybox", busybox,
                    "--moddir", moddir, "--module", "virtio_pci", "--module", "virtio_blk",
                    "--file", os.path.join(LIB, "capture-helpers.sh") + ":/vt/helpers.sh"]
            if subprocess.run(argv).returncode:
                raise StepError("capture initramfs", "mkinitramfs.py failed")
            return path

        def initramfs_spec(self):
            busybox, moddir, modules, files = super().initramfs_spec()
            if self.a.kexec_deb:
                # a cross arch: the guest's own kexec-tools and libraries
                root = os.path.join(self.out, "kexec-deb")
                subprocess.run(["dpkg-deb", "-x", self.a.kexec_deb, root], check=True)
                kexec = [p for p in (root + "/sbin/kexec", root + "/usr/sbin/kexec") if os.path.exists(p)]
                if not kexec:
                    raise StepError("kexec", f"no sbin/kexec in {self.a.kexec_deb}")
                libs = cross_libs(kexec[0], [root, os.path.join(self.a.kdir, "sysroot")])
                kexec = kexec[0]
            else:
                kexec = "/usr/sbin/kexec"
                if not os.path.exists(kexec):
                    raise StepError("kexec", "no /usr/sbin/kexec: install kexec-tools "
                                    "(testdata/install-deps.sh)")
                libs = [(lib, lib) for lib in ldd(kexec)]
            capture = self.capture_initramfs(busybox, moddir)
            extra = [f"{kexec}:/sbin/kexec", f"{os.path.join(self.a.kdir, self.KERNEL_FILE)}:/vt/vmlinuz",
                     f"{capture}:/vt/capture.gz"] + [f"{src}:{dst}" for src, dst in libs]
            return busybox, moddir, modules, list(files) + extra

        def undone_by_remove(self, lo, size, blocks):
            """What the records taken before the removal say of the removed
            dimm moves aside (truth ..._undone_by_remove): its memory blocks,
            and QEMU's translations of its direct map and struct pages."""
            t = self.truth
            t["memory_blocks_undone_by_remove"] = [b for b in t["memory_blocks"]
                                                   if b["index"] in blocks]
            t["memory_blocks"] = [b for b in t["memory_blocks"] if b["index"] not in blocks]
            lay = t["layout"]
            vmemmap = int(lay.get("vmemmap_base") or lay["vmemmap"], 16)
            shift, sps = lay.get("page_shift", 12), lay.get("struct_page_size", 64)

            def gone(e):
                if e.get("kind") in ("directmap", "linear") and e.get("pa"):
                    pa = int(e["pa"], 16)
                elif e.get("kind") == "vmemmap":
                    pa = (int(e["va"], 16) - vmemmap) // sps << shift
                else:
                    return False
                return 0 <= pa - lo < size
            t["gva2gpa_undone_by_remove"] = [e for e in t["gva2gpa"] if gone(e)]
            t["gva2gpa"] = [e for e in t["gva2gpa"] if not gone(e)]

        def panic_and_dump(self):
            g, t = self.g.run, self.truth
            kd = t["kdump"] = {}
            iomem = g("cat /proc/iomem", step="kdump: /proc/iomem")
            m = re.search(r"^\s*([0-9a-f]+)-([0-9a-f]+) : Crash kernel", iomem, re.M)
            if m:
                kd["crashkernel"] = {"start": "0x" + m.group(1), "end": "0x" + m.group(2)}
            else:
                # powerpc lists it in the device tree only (/chosen, exported at boot)
                d = "/proc/device-tree/chosen/linux,crashkernel-"
                v = g(f"od -An -v -tx1 {d}base {d}size 2>/dev/null | tr -d ' \\n'; echo",
                      step="kdump: /chosen crashkernel").strip()
                if len(v) != 32:
                    raise StepError("kdump", "no 'Crash kernel' range in /proc/iomem nor "
                                    "linux,crashkernel-base/size in /chosen (crashkernel= not honoured)")
                base, size = int(v[:16], 16), int(v[16:], 16)
                kd["crashkernel"] = {"start": hex(base), "end": hex(base + size - 1)}
                # kexec-tools puts RTAS back in the dumped ranges even inside
                # the reservation (pseries firmware lives there)
                d = "/proc/device-tree/rtas/"
                v = g(f"od -An -v -tx1 {d}linux,rtas-base {d}rtas-size 2>/dev/null | tr -d ' \\n'; echo",
                      step="kdump: RTAS range").strip()
                if len(v) == 16:
                    kd["rtas"] = {"start": hex(int(v[:8], 16)), "size": hex(int(v[8:], 16))}
            # the first kernel's console and command tty, then kdump-tools' usual
            console = " ".join(w for w in super().append().split()
                               if w.startswith(("console=", "vtcmd=")))
            append = console + " nokaslr irqpoll nr_cpus=1 reset_devices panic=0"
            out = g(f"kexec -p -d /vt/vmlinuz --initrd=/vt/capture.gz --append='{append}' 2>&1",
                    timeout=120, step="kdump: kexec -p")
            kd["kexec"] = out.splitlines()
            kd["loaded"] = g("cat /sys/kernel/kexec_crash_loaded").strip() == "1"
            if not kd["loaded"]:
                raise StepError("kdump", "kexec -p did not load a crash kernel:\n" + out[-2000:])
            if stale:
                p = t["hotplug"]["present"]
                if self.ARCH != "ppc64le":      # pseries DLPAR offlines the LMBs itself
                    self.set_blocks(p["blocks"], "offline", "kdump: offline dimm2")
                self.remove_dimm(2, p["blocks"])
                kd["removed"] = {"id": "dimm2", "start": p["start"], "size": p["size"],
                                 "blocks": p["blocks"]}
                kd["loaded_before_remove"] = True
                self.undone_by_remove(int(p["start"], 16), int(p["size"], 16), p["blocks"])
            self.vm.qmp.cmd("stop", step="kdump: stop for QEMU's dump")
            # the base scenario's QEMU dump (ppc64: vmcore.raw, fixed by gen-variant.sh)
            self.vm.dump(os.path.join(self.out, self.DUMPS[0][0]), fmt="elf", paging=False)
            self.vm.qmp.cmd("cont", step="kdump: cont")
            con = os.path.join(self.out, "console.log")
            # no wait: the capture kernel may be done and QEMU gone before
            # anything comes back on the command channel
            self.g.send_nowait("echo c > /proc/sysrq-trigger")
            deadline = time.monotonic() + 600
            while True:
                text = open(con, errors="replace").read()
                m = re.search(r"@@VT-CAPTURED rc=(\d+) size=(\d+)", text)
                if m:
                    break
                if time.monotonic() > deadline:
                    raise StepError("kdump: capture", "no @@VT-CAPTURED on the console in 600s")
                if self.vm.proc.poll() is not None and "@@VT-CAPTURED" not in text:
                    raise StepError("kdump: capture", f"QEMU exited ({self.vm.proc.returncode}) "
                                    "before the capture kernel finished")
                time.sleep(0.5)
            kd["capture_rc"], kd["vmcore_size"] = int(m.group(1)), int(m.group(2))
            # the dying task, as the crashed kernel's panic header names it
            head = text[:text.find("@@VT-CAPTURE-START")]
            tasks = re.findall(r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)", head)
            if not tasks:
                raise StepError("kdump", "no 'CPU: N PID: P Comm: C' panic header on the console")
            t["panic_pid"] = int(tasks[-1][1])
            kd["panic_comm"] = tasks[-1][2]
            start = text.find("@@VT-CAPTURE-START")
            kd["capture_console"] = [run_guest.strip_stamp(ln) for ln in
                                     text[start:].splitlines()[:40]] if start >= 0 else []
            try:
                self.vm.proc.wait(timeout=60)       # the capture kernel powers off
            except subprocess.TimeoutExpired:
                self.vm.quit()
            if kd["capture_rc"]:
                raise StepError("kdump: capture", f"dd of /proc/vmcore exited {kd['capture_rc']}")
            with open(self.disk, "rb") as src, open(os.path.join(self.out, "vmcore.kdump-elf"), "wb") as dst:
                left = kd["vmcore_size"]
                while left:
                    buf = src.read(min(left, 1 << 20))
                    if not buf:
                        raise StepError("kdump", "the capture disk is shorter than /proc/vmcore")
                    dst.write(buf)
                    left -= len(buf)
            os.unlink(self.disk)
            log(f"kdump: /proc/vmcore copied out ({kd['vmcore_size'] >> 20} MiB)")
    return Kdump


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--module")
    ap.add_argument("--toolchain", default=None)
    ap.add_argument("--kexec-deb", help="the guest arch's kexec-tools package (cross arches)")
    a = ap.parse_args()
    name = a.scenario
    m = re.fullmatch(r"(.+)-kdump(-stale)?", name)
    if not m:
        raise SystemExit(f"run_kdump.py: {name} is not SCENARIO-kdump[-stale]")
    base, stale = m.group(1), bool(m.group(2))
    arch = run_guest.arch_of(base)
    Run = kdump_class(run_guest.load_arch(arch).Run, stale)
    a.scenario = base
    try:
        run = Run(a)
        if run.needs_module() and not a.module:
            ap.error("--module is required for " + base)
        run.truth["scenario"] = name
        run.truth["base_scenario"] = base
        run.truth["twin"] = base
        orig = run.scenario

        def scenario():
            orig()
            run.truth["twin"] = base
        run.scenario = scenario
        run.main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
