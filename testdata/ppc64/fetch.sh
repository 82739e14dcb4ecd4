#!/bin/bash
# Download and unpack the pinned Debian ppc64el kernel and userland of one
# kernel family (testdata/pins.sh, VT_PPC64_<FAMILY>_*) into
#   $VT_CACHE/pkgs/ppc64el/<uname -r>/
#       debs/               the .deb files as downloaded (minus the -dbg deb)
#       boot-vmlinux        the bootable ELF from linux-image-<ABI>-<FLAVOUR>
#       config              its config
#       vmlinux             the DWARF vmlinux from ...-dbg (only that file)
#       headers/            linux-headers-<ABI>-<FLAVOUR> + -common, plus the
#                           HOST (amd64) linux-kbuild-* the headers depend on,
#                           so fixdep/modpost run natively (the Makefile's
#                           absolute include is pointed at this private copy)
#       sysroot/            makedumpfile + its shared libraries (ppc64el), run as
#                           qemu-ppc64le -L sysroot sysroot/usr/bin/makedumpfile
#       busybox             static ppc64el busybox for the initramfs
#       release family page_shift   uname -r, family key, 12 or 16 (from config)
#       inputs.txt          pinned values + .deb names: part of the scenario hash
#       .complete           written last
# Packages come through private apt states (lib/apt-state.sh ppc64el
# SUITES... for the kernel and userland, amd64 SUITES + security for
# linux-kbuild);
# no dpkg --add-architecture, the host's apt is untouched.
# Prints the kernel directory on stdout. Usage: fetch.sh [FAMILY]  (default deb12)
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"

key=${1:-deb12}
K=${key^^}
pin() { vt_ppc64_pin "$key" "$1"; }
[ -n "$(pin FLAVOUR)" ] || vt_die "ppc64-fetch" "unknown kernel family '$key' (pins.sh: $VT_PPC64_FAMILIES)"
SUITES=$(pin SUITES) ABI=$(pin ABI) FALLBACK=$(pin ABI_FALLBACK) FLAVOUR=$(pin FLAVOUR)
USERLAND=$(pin USERLAND)

base="$VT_CACHE/pkgs/ppc64el"
mkdir -p "$base"
cached() {
	local abi
	for abi in $ABI $FALLBACK; do
		if [ -f "$base/$abi-$FLAVOUR/.complete" ]; then
			[ "$abi" = "$ABI" ] || vt_log "ppc64 $key: using fallback ABI $abi (pinned $ABI not cached)"
			echo "$base/$abi-$FLAVOUR"; return 0
		fi
	done
	return 1
}
cached && exit 0
vt_lock "ppc64el-pkgs-$key"
cached && exit 0

# shellcheck disable=SC2086
PCONF=$("$VT_TESTDATA_DIR/lib/apt-state.sh" ppc64el $SUITES) || vt_die "ppc64-fetch" "$key: private ppc64el apt state for $SUITES"
# amd64 (linux-kbuild only): the family's suites plus <first>-security, the
# suite list of the x86/arm64 families' amd64 states, which are then shared.
# shellcheck disable=SC2086
HSUITES=$(set -- $SUITES; f=$1; shift; echo "$f $f-security $*")
# shellcheck disable=SC2086
HCONF=$("$VT_TESTDATA_DIR/lib/apt-state.sh" amd64 $HSUITES) || vt_die "ppc64-fetch" "$key: private amd64 apt state for $HSUITES"
papt() { APT_CONFIG="$PCONF" "$@"; }
hapt() { APT_CONFIG="$HCONF" "$@"; }

kpkgs_for() { # ABI -> kernel package names (the big -dbg last)
	local f=$FLAVOUR
	echo "linux-image-$1-$f linux-headers-$1-$f linux-headers-$1-common linux-image-$1-$f-dbg"
}

# The ppc64el pool can lag its own index (an index naming a version whose
# .deb is not there yet / any more): each ABI is tried by downloading it,
# and a userland package whose indexed version 404s is taken at the version
# pinned in _USERLAND_FALLBACK (PKG=VERSION@SHA256, checked by apt-helper).
rm -rf "$base/.dl-$key"; mkdir -p "$base/.dl-$key"
trap 'rm -rf "$base/.dl-$key" "${dir:-$base/.none}.tmp"' EXIT
abi='' gone=''
for round in 1 2; do
	for a in $ABI $FALLBACK; do
		rm -f "$base/.dl-$key"/*.deb
		vt_log "ppc64 $key: downloading $(kpkgs_for "$a")"
		# shellcheck disable=SC2046
		if (cd "$base/.dl-$key" && papt apt-get download -q $(kpkgs_for "$a") >&2); then abi=$a; break 2; fi
		vt_log "ppc64 $key: ABI $a: not (fully) downloadable"
		[ $round = 1 ] || gone="$gone $a"
	done
	[ $round = 2 ] && break
	vt_log "ppc64 $key: refreshing the lists (no pinned ABI downloadable with the cached ones)"
	# shellcheck disable=SC2086
	"$VT_TESTDATA_DIR/lib/apt-state.sh" --update ppc64el $SUITES >/dev/null || true
	# shellcheck disable=SC2086
	"$VT_TESTDATA_DIR/lib/apt-state.sh" --update amd64 $HSUITES >/dev/null || true
done
[ -n "$abi" ] || vt_die "ppc64-fetch" "pinned kernel packages are not downloadable (ABIs$gone); update VT_PPC64_${K}_ABI / VT_PPC64_${K}_ABI_FALLBACK in testdata/pins.sh (see the comment there)"
[ "$abi" = "$ABI" ] || vt_log "WARNING: ppc64 $key: pinned ABI $ABI is not downloadable, using fallback $abi"

rel="$abi-$FLAVOUR"
dir="$base/$rel"
rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
mv "$base/.dl-$key" "$dir.tmp/debs"
for p in $USERLAND; do
	(cd "$dir.tmp/debs" && papt apt-get download -q "$p" >&2 2>/dev/null) && continue
	fb=$(printf '%s\n' $(pin USERLAND_FALLBACK) | sed -n "s/^$p=//p")
	[ -n "$fb" ] || vt_die "ppc64-fetch" "apt-get download (ppc64el, $SUITES) $p failed and VT_PPC64_${K}_USERLAND_FALLBACK pins no version of it"
	ver=${fb%@*} sum=${fb#*@}
	fn=$(papt apt-cache show --no-all-versions "$p" | sed -n 's/^Filename: //p' | head -1)
	url="${VT_DEBIAN_MIRROR:-http://deb.debian.org}/debian/${fn%/*}/${p}_${ver#*:}_ppc64el.deb"
	vt_log "ppc64 $key: $p: indexed version not in the pool, taking pinned $ver"
	papt /usr/lib/apt/apt-helper download-file "$url" "$dir.tmp/debs/${p}_${ver#*:}_ppc64el.deb" "SHA256:$sum" >&2 \
		|| vt_die "ppc64-fetch" "$p $ver ($url) not downloadable either; update VT_PPC64_${K}_USERLAND_FALLBACK in testdata/pins.sh"
done

# Host-arch kbuild tools: the linux-kbuild-* package the headers depend on
# (6.1: linux-kbuild-6.1; 6.12: linux-kbuild-6.12.NN+debNN), at the headers'
# version if the amd64 index has it, else its current version.
hver=$(papt apt-cache show --no-all-versions "linux-headers-$rel" | sed -n 's/^Version: //p' | head -1)
kb=$(papt apt-cache show --no-all-versions "linux-headers-$rel" "linux-headers-$abi-common" \
	| sed -n 's/^Depends: //p' | tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' | head -1)
[ -n "$kb" ] || vt_die "ppc64-fetch" "linux-headers-$rel names no linux-kbuild-* dependency"
(cd "$dir.tmp/debs" && { hapt apt-get download -q "$kb=$hver" >&2 2>/dev/null \
	|| hapt apt-get download -q "$kb" >&2; }) \
	|| vt_die "ppc64-fetch" "apt-get download $kb (amd64) failed"

vt_log "ppc64 $key: unpacking kernel, headers, userland"
x="$dir.tmp/x"; mkdir -p "$x"
dpkg-deb -x "$dir.tmp"/debs/linux-image-"$rel"_*.deb "$x" || vt_die "ppc64-fetch" "dpkg-deb -x linux-image-$rel"
mv "$x/boot/vmlinux-$rel" "$dir.tmp/boot-vmlinux"
mv "$x/boot/config-$rel" "$dir.tmp/config"
rm -rf "$x"

mkdir -p "$dir.tmp/headers"
for d in "$dir.tmp"/debs/linux-headers-*.deb "$dir.tmp"/debs/linux-kbuild-*.deb; do
	dpkg-deb -x "$d" "$dir.tmp/headers" || vt_die "ppc64-fetch" "dpkg-deb -x $d"
done

mkdir -p "$dir.tmp/sysroot" "$dir.tmp/bb"
for p in $USERLAND; do
	[ "$p" = busybox-static ] && continue
	dpkg-deb -x "$dir.tmp"/debs/"${p}"_*.deb "$dir.tmp/sysroot" || vt_die "ppc64-fetch" "dpkg-deb -x $p"
done
# libc6 ships /lib64/ld64.so.2 as an ABSOLUTE symlink; qemu-user's -L prefix
# would resolve it on the host: make it relative. (trixie's libc6 is
# merged-/usr: usr/lib64 and usr/lib/powerpc64le-linux-gnu.)
for l in lib64/ld64.so.2 usr/lib64/ld64.so.2; do
	[ -L "$dir.tmp/sysroot/$l" ] || continue
	t=$(readlink "$dir.tmp/sysroot/$l")
	case $t in /*) ln -sfn "$(realpath -m --relative-to="$(dirname "/$l")" "$t")" "$dir.tmp/sysroot/$l" ;; esac
done
[ -e "$dir.tmp/sysroot/lib64" ] || ln -s usr/lib64 "$dir.tmp/sysroot/lib64"
[ -e "$dir.tmp/sysroot/lib" ] || ln -s usr/lib "$dir.tmp/sysroot/lib"
dpkg-deb -x "$dir.tmp"/debs/busybox-static_*.deb "$dir.tmp/bb"
bb=$(find "$dir.tmp/bb" -path "*bin/busybox" -type f | head -1)
mv "$bb" "$dir.tmp/busybox"; rm -rf "$dir.tmp/bb"
echo "$rel" > "$dir.tmp/release"
echo "$key" > "$dir.tmp/family"
if grep -qx 'CONFIG_PPC_64K_PAGES=y' "$dir.tmp/config"; then ps=16
elif grep -qx 'CONFIG_PPC_4K_PAGES=y' "$dir.tmp/config"; then ps=12
else vt_die "ppc64-fetch" "config-$rel: neither CONFIG_PPC_4K_PAGES nor CONFIG_PPC_64K_PAGES"; fi
echo "$ps" > "$dir.tmp/page_shift"

vt_log "ppc64 $key: extracting the debug vmlinux (only ./usr/lib/debug/boot/vmlinux-*; 6.1: ~30 s, 6.12: ~90 s)"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb \
	| tar -x -C "$dir.tmp" --wildcards './usr/lib/debug/boot/vmlinux-*' \
	|| vt_die "ppc64-fetch" "extracting vmlinux from linux-image-$rel-dbg"
mv "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
# Record the inputs (names carry versions) before dropping the big deb.
{
	echo "family=$key suites=$SUITES abi=$abi flavour=$FLAVOUR page_shift=$ps"
	echo "root=$(pin ROOT) cc=$(pin CC)"
	(cd "$dir.tmp/debs" && ls *.deb)
} > "$dir.tmp/inputs.txt"
rm -f "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
sed -i "s|^include /usr/src/|include $dir/headers/usr/src/|" \
	"$dir/headers/usr/src/linux-headers-$rel/Makefile"
qemu-ppc64le -L "$dir/sysroot" "$dir/sysroot/usr/bin/makedumpfile" -v >/dev/null \
	|| vt_die "ppc64-fetch" "ppc64el makedumpfile does not run under qemu-ppc64le -L $dir/sysroot"
touch "$dir/.complete"
trap - EXIT
# The layout before kernel families kept deb12 in pkgs/ppc64el/<ABI>/ and
# its apt state in pkgs/ppc64el/apt/ (now $VT_CACHE/apt/): drop them.
[ "$key" != deb12 ] || rm -rf "${base:?}/$abi" "$base/apt"
echo "$dir"
