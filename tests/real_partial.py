"""Degrade per item, never per command (issue 12): a dump whose filtering
dropped one process's task_struct (as makedumpfile does with slab pages it
does not recognise) still lists every other process, names the missing one
as unreadable, and the plugins say their evidence is partial.

The pages are dropped from a copy of a real kdump-compressed dump
(tests/dumpedit.py: the pfn's bit cleared, its page descriptor removed).
The task's address comes from drgn on the untouched dump; the expected
list of processes is vmtriage's own on the untouched dump, checked against
drgn's task list.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402
from dumpedit import kdump_filter_pfns  # noqa: E402

checks = vtlib.Checks("real_partial")


def drgn_tasks(core, vmlinux):
    """{pid: (task address, sizeof(struct task_struct), has an mm)} of every
    thread-group leader (the tasks on init_task.tasks)."""
    import drgn
    from drgn.helpers.linux.pid import for_each_task
    prog = drgn.Program()
    prog.set_core_dump(core)
    prog.load_debug_info([vmlinux])
    size = drgn.sizeof(prog.type("struct task_struct"))
    return {t.pid.value_(): (t.value_(), size, bool(t.mm.value_()))
            for t in for_each_task(prog) if t.pid.value_() == t.tgid.value_()}


def vt_json(*args):
    rc, out, err = vtlib.run(*args, check=False)
    return rc, (json.loads(out) if out.strip() else None), err


def phys(core, extra, addr):
    rc, j, err = vt_json("vtop", core, *extra, hex(addr), "--json")
    return int(j["physical"], 16) if rc == 0 else None


def verdicts(j):
    return {r["plugin"]: r for r in j["results"]}


def case(tmp, scen, core_name, victim_of, want_plugins, need_vmlinux):
    d = vtlib.dumpdir(scen)
    core, vmlinux = os.path.join(d, core_name), os.path.join(d, "vmlinux")
    extra = [vmlinux] if need_vmlinux else []
    tasks = drgn_tasks(core, vmlinux)
    rc, before, err = vt_json("pgtables", core, *extra, "--json")
    if not checks.check(rc == 0, f"{scen}: pgtables on the untouched dump: {err[:200]}"):
        return
    pids = sorted(m["pid"] for m in before)
    # Each mm is listed once, under its first task: those are drgn's processes.
    users = sorted(p for p, t in tasks.items() if t[2])
    checks.check(set(pids) <= set(users), f"{scen}: vmtriage's pids {pids} are drgn's "
                 f"user processes {users}")
    victim = victim_of(vtlib.truth(d), pids)
    addr, size, _ = tasks[victim]
    pas = {phys(core, extra, a) for a in range(addr, addr + size, 4096)} | \
        {phys(core, extra, addr + size - 1)}
    rc, info, _ = vt_json("info", core, *extra, "--json")
    shift = 16 if info["page_size"] == 65536 else 12
    pfns = sorted({pa >> shift for pa in pas if pa is not None})
    path = os.path.join(tmp, f"{scen}-{core_name}-partial")
    shutil.copyfile(core, path)
    os.chmod(path, 0o644)
    dropped = kdump_filter_pfns(path, pfns)
    if not checks.check(dropped, f"{scen}: pid {victim}'s task_struct pfns "
                        f"{[hex(p) for p in pfns]} were in the dump"):
        return

    rc, after, err = vt_json("pgtables", path, *extra, "--json")
    checks.equal(rc, 0, f"{scen} partial: pgtables exit ({err[:200]})")
    if after is None:
        return
    bad = [m for m in after if "unreadable" in m]
    good = {m["pid"]: m for m in after if "unreadable" not in m}
    # The victim, and any other task_struct sharing its pages (kernel
    # threads too: with the task unreadable nobody can tell it has no mm).
    # (task_structs live in the linear map: virtual = physical + a constant)
    page, lin = 1 << shift, addr - phys(core, extra, addr)
    sharing = {hex(a) for a, sz, _ in tasks.values()
               if any(lin + p * page < a + sz and a < lin + (p + 1) * page for p in dropped)}
    checks.check(hex(addr) in [m.get("task") for m in bad] and
                 {m.get("task") for m in bad} <= sharing,
                 f"{scen} partial: unreadable entries are task {hex(addr)} and tasks "
                 f"sharing its pages {sorted(sharing)}: {bad}")
    checks.check(bad and "0x" in bad[0]["unreadable"],
                 f"{scen} partial: the entry says what could not be read: {bad}")
    want = {m["pid"]: m for m in before if m["pid"] != victim}
    checks.equal(sorted(good), sorted(want), f"{scen} partial: the other processes")
    for pid, m in want.items():
        g = good.get(pid, {})
        checks.check(g.get("table_bytes") == m["table_bytes"] and
                     g.get("pgtables_bytes") == m["pgtables_bytes"],
                     f"{scen} partial: pid {pid} tables unchanged: {g} vs {m}")

    rc, rep, err = vt_json("report", path, *extra, "--json")
    checks.check(rc in (0, 1), f"{scen} partial: report exit {rc}: {err[:200]}")
    if rep:
        got = verdicts(rep)
        for plugin, (verdict, reason_part) in want_plugins.items():
            r = got.get(plugin, {})
            checks.check(r.get("verdict") == verdict and reason_part in r.get("reason", ""),
                         f"{scen} partial: {plugin} {verdict} with '{reason_part}': "
                         f"{r.get('verdict')} {r.get('reason')}")


def main():
    tmpdir = os.environ.get("TMPDIR") or "/var/tmp"
    with tempfile.TemporaryDirectory(prefix="vt-partial.", dir=tmpdir) as tmp:
        # x86: the sleeper whose pgd carries the injected entry loses its
        # task_struct; class B reads pgd_list, not tasks: still latent.
        case(tmp, "x86-b-latent", "vmcore.kdump-zlib",
             lambda t, pids: t["injection"]["pid"],
             {"pgd-desync": ("latent", "")}, need_vmlinux=False)
        # ppc64 clean twin: init's task_struct filtered; class D cannot say
        # clean about processes it cannot see.
        case(tmp, "ppc-hotplug", "vmcore.kdump-d31",
             lambda t, pids: 1,
             {"ptfrag-count": ("unknown", "partial")}, need_vmlinux=True)
        # ppc64 D: another process filtered; the injected page still found.
        case(tmp, "ppc-d", "vmcore.kdump-d31",
             lambda t, pids: 1,
             {"ptfrag-count": ("latent", "")}, need_vmlinux=True)
    checks.done()


main()
