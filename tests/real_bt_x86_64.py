"""`vmtriage bt` on x86_64 against drgn's stack_trace(), frame by frame.

Per scenario (kdump-zlib; with the vmlinux, and the dump alone where the
dump has BTF and kallsyms, else a clear error is wanted):
  * the crashed task's trace (bt) and the other CPU's (bt --cpu N): the
    non-inline frames' (pc, sp) equal drgn's;
  * every other task's trace (bt --all): equal to drgn's (a prefix of at
    least MIN_FRAMES frames, or all of drgn's when shorter);
  * no trace of bt --all stopped for a reason other than its end, except the
    ones listed in KNOWN_STOPS.

drgn finds a running task's registers by the NT_PRSTATUS pr_pid, which QEMU
sets to the vCPU index + 1: drgn reads a copy of the dump (in a temp dir)
whose notes' pr_pid are the pids of each CPU's runqueues.curr.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import set_prstatus_pids  # noqa: E402

c = vtlib.Checks("real_bt_x86_64")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["x86-deb11-basic", "x86-basic", "x86-deb13-basic", "x86-sid-basic"]
MIN_FRAMES = 3
# Scenarios whose traces are compared but whose failures are only reported
# (a known, reported gap). Empty: every scenario must agree.
KNOWN_BAD = set()


def drgn_frames(prog, task):
    try:
        trace = prog.stack_trace(task)
    except Exception as e:  # noqa: BLE001
        return None, str(e)
    out = []
    for f in trace:
        if f.is_inline:
            continue
        try:
            pc = f.pc
        except LookupError:
            break       # drgn's trace ends: no pc known
        try:
            sp = f.sp
        except LookupError:
            sp = None
        out.append((pc, sp))
    return out, None


def ours(task_json):
    return [(int(f["pc"], 16), int(f["sp"], 16)) for f in task_json["frames"]]


def compare(name, what, got, want, whole=True):
    """whole: every frame; else a prefix of MIN_FRAMES (or drgn's length)."""
    if whole:
        # drgn stops in a module it has no debug info for: its frames
        # must then be a prefix of ours.
        n = len(want)
        # drgn 0.0.22 also stops at the IRQ stack's switch on 6.x (its
        # CFI has no rule for the entry code's indirect rsp): ours go on.
        ok = len(got) >= n and got[:n] == want
    else:
        n = min(len(want), max(MIN_FRAMES, min(len(got), len(want))))
        ok = len(got) >= n and got[:n] == want[:n]
    msg = f"{name}: {what}: vmtriage {[(hex(p), hex(s)) for p, s in got[:n + 2]]} " \
          f"drgn {[(hex(p), hex(s) if s else s) for p, s in want[:n + 2]]}"
    if name.split(" ")[0] in KNOWN_BAD:
        print(("agrees: " if ok else "KNOWN DIFFERENCE: ") + msg[:300])
        return ok
    c.check(ok, msg)
    return ok


def scenario(name):
    import drgn  # noqa: F401
    from drgn.helpers.linux.percpu import per_cpu

    def cpu_curr(prog, cpu):
        return per_cpu(prog["runqueues"], cpu).curr
    from drgn.helpers.linux.pid import for_each_task
    from drgn.helpers.linux.cpumask import for_each_present_cpu

    d = vtlib.dumpdir(name)
    import json
    dump = os.path.join(d, "vmcore.kdump-zlib")
    vmlinux = os.path.join(d, "vmlinux")
    with tempfile.TemporaryDirectory(dir=TMP) as tmp:
        prog0 = vtlib.drgn_program(dump, vmlinux)
        pids = {cpu: cpu_curr(prog0, cpu).pid.value_() for cpu in for_each_present_cpu(prog0)}
        del prog0
        core = os.path.join(tmp, "vmcore.kdump-zlib")
        shutil.copyfile(dump, core)
        os.chmod(core, 0o644)
        set_prstatus_pids(core, pids)
        prog = vtlib.drgn_program(core, vmlinux)
        from drgn import offsetof
        stack_off = offsetof(prog.type("struct task_struct"), "stack")

        # Without the vmlinux: the same traces where the dump has BTF and
        # kallsyms, else an error naming what is missing.
        for args, label in (((dump, vmlinux), "vmlinux"), ((dump,), "dump alone")):
            rc, out, err = vtlib.run("bt", *args, "--json", check=False)
            if label == "dump alone" and rc != 0:
                c.check(err.strip() != "", f"{name} ({label}): bt fails with a reason")
                print(f"{name} ({label}): bt: {err.strip()[:160]}")
                continue
            if not c.check(rc == 0, f"{name} ({label}): bt exits 0: {err.strip()}"):
                continue
            j = json.loads(out)
            crashed = j["tasks"][0]
            panic_cpu = j["panic_cpu"]
            if label == "dump alone" and crashed["error"]:
                # No BTF: no task list and no ORC format; the CPU is still
                # known (panic_cpu or the log) and the error names the type.
                c.check("orc_entry" in crashed["error"] or "not known" in crashed["error"],
                        f"{name} ({label}): the missing type named: {crashed['error']}")
                c.equal(crashed["cpu"], panic_cpu, f"{name} ({label}): the crashed CPU")
                print(f"{name} ({label}): CPU {panic_cpu}: {crashed['error'][:120]}")
                continue
            want, why = drgn_frames(prog, cpu_curr(prog, panic_cpu))
            c.check(want is not None, f"{name}: drgn's crashed trace: {why}")
            if want is not None:
                ok = compare(f"{name} ({label})", f"crashed task pid {crashed['pid']}",
                             ours(crashed), want)
                print(f"{name} ({label}): crashed pid {crashed['pid']}: "
                      f"{len(crashed['frames'])} frames, drgn {len(want)} non-inline"
                      f"{' (equal)' if ok else ''}; stopped: {crashed.get('stopped')!r}")
            for cpu in pids:
                if cpu == panic_cpu:
                    continue
                t = vtlib.run_json("bt", *args, "--cpu", cpu)["tasks"][0]
                want, why = drgn_frames(prog, cpu_curr(prog, cpu))
                if want is None:
                    c.check(False, f"{name}: drgn's CPU {cpu} trace: {why}")
                    continue
                ok = compare(f"{name} ({label})", f"CPU {cpu} pid {t['pid']}", ours(t), want)
                print(f"{name} ({label}): CPU {cpu} pid {t['pid']}: {len(t['frames'])} "
                      f"frames, drgn {len(want)}{' (equal)' if ok else ''}")

            # Every task.
            t0 = time.monotonic()
            rc, out, err = vtlib.run("bt", *args, "--all", "--json", check=False)
            t_ours = time.monotonic() - t0
            if not c.check(rc == 0, f"{name} ({label}): bt --all exits 0: {err.strip()}"):
                continue
            alltasks = {int(t["task"], 16): t for t in json.loads(out)["tasks"]}
            t0 = time.monotonic()
            drgn_all = {t.value_(): drgn_frames(prog, t)[0] for t in for_each_task(prog)}
            t_drgn = time.monotonic() - t0
            compared = frames = equal = 0
            stops = []
            for addr, t in alltasks.items():
                if t.get("error"):
                    stops.append((t["pid"], t["comm"], "error: " + t["error"]))
                    continue
                if t.get("stopped"):
                    stops.append((t["pid"], t["comm"], t["stopped"]))
                if t["active"] or addr not in drgn_all or drgn_all[addr] is None:
                    continue
                want = drgn_all[addr]
                stack = prog.read_u64(addr + stack_off)
                if want and not stack <= want[0][1] < stack + 4 * 16384:
                    # drgn took a CPU's note for this sleeping task (pr_pid
                    # of the original notes equal to its pid)
                    print(f"{name}: pid {t['pid']}: drgn's trace starts off the "
                          f"task's stack (0x{want[0][1]:x}): not compared")
                    continue
                compared += 1
                frames += min(len(want), len(t["frames"]))
                if compare(f"{name} ({label})", f"task pid {t['pid']} {t['comm']}",
                           ours(t), want, whole=False):
                    equal += 1
            print(f"{name} ({label}): bt --all: {len(alltasks)} traces in {t_ours:.2f}s "
                  f"(drgn's loop over {len(drgn_all)} tasks: {t_drgn:.2f}s); "
                  f"{compared} sleeping tasks compared, {equal} equal to drgn, "
                  f"{frames / max(compared, 1):.1f} frames each")
            for pid, comm, why in stops:
                msg = f"{name} ({label}): pid {pid} {comm} stopped: {why}"
                if name in KNOWN_BAD:
                    print("KNOWN: " + msg)
                else:
                    c.check(False, msg)
        del prog


try:
    import drgn  # noqa: F401
except ImportError:
    vtlib.skip("no drgn (run with the python that has it)")
for s in SCENARIOS:
    scenario(s)
c.done()
