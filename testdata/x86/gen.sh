#!/bin/bash
# Generate (or reuse) one x86_64 scenario; prints its directory on stdout.
# Usage: testdata/x86/gen.sh SCENARIO
#
# Scenarios are a kernel family (pins.sh VT_X86_FAMILIES) times a kind
# (basic hotplug pmem b-latent b-conflict e; run-guest.py):
#   x86-KIND          the deb12 (Debian 12, 6.1) family: x86-basic, x86-e, ...
#   x86-FAMILY-KIND   any other family: x86-deb11-basic, x86-deb13-e, x86-sid-pmem
#
# $VT_CACHE/dumps/<scenario>-<hash>/ where <hash> covers every input file of
# this generator, the family's resolved kernel (the ABI and the .deb names
# with versions: fetch-kernel.sh's inputs.txt) and its toolchain (the suite
# root's name, which covers its suite and packages, or the host's gcc and
# makedumpfile versions), QEMU and busybox; built in a temp dir in
# $VT_CACHE/dumps and renamed when complete.
set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"
scen=${1:?usage: gen.sh SCENARIO}
T=$VT_TESTDATA_DIR
. "$T/pins.sh"

KINDS="basic hotplug pmem b-latent b-conflict e"
fam=deb12 kind=
rest=${scen#x86-}
[ "$rest" != "$scen" ] || vt_die "gen-x86" "unknown scenario $scen"
for f in $VT_X86_FAMILIES; do
	[ "$f" = deb12 ] && continue
	case $rest in "$f"-*) fam=$f; rest=${rest#"$f"-};; esac
done
case " $KINDS " in *" $rest "*) kind=$rest ;; *) vt_die "gen-x86" "unknown scenario $scen (x86-[FAMILY-]KIND, FAMILY: ${VT_X86_FAMILIES/deb12 /}, KIND: $KINDS)" ;; esac

# VT_QEMU_X86: the QEMU binary (default qemu-system-x86_64).
vt_require_qemu "${VT_QEMU_X86:-qemu-system-x86_64}"

# The generator's inputs: any change regenerates every x86 scenario.  From
# pins.sh only this family's resolved values count (inputs.txt, toolchain),
# so another family's (or arch's) pin change doesn't regenerate these.
inputs=(
	"$T/lib/common.sh" "$T/lib/qemu.py" "$T/lib/mkinitramfs.py"
	"$T/lib/guest-init.sh" "$T/lib/elf-phdrs-first.py" "$T/lib/apt-state.sh"
	"$T/x86/gen.sh" "$T/x86/run-guest.py" "$T/x86/fetch-kernel.sh" "$T/x86/build-module.sh"
	"$T/module/vtinject.c" "$T/module/Kbuild"
)

kdir=$("$T/x86/fetch-kernel.sh" "$fam") || vt_die "fetch-kernel" "see messages above"
rootspec=$(vt_x86_pin "$fam" ROOT)
cc=$(vt_x86_pin "$fam" CC)
mkd172=$(vt_x86_pin "$fam" MKD172)
if [ -n "$rootspec" ]; then
	# shellcheck disable=SC2086  # "SUITE PACKAGE..." are words
	toolchain="root=$(basename "$("$T/lib/suite-root.sh" --path $rootspec)") cc=$cc"
else
	toolchain="host cc=$("$cc" --version | head -1)"
fi
# The host's makedumpfile too: it writes the MKD172 file and the host
# families' conversions.
tools="$("${VT_QEMU_X86:-qemu-system-x86_64}" --version | head -1); $(/bin/busybox 2>&1 | head -1); $(makedumpfile -v 2>&1 | head -1)"
hash=$( (cat "${inputs[@]}" "$kdir/inputs.txt"; echo "toolchain=$toolchain mkd172=$mkd172 tools=$tools") | sha256sum | cut -c1-16)
final=$(vt_dump_dir "$scen" "$hash")
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi

vt_lock "dump-$scen"
if [ -f "$final/truth.json" ] && [ -e "$final/vmlinux" ]; then
	echo "$final"; exit 0
fi
t0=$SECONDS
root=
if [ -n "$rootspec" ]; then
	# shellcheck disable=SC2086
	root=$("$T/lib/suite-root.sh" $rootspec) || vt_die "suite-root" "$rootspec: see messages above"
fi
ko=$("$T/x86/build-module.sh" "$kdir" "$fam") || vt_die "build-module" "see messages above"

# makedumpfile of the family: the suite root's (6.12+) or the host's.
mkdf() {
	if [ -n "$root" ]; then vt_in_root "$root" --bind "$tmp" -- timeout 600 makedumpfile "$@"
	else timeout 600 makedumpfile "$@"; fi
}
if [ -n "$root" ]; then
	mkdver=$(vt_in_root "$root" -- makedumpfile -v 2>&1 | head -1)
	ccver=$(vt_in_root "$root" -- "$cc" --version | head -1)
else
	mkdver=$(makedumpfile -v 2>&1 | head -1)
	ccver=$("$cc" --version | head -1)
fi

mkdir -p "$VT_CACHE/dumps"
rm -rf "$VT_CACHE/dumps/.tmp-$scen-"*   # left by a killed run (we hold the lock)
tmp=$(mktemp -d "$VT_CACHE/dumps/.tmp-$scen-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
vt_log "$scen: generating in $tmp ($(cat "$kdir/release"); $ccver; $mkdver)"

# The guest run has its own timeouts on every wait; this is a backstop.
if ! timeout 1500 "$VT_PYTHON" "$T/x86/run-guest.py" "$scen" --family "$fam" --kind "$kind" \
	--kdir "$kdir" --out "$tmp" --vtinject "$ko" \
	--toolchain "cc=$ccver; makedumpfile=$mkdver${root:+; root=$(basename "$root")}"; then
	# Keep the logs of a failed run for diagnosis (the dumps are dropped).
	failed="$VT_CACHE/dumps/.failed-$scen"
	rm -rf "$failed"; mkdir -p "$failed"
	cp "$tmp/console.log" "$tmp/qemu.log" "$failed/" 2>/dev/null || true
	[ -f "$tmp/console.log" ] && { echo "--- guest console (last 30 lines):" >&2; tail -30 "$tmp/console.log" >&2; }
	vt_die "run-guest $scen" "see messages above; logs kept in $failed"
fi

# QEMU's kdump-zlib output is makedumpfile's flattened format: reassemble it.
vt_log "step makedumpfile -R"
mkdf -R "$tmp/vmcore.qemu-kdump" < "$tmp/vmcore.qemu-kdump.flat" >/dev/null 2>"$tmp/mkd-R.log" \
	|| { tail -5 "$tmp/mkd-R.log" >&2; vt_die "makedumpfile -R" "see messages above"; }

# makedumpfile 1.7.2 cannot read QEMU's ELF as is (program headers not
# right after the ELF header): fix a sparse temporary copy and convert that.
cp --sparse=always "$tmp/vmcore.elf" "$tmp/fixed.elf"
chmod u+w "$tmp/fixed.elf"
vt_step "fix ELF header" "$VT_PYTHON" "$T/lib/elf-phdrs-first.py" "$tmp/fixed.elf"
mkd() { # OUT OPTIONS...: the family's makedumpfile
	local out=$1; shift
	mkdf "$@" "$tmp/fixed.elf" "$tmp/$out" >/dev/null 2>"$tmp/mkd-$out.log" \
		|| { tail -5 "$tmp/mkd-$out.log" >&2; return 1; }
}
vt_log "$scen: makedumpfile conversions"
mkd vmcore.kdump-zlib -c -d 0 & p1=$!
mkd vmcore.kdump-lzo -l -d 0 & p2=$!
wait $p1 || vt_die "makedumpfile -c -d 0" "see messages above"
wait $p2 || vt_die "makedumpfile -l -d 0" "see messages above"
vt_step "makedumpfile -c -d 31" mkd vmcore.kdump-d31 -c -d 31
if [ -n "$mkd172" ]; then
	# bookworm's makedumpfile 1.7.2 on a kernel it calls "not supported":
	# its -d 31 drops slab pages it does not recognise (a real partial dump).
	vt_step "makedumpfile 1.7.2 -c -d 31" sh -c 'timeout 600 makedumpfile -c -d 31 "$1/fixed.elf" "$1/vmcore.kdump-d31-mkd172" >/dev/null 2>"$1/mkd-172.log"' _ "$tmp"
fi

# Keep only the contract's files; make the ELF files sparse.
rm -f "$tmp/fixed.elf" "$tmp"/mkd-*.log "$tmp/initrd.gz" "$tmp/qemu.log" "$tmp"/*.sock
for f in "$tmp/vmcore.elf" "$tmp/vmcore.elf-paging"; do
	fallocate --dig-holes "$f" || vt_log "fallocate --dig-holes $f failed (not sparse)"
done
chmod 0444 "$tmp"/vmcore.*
ln -s "$kdir/vmlinux" "$tmp/vmlinux"

# Validity check before publishing: the state reads back with drgn from the
# two dumps the tests use (tests/real_testdata.sh), ~1 s each.
for c in vmcore.kdump-zlib vmcore.kdump-d31; do
	"$VT_PYTHON" "$T/x86/check-injection.py" "$tmp" --core "$tmp/$c" > "$tmp/check.log" 2>&1 \
		|| { cat "$tmp/check.log" >&2; vt_die "check-injection $scen" "$c does not show the recorded state"; }
done
rm -f "$tmp/check.log"
chmod 0755 "$tmp"
vt_publish "$tmp" "$final"
rm -rf "$VT_CACHE/dumps/.failed-$scen"
trap - EXIT
vt_log "$scen: done in $((SECONDS - t0))s: $final ($(du -sh "$final" | cut -f1) on disk)"
echo "$final"
