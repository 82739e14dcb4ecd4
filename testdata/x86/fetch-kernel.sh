#!/bin/bash
# Download and unpack the pinned Debian x86_64 kernel of one family
# (testdata/pins.sh, VT_X86_<FAMILY>_*) into
#   $VT_CACHE/pkgs/x86_64/<ABI>/
#     debs/                 the .deb files as downloaded (minus the big -dbg)
#     vmlinuz, config       the bootable kernel and its config
#     modules/              its /lib/modules/<release> tree, modules
#                           decompressed (.ko; busybox insmod can't do .ko.xz)
#     vmlinux               the DWARF+BTF vmlinux from ...-dbg (only that file)
#     headers/              linux-headers + -common + linux-kbuild of the
#                           headers' version, unpacked privately (the flavour
#                           Makefile's absolute /usr/src paths are fixed)
#     release               uname -r
#     inputs.txt            family, ABI, flavour and the .deb file names (with
#                           versions): part of the scenarios' hash
#     .complete             written last; its presence means "all of the above"
# Packages come through the family's private apt state (lib/apt-state.sh),
# never the host's sources.  Two package layouts are known:
#   classic (5.10 .. 6.12): linux-image-<ABI>-<FL>-unsigned (boot/vmlinuz-*,
#       boot/config-*, lib/modules/*), vmlinux in usr/lib/debug/boot/
#   split (7.x, sid/experimental): linux-binary-unsigned-<ABI>-<FL>
#       (usr/lib/modules/*/vmlinuz.unsigned), linux-base-<ABI>-<FL> (config),
#       linux-modules-<ABI>-<FL> (.ko.xz), vmlinux in
#       usr/lib/debug/lib/modules/*/
# Prints the kernel directory on stdout.  Usage: fetch-kernel.sh FAMILY
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"

fam=${1:?usage: fetch-kernel.sh FAMILY (one of: $VT_X86_FAMILIES)}
case " $VT_X86_FAMILIES " in *" $fam "*) ;; *) vt_die "fetch-kernel" "unknown kernel family $fam (pins.sh: $VT_X86_FAMILIES)";; esac
suites=$(vt_x86_pin "$fam" SUITES)
pin=$(vt_x86_pin "$fam" ABI)
fallback=$(vt_x86_pin "$fam" ABI_FALLBACK)
fl=$(vt_x86_pin "$fam" FLAVOUR)
[ -n "$suites" ] && [ -n "$pin" ] && [ -n "$fl" ] || vt_die "fetch-kernel" "pins.sh: incomplete block for $fam"

base="$VT_CACHE/pkgs/x86_64"
mkdir -p "$base"
vt_lock "x86_64-pkgs-$fam"

# Already complete for the pinned ABI (or a fallback): done, no apt at all.
for abi in $pin $fallback; do
	if [ -f "$base/$abi/.complete" ] && [ -f "$base/$abi/inputs.txt" ]; then
		[ "$abi" = "$pin" ] || vt_log "$fam: using fallback ABI $abi (pinned $pin not cached)"
		echo "$base/$abi"; exit 0
	fi
done

# shellcheck disable=SC2086  # suites are words
conf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" amd64 $suites) || vt_die "fetch-kernel" "$fam: private apt state for $suites"
papt() { APT_CONFIG="$conf" "$@"; }
have() { papt apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }

pkgs_for() { # ABI -> the package names we need for it (empty: not in the archive)
	local r="$1-$fl"
	if have "linux-image-$r-unsigned"; then
		echo "linux-image-$r-unsigned linux-image-$r-dbg linux-headers-$r linux-headers-$1-common"
	elif have "linux-binary-unsigned-$r"; then
		echo "linux-binary-unsigned-$r linux-base-$r linux-modules-$r linux-image-$r-dbg linux-headers-$r linux-headers-$1-common"
	fi
}
missing_in() { # ABI -> prints the first package the archive lacks
	local p l
	l=$(pkgs_for "$1")
	[ -n "$l" ] || { echo "linux-image-$1-$fl-unsigned (or linux-binary-unsigned-$1-$fl)"; return 0; }
	for p in $l; do have "$p" || { echo "$p"; return 0; }; done
}

# A pin is usable when the apt lists have all its packages AND they download
# (a mirror may list a version whose files it no longer has: 404).
abi= gone= updated=
for a in $pin $fallback; do
	m=$(missing_in "$a")
	if [ -n "$m" ] && [ "$a" = "$pin" ] && [ -z "$updated" ]; then
		# Maybe the private lists are just old: refresh once.
		vt_log "$fam: $m not in the apt lists; apt-get update"
		# shellcheck disable=SC2086
		"$VT_TESTDATA_DIR/lib/apt-state.sh" --update amd64 $suites >/dev/null || true
		updated=1
		m=$(missing_in "$a")
	fi
	if [ -n "$m" ]; then
		vt_log "$fam: archive lacks $m (ABI $a)"
		gone="$gone $m"; continue
	fi
	rel="$a-$fl"
	dir="$base/$a"
	pkgs=$(pkgs_for "$a")
	# linux-kbuild-X (fixdep, modpost: the headers' scripts/) at the headers'
	# own version: the headers name it in their Depends.
	hinfo=$(papt apt-cache show --no-all-versions "linux-headers-$rel")
	hver=$(sed -n 's/^Version: //p' <<<"$hinfo" | head -1)
	kbuild=$(sed -n 's/^Depends: //p' <<<"$hinfo" | tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -1)
	[ -n "$kbuild" ] || vt_die "fetch-kernel" "$fam: linux-headers-$rel names no linux-kbuild package"
	rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/debs"
	vt_log "$fam: downloading $pkgs $kbuild=$hver"
	# shellcheck disable=SC2086  # word splitting of the package list is intended
	if ! (cd "$dir.tmp/debs" && papt apt-get download -q $pkgs >&2); then
		vt_log "$fam: download of ABI $a failed (listed but not fetchable)"
		gone="$gone $a(download)"; rm -rf "$dir.tmp"; continue
	fi
	(cd "$dir.tmp/debs" && { papt apt-get download -q "$kbuild=$hver" >&2 2>/dev/null \
		|| { vt_log "$fam: WARNING: $kbuild=$hver is not in the archive, using its current $kbuild"
		     papt apt-get download -q "$kbuild" >&2; }; }) \
		|| vt_die "fetch-kernel" "$fam: apt-get download $kbuild failed"
	abi=$a; break
done
[ -n "$abi" ] || vt_die "fetch-kernel" "$fam: pinned packages are gone from the archive ($suites):$gone; update VT_X86_$(echo "$fam" | tr '[:lower:]' '[:upper:]')_ABI / _ABI_FALLBACK in testdata/pins.sh"
[ "$abi" = "$pin" ] || vt_log "WARNING: $fam: pinned ABI $pin is gone, using fallback $abi"

vt_log "$fam: unpacking vmlinuz, config, modules, headers"
x="$dir.tmp/x"; mkdir -p "$x"
for d in "$dir.tmp"/debs/*.deb; do
	case $(basename "$d") in linux-image-*-dbg_*|linux-headers-*|linux-kbuild-*) continue;; esac
	dpkg-deb -x "$d" "$x" || vt_die "fetch-kernel" "dpkg-deb -x $d"
done
first() { local f; for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 1; }
vmlinuz=$(first "$x/boot/vmlinuz-$rel" "$x/usr/lib/modules/$rel/vmlinuz.unsigned" "$x/usr/lib/modules/$rel/vmlinuz") \
	|| vt_die "fetch-kernel" "$fam: no vmlinuz for $rel in $pkgs"
config=$(first "$x/boot/config-$rel" "$x/usr/lib/modules/$rel/config") \
	|| vt_die "fetch-kernel" "$fam: no config for $rel in $pkgs"
mods=$(first "$x/lib/modules/$rel" "$x/usr/lib/modules/$rel") \
	|| vt_die "fetch-kernel" "$fam: no modules for $rel in $pkgs"
mv "$(readlink -f "$vmlinuz")" "$dir.tmp/vmlinuz"
mv "$(readlink -f "$config")" "$dir.tmp/config"
mv "$mods" "$dir.tmp/modules"
rm -rf "$x"
# The initramfs' busybox insmod loads plain .ko only (compressed modules
# need the kernel's finit_module decompression): decompress them here.
find "$dir.tmp/modules" -name '*.ko.xz' -print0 | xargs -0 -r -P2 -n 64 xz -d -f \
	|| vt_die "fetch-kernel" "xz -d of the modules"
find "$dir.tmp/modules" -name '*.ko.zst' -print0 | xargs -0 -r -P2 -n 64 zstd -q -d -f --rm \
	|| vt_die "fetch-kernel" "zstd -d of the modules"

mkdir -p "$dir.tmp/headers"
for d in "$dir.tmp"/debs/linux-headers-*.deb "$dir.tmp"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/headers" || vt_die "fetch-kernel" "dpkg-deb -x $d"
done
echo "$rel" > "$dir.tmp/release"

vt_log "$fam: extracting the debug vmlinux (only the vmlinux of ...-dbg)"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb \
	| tar -x -C "$dir.tmp" --wildcards --exclude='*.ko' --exclude='*.debug' \
		'./usr/lib/debug/*vmlinux*' \
	|| vt_die "fetch-kernel" "extracting vmlinux from linux-image-$rel-dbg"
vmlinux=$(first "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/usr/lib/debug/lib/modules/$rel/vmlinux") \
	|| vt_die "fetch-kernel" "$fam: no vmlinux in linux-image-$rel-dbg"
# (7.x: boot/vmlinux-* is a relative symlink to lib/modules/*/vmlinux)
mv "$(readlink -f "$vmlinux")" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
{
	echo "family=$fam abi=$abi flavour=$fl suites=$suites"
	(cd "$dir.tmp/debs" && ls -- *.deb)
} > "$dir.tmp/inputs.txt"
# The 280-350 MB dbg deb is no longer needed once vmlinux is out.
rm -f "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
# The flavour Makefile includes /usr/src/linux-headers-<abi>-common/Makefile
# (and 7.x sets KBUILD_OUTPUT=/usr/src/...) by absolute path: point them at
# our private copy.
sed -i "s|/usr/src/|$dir/headers/usr/src/|g" "$dir/headers/usr/src/linux-headers-$rel/Makefile"
touch "$dir/.complete"
echo "$dir"
