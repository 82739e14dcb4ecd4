#!/bin/bash
# Download and unpack one arch's pinned Debian kernel family (testdata/
# pins.sh, VT_<ARCH>_<FAMILY>_*) and its guest userland.  Usage:
#   testdata/lib/fetch.sh ARCH FAMILY      ARCH: x86, ppc64, arm64 (folders)
# Prints the kernel directory (arch_kdir in ARCH/arch.sh), which holds
#   debs/          the .deb files as downloaded (minus the 260-650 MB -dbg)
#   vmlinuz | boot-vmlinux   the bootable kernel (ARCH_BOOT_FILE), config
#   modules/       its /lib/modules/<release> tree, .ko.xz/.ko.zst
#                  decompressed (busybox insmod loads plain .ko only);
#                  only where the guest loads modules (ARCH_MODULES)
#   vmlinux        the DWARF(+BTF) vmlinux from ...-dbg (only that file)
#   headers/       linux-headers + -common, plus the HOST-arch (amd64)
#                  linux-kbuild-* the headers name, at the headers' version
#                  (fixdep/modpost run natively); the flavour Makefile's
#                  absolute /usr/src paths point at this private copy
#   sysroot/       (ARCH_USERLAND) the guest-arch makedumpfile and its
#                  libraries, run as ARCH_QEMU_USER -L sysroot ...
#   busybox        (ARCH_USERLAND) the guest's static busybox
#   release        uname -r (plus what arch_fetch_extra writes)
#   inputs.txt     family, ABI, flavour, suites and the .deb names (with
#                  versions): part of the scenarios' hash
#   .complete      written last
# Packages come through private apt states (lib/apt-state.sh): ARCH_DEB
# SUITES... for the kernel and userland, amd64 ARCH_HOST_SUITES for the
# linux-kbuild; the host's apt sources are never used or changed.
# An ABI counts when the lists have all its packages AND they download (a
# mirror may list files it no longer has: 404); a userland package whose
# indexed version 404s is taken at _USERLAND_FALLBACK's PKG=VERSION@SHA256.
# Kernel package layouts: linux-image-<ABI>-<FL>[-unsigned] (boot/vmlinu[xz]-*,
# boot/config-*, lib/modules/*) up to 6.12; 7.x's split one
# (linux-binary-unsigned-*: usr/lib/modules/*/vmlinuz.unsigned,
# linux-base-*: config, linux-modules-*), vmlinux in usr/lib/debug/lib/modules/*/.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"
T=$VT_TESTDATA_DIR
arch=${1:?usage: fetch.sh ARCH FAMILY}
fam=${2:?usage: fetch.sh ARCH FAMILY}
[ -f "$VT_TESTDATA_DIR/$arch/arch.sh" ] || vt_die "fetch" "unknown arch $arch"
. "$VT_TESTDATA_DIR/$arch/arch.sh"
pin() { vt_pin "$ARCH_PIN" "$fam" "$1"; }
fams=VT_${ARCH_PIN}_FAMILIES
case " ${!fams} " in *" $fam "*) ;; *) vt_die "fetch" "$arch: unknown kernel family $fam (pins.sh: ${!fams})";; esac
suites=$(pin SUITES) abipin=$(pin ABI) fallback=$(pin ABI_FALLBACK) fl=$(pin FLAVOUR) userland=$(pin USERLAND)
[ -n "$suites" ] && [ -n "$abipin" ] && [ -n "$fl" ] || vt_die "fetch" "pins.sh: incomplete VT_${ARCH_PIN}_${fam^^} block"
hsuites=$(arch_host_suites $suites)
who="$arch $fam"

cached() { # the pinned ABI's (or a fallback's) complete directory
	local a
	for a in $abipin $fallback; do
		if [ -f "$(arch_kdir "$a")/.complete" ] && [ -f "$(arch_kdir "$a")/inputs.txt" ]; then
			[ "$a" = "$abipin" ] || vt_log "$who: using fallback ABI $a (pinned $abipin not cached)"
			arch_kdir "$a"; return 0
		fi
	done
	return 1
}
cached && exit 0
mkdir -p "$(dirname "$(arch_kdir "$abipin")")"
vt_lock "$ARCH_DEB-pkgs-$fam"
cached && exit 0

# shellcheck disable=SC2086  # suites are words
conf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" "$ARCH_DEB" $suites) || vt_die "fetch" "$who: private $ARCH_DEB apt state for $suites"
# shellcheck disable=SC2086
hconf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" amd64 $hsuites) || vt_die "fetch" "$who: private amd64 apt state for $hsuites"
papt() { APT_CONFIG="$conf" "$@"; }
hapt() { APT_CONFIG="$hconf" "$@"; }
have() { papt apt-cache show --no-all-versions "$1" >/dev/null 2>&1; }
missing_in() { # ABI -> prints the first package the lists lack
	local p l
	l=$(arch_kernel_pkgs "$1")
	[ -n "$l" ] || { echo "the kernel packages of $1-$fl"; return 0; }
	for p in $l $userland; do have "$p" || { echo "$p"; return 0; }; done
}

abi= gone= updated= dir=
trap 'rm -rf "${dir:-/nonexistent}.tmp"' EXIT
for a in $abipin $fallback; do
	m=$(missing_in "$a")
	if [ -n "$m" ] && [ -z "$updated" ]; then
		# Maybe the private lists are just old: refresh once.
		vt_log "$who: $m not in the apt lists; apt-get update"
		# shellcheck disable=SC2086
		"$VT_TESTDATA_DIR/lib/apt-state.sh" --update "$ARCH_DEB" $suites >/dev/null || true
		updated=1
		m=$(missing_in "$a")
	fi
	if [ -n "$m" ]; then
		vt_log "$who: archive lacks $m (ABI $a)"
		gone="$gone $m"; continue
	fi
	dir=$(arch_kdir "$a")
	kpkgs=$(arch_kernel_pkgs "$a")
	rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/debs"
	vt_log "$who: downloading $kpkgs ($ARCH_DEB)"
	# shellcheck disable=SC2086  # word splitting of the package list is intended
	if (cd "$dir.tmp/debs" && papt apt-get download -q $kpkgs >&2); then abi=$a; break; fi
	vt_log "$who: download of ABI $a failed (listed but not fetchable)"
	gone="$gone $a(download)"; rm -rf "$dir.tmp"
done
[ -n "$abi" ] || vt_die "fetch" "$who: pinned packages are gone from the archive ($suites):$gone; update VT_${ARCH_PIN}_${fam^^}_ABI / _ABI_FALLBACK in testdata/pins.sh"
[ "$abi" = "$abipin" ] || vt_log "WARNING: $who: pinned ABI $abipin is gone, using fallback $abi"
rel="$abi-$fl"

for p in $userland; do
	(cd "$dir.tmp/debs" && papt apt-get download -q "$p" >&2 2>/dev/null) && continue
	fb=$(printf '%s\n' $(pin USERLAND_FALLBACK) | sed -n "s/^$p=//p")
	[ -n "$fb" ] || vt_die "fetch" "$who: apt-get download ($ARCH_DEB, $suites) $p failed and VT_${ARCH_PIN}_${fam^^}_USERLAND_FALLBACK pins no version of it"
	ver=${fb%@*} sum=${fb#*@}
	fn=$(papt apt-cache show --no-all-versions "$p" | sed -n 's/^Filename: //p' | head -1)
	url="${VT_DEBIAN_MIRROR:-http://deb.debian.org}/debian/${fn%/*}/${p}_${ver#*:}_$ARCH_DEB.deb"
	vt_log "$who: $p: indexed version not in the pool, taking pinned $ver"
	papt /usr/lib/apt/apt-helper download-file "$url" "$dir.tmp/debs/${p}_${ver#*:}_$ARCH_DEB.deb" "SHA256:$sum" >&2 \
		|| vt_die "fetch" "$who: $p $ver ($url) not downloadable either; update VT_${ARCH_PIN}_${fam^^}_USERLAND_FALLBACK in testdata/pins.sh"
done

# The HOST-arch linux-kbuild-X (fixdep, modpost: the headers' scripts/) the
# headers name in their Depends, at the headers' own version if the amd64
# index still has it, else its current version.
hver=$(papt apt-cache show --no-all-versions "linux-headers-$rel" | sed -n 's/^Version: //p' | head -1)
kbuild=$(papt apt-cache show --no-all-versions "linux-headers-$rel" "linux-headers-$abi-common" \
	| sed -n 's/^Depends: //p' | tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -1)
[ -n "$kbuild" ] || vt_die "fetch" "$who: linux-headers-$rel names no linux-kbuild package"
(cd "$dir.tmp/debs" && { hapt apt-get download -q "$kbuild=$hver" >&2 2>/dev/null \
	|| { hapt apt-get update -qq >&2 || true; hapt apt-get download -q "$kbuild=$hver" >&2 2>/dev/null; } \
	|| { vt_log "$who: WARNING: $kbuild=$hver (amd64) is not in the archive, using its current $kbuild"
	     hapt apt-get download -q "$kbuild" >&2; }; }) \
	|| vt_die "fetch" "$who: apt-get download $kbuild (amd64) failed"

vt_log "$who: unpacking the kernel, headers, userland"
x="$dir.tmp/x"; mkdir -p "$x"
for p in $kpkgs; do
	case $p in *-dbg|linux-headers-*) continue;; esac
	dpkg-deb -x "$dir.tmp"/debs/"$p"_*.deb "$x" || vt_die "fetch" "$who: dpkg-deb -x $p"
done
first() { local f; for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 1; }
boot=$(first "$x/boot/vmlinuz-$rel" "$x/boot/vmlinux-$rel" "$x/usr/lib/modules/$rel/vmlinuz.unsigned" \
	"$x/usr/lib/modules/$rel/vmlinuz") || vt_die "fetch" "$who: no bootable kernel for $rel in $kpkgs"
config=$(first "$x/boot/config-$rel" "$x/usr/lib/modules/$rel/config") \
	|| vt_die "fetch" "$who: no config for $rel in $kpkgs"
mv "$(readlink -f "$boot")" "$dir.tmp/$ARCH_BOOT_FILE"
mv "$(readlink -f "$config")" "$dir.tmp/config"
if [ -n "$ARCH_MODULES" ]; then
	mods=$(first "$x/lib/modules/$rel" "$x/usr/lib/modules/$rel") \
		|| vt_die "fetch" "$who: no modules for $rel in $kpkgs"
	mv "$mods" "$dir.tmp/modules"
	find "$dir.tmp/modules" -name '*.ko.xz' -print0 | xargs -0 -r -P2 -n 64 xz -d -f \
		|| vt_die "fetch" "xz -d of the modules"
	find "$dir.tmp/modules" -name '*.ko.zst' -print0 | xargs -0 -r -P2 -n 64 zstd -q -d -f --rm \
		|| vt_die "fetch" "zstd -d of the modules"
fi
rm -rf "$x"

mkdir -p "$dir.tmp/headers"
for d in "$dir.tmp"/debs/linux-headers-*.deb "$dir.tmp"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/headers" || vt_die "fetch" "dpkg-deb -x $d"
done

if [ -n "$userland" ]; then
	s="$dir.tmp/sysroot"
	mkdir -p "$s" "$dir.tmp/bb"
	for p in $userland; do
		[ "$p" = busybox-static ] && continue
		dpkg-deb -x "$dir.tmp"/debs/"${p}"_*.deb "$s" || vt_die "fetch" "dpkg-deb -x $p"
	done
	# libc6 may ship the loader link (PT_INTERP) as an ABSOLUTE symlink, which
	# qemu-user's -L prefix would resolve on the host: make it relative.
	for l in {,usr/}lib{,64}/"$ARCH_LOADER"; do
		[ -L "$s/$l" ] || continue
		t=$(readlink "$s/$l")
		case $t in /*) ln -sfn "$(realpath -m --relative-to="$(dirname "/$l")" "$t")" "$s/$l" ;; esac
	done
	# trixie's packages are /usr-merged only (usr/lib, usr/bin): give the
	# sysroot the merged-/usr links a system has.
	for l in lib lib64 bin sbin; do
		[ -e "$s/$l" ] || [ ! -d "$s/usr/$l" ] || ln -s "usr/$l" "$s/$l"
	done
	dpkg-deb -x "$dir.tmp"/debs/busybox-static_*.deb "$dir.tmp/bb"
	bb=$(find "$dir.tmp/bb" -path "*bin/busybox" -type f | head -1)
	mv "$bb" "$dir.tmp/busybox"; rm -rf "$dir.tmp/bb"
fi
echo "$rel" > "$dir.tmp/release"
arch_fetch_extra "$dir.tmp"

vt_log "$who: extracting the debug vmlinux (only the vmlinux of ...-dbg)"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb \
	| tar -x -C "$dir.tmp" --wildcards --exclude='*.ko' --exclude='*.debug' \
		'./usr/lib/debug/*vmlinux*' \
	|| vt_die "fetch" "extracting vmlinux from linux-image-$rel-dbg"
vmlinux=$(first "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/usr/lib/debug/lib/modules/$rel/vmlinux") \
	|| vt_die "fetch" "$who: no vmlinux in linux-image-$rel-dbg"
# (7.x: boot/vmlinux-* is a relative symlink to lib/modules/*/vmlinux)
mv "$(readlink -f "$vmlinux")" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
# Record the inputs (names carry versions) before dropping the big deb.
{
	arch_inputs_head
	(cd "$dir.tmp/debs" && ls -- *.deb)
} > "$dir.tmp/inputs.txt"
rm -f "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
# The flavour Makefile includes /usr/src/linux-headers-<abi>-common/Makefile
# (and 7.x sets KBUILD_OUTPUT=/usr/src/...) by absolute path.
sed -i "s|/usr/src/|$dir/headers/usr/src/|g" "$dir/headers/usr/src/linux-headers-$rel/Makefile"
if [ -n "$userland" ]; then
	"$ARCH_QEMU_USER" -L "$dir/sysroot" "$dir/sysroot/usr/bin/makedumpfile" -v >/dev/null \
		|| vt_die "fetch" "$who: the $ARCH_DEB makedumpfile does not run under $ARCH_QEMU_USER -L $dir/sysroot"
fi
touch "$dir/.complete"
trap - EXIT
arch_fetch_done "$dir"
echo "$dir"
