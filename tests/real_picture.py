#!/usr/bin/python3
"""`vmtriage report --html/--svg` on real dumps (issue 8): the page loads
nothing from the network, its SVG parses, the findings are drawn at their
addresses (x86-e's poisoned pfns, ppc-a's page-table page with a bad count)
and the bands hold the scenario's layout (x86-hotplug's hot-added dimm);
headless Chromium renders it to a non-empty PNG."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

from vtlib import Checks, dumpdir, run, truth

CHROMIUM = "/usr/bin/chromium"
c = Checks("real_picture")
tmp = tempfile.mkdtemp(prefix="vt-picture-")


def svg_of_html(page):
    m = re.search(r"<svg .*?</svg>", page, re.S)
    return ET.fromstring(m.group(0)) if m else None


def findings(svg):
    return [g for g in svg.iter() if g.tag.endswith("g") and g.get("class") == "finding"]


def screenshot(html, png):
    prof = tempfile.mkdtemp(prefix="vt-chromium-", dir=tmp)
    proc = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", f"--user-data-dir={prof}",
                           f"--screenshot={png}", "--window-size=1400,900", "file://" + html],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    return proc.returncode


have_chromium = os.access(CHROMIUM, os.X_OK)
if not have_chromium and os.environ.get("CI"):
    c.check(False, f"{CHROMIUM} missing with $CI set (testdata/install-deps.sh installs it)")

for scenario, vmlinux in (("x86-e", False), ("x86-hotplug", False), ("ppc-a", True)):
    d = dumpdir(scenario)
    core = os.path.join(d, "vmcore.kdump-zlib")
    html, svgf = os.path.join(tmp, scenario + ".html"), os.path.join(tmp, scenario + ".svg")
    args = [core] + ([os.path.join(d, "vmlinux")] if vmlinux else [])
    rc, out, err = run("report", *args, "--json", "--html", html, "--svg", svgf, check=False)
    c.check(rc in (0, 1), f"{scenario}: report exit {rc}: {err.strip()}")
    rep = json.loads(out)
    page = open(html, encoding="utf-8").read()
    alone = open(svgf, encoding="utf-8").read()
    c.check(not re.search(r"https?://", page), f"{scenario}: the HTML names no http(s) URL")
    # The standalone SVG's only URL is its namespace name, which is never fetched.
    c.equal(re.findall(r"https?://[^\"']*", alone), ["http://www.w3.org/2000/svg"],
            f"{scenario}: the SVG's only URL is the SVG namespace")
    c.check(not re.search(r"<script|<link|@import|<img|<iframe", page + alone, re.I),
            f"{scenario}: no scripts, links, imports or images")
    try:
        svg = svg_of_html(page)
        ET.fromstring(alone)
        parsed = svg is not None
    except ET.ParseError as e:
        parsed = False
        print(f"parse error: {e}")
    if not c.check(parsed, f"{scenario}: the SVGs parse as XML"):
        continue
    bands = {g.get("data-band") for g in svg.iter() if g.get("class") == "band"}
    c.check({"memory sections", "zones"} <= bands, f"{scenario}: bands {sorted(bands)}")
    marks = [(g.get("data-class"), int(g.get("data-start"), 16), int(g.get("data-end"), 16))
             for g in findings(svg)]
    inj = truth(d).get("injection")
    if scenario == "x86-e":
        want = (int(inj["pfn"], 16) << 12, int(inj["pfn_end"], 16) << 12)
        c.check(("E",) + want in marks, f"x86-e: poisoned range {want} drawn: {marks}")
        c.check("e820" in bands, "x86-e: e820 band")
    elif scenario == "ppc-a":
        r = next(r for r in rep["results"] if r["plugin"] == "ptfrag-early")
        pfn = int(r["evidence"][0]["pfn"], 16)
        c.check(("A", pfn << 16, (pfn + 1) << 16) in marks,
                f"ppc-a: bad table page pfn {pfn:#x} drawn (64 KiB pages): {marks}")
        c.check("LMBs (device tree)" in bands, "ppc-a: the LMB band")
    else:
        hp = truth(d)["hotplug"]["present"]
        start = int(hp["start"], 16)
        segs = [(int(r.get("data-start"), 16), int(r.get("data-end"), 16), r.find("title").text)
                for g in svg.iter() if g.get("data-band") == "memory sections"
                for r in g if r.get("class") == "seg"]
        c.check(any(s <= start < e and "hot-added" in t for s, e, t in segs),
                f"x86-hotplug: dimm2 at {start:#x} drawn as hot-added")
        removed = int(truth(d)["hotplug"]["removed"]["start"], 16)
        c.check(any(s <= removed < e and "hotplug window" in t for s, e, t in segs),
                f"x86-hotplug: removed dimm1 at {removed:#x} drawn as an empty hotplug range")
        c.equal(marks, [], "x86-hotplug: nothing to highlight")
    nfindings = sum(len(r["evidence"]) for r in rep["results"]
                    if r["verdict"] in ("fired", "latent"))
    c.equal(page.count("<tr class=\"latent\">") + page.count("<tr class=\"fired\">"),
            nfindings, f"{scenario}: one table row per evidence item")
    if have_chromium:
        png = os.path.join(tmp, scenario + ".png")
        rc = screenshot(html, png)
        ok = rc == 0 and os.path.exists(png) and os.path.getsize(png) > 10000
        if ok:
            with open(png, "rb") as f:
                ok = f.read(8) == b"\x89PNG\r\n\x1a\n"
        c.check(ok, f"{scenario}: chromium screenshot (exit {rc}) is a PNG")
        if ok and os.environ.get("VT_KEEP_SCREENSHOTS"):
            shutil.copy(png, os.environ["VT_KEEP_SCREENSHOTS"])
    elif not os.environ.get("CI"):
        print(f"SKIP screenshot: {CHROMIUM} not installed")

# An unwritable picture path is an error, not a silent success.
rc, _, err = run("report", os.path.join(dumpdir("x86-basic"), "vmcore.kdump-zlib"),
                 "--svg", "/nonexistent/dir/x.svg", check=False)
c.check(rc == 2 and "/nonexistent/dir/x.svg" in err, f"unwritable --svg: rc {rc} {err.strip()}")
shutil.rmtree(tmp, ignore_errors=True)
c.done()
