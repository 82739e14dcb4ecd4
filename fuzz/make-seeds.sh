#!/bin/bash
# Seed corpora for `make fuzz` from the real dumps of testdata/ (x86-basic,
# ppc-hotplug; arm64-deb12-hotplug and ppc-deb13-hotplug when made):
# VMCOREINFO notes, the dump's .BTF, page-table pages, the boot FDT,
# flattened and dump-format headers, and the pages a real report reads.
#   fuzz/make-seeds.sh [OUTDIR]        (default fuzz/seeds; ignored by git)
# Exit 77 when there are no dumps here (testdata/dumpdir says so).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-fuzz/seeds}
vt=${VMTRIAGE:-$top/vmtriage}
[ -x "$vt" ] || { echo "make-seeds: build vmtriage first ($vt)" >&2; exit 1; }
rc=0; x86=$("$top/testdata/dumpdir" x86-basic) || rc=$?
[ $rc -eq 0 ] || { echo "make-seeds: no x86-basic dumps (testdata/dumpdir exit $rc)" >&2; exit $rc; }
ppc=$("$top/testdata/dumpdir" ppc-hotplug) || rc=$?
[ $rc -eq 0 ] || { echo "make-seeds: no ppc-hotplug dumps (testdata/dumpdir exit $rc)" >&2; exit $rc; }
# arm64 is optional (its seeds only): a machine without qemu-system-arm
# still seeds the others.
arm64=$("$top/testdata/dumpdir" arm64-deb12-hotplug 2>/dev/null) || arm64=
# ppc64 6.12 (optional too): its BTF lets a whole report run from the dump alone
ppc13=$("$top/testdata/dumpdir" ppc-deb13-hotplug 2>/dev/null) || ppc13=
rm -rf "$out.tmp"
/usr/bin/python3 "$top/fuzz/make_seeds.py" "$out.tmp" "$vt" "$x86" "$ppc" "$arm64" "$ppc13"
rm -rf "$out"
mv "$out.tmp" "$out"
touch "$out/.done"
