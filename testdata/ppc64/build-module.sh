#!/bin/bash
# Cross-compile testdata/ppc64/module (vt_ppc_inject.ko) for a cached
# ppc64el kernel (fetch.sh KEY) against linux-headers-<ABI>-<FLAVOUR> +
# -common, with the HOST-arch linux-kbuild-* of the same version providing
# scripts/ (fixdep, modpost, ... run natively; no qemu-user needed).
# CC is the compiler (pins.sh VT_PPC64_<FAMILY>_CC, the kernel's own gcc major):
#   without ROOT: the host's (bookworm: powerpc64le-linux-gnu-gcc-12, as
#                 Debian 12's 6.1 kernel)
#   with ROOT:    inside that amd64 suite root (lib/suite-root.sh, e.g. trixie
#                 with gcc-14-powerpc64le-linux-gnu for 6.12), run with
#                 vt_in_root; KDIR is bind-mounted at its own path
# Output cached by source + inputs + compiler + root in
#   KDIR/module-<hash>/vt_ppc_inject.ko       (its path printed on stdout)
# Usage: build-module.sh KDIR CC [ROOT]
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
kdir=${1:?usage: build-module.sh KDIR CC [ROOT]}
cc=${2:?usage: build-module.sh KDIR CC [ROOT]}
root=${3:-}
src=$VT_TESTDATA_DIR/ppc64/module
if [ -z "$root" ]; then
	command -v "$cc" >/dev/null \
		|| vt_die "ppc64-build-module" "$cc missing (apt-get install gcc-powerpc64le-linux-gnu; testdata/install-deps.sh)"
fi
h=$( (cat "$src/vt_ppc_inject.c" "$src/Kbuild" "$kdir/inputs.txt" "$0"; echo "cc=$cc root=$root") | sha256sum | cut -c1-16)
out="$kdir/module-$h"
if [ -f "$out/vt_ppc_inject.ko" ]; then echo "$out/vt_ppc_inject.ko"; exit 0; fi
vt_lock "ppc64-module-$(basename "$kdir")"
if [ -f "$out/vt_ppc_inject.ko" ]; then echo "$out/vt_ppc_inject.ko"; exit 0; fi
rel=$(cat "$kdir/release")
b=$(mktemp -d "$kdir/.module-XXXXXX")
trap 'rm -rf "$b"' EXIT
cp "$src/vt_ppc_inject.c" "$src/Kbuild" "$b/"
# No BTF for the test module: 6.12's headers ship a BTF vmlinux, which would
# make kbuild run pahole (not needed, not installed).
mk=(make -s -C "$kdir/headers/usr/src/linux-headers-$rel" M="$b" ARCH=powerpc
	CROSS_COMPILE=powerpc64le-linux-gnu- CC="$cc" CONFIG_DEBUG_INFO_BTF_MODULES= modules)
if [ -z "$root" ]; then
	"${mk[@]}" >&2
else
	vt_in_root "$root" --bind "$kdir" -- "${mk[@]}" >&2
fi || vt_die "ppc64-build-module" "${mk[*]} failed${root:+ (in $root)}"
rm -rf "$kdir"/module-*
mkdir -p "$out"; cp "$b/vt_ppc_inject.ko" "$out/"
echo "$out/vt_ppc_inject.ko"
