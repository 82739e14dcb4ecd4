#!/bin/bash
# vmtriage-plain built for a test guest's arch (ppc64el, arm64) from this
# source tree, for the live tests inside those guests (tests/real_live.py).
#
#   testdata/lib/cross-vmtriage.sh DEBARCH
#
# Prints two lines: the binary, then the sysroot of the libraries it links
# (the guest's initramfs takes them from there, loader and libc included).
# Exit 77 when the host has no cross gcc (the callers skip).
#
# The -dev packages vmtriage needs (configure.ac) and their dependency
# closure come from bookworm's DEBARCH archive through a private apt state
# (lib/apt-state.sh) and are unpacked into a sysroot; configure runs with
# --host and pkg-config pointed at it.  The sources are copied (tracked and
# untracked, not ignored files) so the tree's own build is untouched.  The
# result is cached in $VT_CACHE/cross/DEBARCH-<hash> (hash: this script,
# the packages' file names, the sources).
set -euo pipefail
. "$(dirname "$0")/common.sh"
deb=${1:?usage: cross-vmtriage.sh ppc64el|arm64}
case $deb in
ppc64el) triplet=powerpc64le-linux-gnu ;;
arm64) triplet=aarch64-linux-gnu ;;
*) vt_die "cross-vmtriage" "unknown arch $deb (ppc64el, arm64)" ;;
esac
cc=$triplet-gcc
if ! command -v "$cc" >/dev/null; then
	echo "cross-vmtriage: no $cc (apt-get install gcc-$triplet)" >&2
	exit 77
fi
top=$(cd "$VT_TESTDATA_DIR/.." && pwd)
# configure.ac's VT_REQUIRE packages
DEV="libkdumpfile-dev libdw-dev libelf-dev libbpf-dev libdeflate-dev liblzo2-dev libzstd-dev
	libdebuginfod-dev libmicrohttpd-dev libsqlite3-dev"
suites="bookworm bookworm-updates"
# shellcheck disable=SC2086  # suites are words
conf=$("$VT_TESTDATA_DIR/lib/apt-state.sh" "$deb" $suites) || vt_die "cross-vmtriage" "private $deb apt state"
papt() { APT_CONFIG="$conf" "$@"; }

# The closure of Depends (real packages only: apt-cache prints virtual ones
# in <>), libc6-dev included: the cross gcc compiles against this sysroot
# (--sysroot; Debian's gcc knows its multiarch layout) and the guest runs
# the same libraries.  Tools that come along (dpkg, perl) are left out.
# shellcheck disable=SC2086  # package lists are words
pkgs=$(papt apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances --no-pre-depends $DEV libc6-dev | grep -E '^[a-z0-9]' |
	grep -vxE 'debconf|perl-base|dpkg|tar|install-info|rpcsvc-proto' | sort -u)
[ -n "$pkgs" ] || vt_die "cross-vmtriage" "apt-cache depends $DEV ($deb) gave nothing"
store=$VT_CACHE/cross/debs-$deb
mkdir -p "$store"
vt_lock "cross-debs-$deb"
for p in $pkgs; do
	compgen -G "$store/${p}_*.deb" >/dev/null && continue
	(cd "$store" && papt apt-get download -q "$p" >&2) ||
		vt_die "cross-vmtriage" "apt-get download $p ($deb, $suites)"
done
debs=$(for p in $pkgs; do compgen -G "$store/${p}_*.deb" | tail -1; done)

hash=$( (cat "$0"; printf '%s\n' "${debs##*/}"; $cc --version | head -1
	cd "$top" && git ls-files -co --exclude-standard | grep -v '^testdata/' | sort |
		while read -r f; do [ -f "$f" ] && { echo "$f"; cat "$f"; }; done) | sha256sum | cut -c1-16)
out=$VT_CACHE/cross/$deb-$hash
if [ -x "$out/vmtriage-plain" ]; then
	printf '%s\n%s\n' "$out/vmtriage-plain" "$out/sysroot"
	exit 0
fi
vt_lock "cross-$deb"
rm -rf "$out.tmp"
mkdir -p "$out.tmp/sysroot" "$out.tmp/src"
trap 'rm -rf "$out.tmp"' EXIT
for d in $debs; do
	dpkg-deb -x "$d" "$out.tmp/sysroot" || vt_die "cross-vmtriage" "dpkg-deb -x $d"
done
s=$out.tmp/sysroot
# absolute links (the loader, .so links) would name the host's files: make
# them relative, within the sysroot
find "$s" -type l -lname '/*' | while read -r l; do
	ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$s$(readlink "$l")")" "$l"
done
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^testdata/' |
	tar --null -T - -cf -) | tar -xf - -C "$out.tmp/src"
vt_log "cross-vmtriage: building vmtriage-plain for $deb"
(
	cd "$out.tmp/src"
	autoreconf -fi >/dev/null 2>&1
	./configure -q --host="$triplet" CC="$cc --sysroot=$s" \
		PKG_CONFIG_LIBDIR="$s/usr/lib/$triplet/pkgconfig:$s/usr/share/pkgconfig" \
		PKG_CONFIG_SYSROOT_DIR="$s"
	make -s -j2 vmtriage-plain
) >"$out.tmp/build.log" 2>&1 || { tail -30 "$out.tmp/build.log" >&2; vt_die "cross-vmtriage" "build for $deb failed"; }
mv "$out.tmp/src/vmtriage-plain" "$out.tmp/vmtriage-plain"
rm -rf "$out.tmp/src"
rm -rf "$VT_CACHE/cross/$deb-"*[!p]   # older builds of this arch (not *.tmp)
mv "$out.tmp" "$out"
trap - EXIT
printf '%s\n%s\n' "$out/vmtriage-plain" "$out/sysroot"
