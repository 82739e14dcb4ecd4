#!/usr/bin/env python3
"""Run one *fired* scenario: the guest of a latent scenario, whose bug class
then really kills the kernel.

usage: run_fired.py SCENARIO-fired --kdir KDIR --out DIR [--module KO] [--toolchain TEXT]

SCENARIO-fired is a scenario of testdata/scenarios (generator
lib/gen-variant.sh) whose name is a latent scenario's (x86-e, ppc-a, ...)
plus "-fired".  The guest is the latent scenario's: the arch's guest.py
Run class boots it, makes the state and records the truth as for the
latent scenario (ARCH/fired.py may override a step in its Mixin: arm64
moves the poisoned pfns to where kpageflags reads them).  Only the end differs: instead of `echo c >
/proc/sysrq-trigger`, panic_on_oops is set to 1 and the arch's trigger
(testdata/ARCH/fired.py: `trigger(run)`) makes the kernel run into the
injected state, so it oopses or BUGs where the class says and the oops
panics; QEMU then pauses (pvpanic / ibm,os-term) or the console shows the
end of the panic, and the same dumps as the latent scenario's are written.

truth.json is the latent scenario's plus
  scenario        the fired name;  base_scenario: the latent one
  fired_class     the class letter (ARCH/fired.py BASES)
  twin            the latent scenario (the same state, not fired)
  panic_pid       the dying task's pid from the console's "CPU: N PID: P"
                  line (x86, arm64: the trigger's shell, exec'd into dd)
  fired: {trigger, class, expect, console, oops_line, bug_line,
          error_line, pc_line, lr_line, task, trace, panic_line, seconds,
          + the arch's: pfns, fault_address, fault_offset_from_poisoned_head,
          hole_kpageflags (E); removed, table_pa, table_page (A)}
      console: the console lines (timestamps stripped) from the first
      oops/BUG line on (at most 120); the rest are picked out of them (task:
      the "CPU: N [UID: U] PID: P Comm: C" line's values; trace: the
      function names of the first Call Trace, without x86's "? " and ppc's
      "(unreliable)" entries); seconds: trigger to panic.
  ppc64 A also moves what the removal undid before the BUG out of the
  pre-fire records: gva2gpa_undone_by_fire, memory_blocks_undone_by_fire.
"""
import argparse
import importlib.util
import os
import re
import sys
import time

LIB = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(LIB)
sys.path.insert(0, LIB)
import run_guest  # noqa: E402
from qemu import StepError, log  # noqa: E402

SUFFIX = "-fired"
# the first line of a kernel death, any arch
OOPS_RE = re.compile(r"(BUG: unable to handle|Unable to handle kernel|kernel BUG at|"
                     r"BUG: Kernel NULL pointer|Internal error: Oops|Oops:)")
STAMP = re.compile(r"^\[\s*[0-9.]+\]\s?")


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def console_death(text):
    """The console lines (timestamps stripped) from the first oops/BUG line
    on; [] if there is none."""
    lines = [STAMP.sub("", ln.rstrip("\r")) for ln in text.splitlines()]
    for i, ln in enumerate(lines):
        if OOPS_RE.search(ln):
            return lines[i:]
    return []


def parse_death(lines):
    """The interesting lines of a death as the console printed it."""
    first = lambda pat: next((ln for ln in lines if re.search(pat, ln)), None)  # noqa: E731
    res = {
        "oops_line": first(r"BUG: unable to handle|Unable to handle kernel|BUG: Kernel"),
        "bug_line": first(r"kernel BUG at"),
        "error_line": first(r"^(Oops|Internal error)"),
        "pc_line": first(r"^(RIP: |NIP \[|pc : )"),   # the symbolic pc line
        "lr_line": first(r"^(LR \[|lr : )"),
        "panic_line": first(r"Kernel panic - not syncing"),
        "task": None,
        "trace": [],
    }
    # "CPU: 1 PID: 140 Comm: dd" (6.12+: "CPU: 1 UID: 0 PID: 140 Comm: dd")
    task_re = r"CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)"
    m = next((re.search(task_re, ln) for ln in lines if re.search(task_re, ln)), None)
    if m:
        res["task"] = {"cpu": int(m.group(1)), "pid": int(m.group(2)), "comm": m.group(3)}
    # Call Trace entries up to the end of the first trace: x86 " func+0x../0x..",
    # ppc "[c...] [c...] func+0x../0x.. (unreliable)", arm64 " func+0x../0x.."
    in_trace = False
    for ln in lines:
        if re.match(r"^(Call Trace|Call trace):", ln):
            if res["trace"]:
                break
            in_trace = True
            continue
        if in_trace:
            m = re.search(r"(\? )?([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+", ln)
            if m:
                # x86's "? func" and ppc's "(unreliable)" entries are
                # stale stack words: left out
                if not m.group(1) and "(unreliable)" not in ln:
                    res["trace"].append(m.group(2))
            elif res["trace"] and not re.search(r"<(/?IRQ|/?TASK)>|^\s*---", ln):
                break
    return res


# ---- class E, every arch: read /proc/kpageflags over the poisoned pfns
def kpageflags_trigger(run, pfn, n):
    """kpageflags_read() -> stable_page_flags() on the first poisoned struct
    page: its compound_head is ~0, so the head is 0xfffffffffffffffe and the
    read of its flags faults there.  The reader is the shell that prints
    its pid and execs dd (one 8-byte entry per pfn: skip counts bs)."""
    cmd = f"dd if=/proc/kpageflags of=/dev/null bs=8 skip={pfn} count={n}"
    run.g.send_nowait(f"sh -c 'echo \"@@VT-PANICPID $$\"; exec {cmd}'")
    while True:
        line = run.g.readline(30, "fire: read the reader's pid")
        if line.startswith("@@VT-PANICPID"):
            pid = int(line.split()[1])
            break
    return {"trigger": cmd, "class": "E", "pfns": [hex(pfn), hex(pfn + n - 1)],
            "expect": "fault at fffffffffffffffe in stable_page_flags <- kpageflags_read",
            "panic_pid": pid}


POISON_HEAD = 0xfffffffffffffffe   # compound_head ~0 minus its tail bit


def fault_address(line):
    """The faulting address of an oops line, or None."""
    m = re.search(r"(?:address:?|virtual address) ([0-9a-f]{16})", line or "")
    return int(m.group(1), 16) if m else None


def head_offset(addr):
    """addr as an offset from the poisoned head 0xfffffffffffffffe (mod
    2^64): a member read of that "struct page/folio"; None if not one (the
    first 64 bytes).  Where the compiler reads folio->mapping (+0x18) first
    the address wraps to 0x16 and the kernel calls it a NULL pointer
    dereference (arm64 6.12)."""
    if addr is None:
        return None
    off = (addr - POISON_HEAD) % 2**64
    return off if off < 64 else None


def verify_e(run, death):
    """The guest died of class E, not of something else: the fault is a
    read at (or a member of) the poisoned head 0xfffffffffffffffe, in
    stable_page_flags, called by kpageflags_read."""
    addr = fault_address(death["oops_line"])
    off = head_offset(addr)
    ok = (off is not None and death["pc_line"] and "stable_page_flags" in death["pc_line"]
          and "kpageflags_read" in death["trace"] and death["panic_line"])
    if not ok:
        raise StepError("fire: verify", "the console does not show the class-E death "
                        "(fault at fffffffffffffffe + a member offset, pc in stable_page_flags, "
                        f"kpageflags_read in the trace, a panic): {death}")
    run.truth["fired"]["fault_address"] = hex(addr)
    run.truth["fired"]["fault_offset_from_poisoned_head"] = off


def fired_class(Base, arch_mod):
    # ARCH/fired.py may override guest methods (arm64: the pfns) in a Mixin
    mixin = getattr(arch_mod, "Mixin", None)

    class Fired(*((mixin,) if mixin else ()), Base):
        def panic_and_dump(self):
            g = self.g
            g.run("echo 1 > /proc/sys/kernel/panic_on_oops", step="fire: panic_on_oops=1")
            con = os.path.join(self.out, "console.log")
            t0 = time.monotonic()
            info = arch_mod.trigger(self)        # sends the fatal command, does not wait
            pid = info.pop("panic_pid", None)
            if self.PANIC_WAIT == "pvpanic":
                self.vm.wait_panicked(arch_mod.PANIC_TIMEOUT)
            else:
                deadline = time.monotonic() + arch_mod.PANIC_TIMEOUT
                while "---[ end Kernel panic" not in open(con, errors="replace").read():
                    if time.monotonic() > deadline:
                        raise StepError("fire: wait-panic", "no '---[ end Kernel panic' on the console "
                                        f"within {arch_mod.PANIC_TIMEOUT}s")
                    if self.vm.proc.poll() is not None:
                        raise StepError("fire: wait-panic", f"QEMU exited with {self.vm.proc.returncode}")
                    time.sleep(0.2)
                time.sleep(0.5)
                self.vm.qmp.cmd("stop", step="stop after the panic")
            secs = round(time.monotonic() - t0, 1)
            time.sleep(0.3)   # the console file is written by QEMU: let it settle
            lines = console_death(open(con, errors="replace").read())
            if not lines:
                raise StepError("fire", "the guest panicked but the console shows no oops/BUG line")
            death = parse_death(lines)
            self.truth["fired"] = dict(info, console=lines[:120], seconds=secs, **death)
            # the dying task as the console names it (a kworker for ppc's DLPAR
            # remove); where the trigger's shell exec'd the reader, the same pid
            if death["task"] and pid is not None and death["task"]["pid"] != pid:
                raise StepError("fire", f"the console's dying task {death['task']} is not "
                                f"the trigger's pid {pid}")
            self.truth["panic_pid"] = death["task"]["pid"] if death["task"] else pid
            log("fired: " + " | ".join(x for x in (death["oops_line"], death["bug_line"],
                                                   death["pc_line"], death["panic_line"]) if x))
            arch_mod.verify(self, death)
            for name, fmt, paging in self.DUMPS:
                self.vm.dump(os.path.join(self.out, name), fmt=fmt, paging=paging)
            self.vm.quit()
    return Fired


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--kdir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--module")
    ap.add_argument("--toolchain", default=None)
    a = ap.parse_args()
    name = a.scenario
    if not name.endswith(SUFFIX):
        raise SystemExit(f"run_fired.py: {name} does not end in {SUFFIX}")
    base = name[:-len(SUFFIX)]
    arch = run_guest.arch_of(base)
    arch_mod = load(os.path.join(TESTDATA, arch, "fired.py"), f"vt_fired_{arch}")
    if base not in arch_mod.BASES:
        raise SystemExit(f"run_fired.py: no fired variant of {base} (testdata/{arch}/fired.py: "
                         f"{', '.join(sorted(arch_mod.BASES))})")
    Run = fired_class(run_guest.load_arch(arch).Run, arch_mod)
    a.scenario = base           # the guest is the latent scenario's
    try:
        run = Run(a)
        if run.needs_module() and not a.module:
            ap.error("--module is required for " + base)
        run.truth["scenario"] = name
        run.truth["base_scenario"] = base
        run.truth["fired_class"] = arch_mod.BASES[base]
        orig = run.scenario

        def scenario():
            orig()
            run.truth["twin"] = base    # the same state, not fired
        run.scenario = scenario
        run.main()
    except StepError as e:
        print(f"testdata: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
