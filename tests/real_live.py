#!/usr/bin/python3
"""The running kernel (issue 15 items 1-2): vmtriage inside the test
guests, on their own /proc/kcore, against QEMU's dump of the same guest
taken right after.

The scenarios cover x86_64 Debian 11 (5.10: no kallsyms tables in
VMCOREINFO, so symbols come from /proc/kallsyms), 12, 13 and sid, ppc64le
pseries 13 (4K and 64K pages) and arm64 13; types come from the kernel's
/sys/kernel/btf/vmlinux. For each scenario below, the arch's guest
(testdata/ARCH/guest.py, the same kernel, module and injection as the dump
generators) boots an initramfs that also carries vmtriage-plain and its
shared libraries: on x86_64 the tree's build and what ldd names; on ppc64le
and arm64 a cross build of the tree (testdata/lib/cross-vmtriage.sh:
bookworm's -dev packages of that arch in a sysroot) with its loader and
DT_NEEDED closure from that sysroot. In the guest:
  * before the injection, `vmtriage report` (no VMCORE: /proc/kcore) and
    `vmtriage preflight`: every class clean or not-applicable, exit 0;
  * after it, the same again: the injected class latent, preflight exit 1;
then the VM is stopped (no panic) and dumped (QEMU dump-guest-memory, ELF).
On the host, `vmtriage report` of that dump (with the vmlinux) must give
the same verdict for every plugin as the guest's live report, and the same
evidence for the injected state as the dump read with what the live run
had (no vmlinux, where that gives the same verdicts).

Bad input, in the same guest: as a non-root user the commands exit 2
saying root is needed; with --no-btf and no vmlinux the live report exits
2 (no types to read a running kernel with); after `lockdown=confidentiality`
is set at run time, /proc/kcore is refused and the commands exit 2 naming
the lockdown. Each a one-line message, nothing on stdout.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

TESTDATA = os.path.join(vtlib.TOP, "testdata")
sys.path.insert(0, os.path.join(TESTDATA, "lib"))
import run_guest  # noqa: E402
import run_kdump  # noqa: E402  (cross_libs: another arch's ldd)

c = vtlib.Checks("real_live")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
# scenario, and the evidence kinds of its injected state
SCENARIOS = [("x86-b-conflict", {"pgd-conflict"}), ("x86-deb13-e", {"poisoned-pages"}),
             ("x86-deb11-b-latent", {"pgd-stale"}), ("x86-sid-b-conflict", {"pgd-conflict"}),
             ("ppc-deb13-c", {"stale-lmb"}), ("ppc-deb13k64-a", {"table-page"}),
             ("arm64-deb13-e", {"poisoned-pages"}), ("arm64-deb12-e", {"poisoned-pages"})]
PLAIN = os.environ.get("VMTRIAGE_PLAIN") or os.path.join(os.path.dirname(vtlib.VMTRIAGE), "vmtriage-plain")
# the plugin of each injection mode
TARGET = {"b-conflict": "pgd-desync", "b-latent": "pgd-desync", "e": "uninit-pages",
          "a": "ptfrag-early", "c": "stale-lmb", "d": "ptfrag-count"}
DEBARCH = {"ppc64": "ppc64el", "arm64": "arm64"}


def guest_binary(arch):
    """(vmtriage-plain for the guest's arch, [(file, path in the guest)] of
    its loader and libraries); None where it cannot be built here (skip)."""
    if arch == "x86":
        return PLAIN, [(lib, lib) for lib in libraries(PLAIN)]
    p = subprocess.run([os.path.join(TESTDATA, "lib", "cross-vmtriage.sh"), DEBARCH[arch]],
                       stdout=subprocess.PIPE, text=True)
    if p.returncode == 77:
        return None
    if p.returncode:
        raise SystemExit(f"real_live: cross-vmtriage.sh {DEBARCH[arch]} failed")
    binary, sysroot = p.stdout.split()
    return binary, run_kdump.cross_libs(binary, [sysroot])


def libraries(binary):
    """The binary's shared libraries and loader, as ldd resolves them."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    libs = []
    for line in out.splitlines():
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            libs.append(m.group(1))
    return libs


def family_and_kdir(scen):
    arch = run_guest.arch_of(scen)
    mod = run_guest.load_arch(arch)
    if hasattr(mod, "parse_scenario"):      # ppc64: parse() reads the kernel dir
        family = mod.parse_scenario(scen)[0]
    else:
        probe = mod.Run.__new__(mod.Run)
        probe.parse(scen)
        family = probe.family
    kdir = subprocess.run([os.path.join(TESTDATA, "lib", "fetch.sh"), arch, family],
                          check=True, capture_output=True, text=True).stdout.strip()
    ko = subprocess.run([os.path.join(TESTDATA, "lib", "build-module.sh"), arch, family, kdir],
                        check=True, capture_output=True, text=True).stdout.strip()
    return arch, mod, kdir, ko


def live_class(Base, binary, libs):
    class Live(Base):
        """The scenario's guest, with vmtriage in it; no panic."""
        results = {}

        def initramfs_spec(self):
            busybox, moddir, modules, files = super().initramfs_spec()
            extra = [f"{binary}:/vt/vmtriage"] + [f"{src}:{dst}" for src, dst in libs]
            return busybox, moddir, modules, list(files) + extra

        def vt(self, args, name):
            """Run vmtriage in the guest; {rc, out, err}."""
            g = self.g.run
            g(f"/vt/vmtriage {args} > /tmp/{name}.out 2> /tmp/{name}.err; echo $? > /tmp/{name}.rc",
              timeout=600, step=f"live: vmtriage {args}")
            res = {"rc": int(g(f"cat /tmp/{name}.rc").strip()),
                   "out": g(f"cat /tmp/{name}.out", timeout=120),
                   "err": g(f"cat /tmp/{name}.err")}
            self.results[name] = res
            return res

        def setup_inject(self, *mode):     # arm64's takes no mode (class E only)
            self.vt("info", "info")
            self.vt("report --json", "report-before")
            self.vt("preflight --json", "preflight-before")
            super().setup_inject(*mode)
            self.vt("report --json", "report-after")
            self.vt("preflight", "preflight-after")

        def record(self):
            pass    # the dump generators' records are not needed here

        def panic_and_dump(self):
            g = self.g.run
            # bad input while the guest still runs (lockdown last: it stays)
            g("mkdir -p /etc && echo 'nobody:x:65534:65534::/:/bin/sh' >> /etc/passwd")
            for name, cmd in (("nonroot", "su nobody -s /bin/sh -c '/vt/vmtriage report' "
                               "> /tmp/nonroot.out 2> /tmp/nonroot.err; echo $? > /tmp/nonroot.rc"),):
                g(cmd, step="live: vmtriage as nobody")
                self.results[name] = {"rc": int(g(f"cat /tmp/{name}.rc").strip()),
                                      "out": g(f"cat /tmp/{name}.out"), "err": g(f"cat /tmp/{name}.err")}
            self.vt("report --no-btf", "nobtf")
            # where the VMCOREINFO note is (ppc64: QEMU's dump has none, fix-elf.py adds it)
            self.vmcoreinfo = g("cat /sys/kernel/vmcoreinfo").split()
            self.vm.qmp.cmd("stop", step="stop for the dump")
            # the arch's own QEMU dump (ppc64: vmcore.raw, fixed below)
            self.vm.dump(os.path.join(self.out, self.DUMPS[0][0]), fmt="elf", paging=False)
            self.vm.qmp.cmd("cont", step="cont after the dump")
            g("mount -t securityfs securityfs /sys/kernel/security 2>/dev/null; "
              "echo confidentiality > /sys/kernel/security/lockdown", check=False,
              step="live: lockdown=confidentiality")
            self.results["lockdown-mode"] = {"out": g("cat /sys/kernel/security/lockdown", check=False)}
            self.vt("report", "lockdown")
            self.vm.quit()
    return Live


def same_evidence(rep, plugin, kinds):
    r = [x for x in rep["results"] if x["plugin"] == plugin][0]
    return sorted(json.dumps(e, sort_keys=True) for e in r["evidence"] if e["kind"] in kinds)


def check_scenario(scen, kinds):
    arch, mod, kdir, ko = family_and_kdir(scen)
    built = guest_binary(arch)
    if not built:
        print(f"{scen}: skipped (no cross compiler for {arch})")
        return
    Live = live_class(mod.Run, *built)
    with tempfile.TemporaryDirectory(prefix="vt-live.", dir=TMP) as out:
        a = argparse.Namespace(scenario=scen, kdir=kdir, out=out, module=ko, toolchain=None)
        run = Live(a)
        run.results = {}
        try:
            run.main()
        except run_guest.StepError as e:
            c.check(False, f"{scen}: guest run: {e}")
            shutil.copy(os.path.join(out, "console.log"), os.path.join(TMP, f"real_live-{scen}.console.log"))
            return
        if run.DUMPS[0][0] == "vmcore.raw":
            fix = subprocess.run([sys.executable, os.path.join(TESTDATA, "ppc64", "fix-elf.py"),
                                  os.path.join(out, "vmcore.raw"), os.path.join(out, "vmcore.elf"),
                                  "--vmcoreinfo", ":".join(run.vmcoreinfo[:2])],
                                 capture_output=True, text=True)
            if not c.equal(fix.returncode, 0, f"{scen}: fix-elf.py of QEMU's dump ({fix.stderr[-300:]})"):
                return
        res = run.results
        tr = run.truth
        target = TARGET[tr["injection"]["mode"]]

        info = res["info"]
        if not c.equal(info["rc"], 0, f"{scen}: live info exits 0"):
            print(info["out"], info["err"])
        c.check(re.search(r"btf\s+yes\s+/sys/kernel/btf/vmlinux", info["out"]),
                f"{scen}: types from the kernel's /sys/kernel/btf/vmlinux")
        before = res["report-before"]
        c.equal(before["rc"], 0, f"{scen}: live report before the injection exits 0 ({before['err'][-300:]})")
        rep_b = json.loads(before["out"]) if before["out"].strip().startswith("{") else None
        if c.check(rep_b is not None and "dump" in rep_b, f"{scen}: live report before: JSON"):
            c.equal(rep_b["dump"]["format"], "kcore", f"{scen}: read through /proc/kcore")
            for r in rep_b["results"]:
                c.check(r["verdict"] in ("clean", "not-applicable"),
                        f"{scen}: live, before: {r['plugin']} {r['verdict']} ({r['reason']})")
        c.equal(res["preflight-before"]["rc"], 0, f"{scen}: preflight before exits 0")

        after = res["report-after"]
        c.equal(after["rc"], 1, f"{scen}: live report after the injection exits 1 ({after['err'][-300:]})")
        rep_a = json.loads(after["out"]) if after["out"].strip().startswith("{") else None
        pf = res["preflight-after"]
        c.equal(pf["rc"], 1, f"{scen}: preflight after exits 1")
        c.check(re.search(rf"^\w {target}\s+latent", pf["out"], re.M) and "status: bad-state" in pf["out"],
                f"{scen}: preflight names {target} latent: {pf['out']!r}")

        def dump_report(*vmlinux):
            rc, out_d, err = vtlib.run("report", os.path.join(out, "vmcore.elf"), *vmlinux,
                                       "--json", check=False)
            return (json.loads(out_d) if out_d.strip().startswith("{") else None), err
        rep_d, err = dump_report(os.path.join(kdir, "vmlinux"))
        rep_n, _ = dump_report()
        if c.check(rep_a is not None and rep_d is not None, f"{scen}: both reports ({err[-300:]})"):
            live = {r["plugin"]: r["verdict"] for r in rep_a["results"]}
            dump = {r["plugin"]: r["verdict"] for r in rep_d["results"]}
            c.equal(live, dump, f"{scen}: the same verdicts live and in the dump taken right after")
            c.equal(live.get(target), "latent", f"{scen}: {target} latent live")
            # The evidence as the dump tells it with what the live run had:
            # no vmlinux (where the dump alone gives the same verdicts: 5.10
            # has no kallsyms tables in VMCOREINFO, /proc/kallsyms has them);
            # an item the kernel's own data cannot give is "unknown" in both.
            ref = rep_n if rep_n and {r["plugin"]: r["verdict"] for r in rep_n["results"]} == live \
                else rep_d
            c.equal(same_evidence(rep_a, target, kinds), same_evidence(ref, target, kinds),
                    f"{scen}: the same {sorted(kinds)} evidence live and in the dump "
                    f"({'no' if ref is rep_n else 'with the'} vmlinux)")
            c.check(same_evidence(rep_a, target, kinds), f"{scen}: live evidence of {sorted(kinds)}")

        nr = res["nonroot"]
        c.check(nr["rc"] == 2 and "needs root" in nr["err"] and not nr["out"].strip()
                and len(nr["err"].strip().splitlines()) == 1,
                f"{scen}: as nobody: exit 2, one line naming root: {nr}")
        nb = res["nobtf"]
        c.check(nb["rc"] == 2 and "no BTF" in nb["err"] and not nb["out"].strip(),
                f"{scen}: --no-btf and no vmlinux live: exit 2, says why: {nb}")
        ld = res["lockdown"]
        if "[confidentiality]" in res["lockdown-mode"]["out"]:
            c.check(ld["rc"] == 2 and "locked down" in ld["err"] and "confidentiality" in ld["err"]
                    and not ld["out"].strip(), f"{scen}: under lockdown: exit 2 naming it: {ld}")
        else:
            c.check(False, f"{scen}: the guest kernel did not take lockdown=confidentiality: "
                    f"{res['lockdown-mode']}")
    print(f"{scen}: live checked")


if not os.path.exists(PLAIN):
    print(f"real_live: {PLAIN} not built (make vmtriage-plain)", file=sys.stderr)
    sys.exit(99)
only = os.environ.get("VT_LIVE_ONLY", "").split()      # a subset, while debugging
for scen, kinds in SCENARIOS:
    if not only or scen in only:
        check_scenario(scen, kinds)
c.done()
