#!/bin/bash
# Download and unpack the pinned Debian x86_64 kernel (testdata/pins.sh) into
#   $VT_CACHE/pkgs/x86_64/<ABI>/
#     debs/                 the .deb files as downloaded
#     vmlinuz, config       from linux-image-<ABI>-cloud-amd64-unsigned
#     modules/              its /lib/modules/<release> tree
#     vmlinux               the DWARF+BTF vmlinux from ...-dbg (only that file)
#     headers/              linux-headers + -common + linux-kbuild, unpacked
#                           privately (the Makefile's absolute include is fixed)
#     .complete             written last; its presence means "all of the above"
# Prints the kernel directory on stdout. Usage: fetch-kernel.sh
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"

base="$VT_CACHE/pkgs/x86_64"
mkdir -p "$base"
vt_lock x86_64-pkgs

# Already complete for the pinned ABI (or a fallback): done, no apt at all.
for abi in $VT_X86_ABI $VT_X86_ABI_FALLBACK; do
	if [ -f "$base/$abi/.complete" ]; then
		[ "$abi" = "$VT_X86_ABI" ] || vt_log "using fallback ABI $abi (pinned $VT_X86_ABI not cached)"
		echo "$base/$abi"; exit 0
	fi
done

pkgs_for() { # ABI -> the package names we need for it
	local f=$VT_X86_FLAVOUR
	echo "linux-image-$1-$f-unsigned linux-image-$1-$f-dbg linux-headers-$1-$f linux-headers-$1-common"
}
have_all() { # ABI: does the archive (apt lists) still have every package?
	local p
	for p in $(pkgs_for "$1"); do
		apt-cache show "$p" >/dev/null 2>&1 || { vt_log "archive lacks $p"; return 1; }
	done
}

abi=
for a in $VT_X86_ABI $VT_X86_ABI_FALLBACK; do
	if have_all "$a"; then abi=$a; break; fi
	if [ "$a" = "$VT_X86_ABI" ] && [ -z "${VT_APT_UPDATED:-}" ]; then
		# Maybe the apt lists are just old or missing: refresh once.
		vt_log "apt-get update (pinned packages not found in the apt lists)"
		apt-get update -qq >&2 || true
		VT_APT_UPDATED=1
		if have_all "$a"; then abi=$a; break; fi
	fi
done
[ -n "$abi" ] || vt_die "fetch-kernel" "pinned packages are gone from the archive: $(pkgs_for "$VT_X86_ABI") (nor any fallback in pins.sh: $VT_X86_ABI_FALLBACK); update testdata/pins.sh"
[ "$abi" = "$VT_X86_ABI" ] || vt_log "WARNING: pinned ABI $VT_X86_ABI is gone, using fallback $abi"

dir="$base/$abi"
rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/debs"
# linux-kbuild-6.1 (fixdep, modpost) comes at the archive's current 6.1 version;
# its programs do not depend on the exact ABI.
vt_log "downloading kernel packages for $abi"
# shellcheck disable=SC2046  # word splitting of the package list is intended
(cd "$dir.tmp/debs" && apt-get download -q $(pkgs_for "$abi") linux-kbuild-6.1 >&2) \
	|| vt_die "fetch-kernel" "apt-get download $(pkgs_for "$abi") linux-kbuild-6.1 failed"

rel="$abi-$VT_X86_FLAVOUR"
vt_log "unpacking vmlinuz, modules, headers"
tmpx="$dir.tmp/x"; mkdir -p "$tmpx"
dpkg-deb -x "$dir.tmp/debs/linux-image-$rel-unsigned_"*.deb "$tmpx" \
	|| vt_die "fetch-kernel" "dpkg-deb -x linux-image-$rel-unsigned"
mv "$tmpx/boot/vmlinuz-$rel" "$dir.tmp/vmlinuz"
mv "$tmpx/boot/config-$rel" "$dir.tmp/config"
mv "$tmpx/lib/modules/$rel" "$dir.tmp/modules"
rm -rf "$tmpx"

mkdir -p "$dir.tmp/headers"
for d in "$dir.tmp"/debs/linux-headers-*.deb "$dir.tmp"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/headers" || vt_die "fetch-kernel" "dpkg-deb -x $d"
done
# The flavour Makefile includes /usr/src/linux-headers-<abi>-common/Makefile
# by absolute path: point it at our private copy (fixed up after the final mv).
echo "$rel" > "$dir.tmp/release"

vt_log "extracting the debug vmlinux (only ./usr/lib/debug/boot/vmlinux-*)"
dpkg-deb --fsys-tarfile "$dir.tmp/debs/linux-image-$rel-dbg_"*.deb \
	| tar -x -C "$dir.tmp" --wildcards './usr/lib/debug/boot/vmlinux-*' \
	|| vt_die "fetch-kernel" "extracting vmlinux from linux-image-$rel-dbg"
mv "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
# The 283 MB dbg deb is no longer needed once vmlinux is out.
rm -f "$dir.tmp/debs/linux-image-$rel-dbg_"*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
sed -i "s|^include /usr/src/|include $dir/headers/usr/src/|" \
	"$dir/headers/usr/src/linux-headers-$rel/Makefile"
touch "$dir/.complete"
echo "$dir"
