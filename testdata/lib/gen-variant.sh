#!/bin/bash
# Generate (or reuse) one *variant* of a latent scenario; prints its
# directory on stdout.  Usage (a generator of testdata/scenarios):
#   testdata/lib/gen-variant.sh SCENARIO-fired
#   testdata/lib/gen-variant.sh SCENARIO-kdump | SCENARIO-kdump-stale
#
# The variants run the latent scenario SCENARIO's guest (ARCH/guest.py)
# unchanged up to its end, then:
#   -fired        lib/run_fired.py: instead of sysrq-c, panic_on_oops and
#                 ARCH/fired.py's trigger make the kernel oops or BUG where
#                 the class says; the same dumps and conversions as SCENARIO;
#                 checked by lib/check-fired.py (and ARCH/check-injection.py
#                 where the death leaves the injected state alone: ARCH/fired.py
#                 ARCH_CHECK);
#   -kdump[-stale] lib/run_kdump.py: a crash kernel is loaded (kexec -p;
#                 -stale: then the hot-added dimm is removed), QEMU dumps the
#                 guest (vmcore.elf), sysrq-c boots the capture kernel, whose
#                 /proc/vmcore is copied out (vmcore.kdump-elf) and made a
#                 kdump-compressed file by makedumpfile -c -d 31
#                 (vmcore.kdump-mkd); checked by lib/check-kdump.py. A
#                 cross arch's guest gets its own arch's kexec-tools package.
# The rest is gen.sh's: the same fetch, module, arch hooks, directory layout
# in $VT_CACHE/dumps/NAME-<hash>/, lock and publish helpers.  gen.sh is not
# changed (that would change every scenario's hash): this is its sequence,
# with the base scenario's arch hooks.  <hash> covers gen.sh's inputs plus
# this script and the variant's runner, checker and helpers.
set -euo pipefail
. "$(dirname "$0")/common.sh"
scen=${1:?usage: gen-variant.sh SCENARIO-fired|SCENARIO-kdump[-stale]}
T=$VT_TESTDATA_DIR
case $scen in
*-fired) variant=fired base=${scen%-fired} ;;
*-kdump) variant=kdump base=${scen%-kdump} ;;
*-kdump-stale) variant=kdump base=${scen%-kdump-stale} ;;
*) vt_die "gen-variant" "$scen does not end in -fired, -kdump or -kdump-stale" ;;
esac
case $base in
x86-*) arch=x86 ;;
ppc-*) arch=ppc64 ;;
arm64-*) arch=arm64 ;;
*) vt_die "gen-variant" "unknown scenario $scen (x86-*, ppc-*, arm64-*)" ;;
esac
A=$T/$arch
if [ $variant = fired ]; then
	[ -f "$A/fired.py" ] || vt_die "gen-variant" "no $arch/fired.py"
	runner=$T/lib/run_fired.py checker=$T/lib/check-fired.py
	variant_inputs=("$A/fired.py" "$A/check-injection.py")
else
	runner=$T/lib/run_kdump.py checker=$T/lib/check-kdump.py
	variant_inputs=("$T/lib/capture-helpers.sh")
	command -v kexec >/dev/null || [ -x /usr/sbin/kexec ] ||
		vt_die "gen-variant" "no kexec: install kexec-tools (testdata/install-deps.sh)"
fi
. "$T/pins.sh"
. "$A/arch.sh"
pin() { vt_pin "$ARCH_PIN" "$fam" "$1"; }
fam= kind=
arch_parse "$base"
arch_require

# A cross arch's guest runs its own kexec-tools: the family's ARCH_DEB
# package (its libraries are in the kernel dir's sysroot), downloaded once
# into the cache; its file name goes into the hash.
kexec_deb=
kexec_deb_of() {
	local conf kx
	kx=$VT_CACHE/pkgs/$ARCH_DEB/kexec-tools-$fam
	if ! compgen -G "$kx/kexec-tools_*.deb" >/dev/null; then
		# shellcheck disable=SC2046  # suites are words
		conf=$("$T/lib/apt-state.sh" "$ARCH_DEB" $(pin SUITES)) || vt_die "kexec-tools" "private $ARCH_DEB apt state"
		rm -rf "$kx.tmp"; mkdir -p "$kx.tmp"
		(cd "$kx.tmp" && APT_CONFIG=$conf apt-get download -q kexec-tools >&2) ||
			vt_die "kexec-tools" "apt-get download kexec-tools ($ARCH_DEB, $(pin SUITES)) failed"
		rm -rf "$kx"; mv "$kx.tmp" "$kx"
	fi
	compgen -G "$kx/kexec-tools_*.deb" | head -1
}
if [ $variant = kdump ] && [ $arch != x86 ]; then
	kexec_deb=$(kexec_deb_of)
fi

inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/run_guest.py" "$T/lib/mkinitramfs.py"
	"$T/lib/guest-init.sh" "$T/lib/gen.sh" "$T/lib/fetch.sh" "$T/lib/build-module.sh"
	"$A/arch.sh" "$A/guest.py" "${ARCH_INPUTS[@]}"
	"$T/lib/gen-variant.sh" "$runner" "$checker" "$T/lib/dumpcheck.py" "${variant_inputs[@]}"
)
kdir=$("$T/lib/fetch.sh" "$arch" "$fam") || vt_die "fetch" "see messages above"
hash=$( (cat "${inputs[@]}" "$kdir/inputs.txt"; arch_hash_extra; echo "kexec=${kexec_deb##*/}") | sha256sum | cut -c1-16)
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
[ -z "$kexec_deb" ] || run_args+=(--kexec-deb "$kexec_deb")

mkdir -p "$VT_CACHE/dumps"
rm -rf "$VT_CACHE/dumps/.tmp-$scen-"*   # left by a killed run (we hold the lock)
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed="$VT_CACHE/dumps/.failed-$scen"
vt_log "$scen: generating in $tmp"

if ! timeout "$ARCH_TIMEOUT" "$VT_PYTHON" "$runner" "$scen" --kdir "$kdir" --out "$tmp" "${run_args[@]}"; then
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$tmp/truth.json" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 40 lines):" >&2; tail -40 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

if [ $variant = fired ]; then
	arch_convert
else
	# QEMU's dump as the base scenario has it (ppc64: vmcore.raw fixed into
	# vmcore.elf); arch_convert also sets the arch's makedumpfile (VT_MKD)
	[ ! -f "$tmp/vmcore.raw" ] || arch_convert
	# what kdump-tools makes of /proc/vmcore: makedumpfile -c -d 31
	VT_MKD_IN=$tmp/vmcore.kdump-elf
	vt_log "$scen: makedumpfile of the captured vmcore"
	vt_mkd_all "vmcore.kdump-mkd -c -d 31"
fi

rel=${kdir#"$VT_CACHE"/}
[ "$rel" = "$kdir" ] || ln -s "../../$rel/vmlinux" "$tmp/vmlinux"
[ -e "$tmp/vmlinux" ] || ln -sfn "$kdir/vmlinux" "$tmp/vmlinux"

# Checks before publishing: the injected state where the death left it
# alone (a line 'ARCH_CHECK = "injection"' in ARCH/fired.py), then the death;
# for kdump, the capture.
checks=()
if [ $variant = fired ] && grep -qx 'ARCH_CHECK = "injection"' "$A/fired.py"; then
	for c in ${ARCH_CHECK_CORES:--}; do
		checks+=("$A/check-injection.py $c")
	done
fi
checks+=("$checker")
vt_log "step $(basename "$checker" .py)"
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

rm -rf "$tmp/image-deb" "$tmp/kexec-deb"   # run_kdump.py's cross-arch kexec and modules
rm -f "$tmp/fixed.elf" "$tmp"/mkd-*.log "$tmp/check.log" "$tmp/initrd.gz" "$tmp/capture.gz" "$tmp/qemu.log" "$tmp"/*.sock
for f in $ARCH_SPARSE vmcore.kdump-elf; do
	[ -f "$tmp/$f" ] || continue
	fallocate --dig-holes "$tmp/$f" || vt_log "fallocate --dig-holes $f failed (not sparse)"
done
chmod 0444 "$tmp"/vmcore.*
chmod 0755 "$tmp"
vt_publish "$tmp" "$final"
rm -rf "$failed"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
