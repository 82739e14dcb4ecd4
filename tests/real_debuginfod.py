#!/usr/bin/python3
"""The vmlinux from debuginfod (issue 18 item 3), against a real elfutils
`debuginfod` server started here on 127.0.0.1, serving the test kernels'
-dbg vmlinux files (no network beyond loopback).

On ppc-c (a ppc64 6.1 dump: no BTF, no data symbols, so class C needs the
vmlinux), with a fresh libdebuginfod cache each time:
  * DEBUGINFOD_URLS set, no VMLINUX: the vmlinux of the dump's build-id is
    fetched, said on stderr, and `report --json` equals the report with the
    vmlinux given by hand; the cached file has the dump's build-id;
  * the same with `--debuginfod URL` and no DEBUGINFOD_URLS;
  * with the cache warm and the server gone, the cached file serves again;
  * `--no-debuginfod`: the report of the dump alone;
  * a server that is down: a warning naming it, and the dump-alone report;
  * a server that answers with another kernel's vmlinux: a warning that it
    is not this dump's, and the dump-alone report;
  * `batch` over a directory holding only the dump: its summary names the
    fetched vmlinux ("vmlinux from debuginfod") and the verdicts are the
    report's with the vmlinux.
"""
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_debuginfod")
if not shutil.which("debuginfod"):
    vtlib.skip("no debuginfod server (Debian package debuginfod)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_id(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return next((ln.split()[-1] for ln in out.splitlines() if "Build ID:" in ln), None)


def results(out):
    try:
        return json.loads(out)["results"]
    except (ValueError, KeyError):
        return None


def verdicts(rs):
    return {r["plugin"]: r["verdict"] for r in rs or []}


d = vtlib.dumpdir("ppc-c")
other = vtlib.dumpdir("x86-basic")
dump = os.path.join(d, "vmcore.elf")
vmlinux = os.path.realpath(os.path.join(d, "vmlinux"))
tmp = tempfile.mkdtemp(prefix="vt-debuginfod.", dir=os.environ.get("TMPDIR") or "/var/tmp")
server = None
try:
    files = os.path.join(tmp, "files")
    os.makedirs(files)
    os.symlink(vmlinux, os.path.join(files, "vmlinux-ppc"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(["debuginfod", "-p", str(port), "-d", os.path.join(tmp, "db.sqlite"),
                               "-F", "-L", files], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    ready = False
    while time.monotonic() < deadline and not ready:
        time.sleep(1)
        try:
            m = urllib.request.urlopen(url + "/metrics", timeout=5).read().decode()
        except OSError:
            continue
        ready = 'scanned_files_total{source="file"} 1' in m and \
            'thread_work_pending{role="scan"} 0' in m
    if not c.check(ready, f"debuginfod on {url} indexed {vmlinux}"):
        c.done()

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("DEBUGINFOD_")}

    def report(*args, urls=None, cache="fresh"):
        env = dict(base_env)
        if urls:
            env["DEBUGINFOD_URLS"] = urls
        env["DEBUGINFOD_CACHE_PATH"] = tempfile.mkdtemp(dir=tmp) if cache == "fresh" else cache
        p = subprocess.run([vtlib.VMTRIAGE, "report", dump, *args, "--json"], env=env,
                           capture_output=True, text=True, timeout=600)
        return p.returncode, results(p.stdout), p.stderr, env["DEBUGINFOD_CACHE_PATH"]

    rc_v, with_v, _, _ = report(vmlinux)
    rc_n, alone, _, _ = report("--no-debuginfod")
    c.check(with_v and alone and verdicts(with_v)["stale-lmb"] == "latent" and
            verdicts(alone)["stale-lmb"] == "unknown",
            f"the vmlinux matters on this dump (stale-lmb {verdicts(with_v).get('stale-lmb')} with it, "
            f"{verdicts(alone).get('stale-lmb')} without)")
    bid = build_id(vmlinux)

    rc, got, err, cache = report(urls=url)
    c.equal(got, with_v, "DEBUGINFOD_URLS: the report equals the one with the vmlinux given")
    c.equal(rc, rc_v, "DEBUGINFOD_URLS: the same exit status")
    c.check("from debuginfod" in err and bid in err, f"stderr says where the vmlinux came from: {err!r}")
    cached = os.path.join(cache, bid, "debuginfo")
    c.check(os.path.exists(cached) and build_id(cached) == bid,
            f"libdebuginfod's cache holds the file, build-id {bid}")

    rc, got, err, _ = report("--debuginfod", url)
    c.equal(got, with_v, "--debuginfod URL: the report equals the one with the vmlinux given")

    dead = f"http://127.0.0.1:{free_port()}"
    rc, got, err, _ = report(urls=dead, cache=cache)
    c.equal(got, with_v, "the warm cache serves with the server gone")

    rc, got, err, _ = report("--no-debuginfod", urls=url)
    c.equal(got, alone, "--no-debuginfod: the dump alone")

    rc, got, err, _ = report(urls=dead)
    c.equal(got, alone, "a server that is down: the dump alone")
    c.equal(rc, rc_n, "a server that is down: the dump alone's exit status")
    c.check("warning" in err and dead in err and "going on" in err,
            f"a server that is down is named in a warning: {err!r}")

    # A server that answers every build-id with another kernel's vmlinux.
    wrong = os.path.realpath(os.path.join(other, "vmlinux"))

    class Wrong(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if not self.path.endswith("/debuginfo"):
                self.send_error(404)
                return
            size = os.path.getsize(wrong)
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            with open(wrong, "rb") as f:
                shutil.copyfileobj(f, self.wfile)

        def log_message(self, *a):
            pass
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Wrong)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    rc, got, err, _ = report(urls=f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.shutdown()
    c.equal(got, alone, "a server giving another kernel's vmlinux: the dump alone")
    c.check("not this dump's" in err and "build-id" in err,
            f"... and a warning that it is not this dump's: {err[-400:]!r}")

    # batch: a directory with only the dump (no vmlinux beside it)
    bdir = os.path.join(tmp, "dumps")
    os.makedirs(bdir)
    os.symlink(dump, os.path.join(bdir, "ppc-c.elf"))
    env = dict(base_env, DEBUGINFOD_URLS=url, DEBUGINFOD_CACHE_PATH=tempfile.mkdtemp(dir=tmp))
    out = os.path.join(tmp, "batch")
    p = subprocess.run([vtlib.VMTRIAGE, "batch", bdir, "-o", out, "-j", "1"], env=env,
                       capture_output=True, text=True, timeout=900)
    lines = [json.loads(x) for x in open(os.path.join(out, "summary.jsonl"))] \
        if os.path.exists(os.path.join(out, "summary.jsonl")) else []
    c.check(len(lines) == 1 and lines[0].get("vmlinux_note") == "vmlinux from debuginfod" and
            build_id(lines[0].get("vmlinux", "/nonexistent")) == bid,
            f"batch: the dump's vmlinux from debuginfod: {lines and {k: lines[0].get(k) for k in ('vmlinux', 'vmlinux_note')}}")
    c.equal(lines[0].get("verdicts") if lines else None, verdicts(with_v),
            "batch: the verdicts of the report with the vmlinux")
    c.check("(vmlinux from debuginfod)" in p.stdout, "batch's summary says so")
finally:
    if server:
        server.terminate()
        server.wait()
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
