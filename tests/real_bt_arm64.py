"""`vmtriage bt` on arm64 against drgn, frame by frame.

Per scenario (6.1, 6.12, 6.12 with 48-bit VAs), on vmcore.elf (and the
kdump-zlib where the scenario has one), with and without the vmlinux:
  * every task's trace ends without a stop reason;
  * the crashed task's trace (the task on panic_cpu) equals drgn's
    non-inline frames' pc, frame by frame, and the other CPU's task starts
    with all of drgn's frames whose pc drgn knows (drgn 0.0.22 stops at
    call_on_irq_stack's caller: no CFI for the IRQ stack switch);
  * every sleeping task's first frames (as many as drgn gives, at most 8)
    equal drgn's, pc by pc;
  * each frame's sp is at most drgn's (ours is the frame record's address +
    16, the lowest the caller's frame can start at), the first one equal;
  * without the vmlinux the traces equal those with it, or vmtriage names
    the symbol it misses.

drgn reads the ELF rewritten by testdata/arm64/elf-for-drgn.py
(vtlib.drgn_scenario). QEMU writes NT_PRSTATUS pr_pid = vCPU index + 1
while drgn finds a running task's registers by pid, so drgn gets a copy
whose notes' pr_pid are each CPU's runqueues.curr pid (a test-side rewrite
of the temp copy only).
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import set_prstatus_pids  # noqa: E402

c = vtlib.Checks("real_bt_arm64")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["arm64-deb12-basic", "arm64-deb13-basic", "arm64-deb13-va48"]
SLEEP_FRAMES = 8
stats = []


def drgn_frames(prog, addr):
    """drgn's non-inline frames of the task at addr: [(pc, sp)], up to the
    first frame whose pc drgn does not know; None when drgn cannot read the
    task's stack (drgn 0.0.22 does not translate the vmalloc'd stacks of a
    52-bit-VA kernel running with 48 bits: arm64-deb13-va48)."""
    import drgn
    out = []
    task = drgn.Object(prog, "struct task_struct *", value=addr)
    try:
        prog.read(task.stack.value_(), 8)
    except drgn.FaultError:
        return None
    try:
        trace = prog.stack_trace(drgn.Object(prog, "struct task_struct *", value=addr))
    except Exception as e:  # noqa: BLE001 - drgn's own failure: no frames
        print(f"NOTE: drgn: no trace of task 0x{addr:x}: {e}")
        return out
    for fr in trace:
        if fr.is_inline:
            continue
        try:
            pc = fr.pc
        except LookupError:
            break
        try:
            sp = fr.sp
        except LookupError:
            sp = None
        out.append((pc, sp))
    return out


def drgn_view(d, dump, tr, tmp):
    from drgn.helpers.linux.percpu import per_cpu
    from drgn.helpers.linux.cpumask import for_each_present_cpu
    prog = vtlib.drgn_scenario(d, dump, tr, tmp)
    pids = [per_cpu(prog["runqueues"], cpu).curr.pid.value_()
            for cpu in for_each_present_cpu(prog)]
    core = os.path.join(tmp, "drgn.elf")
    c.equal(set_prstatus_pids(core, dict(enumerate(pids))), len(pids), f"{tr['scenario']}: notes rewritten")
    return vtlib.drgn_program(core, os.path.join(d, "vmlinux"))


def pcs(frames):
    return [int(f["pc"], 16) for f in frames]


def compare(tag, got, prog):
    tasks = got["tasks"]
    c.check(len(tasks) > 30, f"{tag}: traces of every task ({len(tasks)})")
    c.equal([(t["pid"], t["error"], t["stopped"]) for t in tasks
             if t["error"] or t["stopped"]], [], f"{tag}: traces that stopped early")
    crashed = [t for t in tasks if t["crashed"]]
    if not c.equal(len(crashed), 1, f"{tag}: one crashed task"):
        return
    nsleep = nsleep_frames = unread = 0
    for t in tasks:
        want = drgn_frames(prog, int(t["task"], 16))
        if want is None:
            unread += 1
            continue
        mine = pcs(t["frames"])
        what = f"{tag}: pid {t['pid']} ({t['comm']}, task {t['task']})"
        if t["crashed"]:
            c.equal([hex(p) for p in mine], [hex(p) for p, _ in want],
                    f"{what}: crashed task's trace vs drgn")
            c.check(len(mine) >= 10, f"{what}: crashed task's trace has {len(mine)} frames")
            stats.append(f"{tag}: crashed task {len(mine)} frames, drgn {len(want)}")
        elif t["active"]:
            c.check(len(want) >= 3, f"{what}: drgn traces the other CPU's task")
            c.equal([hex(p) for p in mine[:len(want)]], [hex(p) for p, _ in want],
                    f"{what}: other CPU's task vs drgn's {len(want)} frames")
            stats.append(f"{tag}: CPU {t['cpu']} task {len(mine)} frames, drgn knows "
                         f"{len(want)}, all equal")
        else:
            n = min(len(want), SLEEP_FRAMES)
            c.check(n >= 3, f"{what}: drgn gives {len(want)} frames")
            c.equal([hex(p) for p in mine[:n]], [hex(p) for p, _ in want[:n]],
                    f"{what}: first {n} frames vs drgn")
            nsleep += 1
            nsleep_frames += n
        # sp: the first is the register; then ours is a lower bound of drgn's.
        if want and t["frames"]:
            c.equal(int(t["frames"][0]["sp"], 16), want[0][1], f"{what}: frame 0 sp")
        bad = [(i, f["sp"], hex(w[1])) for i, (f, w) in enumerate(zip(t["frames"], want))
               if w[1] is not None and int(f["sp"], 16) > w[1]]
        c.equal(bad, [], f"{what}: sp above drgn's")
    stats.append(f"{tag}: {nsleep} sleeping tasks, {nsleep_frames} frames equal to drgn's"
                 + (f"; {unread} tasks whose stack drgn cannot read" if unread else ""))


def console_trace(d):
    """The panic's "Call trace:" in the guest's serial log: [(name, offset)]."""
    out, on = [], False
    with open(os.path.join(d, "console.log"), errors="replace") as f:
        for line in f:
            text = line.split("] ", 1)[-1].strip()
            if text == "Call trace:":
                out, on = [], True
                continue
            m = re.match(r"([\w.]+)\+0x([0-9a-f]+)/0x[0-9a-f]+$", text) if on else None
            if not m:
                on = False
                continue
            out.append((m.group(1), int(m.group(2), 16)))
    return out


def compare_console(tag, d, got):
    """The crashed task's frames above panic() vs the panic's own Call trace
    (the caller of a noreturn call may print as the next function +0x0)."""
    want = console_trace(d)
    crashed = [t for t in got["tasks"] if t["crashed"]]
    if not crashed:
        return
    mine = [(f["symbol"], int(f["offset"], 16), int(f["size"], 16))
            for f in crashed[0]["frames"]]
    names = [m[0] for m in mine]
    if not c.check("panic" in names and any(w[0] == "panic" for w in want),
                   f"{tag}: panic() in both traces"):
        return
    mine = mine[names.index("panic") + 1:]
    want = want[[w[0] for w in want].index("panic") + 1:]
    same = [m[:2] == w or (m[1] == m[2] and w[1] == 0) for m, w in zip(mine, want)]
    c.check(len(mine) == len(want) and all(same),
            f"{tag}: crashed task above panic vs the console's Call trace: "
            f"got {mine}, want {want}")
    stats.append(f"{tag}: crashed task's {len(mine)} frames above panic equal the "
                 "console's Call trace")


def scenario(name):
    d = vtlib.dumpdir(name)
    tr = vtlib.truth(d)
    vmlinux = os.path.join(d, "vmlinux")
    elf = os.path.join(d, "vmcore.elf")
    with tempfile.TemporaryDirectory(prefix="vt-bt.", dir=TMP) as tmp:
        prog = drgn_view(d, elf, tr, tmp)
        for dump in ["vmcore.elf", "vmcore.kdump-zlib"]:
            path = os.path.join(d, dump)
            if not os.path.exists(path):
                continue
            tag = f"{name} {dump}"
            with_vmlinux = vtlib.run_json("bt", path, vmlinux, "--all")
            compare(tag, with_vmlinux, prog)
            compare_console(tag, d, with_vmlinux)
            rc, out, err = vtlib.run("bt", path, "--all", "--json", check=False)
            if rc == 0:
                bare = json.loads(out)
                c.equal({t["task"]: pcs(t["frames"]) for t in bare["tasks"]},
                        {t["task"]: pcs(t["frames"]) for t in with_vmlinux["tasks"]},
                        f"{tag}: traces without the vmlinux vs with it")
                stats.append(f"{tag}: without the vmlinux, {len(bare['tasks'])} traces "
                             "equal to those with it")
            else:
                c.check("not found" in err, f"{tag}: without the vmlinux, the error names "
                        f"what is missing: {err.strip()}")
                stats.append(f"{tag}: without the vmlinux: {err.strip()}")


for s in SCENARIOS:
    scenario(s)
for line in stats:
    print(line)
c.done()
