#!/usr/bin/python3
"""`vmtriage log` on real dumps (issue 7 item 2) against drgn's printk helper
(get_printk_records) on the same dump, x86_64 and ppc64le (the log buffer is
in the kernel image, which drgn can read on ppc64 too), and against the
guest's serial console for the panic lines."""
import os

from drgn.helpers.linux.printk import get_printk_records

from vtlib import Checks, dumpdir, drgn_program, run, run_json

c = Checks("real_log")
for scenario, core in (("x86-basic", "vmcore.kdump-zlib"), ("x86-hotplug", "vmcore.elf"),
                       ("ppc-hotplug", "vmcore.elf")):
    d = dumpdir(scenario)
    dump = os.path.join(d, core)
    prog = drgn_program(dump if core != "vmcore.elf" or scenario.startswith("ppc")
                        else os.path.join(d, "vmcore.elf-paging"), os.path.join(d, "vmlinux"))
    want = [(r.seq, r.timestamp, r.text.decode(errors="replace").rstrip("\n"))
            for r in get_printk_records(prog)]
    for args in ([dump], [dump, os.path.join(d, "vmlinux")]):
        got = run_json("log", *args)["records"]
        got = [(r["seq"], r["ts_nsec"], r["text"]) for r in got]
        tag = f"{scenario}/{core}{' +vmlinux' if len(args) > 1 else ''}"
        c.check(len(got) > 100, f"{tag}: {len(got)} records")
        c.equal(len(got), len(want), f"{tag}: record count vs drgn")
        bad = [(g, w) for g, w in zip(got, want) if g != w]
        c.check(not bad, f"{tag}: records differ from drgn, first: {bad[:1]}")
    # The panic the test harness caused is in the log, as on the console.
    text = run("log", dump)[1]
    c.check("sysrq triggered crash" in text or "Kernel panic" in text,
            f"{scenario}: the panic is in the log")
c.done()
