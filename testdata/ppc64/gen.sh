#!/bin/bash
# Generate (or reuse) one ppc64le pseries scenario; prints its directory on stdout.
# Usage: testdata/ppc64/gen.sh SCENARIO
#   SCENARIO = ppc-STATE          Debian 12 6.1 (kernel family deb12)
#            | ppc-FAMILY-STATE   FAMILY from pins.sh VT_PPC64_FAMILIES (deb13,
#                                 deb13k64, ...); STATE hotplug (the clean
#                                 twin), a, c, d or e
#
# $VT_CACHE/dumps/<scenario>-<hash>/ where <hash> covers every input file of
# this generator, the family's pinned values, the .deb names actually used
# (fetch.sh's inputs.txt), the toolchain root (lib/suite-root.sh; its name
# carries its own hash) and QEMU's version; built in a temp dir in
# $VT_CACHE/dumps and renamed when complete. Contents:
#   vmcore.elf          QEMU's ELF dump fixed by fix-elf.py (little-endian,
#                       p_vaddr set, VMCOREINFO note added; sparse)
#   vmcore.kdump-zlib   ppc64el makedumpfile -c -d 0  (under qemu-ppc64le)
#   vmcore.kdump-d31    ppc64el makedumpfile -c -d 31
#   vmlinux             symlink to the cached DWARF vmlinux
#   console.log, truth.json
# The injected scenarios are checked with check-injection.py before publishing.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
scen=${1:?usage: gen.sh SCENARIO}
T=$VT_TESTDATA_DIR
P=$T/ppc64

. "$T/pins.sh"
case $scen in
ppc-hotplug|ppc-a|ppc-c|ppc-d|ppc-e) fam=deb12 state=${scen#ppc-} ;;
ppc-*-*) fam=${scen#ppc-}; fam=${fam%-*}; state=${scen##*-} ;;
*) vt_die "gen-ppc64" "unknown scenario $scen" ;;
esac
case " $VT_PPC64_FAMILIES " in *" $fam "*) ;; *) vt_die "gen-ppc64" "unknown scenario $scen (kernel family '$fam' not in pins.sh)" ;; esac
case $state in hotplug|a|c|d|e) ;; *) vt_die "gen-ppc64" "unknown scenario $scen (state '$state')" ;; esac
pin() { vt_ppc64_pin "$fam" "$1"; }
toolroot=$(pin ROOT)

vt_require_qemu qemu-system-ppc64
vt_require_qemu qemu-ppc64le
# the injected scenarios cross-build the test module (skip like a missing
# QEMU); with a toolchain root its cross gcc comes from there
[ "$state" = hotplug ] || [ -n "$toolroot" ] || vt_require_qemu "$(pin CC)"

inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/mkinitramfs.py" "$T/lib/guest-init.sh"
	"$P/gen.sh" "$P/fetch.sh" "$P/run-guest.py" "$P/fix-elf.py" "$P/check-injection.py"
	"$P/build-module.sh" "$P/module/vt_ppc_inject.c" "$P/module/Kbuild"
)

kdir=$("$P/fetch.sh" "$fam") || vt_die "ppc64-fetch" "see messages above"
root=
if [ "$state" != hotplug ] && [ -n "$toolroot" ]; then
	# its path (name = suite + packages + script hash) only: built below if
	# the scenario has to be generated
	# shellcheck disable=SC2086
	root=$("$T/lib/suite-root.sh" --path $toolroot) || vt_die "ppc64-toolchain-root" "lib/suite-root.sh --path $toolroot failed"
fi
hash=$( (cat "${inputs[@]}" "$kdir/inputs.txt"
	for v in SUITES ABI ABI_FALLBACK FLAVOUR USERLAND USERLAND_FALLBACK ROOT CC; do echo "$v=$(pin "$v")"; done
	echo "root=${root##*/}"
	qemu-system-ppc64 --version | head -1; qemu-ppc64le --version | head -1) | sha256sum | cut -c1-16)
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
if [ -n "$root" ]; then
	# shellcheck disable=SC2086
	r=$("$T/lib/suite-root.sh" $toolroot) || vt_die "ppc64-toolchain-root" "lib/suite-root.sh $toolroot failed"
	[ "$r" = "$root" ] || vt_die "ppc64-toolchain-root" "lib/suite-root.sh made $r, --path said $root"
fi
if [ "$state" != hotplug ]; then
	ko=$("$P/build-module.sh" "$kdir" "$(pin CC)" $root) || vt_die "ppc64-build-module" "see messages above"
	modarg=(--module "$ko")
fi

mkdir -p "$VT_CACHE/dumps"
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vt_log "$scen: generating in $tmp"

if ! "$VT_PYTHON" "$P/run-guest.py" "$scen" --kdir "$kdir" --out "$tmp" "${modarg[@]}"; then
	# Keep the logs of a failed run for diagnosis (the dumps are dropped).
	failed="$VT_CACHE/dumps/.failed-$scen"
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$tmp/truth.json" "$failed/" 2>/dev/null || true
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

vi=$(jq -r '.vmcoreinfo | "\(.paddr | ltrimstr("0x")):\(.size | ltrimstr("0x"))"' "$tmp/truth.json")
vt_step "fix-elf" "$VT_PYTHON" "$P/fix-elf.py" "$tmp/vmcore.raw" "$tmp/vmcore.elf" --vmcoreinfo "$vi"
rm -f "$tmp/vmcore.raw"

mkd() { # OUT OPTIONS...: the ppc64el makedumpfile under qemu-user
	local out=$1; shift
	qemu-ppc64le -L "$kdir/sysroot" "$kdir/sysroot/usr/bin/makedumpfile" "$@" \
		"$tmp/vmcore.elf" "$tmp/$out" >/dev/null 2>"$tmp/mkd-$out.log" \
		|| { tail -5 "$tmp/mkd-$out.log" >&2; return 1; }
}
vt_log "$scen: makedumpfile (ppc64el, qemu-user)"
mkd vmcore.kdump-zlib -c -d 0 & p1=$!
mkd vmcore.kdump-d31 -c -d 31 & p2=$!
wait $p1 || vt_die "makedumpfile -c -d 0" "see messages above"
wait $p2 || vt_die "makedumpfile -c -d 31" "see messages above"

ln -s "../../pkgs/ppc64el/$(basename "$kdir")/vmlinux" "$tmp/vmlinux"
[ -e "$tmp/vmlinux" ] || ln -sfn "$kdir/vmlinux" "$tmp/vmlinux"   # VT_CACHE/dumps not beside pkgs
vt_log "step check-injection"
if ! "$VT_PYTHON" "$P/check-injection.py" "$tmp" >&2; then
	# Keep the whole scenario (dumps included) for diagnosis.
	failed="$VT_CACHE/dumps/.failed-$scen"
	rm -rf "$failed"; mv -T "$tmp" "$failed"
	vt_die "check-injection" "$P/check-injection.py failed; the scenario is kept in $failed"
fi

rm -f "$tmp"/mkd-*.log "$tmp/initrd.gz" "$tmp/qemu.log"
chmod 0444 "$tmp"/vmcore.*
chmod 0755 "$tmp"
rm -rf "$VT_CACHE/dumps/.failed-$scen"
vt_publish "$tmp" "$final"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
