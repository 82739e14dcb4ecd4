#!/bin/bash
# Build an arch's test module (ARCH_MOD_SRC/ARCH_MOD_NAME.c + Kbuild, from
# ARCH/arch.sh) against one cached kernel family (lib/fetch.sh's KDIR): its
# linux-headers + -common, with the HOST-arch linux-kbuild of the same
# version providing scripts/ (fixdep, modpost run natively), and the
# family's compiler (pins.sh VT_<ARCH>_<F>_CC, the kernel's own gcc major):
#   without _ROOT: the host's (bookworm: gcc-12, or its cross gcc-12)
#   with _ROOT:    "SUITE PACKAGE..." of lib/suite-root.sh, a root whose
#                  (cross) gcc builds it, run with vt_in_root (KDIR is
#                  bind-mounted at its own path); a 6.12 kernel wants gcc-14,
#                  7.x gcc-16, and their kbuild programs need the newer glibc
# CC= overrides the headers' .kernelvariables; ARCH_MAKE adds ARCH= and
# CROSS_COMPILE= for the cross builds, and CONFIG_DEBUG_INFO_BTF_MODULES=
# (no module BTF: 6.12's modfinal would run pahole, which is not needed).
# Cached by source, kernel inputs, this script and toolchain in
#   KDIR/module-<hash>/<name>.ko      (its path printed on stdout)
# Usage: build-module.sh ARCH FAMILY KDIR
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"
T=$VT_TESTDATA_DIR
arch=${1:?usage: build-module.sh ARCH FAMILY KDIR}
fam=${2:?usage: build-module.sh ARCH FAMILY KDIR}
kdir=${3:?usage: build-module.sh ARCH FAMILY KDIR}
# the physical path: the headers' Makefile names it (a cache reached
# through a symlink is bind-mounted into a suite root as its real path)
kdir=$(cd "$kdir" && pwd -P)
. "$VT_TESTDATA_DIR/$arch/arch.sh"
src=$VT_TESTDATA_DIR/$ARCH_MOD_SRC
name=$ARCH_MOD_NAME
cc=$(vt_pin "$ARCH_PIN" "$fam" CC)
rootspec=$(vt_pin "$ARCH_PIN" "$fam" ROOT)
# suite-root.sh with the arch's own root cache, if it has one
sroot() { VMTRIAGE_CACHE=${ARCH_ROOT_CACHE:-$VT_CACHE} "$VT_TESTDATA_DIR/lib/suite-root.sh" "$@"; }
if [ -n "$rootspec" ]; then
	# shellcheck disable=SC2086  # "SUITE PACKAGE..." are words
	toolid="root=$(basename "$(sroot --path $rootspec)") cc=$cc"
else
	command -v "$cc" >/dev/null || vt_die "build-module" "$cc is not installed (testdata/install-deps.sh)"
	toolid="host cc=$("$cc" --version | head -1)"
fi
h=$( (cat "$src/$name.c" "$src/Kbuild" "$kdir/inputs.txt" "$0"; echo "$toolid ${ARCH_MAKE[*]}") | sha256sum | cut -c1-16)
out="$kdir/module-$h"
if [ -f "$out/$name.ko" ]; then echo "$out/$name.ko"; exit 0; fi
vt_lock "$arch-module-$fam"
if [ -f "$out/$name.ko" ]; then echo "$out/$name.ko"; exit 0; fi

rel=$(cat "$kdir/release")
b=$(mktemp -d "$kdir/.module-XXXXXX")
trap 'rm -rf "$b"' EXIT
cp "$src/$name.c" "$src/Kbuild" "$b/"
# DEB_BUILD_ARCH/DEB_HOST_ARCH unset: the headers' .kernelvariables then keep
# our CROSS_COMPILE; CC overrides its $(CROSS_COMPILE)gcc-<major>.
mk=(env -u DEB_BUILD_ARCH -u DEB_HOST_ARCH make -s -C "$kdir/headers/usr/src/linux-headers-$rel" M="$b"
	"${ARCH_MAKE[@]}" CC="$cc" modules)
vt_log "building $name.ko for $rel with $cc${rootspec:+ in a ${rootspec%% *} root}"
if [ -n "$rootspec" ]; then
	# shellcheck disable=SC2086
	root=$(sroot $rootspec) || vt_die "build-module" "suite root $rootspec"
	vt_in_root "$root" --bind "$kdir" -- "${mk[@]}" >&2
else
	"${mk[@]}" >&2
fi || vt_die "build-module" "${mk[*]} failed${rootspec:+ (in the $rootspec root)}"
mkdir -p "$out"; cp "$b/$name.ko" "$out/"
echo "$out/$name.ko"
