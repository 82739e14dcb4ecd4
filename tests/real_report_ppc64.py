#!/usr/bin/python3
"""`vmtriage report` on the real ppc64le pseries dumps: class E (generic)
finds the poisoned struct page the module logged (ppc-e) with and without
the vmlinux (the all-ones test needs no types); the clean twin and the
dumps injected with other classes come out clean for E; x86-only B says
not-applicable."""
import json
import os

from vtlib import Checks, dumpdir, run, truth

c = Checks("real_report_ppc64")
for scenario in ("ppc-hotplug", "ppc-a", "ppc-c", "ppc-d", "ppc-e"):
    d = dumpdir(scenario)
    inj = truth(d)["injection"]
    vmlinux = os.path.join(d, "vmlinux")
    for fmt in ("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-d31"):
        for args in ([os.path.join(d, fmt), vmlinux], [os.path.join(d, fmt)]):
            tag = f"{scenario}/{fmt}{'' if len(args) > 1 else ' (no vmlinux)'}"
            rc, out, err = run("report", *args, "--json", check=False)
            if not c.check(rc in (0, 1), f"{tag}: exit {rc}: {err.strip()}"):
                continue
            rep = json.loads(out)
            res = {r["plugin"]: r for r in rep["results"]}
            c.equal(res["pgd-desync"]["verdict"], "not-applicable", f"{tag} B not applicable")
            e = res["uninit-pages"]
            if inj and inj["mode"] == "e":
                c.equal(e["verdict"], "latent", f"{tag} E verdict")
                c.equal([(x["start_pfn"], x["end_pfn"]) for x in e["evidence"]],
                        [(inj["pfn_first"], hex(int(inj["pfn_last"], 16) + 1))], f"{tag} E range")
                c.equal(rc, 1, f"{tag} exit status with findings")
            else:
                c.equal(e["verdict"], "clean", f"{tag} E clean")
c.done()
