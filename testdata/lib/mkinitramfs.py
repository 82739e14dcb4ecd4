#!/usr/bin/env python3
"""Build a busybox initramfs for the test guests (arch-neutral).

usage: mkinitramfs.py OUT.cpio.gz --busybox BUSYBOX --moddir /lib/modules/REL
                      [--module NAME]... [--file SRC:DEST]...

Modules are looked up by name in --moddir (dashes and underscores are the
same); their dependencies are resolved from each .ko's own modinfo
"depends=" string (no modules.dep / modinfo needed) and written to
/modules.load in load order.  /init is testdata/lib/guest-init.sh.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def norm(name):
    return name.replace("-", "_")


def index_modules(moddir):
    idx = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                idx[norm(f[:-3])] = os.path.join(root, f)
    return idx


def depends(path):
    data = open(path, "rb").read()
    m = re.search(rb"(?:^|\0)depends=([^\0]*)\0", data)
    if not m or not m.group(1):
        return []
    return [norm(d) for d in m.group(1).decode().split(",") if d]


def resolve(names, idx):
    order, seen = [], set()

    def visit(n, chain):
        n = norm(n)
        if n in seen:
            return
        if n not in idx:
            sys.exit(f'mkinitramfs: module "{n}" not found (needed by {" -> ".join(chain) or "request"})')
        for d in depends(idx[n]):
            visit(d, chain + [n])
        seen.add(n)
        order.append(n)

    for n in names:
        visit(n, [])
    return order


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--busybox", required=True)
    ap.add_argument("--moddir", required=True)
    ap.add_argument("--module", action="append", default=[])
    ap.add_argument("--file", action="append", default=[], help="SRC:DEST")
    a = ap.parse_args()

    idx = index_modules(a.moddir)
    order = resolve(a.module, idx)
    with tempfile.TemporaryDirectory() as root:
        for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "lib/modules", "vt"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        shutil.copy2(a.busybox, os.path.join(root, "bin/busybox"))
        os.chmod(os.path.join(root, "bin/busybox"), 0o755)
        os.symlink("busybox", os.path.join(root, "bin/sh"))
        shutil.copy2(os.path.join(HERE, "guest-init.sh"), os.path.join(root, "init"))
        os.chmod(os.path.join(root, "init"), 0o755)
        with open(os.path.join(root, "modules.load"), "w") as f:
            for n in order:
                dst = os.path.basename(idx[n])
                shutil.copy2(idx[n], os.path.join(root, "lib/modules", dst))
                f.write(dst + "\n")
        for spec in a.file:
            src, dst = spec.split(":", 1)
            dst = os.path.join(root, dst.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(src, dst)
        # devtmpfs is mounted by /init; a console node helps the earliest output
        files = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, check=True,
                               capture_output=True).stdout
        with open(a.out, "wb") as out:
            cpio = subprocess.Popen(["cpio", "--quiet", "-o", "-H", "newc", "-R", "0:0"],
                                    cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            gz = subprocess.Popen(["gzip", "-1", "-n"], stdin=cpio.stdout, stdout=out)
            cpio.stdout.close()
            cpio.communicate(files)
            if cpio.returncode or gz.wait():
                sys.exit("mkinitramfs: cpio/gzip failed")
    print("modules: " + " ".join(order), file=sys.stderr)


if __name__ == "__main__":
    main()
