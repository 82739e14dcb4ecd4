#!/bin/bash
# Generate (or reuse) one *fired* scenario; prints its directory on stdout.
# Usage: testdata/lib/gen-fired.sh SCENARIO-fired  (a generator of testdata/scenarios)
#
# SCENARIO-fired is the latent scenario SCENARIO (x86-e, ppc-a, ...) whose
# bug class then really kills the guest: lib/run_fired.py runs SCENARIO's
# guest (ARCH/guest.py) unchanged up to the panic, then, instead of sysrq-c,
# sets panic_on_oops and runs ARCH/fired.py's trigger, so the kernel oopses
# or BUGs where the class says and panics.  The rest is gen.sh's: the same
# fetch, module, arch hooks (ARCH/arch.sh: conversions, sparse files), the
# same directory layout in $VT_CACHE/dumps/SCENARIO-fired-<hash>/, the same
# lock and publish helpers; the check is lib/check-fired.py (the death, from
# the console and from the dump) after ARCH/check-injection.py where the
# injected state is untouched by the death (x86, arm64: ARCH/fired.py
# ARCH_CHECK says so).
#
# gen.sh is not changed (that would change every scenario's hash): this is
# its sequence, with the base scenario's arch hooks.  <hash> covers gen.sh's
# inputs plus this script, run_fired.py, check-fired.py, ARCH/fired.py and
# ARCH/check-injection.py.
set -euo pipefail
. "$(dirname "$0")/common.sh"
scen=${1:?usage: gen-fired.sh SCENARIO-fired}
T=$VT_TESTDATA_DIR
base=${scen%-fired}
[ "$base" != "$scen" ] || vt_die "gen-fired" "$scen does not end in -fired"
case $base in
x86-*) arch=x86 ;;
ppc-*) arch=ppc64 ;;
arm64-*) arch=arm64 ;;
*) vt_die "gen-fired" "unknown scenario $scen (x86-*, ppc-*, arm64-*)" ;;
esac
A=$T/$arch
[ -f "$A/fired.py" ] || vt_die "gen-fired" "no $arch/fired.py"
. "$T/pins.sh"
. "$A/arch.sh"
pin() { vt_pin "$ARCH_PIN" "$fam" "$1"; }
fam= kind=
arch_parse "$base"
arch_require

inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/run_guest.py" "$T/lib/mkinitramfs.py"
	"$T/lib/guest-init.sh" "$T/lib/gen.sh" "$T/lib/fetch.sh" "$T/lib/build-module.sh"
	"$A/arch.sh" "$A/guest.py" "${ARCH_INPUTS[@]}"
	"$T/lib/gen-fired.sh" "$T/lib/run_fired.py" "$T/lib/check-fired.py" "$T/lib/dumpcheck.py"
	"$A/fired.py" "$A/check-injection.py"
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

if ! timeout "$ARCH_TIMEOUT" "$VT_PYTHON" "$T/lib/run_fired.py" "$scen" --kdir "$kdir" --out "$tmp" "${run_args[@]}"; then
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$tmp/truth.json" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 40 lines):" >&2; tail -40 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

arch_convert

rel=${kdir#"$VT_CACHE"/}
[ "$rel" = "$kdir" ] || ln -s "../../$rel/vmlinux" "$tmp/vmlinux"
[ -e "$tmp/vmlinux" ] || ln -sfn "$kdir/vmlinux" "$tmp/vmlinux"

# Checks before publishing: the injected state where the death left it
# alone (a line 'ARCH_CHECK = "injection"' in ARCH/fired.py), then the death.
checks=()
if grep -qx 'ARCH_CHECK = "injection"' "$A/fired.py"; then
	for c in ${ARCH_CHECK_CORES:--}; do
		checks+=("$A/check-injection.py $c")
	done
fi
checks+=("$T/lib/check-fired.py")
vt_log "step check-fired"
for spec in "${checks[@]}"; do
	# shellcheck disable=SC2086  # "CHECKER [CORE]"
	set -- $spec
	core=(); [ $# -lt 2 ] || [ "$2" = - ] || core=(--core "$tmp/$2")
	if ! "$VT_PYTHON" "$1" "$tmp" "${core[@]}" > "$tmp/check.log" 2>&1; then
		cat "$tmp/check.log" >&2
		rm -rf "$failed"; mv -T "$tmp" "$failed"
		vt_die "check $scen" "$(basename "$1") ${core[1]:-} failed; the scenario is kept in $failed"
	fi
	cat "$tmp/check.log" >&2
done

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
