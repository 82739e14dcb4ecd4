# ppc64le (pseries) data and hooks of the shared generators (lib/gen.sh,
# lib/fetch.sh, lib/build-module.sh; the guest side is ppc64/guest.py).
# Sourced, not run.
#
# Scenarios ppc-STATE (Debian 12 6.1, kernel family deb12) or
# ppc-FAMILY-STATE (FAMILY from pins.sh VT_PPC64_FAMILIES: deb13,
# deb13k64, ...), STATE hotplug (the clean twin), a, c, d or e.  Dumps:
#   vmcore.elf          QEMU's ELF dump fixed by fix-elf.py (little-endian,
#                       p_vaddr set, VMCOREINFO note added; sparse)
#   vmcore.kdump-zlib   ppc64el makedumpfile -c -d 0  (under qemu-ppc64le)
#   vmcore.kdump-d31    ppc64el makedumpfile -c -d 31

ARCH_PIN=PPC64 ARCH_DEB=ppc64el

# ---- fetch.sh: pkgs/ppc64el/<ABI>-<FLAVOUR>/ (boot-vmlinux, no modules/;
# family, page_shift); the security suite's ppc64el index is not used
# (bookworm's fails with a size mismatch), but the amd64 state for
# linux-kbuild is the x86/arm64 families' one (+ <first>-security): shared.
arch_kdir() { echo "$VT_CACHE/pkgs/ppc64el/$1-$fl"; }
arch_host_suites() { local f=$1; shift; echo "$f $f-security $*"; }
arch_kernel_pkgs() { echo "linux-image-$1-$fl linux-headers-$1-$fl linux-headers-$1-common linux-image-$1-$fl-dbg"; }
ARCH_BOOT_FILE=boot-vmlinux ARCH_MODULES= ARCH_LOADER=ld64.so.2 ARCH_QEMU_USER=qemu-ppc64le
arch_fetch_extra() { # DIR: the family key and the page shift of the config
	local ps
	echo "$fam" > "$1/family"
	if grep -qx 'CONFIG_PPC_64K_PAGES=y' "$1/config"; then ps=16
	elif grep -qx 'CONFIG_PPC_4K_PAGES=y' "$1/config"; then ps=12
	else vt_die "fetch" "config-$rel: neither CONFIG_PPC_4K_PAGES nor CONFIG_PPC_64K_PAGES"; fi
	echo "$ps" > "$1/page_shift"
}
arch_inputs_head() {
	echo "family=$fam suites=$suites abi=$abi flavour=$fl page_shift=$(cat "$dir.tmp/page_shift")"
	echo "root=$(pin ROOT) cc=$(pin CC)"
}
# The layout before kernel families kept deb12 in pkgs/ppc64el/<ABI>/ and
# its apt state in pkgs/ppc64el/apt/ (now $VT_CACHE/apt/): drop them.
arch_fetch_done() { [ "$fam" != deb12 ] || rm -rf "${VT_CACHE:?}/pkgs/ppc64el/$abi" "$VT_CACHE/pkgs/ppc64el/apt"; }

# ---- build-module.sh: the cross gcc of the host (6.1) or of a root (6.12)
ARCH_MOD_SRC=ppc64/module ARCH_MOD_NAME=vt_ppc_inject ARCH_ROOT_CACHE=
ARCH_MAKE=(ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- CONFIG_DEBUG_INFO_BTF_MODULES=)

# ---- gen.sh
arch_parse() {
	case $1 in
	ppc-hotplug|ppc-a|ppc-c|ppc-d|ppc-e) fam=deb12 kind=${1#ppc-} ;;
	ppc-*-*) fam=${1#ppc-}; fam=${fam%-*}; kind=${1##*-} ;;
	*) vt_die "gen-ppc64" "unknown scenario $1" ;;
	esac
	case " $VT_PPC64_FAMILIES " in *" $fam "*) ;; *) vt_die "gen-ppc64" "unknown scenario $1 (kernel family '$fam' not in pins.sh)" ;; esac
	case $kind in hotplug|a|c|d|e) ;; *) vt_die "gen-ppc64" "unknown scenario $1 (state '$kind')" ;; esac
}
arch_require() {
	vt_require_qemu qemu-system-ppc64
	vt_require_qemu qemu-ppc64le
	# the injected scenarios cross-build the test module (skip like a missing
	# QEMU); with a toolchain root its cross gcc comes from there
	[ "$kind" = hotplug ] || [ -n "$(pin ROOT)" ] || vt_require_qemu "$(pin CC)"
}
ARCH_INPUTS=("$T/ppc64/fix-elf.py" "$T/ppc64/check-injection.py" "$T/lib/dumpcheck.py"
	"$T/ppc64/module/vt_ppc_inject.c" "$T/ppc64/module/Kbuild")
arch_hash_extra() {
	local v root=
	for v in SUITES ABI ABI_FALLBACK FLAVOUR USERLAND USERLAND_FALLBACK ROOT CC; do echo "$v=$(pin "$v")"; done
	if [ "$kind" != hotplug ] && [ -n "$(pin ROOT)" ]; then
		# shellcheck disable=SC2046  # "SUITE PACKAGE..." are words
		root=$("$T/lib/suite-root.sh" --path $(pin ROOT)) || vt_die "ppc64-toolchain-root" "lib/suite-root.sh --path failed"
	fi
	echo "root=${root##*/}"
	qemu-system-ppc64 --version | head -1; qemu-ppc64le --version | head -1
}
arch_prepare() {
	local ko
	[ "$kind" != hotplug ] || return 0
	ko=$("$T/lib/build-module.sh" ppc64 "$fam" "$kdir") || vt_die "build-module" "see messages above"
	run_args=(--module "$ko")
}
arch_convert() {
	local vi
	vi=$(jq -r '.vmcoreinfo | "\(.paddr | ltrimstr("0x")):\(.size | ltrimstr("0x"))"' "$tmp/truth.json")
	vt_step "fix-elf" "$VT_PYTHON" "$A/fix-elf.py" "$tmp/vmcore.raw" "$tmp/vmcore.elf" --vmcoreinfo "$vi"
	rm -f "$tmp/vmcore.raw"
	vt_log "$scen: makedumpfile (ppc64el, qemu-user)"
	VT_MKD=(qemu-ppc64le -L "$kdir/sysroot" "$kdir/sysroot/usr/bin/makedumpfile") VT_MKD_IN=$tmp/vmcore.elf
	vt_mkd_all "vmcore.kdump-zlib -c -d 0" "vmcore.kdump-d31 -c -d 31"
}
ARCH_CHECK_CORES= ARCH_SPARSE= ARCH_TIMEOUT=1500
