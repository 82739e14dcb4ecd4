"""Arch-neutral QEMU driver for the test-dump generators.

Two channels into a running QEMU:
  * QMP on a unix socket (``-qmp unix:PATH,server=on,wait=off``): commands,
    events, HMP commands through ``human-monitor-command`` (``gva2gpa``, ``x``),
    ``dump-guest-memory``.
  * A line-command serial port (a chardev ``socket,path=PATH,server=on,wait=off``
    wired to a second serial port / hvc console).  The guest side is
    testdata/lib/guest-init.sh: it prints ``@@VT-READY`` and then, for every
    line ``ID:COMMAND`` it receives, evals COMMAND and prints
    ``@@VT-DONE ID STATUS``.  Everything in between is the command's output.

Every wait has a timeout; a timeout or failure raises StepError naming the
step, which the generators turn into a non-zero exit naming that step.
Used by testdata/lib/run_guest.py, the guest runner of every arch.
"""
import json
import sys
import os
import socket
import subprocess
import time


class StepError(Exception):
    """A generator step failed; str() names the step."""

    def __init__(self, step, msg):
        super().__init__(f'step "{step}" failed: {msg}')
        self.step = step
        self.msg = msg


def log(msg):
    print(f"[testdata {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _connect_unix(path, deadline, step, proc=None):
    """Connect to a unix socket QEMU creates, retrying until deadline
    (or until proc, the QEMU process, has exited)."""
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise StepError(step, f"QEMU exited with status {proc.returncode} (see qemu.log)")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError as e:
            last = e
            s.close()
            time.sleep(0.05)
    raise StepError(step, f"cannot connect to {path}: {last}")


class _LineSocket:
    """Buffered line reader over a socket with per-call deadlines."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def readline(self, deadline, step):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise StepError(step, "timed out waiting for output")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise StepError(step, "timed out waiting for output")
            if not chunk:
                raise StepError(step, "connection closed by QEMU")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace").rstrip("\r")

    def send(self, data):
        self.sock.sendall(data)


class QMP:
    def __init__(self, path, timeout=30, proc=None):
        deadline = time.monotonic() + timeout
        self.io = _LineSocket(_connect_unix(path, deadline, "qmp-connect", proc))
        self.events = []
        self._id = 0
        greeting = json.loads(self.io.readline(deadline, "qmp-greeting"))
        if "QMP" not in greeting:
            raise StepError("qmp-greeting", f"unexpected greeting {greeting}")
        self.cmd("qmp_capabilities")

    def cmd(self, name, args=None, timeout=60, step=None):
        """Run a QMP command, return its 'return' value; events are queued."""
        step = step or f"qmp {name}"
        self._id += 1
        msg = {"execute": name, "id": self._id}
        if args:
            msg["arguments"] = args
        self.io.send(json.dumps(msg).encode() + b"\n")
        deadline = time.monotonic() + timeout
        while True:
            resp = json.loads(self.io.readline(deadline, step))
            if "event" in resp:
                self.events.append(resp)
                continue
            if resp.get("id") != self._id:
                continue
            if "error" in resp:
                raise StepError(step, f"{resp['error'].get('class')}: {resp['error'].get('desc')}")
            return resp.get("return")

    def wait_event(self, names, timeout, step, pred=None):
        """Wait for an event whose name is in names (and pred(event) holds)."""
        if isinstance(names, str):
            names = (names,)
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev["event"] in names and (pred is None or pred(ev)):
                    return self.events.pop(i)
            resp = json.loads(self.io.readline(deadline, step))
            if "event" in resp:
                self.events.append(resp)

    def hmp(self, line, timeout=30):
        """Run an HMP command line (e.g. 'gva2gpa 0x...'); return its text."""
        return self.cmd("human-monitor-command", {"command-line": line},
                        timeout=timeout, step=f"hmp {line.split()[0]}")

    def status(self):
        return self.cmd("query-status")["status"]


class Guest:
    """The guest's line-command shell on a serial chardev socket."""

    def __init__(self, path, timeout=60, proc=None):
        deadline = time.monotonic() + timeout
        self.io = _LineSocket(_connect_unix(path, deadline, "serial-connect", proc))
        self._id = 0

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if self.io.readline(deadline, "guest-boot (waiting for @@VT-READY)").startswith("@@VT-READY"):
                return

    def run(self, command, timeout=60, check=True, step=None):
        """Run one shell line in the guest; return its output (str)."""
        if "\n" in command:
            raise ValueError("guest commands are single lines")
        step = step or f"guest: {command[:60]}"
        self._id += 1
        self.io.send(f"{self._id}:{command}\n".encode())
        deadline = time.monotonic() + timeout
        out = []
        while True:
            line = self.io.readline(deadline, step)
            if line.startswith(f"@@VT-DONE {self._id} "):
                rc = int(line.split()[2])
                if check and rc != 0:
                    raise StepError(step, f"exit {rc}; output:\n" + "\n".join(out[-30:]))
                return "\n".join(out)
            out.append(line)

    def send_nowait(self, command):
        """Send a line and do not wait (e.g. the command that panics)."""
        self._id += 1
        self.io.send(f"{self._id}:{command}\n".encode())

    def readline(self, timeout, step):
        return self.io.readline(time.monotonic() + timeout, step)


class VM:
    """One QEMU process with its QMP and command-serial sockets in workdir."""

    def __init__(self, argv, workdir, qmp_sock, cmd_sock, boot_timeout=120):
        self.workdir = workdir
        log("starting: " + " ".join(argv))
        self.logf = open(os.path.join(workdir, "qemu.log"), "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        try:
            self.qmp = QMP(qmp_sock, timeout=30, proc=self.proc)
            self.guest = Guest(cmd_sock, timeout=30, proc=self.proc)
            t0 = time.monotonic()
            self.guest.wait_ready(boot_timeout)
            log(f"guest ready after {time.monotonic() - t0:.1f}s")
        except BaseException:
            self.kill()
            raise

    def gva2gpa(self, va):
        """QEMU's own translation of a guest virtual address (current CPU)."""
        out = self.qmp.hmp(f"gva2gpa 0x{va:x}").strip()
        # "gpa: 0x1234" or "Unmapped" / error text
        if out.startswith("gpa:"):
            return int(out.split()[1], 16)
        return None

    def read_u64(self, va):
        """Read a u64 of guest virtual memory (HMP 'x /1gx')."""
        out = self.qmp.hmp(f"x /1gx 0x{va:x}").strip()
        # "ffffffff82a1b0c8: 0xffff888000000000"
        try:
            return int(out.split(":", 1)[1].split()[0], 16)
        except (IndexError, ValueError):
            raise StepError("hmp x", f"cannot read 0x{va:x}: {out!r}")

    def wait_panicked(self, timeout):
        """Wait until the guest panicked and QEMU paused it (-action panic=pause)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = self.qmp.status()
            if st in ("guest-panicked",):
                return st
            if self.proc.poll() is not None:
                raise StepError("wait-panic", f"QEMU exited with {self.proc.returncode}")
            time.sleep(0.2)
        raise StepError("wait-panic", f"guest did not panic within {timeout}s (status {st})")

    def dump(self, path, fmt="elf", paging=False, timeout=600):
        """Synchronous dump-guest-memory to path."""
        t0 = time.monotonic()
        args = {"paging": paging, "protocol": "file:" + os.path.abspath(path)}
        if fmt != "elf":
            args["format"] = fmt
        self.qmp.cmd("dump-guest-memory", args, timeout=timeout,
                     step=f"dump-guest-memory {fmt}{' paging' if paging else ''}")
        # detach is false: the command returns when the dump is complete, but
        # poll query-dump in case a QEMU version completes asynchronously.
        deadline = time.monotonic() + timeout
        while True:
            st = self.qmp.cmd("query-dump")
            if st["status"] == "completed":
                break
            if st["status"] == "failed" or time.monotonic() > deadline:
                raise StepError(f"dump-guest-memory {fmt}", f"status {st}")
            time.sleep(0.2)
        log(f"dumped {os.path.basename(path)} ({fmt}, paging={paging}) in {time.monotonic() - t0:.1f}s")

    def quit(self, timeout=30):
        try:
            self.qmp.cmd("quit", timeout=timeout)
        except StepError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        self.logf.close()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
