"""`vmtriage ps` against drgn, on one dump of each kernel x arch.

Per scenario (the kdump-zlib on x86_64, else the ELF, with the vmlinux; on arm64 drgn reads the ELF
rewritten by testdata/arm64/elf-for-drgn.py):
  * the (pid, comm, ppid) of every task but the idle ones equals drgn's
    for_each_task (every thread in the PID namespace; idle tasks have PID 0
    and are in no namespace);
  * each of those tasks' state letter equals drgn's task_state_to_char,
    its CPU task_cpu, its task address and mm drgn's;
  * one idle task (PID 0) per present CPU, each equal to drgn's
    idle_task(cpu), and at least one task marked running ('>').
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_ps")
TMP = os.environ.get("TMPDIR") or "/var/tmp"
SCENARIOS = ["x86-deb11-basic", "x86-basic", "x86-deb13-basic", "x86-sid-basic",
             "ppc-hotplug", "ppc-deb13-hotplug", "arm64-deb13-basic"]


def drgn_view(prog):
    from drgn.helpers.linux.pid import for_each_task
    from drgn.helpers.linux.sched import task_state_to_char, task_cpu, idle_task
    from drgn.helpers.linux.cpumask import for_each_present_cpu
    tasks = {}
    for t in for_each_task(prog):
        tasks[t.value_()] = {
            "pid": t.pid.value_(), "tgid": t.tgid.value_(), "comm": t.comm.string_().decode(errors="replace"),
            "ppid": t.real_parent.pid.value_(), "state_char": task_state_to_char(t),
            "cpu": task_cpu(t), "mm": t.mm.value_()}
    idle = {cpu: idle_task(prog, cpu).value_() for cpu in for_each_present_cpu(prog)}
    return tasks, idle


def scenario(name):
    d = vtlib.dumpdir(name)
    tr = vtlib.truth(d)
    vmlinux = os.path.join(d, "vmlinux")
    # (the kdump on x86_64, whose QEMU ELF drgn cannot translate; as real_matrix)
    dump = os.path.join(d, "vmcore.kdump-zlib" if tr["arch"] == "x86_64" else "vmcore.elf")
    tag = f"{name} ({tr['kernel_release']})"
    with tempfile.TemporaryDirectory(prefix="vt-ps.", dir=TMP) as tmp:
        prog = vtlib.drgn_scenario(d, dump, tr, tmp)
        want, want_idle = drgn_view(prog)
    got = vtlib.run_json("ps", dump, vmlinux)
    tasks = got["tasks"]
    c.check(not any(t["error"] for t in tasks),
            f"{tag}: no unreadable task: {[t['error'] for t in tasks if t['error']][:3]}")
    c.equal(got["cpu_error"], None, f"{tag}: per-CPU tasks read")
    c.equal(got["state_error"], None, f"{tag}: states decoded")
    listed = {int(t["task"], 16): t for t in tasks if not t["idle"]}
    c.equal(sorted((t["pid"], t["comm"], t["ppid"]) for t in listed.values()),
            sorted((t["pid"], t["comm"], t["ppid"]) for t in want.values()),
            f"{tag}: (pid, comm, ppid) vs drgn's for_each_task")
    c.check(len(want) > 30, f"{tag}: drgn lists tasks ({len(want)})")
    c.equal(sum(t["tgid"] != t["pid"] for t in listed.values()),
            sum(w["tgid"] != w["pid"] for w in want.values()),
            f"{tag}: threads other than leaders vs drgn")
    bad = {"state_char": [], "cpu": [], "mm": []}
    for addr, w in want.items():
        t = listed.get(addr)
        if not c.check(t is not None, f"{tag}: task 0x{addr:x} (pid {w['pid']}) listed"):
            continue
        for k in bad:
            g = int(t[k], 16) if k == "mm" else t[k]
            if g != w[k]:
                bad[k].append((w["pid"], g, w[k]))
    for k, v in bad.items():
        c.equal(v, [], f"{tag}: {k} vs drgn (pid, got, want)")
    idle = {t["cpu"]: int(t["task"], 16) for t in tasks if t["idle"]}
    c.equal(got["cpus"], len(want_idle), f"{tag}: present CPUs vs drgn")
    c.equal(idle, want_idle, f"{tag}: idle task per CPU vs drgn's idle_task")
    c.check(all(t["pid"] == 0 for t in tasks if t["idle"]), f"{tag}: idle tasks are PID 0")
    c.check(any(t["active"] for t in tasks), f"{tag}: a task is marked running")
    rc, text, err = vtlib.run("ps", dump, vmlinux)
    c.equal(len(text.splitlines()), len(tasks) + 1, f"{tag}: text lists every task")


for s in SCENARIOS:
    scenario(s)
c.done()
