#!/bin/bash
# A host-arch (amd64) root filesystem of another Debian suite, made with
# debootstrap and cached, for the tools that must match a newer kernel: its
# gcc (out-of-tree modules want the compiler the kernel was built with; a
# 6.12 kernel passes flags gcc-12 lacks), cross compilers, and makedumpfile
# (bookworm's 1.7.2 calls 6.12 "not supported" and mis-filters it).
#
#   testdata/lib/suite-root.sh SUITE PACKAGE...     prints the root's path
#
# $VT_CACHE/roots/<SUITE>-<hash>/ where <hash> covers the suite, the sorted
# package list and this script; built in a temp dir, renamed when complete,
# older versions (same suite and package list, in .pkgs) deleted. Needs root
# (debootstrap, chroot).
# Run a tool in it with vt_in_root (lib/common.sh):
#   vt_in_root ROOT [--bind DIR]... -- CMD ARGS...
set -euo pipefail
. "$(dirname "$0")/common.sh"

pathonly=
[ "${1:-}" = --path ] && { pathonly=1; shift; }
suite=${1:?usage: suite-root.sh [--path] SUITE PACKAGE...}; shift
pkgs=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
spec="suite=$suite pkgs=$pkgs"
hash=$( (cat "$0"; echo "$spec") | sha256sum | cut -c1-16)
final="$VT_CACHE/roots/$suite-$hash"
[ -z "$pathonly" ] || { echo "$final"; exit 0; }
[ -f "$final/.complete" ] && { echo "$final"; exit 0; }

[ "$(id -u)" = 0 ] || vt_die "suite-root $suite" "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || vt_die "suite-root $suite" "debootstrap is not installed (testdata/install-deps.sh)"
mkdir -p "$VT_CACHE/roots"
vt_lock "root-$suite"
[ -f "$final/.complete" ] && { echo "$final"; exit 0; }
rm -rf "$VT_CACHE/roots/.tmp-$suite-"*
tmp=$(mktemp -d "$VT_CACHE/roots/.tmp-$suite-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# debootstrap knows bookworm's successors by symlink only when its scripts
# are new enough; "sid" is the script of every suite after bookworm.
script=$suite
[ -e "/usr/share/debootstrap/scripts/$suite" ] || script=sid
vt_log "suite-root: debootstrap $suite (minbase + $pkgs)"
incl=$(printf '%s' "$pkgs" | tr ' ' ',' | sed 's/,$//')
debootstrap --variant=minbase --arch=amd64 --include="$incl" \
	--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
	"$suite" "$tmp" http://deb.debian.org/debian "/usr/share/debootstrap/scripts/$script" \
	> "$tmp.log" 2>&1 || { tail -20 "$tmp.log" >&2; rm -f "$tmp.log"; vt_die "suite-root $suite" "debootstrap failed"; }
rm -f "$tmp.log"
# Nothing in the root runs at boot; keep apt's downloaded .debs out of the cache.
rm -rf "$tmp/var/cache/apt/archives/"*.deb
echo "$pkgs" > "$tmp/.pkgs"
touch "$tmp/.complete"
chmod 0755 "$tmp"
mv -T "$tmp" "$final"
trap - EXIT
# Older versions of this root (same suite and packages, older script); roots
# of the same suite with other packages belong to other generators: kept.
for old in "$VT_CACHE/roots/$suite"-????????????????; do
	[ "$old" = "$final" ] && continue
	[ "$(cat "$old/.pkgs" 2>/dev/null)" = "$pkgs" ] && rm -rf -- "$old"
done
echo "$final"
