#!/bin/bash
# Download and unpack the pinned Debian ppc64el kernel and userland
# (testdata/pins.sh, VT_PPC64_*) into
#   $VT_CACHE/pkgs/ppc64el/
#     apt/                  private apt state (APT::Architecture "ppc64el",
#                           own Dir::State / Dir::Cache / sources.list for
#                           bookworm + bookworm-updates main); no dpkg
#                           --add-architecture, the host's apt is untouched
#     <ABI>/
#       debs/               the .deb files as downloaded (minus the 718 MB -dbg)
#       boot-vmlinux        the bootable ELF from linux-image-<ABI>-powerpc64le
#       config              its config
#       vmlinux             the DWARF vmlinux from ...-dbg (only that file)
#       headers/            linux-headers-<ABI>-powerpc64le + -common, plus the
#                           HOST (amd64) linux-kbuild-6.1 of the same version, so
#                           fixdep/modpost run natively (the Makefile's absolute
#                           include is pointed at this private copy)
#       sysroot/            makedumpfile + its shared libraries (ppc64el), run as
#                           qemu-ppc64le -L sysroot sysroot/usr/bin/makedumpfile
#       busybox             static ppc64el busybox for the initramfs
#       inputs.txt          pinned values + .deb names: part of the scenario hash
#       .complete           written last
# Prints the ABI directory on stdout. Usage: fetch.sh
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
. "$VT_TESTDATA_DIR/pins.sh"

base="$VT_CACHE/pkgs/ppc64el"
mkdir -p "$base"
vt_lock ppc64el-pkgs

for abi in $VT_PPC64_ABI $VT_PPC64_ABI_FALLBACK; do
	if [ -f "$base/$abi/.complete" ]; then
		[ "$abi" = "$VT_PPC64_ABI" ] || vt_log "ppc64: using fallback ABI $abi (pinned $VT_PPC64_ABI not cached)"
		echo "$base/$abi"; exit 0
	fi
done

# --- private apt state for ppc64el ------------------------------------------
A="$base/apt"
mkdir -p "$A/state/lists/partial" "$A/cache/archives/partial" "$A/etc/apt.conf.d" "$A/etc/preferences.d"
cat > "$A/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main
EOF
cat > "$A/apt.conf" <<EOF
APT::Architecture "ppc64el";
APT::Architectures { "ppc64el"; };
Dir::State "$A/state";
Dir::State::status "$A/state/status";
Dir::Cache "$A/cache";
Dir::Etc::sourcelist "$A/sources.list";
Dir::Etc::sourceparts "-";
Dir::Etc::parts "$A/etc/apt.conf.d";
Dir::Etc::preferencesparts "$A/etc/preferences.d";
Acquire::Languages "none";
APT::Sandbox::User "root";
EOF
touch "$A/state/status"
papt() { APT_CONFIG="$A/apt.conf" "$@"; }

if [ -z "$(ls "$A/state/lists/"*_Packages 2>/dev/null)" ]; then
	vt_log "ppc64: apt-get update (private ppc64el state)"
	papt apt-get update -qq >&2 || vt_die "ppc64-fetch" "apt-get update for ppc64el failed"
fi

kpkgs_for() { # ABI -> kernel package names
	local f=$VT_PPC64_FLAVOUR
	echo "linux-image-$1-$f linux-image-$1-$f-dbg linux-headers-$1-$f linux-headers-$1-common"
}
missing_in() { # ABI -> prints the first package the archive lacks
	local p
	for p in $(kpkgs_for "$1") $VT_PPC64_USERLAND; do
		papt apt-cache show "$p" >/dev/null 2>&1 || { echo "$p"; return 0; }
	done
}

abi= gone=
for a in $VT_PPC64_ABI $VT_PPC64_ABI_FALLBACK; do
	m=$(missing_in "$a")
	if [ -n "$m" ] && [ "$a" = "$VT_PPC64_ABI" ] && [ -z "${VT_PPC64_APT_UPDATED:-}" ]; then
		vt_log "ppc64: apt-get update ($m not in the ppc64el lists)"
		papt apt-get update -qq >&2 || true
		VT_PPC64_APT_UPDATED=1
		m=$(missing_in "$a")
	fi
	if [ -z "$m" ]; then abi=$a; break; fi
	vt_log "ppc64: archive lacks $m (ABI $a)"
	gone="$gone $m"
done
[ -n "$abi" ] || vt_die "ppc64-fetch" "pinned packages have left the archive:$gone; update VT_PPC64_ABI / VT_PPC64_ABI_FALLBACK in testdata/pins.sh (see the comment there)"
[ "$abi" = "$VT_PPC64_ABI" ] || vt_log "WARNING: ppc64: pinned ABI $VT_PPC64_ABI is gone, using fallback $abi"

rel="$abi-$VT_PPC64_FLAVOUR"
dir="$base/$abi"
rm -rf "$dir.tmp"; mkdir -p "$dir.tmp/debs"
vt_log "ppc64: downloading $(kpkgs_for "$abi") $VT_PPC64_USERLAND"
(cd "$dir.tmp/debs" && papt apt-get download -q $(kpkgs_for "$abi") $VT_PPC64_USERLAND >&2) \
	|| vt_die "ppc64-fetch" "apt-get download (ppc64el) of $(kpkgs_for "$abi") $VT_PPC64_USERLAND failed"

# Host-arch kbuild tools of the headers' version (fall back to any 6.1).
hver=$(papt apt-cache show --no-all-versions "linux-headers-$rel" | sed -n 's/^Version: //p' | head -1)
(cd "$dir.tmp/debs" && { apt-get download -q "linux-kbuild-6.1=$hver" >&2 2>/dev/null \
	|| { apt-get update -qq >&2 || true; apt-get download -q "linux-kbuild-6.1=$hver" >&2; } \
	|| apt-get download -q linux-kbuild-6.1 >&2; }) \
	|| vt_die "ppc64-fetch" "apt-get download linux-kbuild-6.1 (host arch) failed"

vt_log "ppc64: unpacking kernel, headers, userland"
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
for p in $VT_PPC64_USERLAND; do
	[ "$p" = busybox-static ] && continue
	dpkg-deb -x "$dir.tmp"/debs/"${p}"_*.deb "$dir.tmp/sysroot" || vt_die "ppc64-fetch" "dpkg-deb -x $p"
done
# libc6 ships /lib64/ld64.so.2 as an ABSOLUTE symlink; qemu-user's -L prefix
# would resolve it on the host: make it relative.
ln -sfn ../lib/powerpc64le-linux-gnu/ld64.so.2 "$dir.tmp/sysroot/lib64/ld64.so.2"
dpkg-deb -x "$dir.tmp"/debs/busybox-static_*.deb "$dir.tmp/bb"
mv "$dir.tmp/bb/bin/busybox" "$dir.tmp/busybox"; rm -rf "$dir.tmp/bb"
echo "$rel" > "$dir.tmp/release"

vt_log "ppc64: extracting the debug vmlinux (only ./usr/lib/debug/boot/vmlinux-*, ~30 s)"
dpkg-deb --fsys-tarfile "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb \
	| tar -x -C "$dir.tmp" --wildcards './usr/lib/debug/boot/vmlinux-*' \
	|| vt_die "ppc64-fetch" "extracting vmlinux from linux-image-$rel-dbg"
mv "$dir.tmp/usr/lib/debug/boot/vmlinux-$rel" "$dir.tmp/vmlinux"
rm -rf "$dir.tmp/usr"
# Record the inputs (names carry versions) before dropping the big deb.
{
	echo "abi=$abi flavour=$VT_PPC64_FLAVOUR"
	(cd "$dir.tmp/debs" && ls *.deb)
} > "$dir.tmp/inputs.txt"
rm -f "$dir.tmp"/debs/linux-image-"$rel"-dbg_*.deb

rm -rf "$dir"; mv "$dir.tmp" "$dir"
sed -i "s|^include /usr/src/|include $dir/headers/usr/src/|" \
	"$dir/headers/usr/src/linux-headers-$rel/Makefile"
qemu-ppc64le -L "$dir/sysroot" "$dir/sysroot/usr/bin/makedumpfile" -v >/dev/null \
	|| vt_die "ppc64-fetch" "ppc64el makedumpfile does not run under qemu-ppc64le -L $dir/sysroot"
touch "$dir/.complete"
echo "$dir"
