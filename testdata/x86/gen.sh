#!/bin/bash
# Generate (or reuse) one x86_64 scenario; prints its directory on stdout.
# Usage: testdata/x86/gen.sh SCENARIO      (scenarios: see run-guest.py)
#
# $VT_CACHE/dumps/<scenario>-<hash>/ where <hash> covers every input file of
# this generator plus the kernel ABI actually used; built in a temp dir in
# $VT_CACHE/dumps and renamed when complete.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
scen=${1:?usage: gen.sh SCENARIO}
T=$VT_TESTDATA_DIR

# VT_QEMU_X86: the QEMU binary (default qemu-system-x86_64).
vt_require_qemu "${VT_QEMU_X86:-qemu-system-x86_64}"
case $scen in
x86-basic|x86-hotplug|x86-pmem|x86-b-latent|x86-b-conflict|x86-e) ;;
*) vt_die "gen-x86" "unknown scenario $scen" ;;
esac

# The generator's inputs: any change regenerates every x86 scenario.  From
# pins.sh only the x86 values count (the ABI actually used, resolved by
# fetch-kernel.sh, and the flavour), so ppc64 pin changes don't regenerate.
inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/mkinitramfs.py"
	"$T/lib/guest-init.sh" "$T/lib/elf-phdrs-first.py"
	"$T/x86/gen.sh" "$T/x86/run-guest.py" "$T/x86/fetch-kernel.sh" "$T/x86/build-module.sh"
	"$T/module/vtinject.c" "$T/module/Kbuild"
)

kdir=$("$T/x86/fetch-kernel.sh") || vt_die "fetch-kernel" "see messages above"
abi=$(basename "$kdir")
. "$T/pins.sh"
# Tool versions count too (QEMU writes the dumps, busybox is the guest).
tools="$("${VT_QEMU_X86:-qemu-system-x86_64}" --version | head -1); $(/bin/busybox 2>&1 | head -1); $(makedumpfile -v 2>&1 | head -1)"
hash=$( (cat "${inputs[@]}"; echo "abi=$abi flavour=$VT_X86_FLAVOUR tools=$tools") | sha256sum | cut -c1-16)
final=$(vt_dump_dir "$scen" "$hash")
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi

vt_lock "dump-$scen"
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi
t0=$SECONDS
ko=$("$T/x86/build-module.sh" "$kdir") || vt_die "build-module" "see messages above"

mkdir -p "$VT_CACHE/dumps"
rm -rf "$VT_CACHE/dumps/.tmp-$scen-"*   # left by a killed run (we hold the lock)
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vt_log "$scen: generating in $tmp"

# The guest run has its own timeouts on every wait; this is a backstop.
if ! timeout 900 "$VT_PYTHON" "$T/x86/run-guest.py" "$scen" --kdir "$kdir" --out "$tmp" --vtinject "$ko"; then
	# Keep the logs of a failed run for diagnosis (the dumps are dropped).
	failed="$VT_CACHE/dumps/.failed-$scen"
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 30 lines):" >&2; tail -30 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

# QEMU's kdump-zlib output is makedumpfile's flattened format: reassemble it.
vt_step "makedumpfile -R" sh -c 'timeout 600 makedumpfile -R "$1/vmcore.qemu-kdump" < "$1/vmcore.qemu-kdump.flat" >/dev/null 2>"$1/mkd-R.log"' _ "$tmp"

# makedumpfile 1.7.2 cannot read QEMU's ELF as is (program headers not
# right after the ELF header): fix a sparse temporary copy and convert that.
cp --sparse=always "$tmp/vmcore.elf" "$tmp/fixed.elf"
chmod u+w "$tmp/fixed.elf"
vt_step "fix ELF header" "$VT_PYTHON" "$T/lib/elf-phdrs-first.py" "$tmp/fixed.elf"
mkd() { # OUT OPTIONS...
	local out=$1; shift
	timeout 600 makedumpfile "$@" "$tmp/fixed.elf" "$tmp/$out" >/dev/null 2>"$tmp/mkd-$out.log" \
		|| { tail -5 "$tmp/mkd-$out.log" >&2; return 1; }
}
vt_log "$scen: makedumpfile conversions"
mkd vmcore.kdump-zlib -c -d 0 & p1=$!
mkd vmcore.kdump-lzo -l -d 0 & p2=$!
wait $p1 || vt_die "makedumpfile -c -d 0" "see messages above"
wait $p2 || vt_die "makedumpfile -l -d 0" "see messages above"
vt_step "makedumpfile -c -d 31" mkd vmcore.kdump-d31 -c -d 31

# Keep only the contract's files; make the ELF files sparse.
rm -f "$tmp/fixed.elf" "$tmp"/mkd-*.log "$tmp/initrd.gz" "$tmp/qemu.log" "$tmp"/*.sock
for f in "$tmp/vmcore.elf" "$tmp/vmcore.elf-paging"; do
	fallocate --dig-holes "$f" || vt_log "fallocate --dig-holes $f failed (not sparse)"
done
chmod 0444 "$tmp"/vmcore.*
ln -s "$kdir/vmlinux" "$tmp/vmlinux"
chmod 0755 "$tmp"
vt_publish "$tmp" "$final"
rm -rf "$VT_CACHE/dumps/.failed-$scen"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
