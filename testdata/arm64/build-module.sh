#!/bin/bash
# Cross-compile testdata/arm64/module (vt_arm64_inject.ko) for a cached arm64
# kernel (fetch.sh's KDIR) of FAMILY: the cross gcc of the kernel's own major
# (pins.sh VT_ARM64_<F>_CC: the host's gcc-aarch64-linux-gnu (gcc-12) for
# 6.1; for 6.12 gcc-14 from a trixie root made by lib/suite-root.sh and run
# with vt_in_root) against linux-headers-<ABI>-cloud-arm64 + -common, with the
# HOST-arch linux-kbuild of the same version providing scripts/ (fixdep,
# modpost run natively). Cached by source hash in
#   KDIR/module-<hash>/vt_arm64_inject.ko      (its path printed on stdout)
# Usage: build-module.sh FAMILY KDIR
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"
fam=${1:?usage: build-module.sh FAMILY KDIR}
kdir=${2:?usage: build-module.sh FAMILY KDIR}
src=$VT_TESTDATA_DIR/arm64/module
cc=$(vt_arm64_pin "$fam" CC)
root_spec=$(vt_arm64_pin "$fam" ROOT)
h=$( (cat "$src/vt_arm64_inject.c" "$src/Kbuild" "$kdir/inputs.txt" "$0"; echo "cc=$cc root=$root_spec") \
	| sha256sum | cut -c1-16)
out="$kdir/module-$h"
if [ -f "$out/vt_arm64_inject.ko" ]; then echo "$out/vt_arm64_inject.ko"; exit 0; fi
vt_lock "arm64-module-$fam"
if [ -f "$out/vt_arm64_inject.ko" ]; then echo "$out/vt_arm64_inject.ko"; exit 0; fi

rel=$(cat "$kdir/release")
b=$(mktemp -d "$kdir/.module-XXXXXX")
trap 'rm -rf "$b"' EXIT
cp "$src/vt_arm64_inject.c" "$src/Kbuild" "$b/"
# DEB_BUILD_ARCH/DEB_HOST_ARCH unset: the headers' .kernelvariables then keep
# our CROSS_COMPILE; CC overrides its $(CROSS_COMPILE)gcc-<major>.
# CONFIG_DEBUG_INFO_BTF_MODULES= : no module BTF (6.12's modfinal would run
# pahole, which neither the host nor the root has; the module needs none).
mk=(make -s -C "$kdir/headers/usr/src/linux-headers-$rel" M="$b" ARCH=arm64
	CROSS_COMPILE=aarch64-linux-gnu- CC="$cc" CONFIG_DEBUG_INFO_BTF_MODULES= modules)
if [ -z "$root_spec" ]; then
	command -v "$cc" >/dev/null \
		|| vt_die "arm64-build-module" "$cc missing (apt-get install gcc-aarch64-linux-gnu; testdata/install-deps.sh)"
	env -u DEB_BUILD_ARCH -u DEB_HOST_ARCH "${mk[@]}" >&2 \
		|| vt_die "arm64-build-module" "${mk[*]} failed"
else
	# The trixie root lives under a cache of its own: suite-root.sh deletes
	# every other root of the same suite when it builds one, and the x86
	# generators ask for a trixie root with other packages.
	# shellcheck disable=SC2086  # "SUITE PACKAGE..." are words
	root=$(VMTRIAGE_CACHE="$VT_CACHE/pkgs/arm64/roots" "$VT_TESTDATA_DIR/lib/suite-root.sh" $root_spec) \
		|| vt_die "arm64-build-module" "suite-root.sh $root_spec failed"
	vt_in_root "$root" --bind "$kdir" -- env -u DEB_BUILD_ARCH -u DEB_HOST_ARCH "${mk[@]}" >&2 \
		|| vt_die "arm64-build-module" "${mk[*]} (in $root) failed"
fi
rm -rf "$kdir"/module-*
mkdir -p "$out"; cp "$b/vt_arm64_inject.ko" "$out/"
echo "$out/vt_arm64_inject.ko"
