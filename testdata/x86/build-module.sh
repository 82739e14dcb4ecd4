#!/bin/bash
# Build testdata/module/vtinject.ko against one kernel family's headers
# (unpacked privately by fetch-kernel.sh) with that family's compiler
# (pins.sh VT_X86_<F>_CC; inside the family's suite root when VT_X86_<F>_ROOT
# is set: a 6.12 kernel wants gcc-14, 7.x gcc-16, and their linux-kbuild
# programs need the newer glibc anyway), and cache it as
# KDIR/vtinject-<hash of the module source and the toolchain>.ko.
# Prints the .ko path.  Usage: build-module.sh KDIR FAMILY
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"
kdir=${1:?usage: build-module.sh KDIR FAMILY}
fam=${2:?usage: build-module.sh KDIR FAMILY}
rel=$(cat "$kdir/release")
src="$VT_TESTDATA_DIR/module"
cc=$(vt_x86_pin "$fam" CC)
rootspec=$(vt_x86_pin "$fam" ROOT)
root=
if [ -n "$rootspec" ]; then
	# shellcheck disable=SC2086  # "SUITE PACKAGE..." are words
	root=$("$VT_TESTDATA_DIR/lib/suite-root.sh" $rootspec) || vt_die "build-module" "suite root $rootspec"
	toolid="root=$(basename "$root") cc=$cc"
else
	command -v "$cc" >/dev/null || vt_die "build-module" "$cc is not installed (testdata/install-deps.sh)"
	toolid="host cc=$("$cc" --version | head -1)"
fi
ko="$kdir/vtinject-$( (cat "$src/vtinject.c" "$src/Kbuild"; echo "$toolid") | sha256sum | cut -c1-16).ko"
if [ ! -f "$ko" ]; then
	vt_lock "x86_64-module-$fam"
	if [ ! -f "$ko" ]; then
		b=$(mktemp -d)
		trap 'rm -rf "$b"' EXIT
		cp "$src/vtinject.c" "$src/Kbuild" "$b/"
		hdr="$kdir/headers/usr/src/linux-headers-$rel"
		vt_log "building vtinject.ko for $rel with $cc${root:+ in $(basename "$root")}"
		if [ -n "$root" ]; then
			vt_in_root "$root" --bind "$kdir" --bind "$b" -- make -s -C "$hdr" M="$b" CC="$cc" modules >&2
		else
			make -s -C "$hdr" M="$b" CC="$cc" modules >&2
		fi || vt_die "build-module" "make vtinject.ko against linux-headers-$rel ($cc) failed"
		cp "$b/vtinject.ko" "$ko.tmp" && mv "$ko.tmp" "$ko"
	fi
fi
echo "$ko"
