#!/usr/bin/python3
"""`vmtriage report` on the real ppc64le pseries dumps, against what the
guest's test module logged (truth.json "injection"):
- A (ptfrag-early): ppc-a's kernel PMD table page, pt_frag_refcount 0;
- D (ptfrag-count): ppc-d's PTE fragment page of the sleeping process;
- E (uninit-pages): ppc-e's poisoned struct page, with and without the
  vmlinux (the all-ones test needs no types);
every other plugin and the clean twin (ppc-hotplug) come out clean; x86-only
B says not-applicable. A and D need types: without the vmlinux they say
unknown, never a wrong verdict."""
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
            for plugin, mode, kind in (("ptfrag-early", "a", "table-page"),
                                       ("ptfrag-count", "d", "fragment-page")):
                r = res[plugin]
                if len(args) == 1:
                    c.equal(r["verdict"], "unknown", f"{tag} {plugin} without types")
                elif inj and inj["mode"] == mode:
                    c.equal(r["verdict"], "latent", f"{tag} {plugin} verdict")
                    ev = r["evidence"]
                    c.equal([e["kind"] for e in ev], [kind], f"{tag} {plugin} evidence")
                    if ev:
                        c.equal(int(ev[0]["pfn"], 16), int(inj["pfn"], 16), f"{tag} {plugin} pfn")
                        c.equal(int(ev[0]["page"], 16), int(inj["page"], 16),
                                f"{tag} {plugin} struct page")
                    if mode == "d" and ev:
                        c.equal((int(ev[0]["pid"]), int(ev[0]["used"]), int(ev[0]["cached"]),
                                 int(ev[0]["pt_frag_refcount"])),
                                (inj["pid"], inj["used"], inj["cached"], inj["pt_frag_refcount_after"]),
                                f"{tag} D pid/used/cached/count")
                    if mode == "a" and ev:
                        c.equal(int(ev[0]["table"], 16), int(inj["table_pa"], 16), f"{tag} A table")
                else:
                    c.equal(r["verdict"], "clean", f"{tag} {plugin} clean")
            e = res["uninit-pages"]
            if inj and inj["mode"] == "e":
                c.equal(e["verdict"], "latent", f"{tag} E verdict")
                c.equal([(x["start_pfn"], x["end_pfn"]) for x in e["evidence"]],
                        [(inj["pfn_first"], hex(int(inj["pfn_last"], 16) + 1))], f"{tag} E range")
                c.equal(rc, 1, f"{tag} exit status with findings")
            else:
                c.equal(e["verdict"], "clean", f"{tag} E clean")
c.done()
