#!/bin/bash
# A private apt state for another Debian suite and/or architecture, so that
# packages of bullseye, trixie, sid, ... or of ppc64el/arm64 can be looked up
# and downloaded without touching the host's apt sources, its dpkg
# architectures or its lists.
#
#   testdata/lib/apt-state.sh [--update] ARCH SUITE...
#       prints the path of the state's apt.conf; use it as
#       APT_CONFIG=$(testdata/lib/apt-state.sh amd64 trixie) apt-cache ...
#
# ARCH is a Debian architecture (amd64, ppc64el, arm64, ...).  Each SUITE is
# a suite name (bullseye, trixie, sid, experimental, trixie-updates, ...);
# SUITE-security comes from the debian-security archive.  Component: main.
# The state lives in $VT_CACHE/apt/<ARCH>-<SUITE+SUITE...>/ (apt.conf,
# sources.list, state/lists, cache/archives).  The lists are fetched on first
# use; --update refreshes them (callers do that once when a pinned package
# is not found).  Concurrent callers serialise on a lock per state.
# A suite's index that fails to download (e.g. the security suite's index of
# a port) only warns: the suites that did download are still usable; no
# lists at all is an error.  Release files are still verified against the
# Debian archive keyring, but not their Valid-Until: sid's and experimental's
# expire within days and the archive reached here may be a frozen snapshot.
set -euo pipefail
. "$(dirname "$0")/common.sh"

update=
[ "${1:-}" = --update ] && { update=1; shift; }
arch=${1:?usage: apt-state.sh [--update] ARCH SUITE...}; shift
[ $# -gt 0 ] || vt_die "apt-state" "usage: apt-state.sh [--update] ARCH SUITE..."
key=$(printf '%s+' "$@"); key="$arch-${key%+}"
A="$VT_CACHE/apt/$key"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${VT_DEBIAN_MIRROR:-http://deb.debian.org}

mkdir -p "$A/state/lists/partial" "$A/cache/archives/partial" "$A/etc/apt.conf.d" "$A/etc/preferences.d"
vt_lock "apt-$key"
{
	for s in "$@"; do
		case $s in
		*-security) echo "deb [signed-by=$keyring] $mirror/debian-security $s main" ;;
		*) echo "deb [signed-by=$keyring] $mirror/debian $s main" ;;
		esac
	done
} > "$A/sources.list.new"
cat > "$A/apt.conf.new" <<EOF
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
Dir::State "$A/state";
Dir::State::status "$A/state/status";
Dir::Cache "$A/cache";
Dir::Etc::sourcelist "$A/sources.list";
Dir::Etc::sourceparts "-";
Dir::Etc::parts "$A/etc/apt.conf.d";
Dir::Etc::preferencesparts "$A/etc/preferences.d";
Dir::Etc::trusted "$keyring";
Dir::Etc::trustedparts "-";
Acquire::Languages "none";
Acquire::Retries "3";
Acquire::Check-Valid-Until "false";
APT::Sandbox::User "root";
EOF
mv "$A/sources.list.new" "$A/sources.list"
mv "$A/apt.conf.new" "$A/apt.conf"
touch "$A/state/status"

if [ -n "$update" ] || [ -z "$(ls "$A/state/lists/"*_Packages* 2>/dev/null)" ]; then
	vt_log "apt-state: apt-get update ($arch: $*)"
	APT_CONFIG="$A/apt.conf" apt-get update -qq >&2 \
		|| vt_log "apt-state: apt-get update for $key reported errors (continuing with the lists it got)"
	[ -n "$(ls "$A/state/lists/"*_Packages* 2>/dev/null)" ] \
		|| vt_die "apt-state" "apt-get update for $arch ($*) fetched no package lists"
fi
echo "$A/apt.conf"
