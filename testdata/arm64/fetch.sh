#!/bin/bash
# Download and unpack the pinned Debian arm64 kernel and userland of one
# family (testdata/pins.sh, VT_ARM64_<FAMILY>_*) into
#   $VT_CACHE/pkgs/arm64/<FAMILY>/<ABI>/
#     debs/          the .deb files as downloaded (minus the big -dbg)
#     vmlinuz        the bootable Image.gz from linux-image-<ABI>-cloud-arm64-unsigned
#     config         its config
#     modules/       its /lib/modules/<release> tree (.ko decompressed: busybox
#                    insmod loads plain .ko only)
#     vmlinux        the DWARF+BTF vmlinux from ...-dbg (only that file)
#     headers/       linux-headers-<ABI>-cloud-arm64 + -common (arm64) plus the
#                    HOST-arch (amd64) linux-kbuild-* of the headers' version, so
#                    fixdep/modpost run natively (absolute /usr/src paths of the
#                    flavour Makefile pointed at this private copy)
#     sysroot/       arm64 makedumpfile + its shared libraries, run as
#                    qemu-aarch64 -L sysroot sysroot/usr/bin/makedumpfile
#     busybox        static arm64 busybox for the initramfs
#     release        uname -r
#     inputs.txt     family, ABI, flavour, suites and the .deb names (with
#                    versions): part of the scenarios' hash
#     .complete      written last
# Packages come through private apt states (lib/apt-state.sh arm64 SUITES...
# for the guest's packages, amd64 SUITES... for linux-kbuild); the host's apt
# sources are never used or changed.
# Prints the ABI directory on stdout.  Usage: fetch.sh FAMILY   (deb12, deb13)
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"

fam=${1:?usage: fetch.sh FAMILY (one of: $VT_ARM64_FAMILIES)}
case " $VT_ARM64_FAMILIES " in *" $fam "*) ;; *) vt_die "arm64-fetch" "unknown kernel family $fam (pins.sh: $VT_ARM64_FAMILIES)";; esac
suites=$(vt_arm64_pin "$fam" SUITES)
pin=$(vt_arm64_pin "$fam" ABI)
fallback=$(vt_arm64_pin "$fam" ABI_FALLBACK)
fl=$(vt_arm64_pin "$fam" FLAVOUR)
userland=$(vt_arm64_pin "$fam" USERLAND)
[ -n "$suites" ] && [ -n "$pin" ] && [ -n "$fl" ] && [ -n "$userland" ] \
	|| vt_die "arm64-fetch" "pins.sh: incomplete VT_ARM64 block for $fam"

base="$VT_CACHE/pkgs/arm64/$fam"
mkdir -p "$base"
vt_lock "arm64-pkgs-$fam"

for abi in $pin $fallback; do
	if [ -f "$base/$abi/.complete" ]; then
		[ "$abi" = "$pin" ] || vt_log "arm64 $fam: using fallback ABI $abi (pinned $pin not cached)"
		echo "$base/$abi"; exit 0
	fi
done

# shellcheck disable=SC2086  # suites are words
conf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" arm64 $suites) || vt_die "arm64-fetch" "$fam: private arm64 apt state for $suites"
# shellcheck disable=SC2086
hconf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" amd64 $suites) || vt_die "arm64-fetch" "$fam: private amd64 apt state for $suites"
papt() { APT_CONFIG="$conf" "$@"; }
hapt() { APT_CONFIG="$hconf" "$@"; }
have() { papt apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }

kpkgs_for() { # ABI -> kernel package names
	echo "linux-image-$1-$fl-unsigned linux-image-$1-$fl-dbg linux-headers-$1-$fl linux-headers-$1-common"
}
missing_in() { # ABI -> prints the first package the archive lacks
	local p
	for p in $(kpkgs_for "$1") $userland; do
		have "$p" || { echo "$p"; return 0; }
	done
}

abi= gone= updated=
for a in $pin $fallback; do
	m=$(missing_in "$a")
	if [ -n "$m" ] && [ "$a" = "$pin" ] && [ -z "$updated" ]; then
		vt_log "arm64 $fam: $m not in the arm64 lists; apt-get update"
		# shellcheck disable=SC2086
		"$VT_TESTDATA_DIR/lib/apt-state.sh" --update arm64 $suites >/dev/null || true
		updated=1
		m=$(missing_in "$a")
	fi
	if [ -z "$m" ]; then abi=$a; break; fi
	vt_log "arm64 $fam: archive lacks $m (ABI $a)"
	gone="$gone $m"
done
[ -n "$abi" ] || vt_die "arm64-fetch" "$fam: pinned packages have left the archive ($suites):$gone; update VT_ARM64_$(echo "$fam" | tr '[:lower:]' '[:upper:]')_ABI / _ABI_FALLBACK in testdata/pins.sh (see the comment there)"
[ "$abi" = "$pin" ] || vt_log "WARNING: arm64 $fam: pinned ABI $pin is gone, using fallback $abi"

rel="$abi-$fl"
dir="$base/$abi"
# The headers name their linux-kbuild-X in Depends; take the HOST-arch one
# at the headers' own version (fixdep/modpost run on the build machine).
hinfo=$(papt apt-cache show --no-all-versions "linux-headers-$rel")
hver=$(sed -n 's/^Version: //p' <<<"$hinfo" | head -1)
kbuild=$(sed -n 's/^Depends: //p' <<<"$hinfo" | tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -1)
[ -n "$kbuild" ] || vt_die "arm64-fetch" "$fam: linux-headers-$rel names no linux-kbuild package"

rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/debs"
vt_log "arm64 $fam: downloading $(kpkgs_for "$abi") $userland (arm64), $kbuild=$hver (amd64)"
# shellcheck disable=SC2046,SC2086
(cd "$dir.tmp/debs" && papt apt-get download -q $(kpkgs_for "$abi") $userland >&2) \
	|| vt_die "arm64-fetch" "$fam: apt-get download (arm64) of $(kpkgs_for "$abi") $userland failed"
(cd "$dir.tmp/debs" && { hapt apt-get download -q "$kbuild=$hver" >&2 2>/dev/null \
	|| { hapt apt-get update -qq >&2 || true; hapt apt-get download -q "$kbuild=$hver" >&2 2>/dev/null; } \
	|| { vt_log "arm64 $fam: WARNING: $kbuild=$hver (amd64) is gone, using the archive's $kbuild"; hapt apt-get download -q "$kbuild" >&2; }; }) \
	|| vt_die "arm64-fetch" "$fam: apt-get download $kbuild (amd64) failed"

vt_log "arm64 $fam: unpacking kernel, modules, headers, userland"
x="$dir.tmp/x"; mkdir -p "$x"
dpkg-deb -x "$dir.tmp"/debs/linux-image-"$rel"-unsigned_*.deb "$x" || vt_die "arm64-fetch" "dpkg-deb -x linux-image-$rel-unsigned"
mv "$x/boot/vmlinuz-$rel" "$dir.tmp/vmlinuz"
mv "$x/boot/config-$rel" "$dir.tmp/config"
# bookworm: /lib/modules; trixie (merged /usr): /usr/lib/modules
if [ -d "$x/lib/modules/$rel" ]; then mv "$x/lib/modules/$rel" "$dir.tmp/modules"
elif [ -d "$x/usr/lib/modules/$rel" ]; then mv "$x/usr/lib/modules/$rel" "$dir.tmp/modules"
else vt_die "arm64-fetch" "$fam: no modules for $rel in linux-image-$rel-unsigned"; fi
rm -rf "$x"
find "$dir.tmp/modules" -name '*.ko.xz' -print0 | xargs -0 -r -P2 -n 64 xz -d -f \
	|| vt_die "arm64-fetch" "xz -d of the modules"
find "$dir.tmp/modules" -name '*.ko.zst' -print0 | xargs -0 -r -P2 -n 64 zstd -q -d -f --rm \
	|| vt_die "arm64-fetch" "zstd -d of the modules"

mkdir -p "$dir.tmp/headers"
for d in "$dir.tmp"/debs/linux-headers-*.deb "$dir.tmp"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/headers" || vt_die "arm64-fetch" "dpkg-deb -x $d"
done

mkdir -p "$dir.tmp/sysroot" "$dir.tmp/bb"
for p in $userland; do
	[ "$p" = busybox-static ] && continue
	dpkg-deb -x "$dir.tmp"/debs/"${p}"_*.deb "$dir.tmp/sysroot" || vt_die "arm64-fetch" "dpkg-deb -x $p"
done
# trixie's packages are /usr-merged only (files in usr/lib, usr/bin): give the
# sysroot the merged-/usr links a system has, for the PT_INTERP /lib/ld-linux-aarch64.so.1.
for l in lib bin sbin; do
	[ -e "$dir.tmp/sysroot/$l" ] || [ ! -d "$dir.tmp/sysroot/usr/$l" ] || ln -s "usr/$l" "$dir.tmp/sysroot/$l"
done
# Debian's libc6 may ship the loader link as an ABSOLUTE symlink; qemu-user's
# -L prefix would resolve it on the host: make every loader link relative.
for l in "$dir.tmp/sysroot/lib/ld-linux-aarch64.so.1" "$dir.tmp/sysroot/usr/lib/ld-linux-aarch64.so.1"; do
	if [ -L "$l" ]; then
		t=$(readlink "$l")
		case $t in /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir.tmp/sysroot$t")" "$l";; esac
	fi
done
dpkg-deb -x "$dir.tmp"/debs/busybox-static_*.deb "$dir.tmp/bb"
if [ -f "$dir.tmp/bb/bin/busybox" ]; then mv "$dir.tmp/bb/bin/busybox" "$dir.tmp/busybox"
else mv "$dir.tmp/bb/usr/bin/busybox" "$dir.tmp/busybox"; fi   # trixie: /usr-merged
rm -rf "$dir.tmp/bb"
echo "$rel" > "$dir.tmp/release"

vt_log "arm64 $fam: extracting the debug vmlinux (only usr/lib/debug/boot/vmlinux-*)"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb \
	| tar -x -C "$dir.tmp" --wildcards './usr/lib/debug/boot/vmlinux-*' \
	|| vt_die "arm64-fetch" "extracting vmlinux from linux-image-$rel-dbg"
mv "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
{
	echo "family=$fam abi=$abi flavour=$fl suites=$suites"
	(cd "$dir.tmp/debs" && ls -- *.deb)
} > "$dir.tmp/inputs.txt"
rm -f "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
sed -i "s|/usr/src/|$dir/headers/usr/src/|g" "$dir/headers/usr/src/linux-headers-$rel/Makefile"
qemu-aarch64 -L "$dir/sysroot" "$dir/sysroot/usr/bin/makedumpfile" -v >/dev/null \
	|| vt_die "arm64-fetch" "arm64 makedumpfile does not run under qemu-aarch64 -L $dir/sysroot"
touch "$dir/.complete"
echo "$dir"
