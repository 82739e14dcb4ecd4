#!/usr/bin/python3
"""`vmtriage serve` (issue 18 item 4), driven with curl on 127.0.0.1:

  * POST /dumps without a token, or with a wrong one: 401, nothing kept;
  * uploads that are not a dump, a truncated dump, over --max-upload, or
    cut off in transit: refused (400, 413) or dropped, nothing kept in
    DATA/uploads;
  * a real dump uploaded (x86-b-latent's makedumpfile -d 31 file) and one
    registered by path (ppc-c's ELF, under --allow-path; a path outside it:
    403): each queued, run by a worker through batch, done; its
    report.json's verdicts equal `vmtriage report --json` of the same dump
    (ppc-c with the vmlinux batch finds beside it);
  * GET /dumps?class=B&verdict=latent lists the x86 dump, not the ppc one;
  * the service killed (SIGKILL) while a job runs, and started again: the
    job is queued again and done once (attempts 2, one result), nothing
    lost; the database survives (schema version, WAL);
  * --workers 0 (HTTP only) queues; a `serve --worker` process beside it
    on the same --data does the job;
  * the pages (/, /dumps/ID.html with report --html's memory map, /summary)
    render in headless Chromium: screenshots that are not blank.
"""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vtlib  # noqa: E402

c = vtlib.Checks("real_serve")
for tool in ("curl",):
    if not shutil.which(tool):
        vtlib.skip(f"no {tool}")

TOKEN = "t0ken-for-the-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self, data, extra=()):
        self.data, self.port = data, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tf = os.path.join(os.path.dirname(data), "token")
        with open(tf, "w") as f:
            f.write(TOKEN + "\n")
        self.log = open(os.path.join(os.path.dirname(data), "serve.log"), "a")
        self.p = subprocess.Popen([vtlib.VMTRIAGE, "serve", "--data", data, "--listen",
                                   f"127.0.0.1:{self.port}", "--token-file", tf,
                                   "--max-upload", "200", *extra],
                                  stdout=self.log, stderr=self.log)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("real_serve: the service did not start")

    def curl(self, *args, token=TOKEN):
        auth = ["-H", f"Authorization: Bearer {token}"] if token else []
        p = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *auth, *args],
                           capture_output=True, text=True, timeout=600)
        body, _, code = p.stdout.rpartition("\n")
        return int(code or 0), body

    def get(self, path):
        code, body = self.curl(self.url + path, token=None)
        try:
            return code, json.loads(body)
        except ValueError:
            return code, body

    def wait(self, jid, states=("done", "failed"), timeout=900):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code, j = self.get(f"/dumps/{jid}")
            if code == 200 and j["state"] in states:
                return j
            time.sleep(0.5)
        return self.get(f"/dumps/{jid}")[1]

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        self.p.wait(timeout=900)


def uploads(data):
    return sorted(os.listdir(os.path.join(data, "uploads")))


def verdicts(rep):
    return {r["plugin"]: r["verdict"] for r in rep.get("results", [])} if isinstance(rep, dict) else None


x86 = vtlib.dumpdir("x86-b-latent")
ppc = vtlib.dumpdir("ppc-c")
tmp = tempfile.mkdtemp(prefix="vt-serve.", dir=os.environ.get("TMPDIR") or "/var/tmp")
data = os.path.join(tmp, "data")
sv = Service(data, ["--allow-path", ppc])
try:
    x86_dump = os.path.join(x86, "vmcore.kdump-d31")
    up = ["-X", "POST", "--data-binary", f"@{x86_dump}", "-H", "Content-Type: application/octet-stream"]
    code, _ = sv.curl(*up, sv.url + "/dumps?name=x86.kdump", token=None)
    c.equal(code, 401, "upload without a token: 401")
    code, _ = sv.curl(*up, sv.url + "/dumps?name=x86.kdump", token="wrong")
    c.equal(code, 401, "upload with a wrong token: 401")
    notdump = os.path.join(tmp, "notes.txt")
    with open(notdump, "w") as f:
        f.write("not a dump\n" * 1000)
    code, body = sv.curl("-X", "POST", "--data-binary", f"@{notdump}", sv.url + "/dumps?name=notes.txt")
    c.check(code == 400 and "not a dump" in body, f"a text file: 400 not a dump ({code} {body})")
    big = os.path.join(tmp, "big.elf")
    with open(big, "wb") as f:
        f.truncate(201 << 20)
    code, body = sv.curl("-X", "POST", "--data-binary", f"@{big}", sv.url + "/dumps?name=big.elf")
    c.check(code == 413, f"an upload over --max-upload: 413 ({code} {body[:200]})")
    half = os.path.join(tmp, "half.kdump")
    with open(os.path.join(x86, "vmcore.kdump-d31"), "rb") as src, open(half, "wb") as dst:
        dst.write(src.read(os.path.getsize(os.path.join(x86, "vmcore.kdump-d31")) // 2))
    code, body = sv.curl("-X", "POST", "--data-binary", f"@{half}", sv.url + "/dumps?name=half.kdump")
    c.check(code == 400 and "truncated" in body, f"a truncated dump: 400 truncated ({code} {body})")
    # an upload cut off in transit: half the body the headers announce, then gone
    with socket.create_connection(("127.0.0.1", sv.port)) as conn:
        conn.sendall((f"POST /dumps?name=cut HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                      f"Content-Type: application/octet-stream\r\nContent-Length: {10 << 20}\r\n\r\n").encode()
                     + b"\x7fELF" + b"\0" * (1 << 20))
        time.sleep(0.5)
    time.sleep(1)
    c.equal(uploads(data), [], "nothing kept of the refused or cut-off uploads")

    code, body = sv.curl(*up, sv.url + "/dumps?name=x86-b-latent.kdump")
    c.equal(code, 201, f"a dump uploaded: 201 ({body})")
    x86_id = json.loads(body)["id"] if code == 201 else None
    ppc_dump = os.path.join(ppc, "vmcore.elf")
    reg = ["-X", "POST", "-H", "Content-Type: application/json"]
    code, body = sv.curl(*reg, "--data", json.dumps({"path": os.path.join(x86, "vmcore.elf")}),
                         sv.url + "/dumps")
    c.equal(code, 403, f"a path under no --allow-path: 403 ({body})")
    code, body = sv.curl(*reg, "--data", json.dumps({"path": ppc_dump}), sv.url + "/dumps")
    c.equal(code, 201, f"a dump registered by path: 201 ({body})")
    ppc_id = json.loads(body)["id"] if code == 201 else None

    jx = sv.wait(x86_id)
    c.equal(jx.get("state"), "done", f"the uploaded dump is done: {jx}")
    jp = sv.wait(ppc_id)
    c.equal(jp.get("state"), "done", f"the registered dump is done: {jp}")
    for jid, dump, vml in ((x86_id, x86_dump, []), (ppc_id, ppc_dump, [os.path.join(ppc, "vmlinux")])):
        code, rep = sv.get(f"/dumps/{jid}/report.json")
        want = json.loads(vtlib.run("report", dump, *vml, "--json", check=False)[1])
        c.equal(verdicts(rep), verdicts(want), f"job {jid}: report.json's verdicts are vmtriage report's")
        c.equal(sv.get(f"/dumps/{jid}")[1].get("verdicts"), verdicts(want), f"job {jid}: the job's verdicts")
    code, lst = sv.get("/dumps?class=B&verdict=latent")
    ids = [d["id"] for d in lst.get("dumps", [])] if isinstance(lst, dict) else []
    c.equal(ids, [x86_id], "?class=B&verdict=latent: the x86 dump only")
    code, lst = sv.get("/dumps?class=C&verdict=latent")
    c.equal([d["id"] for d in lst.get("dumps", [])] if isinstance(lst, dict) else [], [ppc_id],
            "?class=C&verdict=latent: the ppc dump only")

    # Pages, and screenshots of them.
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    for page in ("/", f"/dumps/{x86_id}.html", f"/dumps/{ppc_id}.html", "/summary"):
        code, body = sv.curl(sv.url + page, token=None)
        c.check(code == 200 and "<html" in body.lower(), f"GET {page}: an HTML page")
        if page.endswith(".html"):
            c.check("<svg" in body, f"{page}: the memory-map picture")
        if chromium:
            png = os.path.join(tmp, page.strip("/").replace("/", "_") or "queue") + ".png"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            f"--screenshot={png}", "--window-size=1200,900", sv.url + page],
                           capture_output=True, timeout=120)
            ok = os.path.exists(png) and os.path.getsize(png) > 5000
            if ok:
                out = os.path.join(os.environ.get("TMPDIR") or "/var/tmp", "real_serve-" + os.path.basename(png))
                shutil.copy(png, out)
            c.check(ok, f"{page}: a screenshot that is not blank ({png})")

    # Kill the service while a job runs; start it again: done once.
    code, body = sv.curl(*reg, "--data", json.dumps({"path": ppc_dump}), sv.url + "/dumps")
    kill_id = json.loads(body)["id"] if code == 201 else None
    # Catch the job running (the database, read beside the service), freeze
    # its batch child so it cannot finish first, and kill the service.
    db = sqlite3.connect(os.path.join(data, "vmtriage.sqlite"), timeout=30)
    frozen = []
    deadline = time.monotonic() + 120
    while not frozen and time.monotonic() < deadline:
        row = db.execute("SELECT state FROM jobs WHERE id = ?", (kill_id,)).fetchone()
        if row and row[0] == "running":
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                except OSError:
                    continue
                if b"batch" in cmd and os.path.join(data, "jobs", str(kill_id)).encode() in cmd:
                    os.kill(int(pid), signal.SIGSTOP)
                    frozen.append(int(pid))
        time.sleep(0.01)
    db.close()
    c.check(frozen, f"caught job {kill_id} running (its batch child stopped: {frozen})")
    sv.stop(signal.SIGKILL)
    # the batch child it started may outlive it: the restart must not store twice
    sv = Service(data, ["--allow-path", ppc])
    j = sv.wait(kill_id)
    c.check(j.get("state") == "done" and j.get("attempts") == 2,
            f"after SIGKILL and a restart the job is done, claimed twice: {j}")
    code, lst = sv.get("/dumps")
    c.equal(sorted(d["id"] for d in lst.get("dumps", [])) if isinstance(lst, dict) else None,
            sorted([x86_id, ppc_id, kill_id]), "no job lost")
    sv.stop()

    # HTTP only (--workers 0) and a separate --worker process on the same queue
    sv = Service(data, ["--allow-path", ppc, "--workers", "0"])
    code, body = sv.curl(*reg, "--data", json.dumps({"path": ppc_dump}), sv.url + "/dumps")
    w_id = json.loads(body)["id"] if code == 201 else None
    time.sleep(1)
    c.equal(sv.get(f"/dumps/{w_id}")[1].get("state"), "queued", "--workers 0: the job waits")
    worker = subprocess.Popen([vtlib.VMTRIAGE, "serve", "--worker", "--data", data],
                              stdout=sv.log, stderr=sv.log)
    j = sv.wait(w_id)
    c.check(j.get("state") == "done" and j.get("worker", "").endswith(f":{worker.pid}"),
            f"a --worker process did the job: {j.get('state')} by {j.get('worker')} (pid {worker.pid})")
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=600)
    sv.stop()
    db = sqlite3.connect(os.path.join(data, "vmtriage.sqlite"))
    c.equal(db.execute("PRAGMA user_version").fetchone()[0], 1, "schema version 1")
    c.equal(db.execute("PRAGMA journal_mode").fetchone()[0], "wal", "WAL mode")
    c.equal(db.execute("SELECT count(*) FROM verdicts WHERE job = ?", (kill_id,)).fetchone()[0],
            len(verdicts(rep)), "the killed job's verdicts stored once")
    db.close()
finally:
    try:
        sv.stop(signal.SIGKILL)
    except Exception:
        pass
    shutil.rmtree(tmp, ignore_errors=True)
c.done()
