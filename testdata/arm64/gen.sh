#!/bin/bash
# Generate (or reuse) one arm64 (QEMU virt) scenario; prints its directory.
# Usage: testdata/arm64/gen.sh SCENARIO
#   SCENARIO: arm64-<FAMILY>-basic|hotplug|e, FAMILY in pins.sh VT_ARM64_FAMILIES
#
# $VT_CACHE/dumps/<scenario>-<hash>/ where <hash> covers every input file of
# this generator, the family's resolved packages (fetch.sh's inputs.txt: ABI,
# .deb names with versions), the firmware and the QEMU version; built in a
# temp dir in $VT_CACHE/dumps and renamed when complete.  Contents:
#   vmcore.elf               QEMU's ELF dump as written (sparse)
#   vmcore.qemu-kdump.flat   QEMU's kdump-zlib (makedumpfile's flattened format)
#   vmcore.qemu-kdump        the above reassembled (host makedumpfile -R)
#   vmcore.kdump-zlib        arm64 makedumpfile -c -d 0  (under qemu-aarch64)
#   vmcore.kdump-d31         arm64 makedumpfile -c -d 31
#                            (both absent for the 6.12 kernels: no Debian
#                            makedumpfile supports 4K pages + VA_BITS=52)
#   vmlinux                  symlink to the cached DWARF+BTF vmlinux
#   console.log, truth.json
# Every scenario is checked with check-injection.py before publishing.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
scen=${1:?usage: gen.sh SCENARIO}
T=$VT_TESTDATA_DIR
A=$T/arm64
. "$T/pins.sh"

fam=${scen#arm64-}; kind=${fam#*-}; fam=${fam%%-*}
case " $VT_ARM64_FAMILIES " in *" $fam "*) ;; *) vt_die "gen-arm64" "unknown scenario $scen (family '$fam')" ;; esac
case $kind in basic|hotplug|e|va48) ;; *) vt_die "gen-arm64" "unknown scenario $scen (kind '$kind')" ;; esac

QEMU=${VT_QEMU_ARM64:-qemu-system-aarch64}
vt_require_qemu "$QEMU"
vt_require_qemu qemu-aarch64
fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
if [ "$kind" != basic ] && [ "$kind" != va48 ] && [ ! -f "$fw" ]; then   # UEFI firmware: as a missing QEMU
	[ -n "${CI:-}" ] && vt_die "require-firmware" "$fw missing (qemu-efi-aarch64) and CI is set"
	echo "testdata: skipped: $fw is not installed (qemu-efi-aarch64; testdata/install-deps.sh)" >&2
	exit 77
fi

inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/mkinitramfs.py" "$T/lib/guest-init.sh"
	"$T/lib/elf-phdrs-first.py"
	"$A/gen.sh" "$A/fetch.sh" "$A/run-guest.py" "$A/check-injection.py" "$A/build-module.sh"
	"$A/elf-for-drgn.py"
	"$A/module/vt_arm64_inject.c" "$A/module/Kbuild"
)

kdir=$("$A/fetch.sh" "$fam") || vt_die "arm64-fetch" "see messages above"
tools="$("$QEMU" --version | head -1); $(qemu-aarch64 --version | head -1); $(makedumpfile -v 2>&1 | head -1)"
case $kind in basic|va48) ;; *) tools="$tools; fw $(sha256sum < "$fw" | cut -c1-16)";; esac
hash=$( (cat "${inputs[@]}" "$kdir/inputs.txt"; echo "tools=$tools") | sha256sum | cut -c1-16)
final=$(vt_dump_dir "$scen" "$hash")
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi

vt_lock "dump-$scen"
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi
t0=$SECONDS
modarg=()
if [ "$kind" = e ] || [ "$kind" = hotplug ]; then   # hotplug: the twin's initrd carries it too
	ko=$("$A/build-module.sh" "$fam" "$kdir") || vt_die "arm64-build-module" "see messages above"
	modarg=(--module "$ko")
fi

mkdir -p "$VT_CACHE/dumps"
rm -rf "$VT_CACHE/dumps/.tmp-$scen-"*   # left by a killed run (we hold the lock)
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vt_log "$scen: generating in $tmp"

# The guest run has its own timeouts on every wait; this is a backstop.
if ! timeout 900 "$VT_PYTHON" "$A/run-guest.py" "$scen" --kdir "$kdir" --out "$tmp" "${modarg[@]}"; then
	failed="$VT_CACHE/dumps/.failed-$scen"
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$tmp/truth.json" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 30 lines):" >&2; tail -30 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

# QEMU's kdump-zlib output is makedumpfile's flattened format: reassemble it.
vt_step "makedumpfile -R" sh -c 'timeout 600 makedumpfile -R "$1/vmcore.qemu-kdump" < "$1/vmcore.qemu-kdump.flat" >/dev/null 2>"$1/mkd-R.log"' _ "$tmp"

# makedumpfile wants the program headers right after the ELF header (QEMU
# puts section headers there): convert a fixed sparse temporary copy.
cp --sparse=always "$tmp/vmcore.elf" "$tmp/fixed.elf"
chmod u+w "$tmp/fixed.elf"
vt_step "fix ELF header" "$VT_PYTHON" "$T/lib/elf-phdrs-first.py" "$tmp/fixed.elf"
mkd() { # OUT OPTIONS...: Debian's arm64 makedumpfile under qemu-user
	local out=$1; shift
	timeout 900 qemu-aarch64 -L "$kdir/sysroot" "$kdir/sysroot/usr/bin/makedumpfile" "$@" \
		"$tmp/fixed.elf" "$tmp/$out" >"$tmp/mkd-$out.log" 2>&1 \
		|| { tail -5 "$tmp/mkd-$out.log" >&2; return 1; }
}
mver=$(qemu-aarch64 -L "$kdir/sysroot" "$kdir/sysroot/usr/bin/makedumpfile" -v 2>&1 | head -1)
vt_log "$scen: makedumpfile (arm64, qemu-aarch64): $mver"
mkd vmcore.kdump-zlib -c -d 0 & p1=$!
mkd vmcore.kdump-d31 -c -d 31 & p2=$!
r1=0 r2=0
wait $p1 || r1=$?
wait $p2 || r2=$?
skip=
if [ $r1 != 0 ] || [ $r2 != 0 ]; then
	# Debian's makedumpfile (1.7.2, 1.7.6, even sid's 1.7.8) refuses a 4K-page
	# kernel built with VA_BITS=52 (Debian 13's arm64 kernels), whatever
	# the VA size at run time: no makedumpfile files for those.
	if grep -q "VA Bits 52 not supported" "$tmp"/mkd-vmcore.kdump-zlib.log "$tmp"/mkd-vmcore.kdump-d31.log; then
		skip=$(grep -h -m1 "not supported" "$tmp"/mkd-vmcore.kdump-zlib.log)
		vt_log "$scen: makedumpfile cannot convert this kernel ($skip): no vmcore.kdump-* files"
		rm -f "$tmp"/vmcore.kdump-zlib "$tmp"/vmcore.kdump-d31
	else
		[ $r1 = 0 ] || vt_die "makedumpfile -c -d 0" "see messages above"
		vt_die "makedumpfile -c -d 31" "see messages above"
	fi
fi
grep -h "not supported" "$tmp"/mkd-*.log >&2 || true
"$VT_PYTHON" - "$tmp/truth.json" "$mver" "$skip" <<'PY' || vt_die "truth: makedumpfile" "cannot update truth.json"
import json, sys
p, ver, skip = sys.argv[1:4]
t = json.load(open(p))
t["makedumpfile"] = {"version": ver, "run_as": "qemu-aarch64 (Debian arm64 build)",
                     "outputs": [] if skip else ["vmcore.kdump-zlib", "vmcore.kdump-d31"],
                     "skipped": skip or None}
json.dump(t, open(p, "w"), indent=1)
open(p, "a").write("\n")
PY

ln -s "../../pkgs/arm64/$fam/$(basename "$kdir")/vmlinux" "$tmp/vmlinux"
[ -e "$tmp/vmlinux" ] || ln -sfn "$kdir/vmlinux" "$tmp/vmlinux"   # VT_CACHE/dumps not beside pkgs
vt_step "check-injection" "$VT_PYTHON" "$A/check-injection.py" "$tmp" >&2

rm -f "$tmp/fixed.elf" "$tmp"/mkd-*.log "$tmp/initrd.gz" "$tmp/qemu.log"
fallocate --dig-holes "$tmp/vmcore.elf" || vt_log "fallocate --dig-holes vmcore.elf failed (not sparse)"
chmod 0444 "$tmp"/vmcore.*
chmod 0755 "$tmp"
rm -rf "$VT_CACHE/dumps/.failed-$scen"
vt_publish "$tmp" "$final"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
