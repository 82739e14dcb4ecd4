#!/bin/bash
# Build testdata/module/vtinject.ko against the pinned kernel's headers
# (unpacked privately by fetch-kernel.sh) with Debian's gcc-12, and cache it
# as KDIR/vtinject-<hash of the module source>.ko.  Prints the .ko path.
# Usage: build-module.sh KDIR
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
kdir=$1
rel=$(cat "$kdir/release")
src="$VT_TESTDATA_DIR/module"
ko="$kdir/vtinject-$(vt_hash "$src/vtinject.c" "$src/Kbuild").ko"
if [ ! -f "$ko" ]; then
	vt_lock x86_64-module
	if [ ! -f "$ko" ]; then
		b=$(mktemp -d)
		trap 'rm -rf "$b"' EXIT
		cp "$src/vtinject.c" "$src/Kbuild" "$b/"
		vt_log "building vtinject.ko for $rel"
		make -s -C "$kdir/headers/usr/src/linux-headers-$rel" M="$b" modules >&2 \
			|| vt_die "build-module" "make vtinject.ko against linux-headers-$rel failed"
		cp "$b/vtinject.ko" "$ko.tmp" && mv "$ko.tmp" "$ko"
	fi
fi
echo "$ko"
