#!/usr/bin/python3
"""`vmtriage report` on the real x86_64 dumps (issue 7): each injected state
gives the right plugin the right verdict with the evidence the guest's
module logged (truth.json "injection": pgd slot, table pfn, struct pages),
its clean twin (and the hotplug and pmem dumps) come out clean from every
plugin, on the ELF, compressed and filtered (-d 31) versions alike; exit
status 1 with findings, 0 without."""
import json
import os

from vtlib import Checks, dumpdir, run, truth

FORMATS = ("vmcore.elf", "vmcore.kdump-zlib", "vmcore.kdump-d31")
c = Checks("real_report_x86")


def report(path):
    rc, out, err = run("report", path, "--json", check=False)
    c.check(rc in (0, 1), f"{path}: report exit {rc}: {err.strip()}")
    return rc, json.loads(out) if out else {"results": []}


def result(rep, plugin):
    return next((r for r in rep["results"] if r["plugin"] == plugin), None)


for scenario in ("x86-basic", "x86-hotplug", "x86-pmem", "x86-b-latent", "x86-b-conflict", "x86-e"):
    d = dumpdir(scenario)
    inj = truth(d)["injection"]
    for fmt in FORMATS:
        tag = f"{scenario}/{fmt}"
        rc, rep = report(os.path.join(d, fmt))
        verdicts = {r["plugin"]: r["verdict"] for r in rep["results"]}
        c.equal(rep.get("schema"), "vmtriage-report/1", f"{tag} schema")
        c.equal(rep["crash"]["pid"] if rep.get("crash") else None, truth(d)["panic_pid"],
                f"{tag} crashing PID")
        if inj is None:
            want = {p: v for p, v in verdicts.items() if v == "not-applicable"}
            want.update({"pgd-desync": "clean", "uninit-pages": "clean"})
            c.equal(verdicts, want, f"{tag} clean twin: clean, or not-applicable on x86")
            c.check({"ptfrag-early", "ptfrag-count", "stale-lmb"} <= set(want) and
                    want["ptfrag-early"] == want["ptfrag-count"] == want["stale-lmb"] ==
                    "not-applicable", f"{tag} ppc64-only plugins say not-applicable")
            c.equal(rc, 0, f"{tag} exit status without findings")
            continue
        c.equal(rc, 1, f"{tag} exit status with findings")
        if inj["mode"] in ("b-latent", "b-conflict"):
            r = result(rep, "pgd-desync")
            c.equal(r["verdict"], "latent", f"{tag} pgd-desync verdict")
            c.equal(verdicts["uninit-pages"], "clean", f"{tag} other plugin clean")
            kind = "pgd-conflict" if inj["mode"] == "b-conflict" else "pgd-stale"
            ev = [e for e in r["evidence"] if e["kind"] == kind]
            c.equal(len(r["evidence"]), 1, f"{tag} exactly the injected slot is reported")
            if ev:
                c.equal(int(ev[0]["slot"]), inj["index"], f"{tag} slot")
                c.equal(int(ev[0]["pgd_table_pfn"], 16), int(inj["new_pfn"], 16), f"{tag} table pfn")
                c.equal(int(ev[0]["mm"], 16), int(inj["mm"], 16), f"{tag} owner mm")
                c.equal(int(ev[0]["pgd_pfn"], 16), int(inj["pgd_pa"], 16) >> 12, f"{tag} pgd pfn")
        elif inj["mode"] == "e":
            r = result(rep, "uninit-pages")
            c.equal(r["verdict"], "latent", f"{tag} uninit-pages verdict")
            c.equal(verdicts["pgd-desync"], "clean", f"{tag} other plugin clean")
            c.equal([(e["kind"], e["start_pfn"], e["end_pfn"]) for e in r["evidence"]],
                    [("poisoned-pages", inj["pfn"], inj["pfn_end"])], f"{tag} poisoned range")
            if r["evidence"]:
                c.equal(int(r["evidence"][0]["struct_page"], 16), int(inj["page"], 16),
                        f"{tag} struct page address")

# One plugin at a time; an unknown one is an error.
d = dumpdir("x86-e")
rc, rep = report(os.path.join(d, "vmcore.kdump-zlib"))
rc1, out, _ = run("report", os.path.join(d, "vmcore.kdump-zlib"), "--plugin", "pgd-desync",
                  "--json", check=False)
c.equal([r["plugin"] for r in json.loads(out)["results"]], ["pgd-desync"], "--plugin runs one")
c.equal(rc1, 0, "--plugin pgd-desync on x86-e: nothing found, exit 0")
rc2, _, err = run("report", os.path.join(d, "vmcore.kdump-zlib"), "--plugin", "nope", check=False)
c.check(rc2 == 2 and "no plugin" in err, f"--plugin nope: rc {rc2} {err.strip()}")
c.done()
