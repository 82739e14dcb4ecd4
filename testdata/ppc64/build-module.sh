#!/bin/bash
# Cross-compile testdata/ppc64/module (vt_ppc_inject.ko) for the cached
# ppc64el kernel: Debian's powerpc64le-linux-gnu-gcc (gcc-12, as the kernel)
# against linux-headers-<ABI>-powerpc64le + -common, with the HOST-arch
# linux-kbuild-6.1 of the same version providing scripts/ (fixdep, modpost,
# ... run natively; no qemu-user needed). Output cached by source hash in
#   KDIR/module-<hash>/vt_ppc_inject.ko       (its path printed on stdout)
# Usage: build-module.sh KDIR
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
kdir=${1:?usage: build-module.sh KDIR}
src=$VT_TESTDATA_DIR/ppc64/module
command -v powerpc64le-linux-gnu-gcc >/dev/null \
	|| vt_die "ppc64-build-module" "powerpc64le-linux-gnu-gcc missing (apt-get install gcc-powerpc64le-linux-gnu; testdata/install-deps.sh)"
h=$(cat "$src/vt_ppc_inject.c" "$src/Kbuild" "$kdir/inputs.txt" | sha256sum | cut -c1-16)
out="$kdir/module-$h"
if [ -f "$out/vt_ppc_inject.ko" ]; then echo "$out/vt_ppc_inject.ko"; exit 0; fi
vt_lock "ppc64-module"
if [ -f "$out/vt_ppc_inject.ko" ]; then echo "$out/vt_ppc_inject.ko"; exit 0; fi
rel=$(cat "$kdir/release")
b=$(mktemp -d "$kdir/.module-XXXXXX")
trap 'rm -rf "$b"' EXIT
cp "$src/vt_ppc_inject.c" "$src/Kbuild" "$b/"
make -s -C "$kdir/headers/usr/src/linux-headers-$rel" M="$b" ARCH=powerpc \
	CROSS_COMPILE=powerpc64le-linux-gnu- modules >&2 \
	|| vt_die "ppc64-build-module" "make M=$b ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- failed"
rm -rf "$kdir"/module-*
mkdir -p "$out"; cp "$b/vt_ppc_inject.ko" "$out/"
echo "$out/vt_ppc_inject.ko"
