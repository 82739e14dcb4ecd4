"""`vmtriage bt` on ppc64le dumps (6.1, 6.12, 6.12 with 64K pages).

Per scenario, on vmcore.elf and vmcore.kdump-zlib, with and without the vmlinux:
  * the crashed task's trace (the CPU panic_cpu names, from its NT_PRSTATUS)
    ends normally, at the syscall's exception frame whose pt_regs address is
    the "REGS:" the panic printed, and holds every frame of the "Call Trace:"
    the panic printed in the guest's log, in order: from panic() up the same
    (sp, return address) pairs, panic's own frame at the same sp. The log's
    trace was printed from inside panic() (dump_stack); QEMU stopped the CPU
    later, in panic()'s tail (the pseries os-term RTAS call), so ours starts
    deeper, and the log's first line, marked "(unreliable)" (a stale saved
    LR), is not compared. Without types (6.1 has no BTF) bt cannot list tasks:
    that error must name the missing type;
  * with the vmlinux, every task not running on a CPU ends normally (no
    "unwind stopped"); tasks the dump cannot show (filtered pages) are counted;
  * drgn (kdump-zlib, whose notes are copied to a temp file with each pr_pid
    set to the pid running on that CPU: QEMU writes 0 on ppc64 and drgn finds
    a running task's registers by pid): each sleeping task's (pc, sp) frames
    equal drgn's non-inline frames up to where drgn stops (drgn has no
    interrupt-frame crossing: it stops at the exception entry); the crashed
    task's frames from the second on equal drgn's (drgn starts a kernel
    NT_PRSTATUS at the link register, not at nip).
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import set_prstatus_pids  # noqa: E402

c = vtlib.Checks("real_bt_ppc64")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["ppc-hotplug", "ppc-deb13-hotplug", "ppc-deb13k64-hotplug"]
LINE = re.compile(r"\[(c[0-9a-f]{15})\] \[(c[0-9a-f]{15})\] (\S+?)\+0x[0-9a-f]+/0x[0-9a-f]+"
                  r"( \(unreliable\))?")
REGS = re.compile(r"REGS: (c[0-9a-f]{15}) ")


def log_trace(d):
    """The panic's Call Trace: [(sp, ip, function, unreliable)], REGS address."""
    with open(os.path.join(d, "console.log"), errors="replace") as f:
        text = f.read()
    at = text.find("Call Trace:", text.find("Kernel panic"))
    lines, regs, interrupt = [], None, False
    for line in text[at:].splitlines()[1:]:
        m = LINE.search(line)
        if m and not interrupt:
            lines.append((int(m[1], 16), int(m[2], 16), m[3], bool(m[4])))
            continue
        r = REGS.search(line)
        if r:
            regs = int(r[1], 16)
            break
        interrupt = interrupt or "--- interrupt" in line
        if not interrupt:
            break
    return lines, regs


def frames_of(t):
    return [(int(f["pc"], 16), int(f["sp"], 16), f["symbol"]) for f in t["frames"]]


def check_crashed(tag, t, log, regs):
    fr = frames_of(t)
    c.check(t["stopped"] is None, f"{tag}: crashed task ends normally ({t['stopped']})")
    c.check(t["frames"] and t["frames"][-1]["exception"] and
            int(t["frames"][-1]["regs_addr"], 16) == regs,
            f"{tag}: last frame is the syscall's exception frame at the log's REGS 0x{regs:x}")
    reliable = [x for x in log if not x[3]]
    panic_at = [i for i, x in enumerate(reliable) if x[2] == "panic"]
    if not c.check(panic_at, f"{tag}: the log's trace has panic"):
        return
    p = panic_at[0]
    # panic's frame: same sp (its pc differs: a later call site)
    sps = [sp for _, sp, _ in fr]
    c.check(reliable[p][0] in sps, f"{tag}: panic's frame sp 0x{reliable[p][0]:x} in ours")
    pos = sps.index(reliable[p][0]) if reliable[p][0] in sps else 0
    if fr[pos][2] is not None:
        c.equal(fr[pos][2], "panic", f"{tag}: the frame at panic's sp")
    rest = [(ip, sp) for sp, ip, _, _ in reliable[p + 1:]]
    got = [(pc, sp) for pc, sp, _ in fr[pos + 1:]]
    c.equal(got[:len(rest)], rest, f"{tag}: (pc, sp) above panic vs the log's trace")
    # with symbols, every reliable function of the log appears in order
    names = [n for _, _, n in fr]
    if all(n is not None for n in names[1:]):
        want = [x[2] for x in reliable[p:]]
        it = iter(names)
        c.check(all(w in it for w in want), f"{tag}: the log's functions in order in ours")
    return len(fr)


def drgn_frames(prog, task):
    out = []
    for fr in prog.stack_trace(task):
        if fr.is_inline:
            continue
        try:
            sp = fr.register("r1")
        except LookupError:
            sp = None
        out.append((fr.pc, sp))
    return out


def compare_drgn(tag, d, got, tmp):
    import drgn
    from drgn.helpers.linux.percpu import per_cpu
    from drgn.helpers.linux.cpumask import for_each_online_cpu
    vmlinux = os.path.join(d, "vmlinux")
    src = os.path.join(d, "vmcore.kdump-zlib")
    prog = vtlib.drgn_program(src, vmlinux)
    pids = [per_cpu(prog["runqueues"], cpu).curr.pid.value_()
            for cpu in for_each_online_cpu(prog)]
    core = os.path.join(tmp, "pid.kdump")
    shutil.copyfile(src, core)
    set_prstatus_pids(core, dict(enumerate(pids)))
    prog = vtlib.drgn_program(core, vmlinux)
    same = differ = 0
    for t in got["tasks"]:
        if t["error"]:
            continue
        try:
            want = drgn_frames(prog, drgn.Object(prog, "struct task_struct *",
                                                 int(t["task"], 16)))
        except Exception as ex:  # noqa: BLE001 (drgn's own failure is reported)
            print(f"note: {tag}: drgn cannot unwind pid {t['pid']}: {ex}")
            continue
        ours = [(pc, sp) for pc, sp, _ in frames_of(t)]
        if t["crashed"]:
            # drgn starts at the note's LR, we at its nip: compare from frame 1
            # (in RTAS, real mode, drgn's LR start leads nowhere: reported)
            if len(want) > 1:
                c.equal(ours[1:len(want)], want[1:], f"{tag}: crashed pid {t['pid']} vs drgn")
            print(f"{tag}: crashed task: ours {len(ours)} frames, drgn {len(want)} "
                  f"non-inline")
            continue
        if t["active"] or t["pid"] == 0:
            # (drgn takes a pid-0 task for the CPU whose note says pid 0)
            continue
        n = min(len(want), len(ours))
        if ours[:n] == want[:n] and n == len(want):
            same += 1
        else:
            differ += 1
            print(f"{tag}: pid {t['pid']} {t['comm']}: ours {ours[:n]} drgn {want[:n]}")
    c.equal(differ, 0, f"{tag}: sleeping tasks whose frames differ from drgn's")
    c.check(same > 20, f"{tag}: sleeping tasks equal to drgn's ({same})")
    print(f"{tag}: {same} sleeping tasks equal to drgn's frames")


def scenario(name):
    d = vtlib.dumpdir(name)
    log, regs = log_trace(d)
    c.check(len(log) >= 5 and regs, f"{name}: the log's Call Trace read ({len(log)} lines)")
    vmlinux = os.path.join(d, "vmlinux")
    for dump in ("vmcore.elf", "vmcore.kdump-zlib"):
        path = os.path.join(d, dump)
        for with_vml in (True, False):
            tag = f"{name} {dump}{'' if with_vml else ' (no vmlinux)'}"
            args = ["bt", path] + ([vmlinux] if with_vml else [])
            rc, out, err = vtlib.run(*args, "--json", check=False)
            if rc != 0:
                filtered = "no crashed task" in err and any(
                    t["error"] and "no data in the dump" in t["error"]
                    for t in vtlib.run_json("ps", *args[1:])["tasks"])
                c.check((not with_vml and "not known" in err) or filtered,
                        f"{tag}: bt fails only for lack of types or of filtered "
                        f"tasks: {err.strip()[:200]}")
                print(f"note: {tag}: {err.strip()[:160]}")
                continue
            got = __import__("json").loads(out)
            crashed = [t for t in got["tasks"] if t["crashed"]]
            if not c.equal(len(crashed), 1, f"{tag}: one crashed task"):
                continue
            n = check_crashed(tag, crashed[0], log, regs)
            print(f"{tag}: crashed task {n} frames, log's trace {len(log)} lines")
            if not with_vml:
                continue
            rc, out, err = vtlib.run(*args, "--all", "--json", check=False)
            if not c.equal(rc, 0, f"{tag}: bt --all ({err.strip()[:200]})"):
                continue
            got = __import__("json").loads(out)
            sleeping = [t for t in got["tasks"] if not t["active"]]
            unreadable = [t for t in sleeping if t["error"]]
            bad = [(t["pid"], t["comm"], t["stopped"]) for t in sleeping
                   if not t["error"] and t["stopped"]]
            c.equal(bad, [], f"{tag}: sleeping tasks whose trace stopped early")
            c.check(all("no data in the dump" in t["error"] for t in unreadable),
                    f"{tag}: unreadable tasks are filtered pages only")
            ok = len(sleeping) - len(unreadable) - len(bad)
            c.check(ok > 20, f"{tag}: sleeping tasks unwound ({ok})")
            depth = [len(t["frames"]) for t in sleeping if not t["error"]]
            print(f"{tag}: {ok}/{len(sleeping)} sleeping tasks end normally "
                  f"({len(unreadable)} unreadable), frames {min(depth)}..{max(depth)}")
            if dump == "vmcore.kdump-zlib" and not unreadable:
                with tempfile.TemporaryDirectory(prefix="vt-bt.", dir=TMP) as tmp:
                    compare_drgn(tag, d, got, tmp)


for s in SCENARIOS:
    scenario(s)
c.done()
