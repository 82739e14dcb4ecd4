#!/bin/bash
# Generate (or reuse) one scenario of any arch; prints its directory on stdout.
# Usage: testdata/lib/gen.sh SCENARIO      (the generator of testdata/scenarios)
#
# The scenario's prefix names the arch folder (x86-: x86, ppc-: ppc64,
# arm64-: arm64), whose arch.sh holds the arch's data and hooks:
#   arch_parse SCEN    sets fam and kind (dies on an unknown scenario)
#   arch_require       the QEMU binaries (and firmware) it needs: 77 if absent
#   ARCH_INPUTS        its files in the hash (beside lib/'s and arch.sh, guest.py)
#   arch_hash_extra    prints the toolchain/tool versions the hash covers
#   arch_prepare       builds what the guest run needs (suite root, module);
#                      sets run_args (run_guest.py's --module, --toolchain)
#   arch_convert       after the guest run: the dump conversions in $tmp
#   ARCH_CHECK_CORES   --core files for check-injection.py ("": one run)
#   ARCH_SPARSE        files to make sparse (fallocate --dig-holes)
#   ARCH_TIMEOUT       backstop of the guest run, seconds
# $VT_CACHE/dumps/<scenario>-<hash>/ where <hash> covers every input file of
# the generator, the family's resolved packages (fetch.sh's inputs.txt: ABI,
# .deb names with versions) and what arch_hash_extra prints (toolchain, QEMU,
# busybox, makedumpfile, firmware); built in a temp dir in $VT_CACHE/dumps,
# checked with ARCH/check-injection.py and renamed when complete.
set -euo pipefail
. "$(dirname "$0")/common.sh"
scen=${1:?usage: gen.sh SCENARIO}
T=$VT_TESTDATA_DIR
case $scen in
x86-*) arch=x86 ;;
ppc-*) arch=ppc64 ;;
arm64-*) arch=arm64 ;;
*) vt_die "gen" "unknown scenario $scen (x86-*, ppc-*, arm64-*)" ;;
esac
A=$T/$arch
. "$T/pins.sh"
. "$A/arch.sh"
pin() { vt_pin "$ARCH_PIN" "$fam" "$1"; }
fam= kind=
arch_parse "$scen"
arch_require

inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/run_guest.py" "$T/lib/mkinitramfs.py"
	"$T/lib/guest-init.sh" "$T/lib/gen.sh" "$T/lib/fetch.sh" "$T/lib/build-module.sh"
	"$A/arch.sh" "$A/guest.py" "${ARCH_INPUTS[@]}"
)
kdir=$("$T/lib/fetch.sh" "$arch" "$fam") || vt_die "fetch" "see messages above"
hash=$( (cat "${inputs[@]}" "$kdir/inputs.txt"; arch_hash_extra) | sha256sum | cut -c1-16)
final=$(vt_dump_dir "$scen" "$hash")
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi

vt_lock "dump-$scen"
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi
t0=$SECONDS
run_args=()
arch_prepare

mkdir -p "$VT_CACHE/dumps"
rm -rf "$VT_CACHE/dumps/.tmp-$scen-"*   # left by a killed run (we hold the lock)
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed="$VT_CACHE/dumps/.failed-$scen"
vt_log "$scen: generating in $tmp"

# The guest run has its own timeouts on every wait; this is a backstop.
if ! timeout "$ARCH_TIMEOUT" "$VT_PYTHON" "$T/lib/run_guest.py" "$scen" --kdir "$kdir" --out "$tmp" "${run_args[@]}"; then
	# Keep the logs of a failed run for diagnosis (the dumps are dropped).
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$tmp/truth.json" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 30 lines):" >&2; tail -30 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

arch_convert

# vmlinux: relative to the cache when the kernel is in it
rel=${kdir#"$VT_CACHE"/}
[ "$rel" = "$kdir" ] || ln -s "../../$rel/vmlinux" "$tmp/vmlinux"
[ -e "$tmp/vmlinux" ] || ln -sfn "$kdir/vmlinux" "$tmp/vmlinux"

# Validity check before publishing: the recorded state reads back with drgn.
vt_log "step check-injection"
for c in ${ARCH_CHECK_CORES:--}; do
	core=(); [ "$c" = - ] || core=(--core "$tmp/$c")
	if ! "$VT_PYTHON" "$A/check-injection.py" "$tmp" "${core[@]}" > "$tmp/check.log" 2>&1; then
		cat "$tmp/check.log" >&2
		# Keep the whole scenario (dumps included) for diagnosis.
		rm -rf "$failed"; mv -T "$tmp" "$failed"
		vt_die "check-injection $scen" "${core[1]:-the dumps} do(es) not show the recorded state; the scenario is kept in $failed"
	fi
	cat "$tmp/check.log" >&2
done

# Keep only the contract's files; make the ELF files sparse.
rm -f "$tmp/fixed.elf" "$tmp"/mkd-*.log "$tmp/check.log" "$tmp/initrd.gz" "$tmp/qemu.log" "$tmp"/*.sock
for f in $ARCH_SPARSE; do
	fallocate --dig-holes "$tmp/$f" || vt_log "fallocate --dig-holes $f failed (not sparse)"
done
chmod 0444 "$tmp"/vmcore.*
chmod 0755 "$tmp"
vt_publish "$tmp" "$final"
rm -rf "$failed"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
