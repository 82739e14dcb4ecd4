# arm64 (QEMU virt) data and hooks of the shared generators (lib/gen.sh,
# lib/fetch.sh, lib/build-module.sh; the guest side is arm64/guest.py).
# Sourced, not run.
#
# Scenarios arm64-FAMILY-KIND, FAMILY in pins.sh VT_ARM64_FAMILIES, KIND
# basic | hotplug | e (| va48, deb13).  Dumps:
#   vmcore.elf               QEMU's ELF dump as written (sparse)
#   vmcore.qemu-kdump.flat   QEMU's kdump-zlib (makedumpfile's flattened format)
#   vmcore.qemu-kdump        the above reassembled (host makedumpfile -R)
#   vmcore.kdump-zlib        arm64 makedumpfile -c -d 0  (under qemu-aarch64)
#   vmcore.kdump-d31         arm64 makedumpfile -c -d 31
#                            (both absent for the 6.12 kernels: no Debian
#                            makedumpfile supports 4K pages + VA_BITS=52)

ARCH_PIN=ARM64 ARCH_DEB=arm64
ARM64_FW=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd

# ---- fetch.sh: pkgs/arm64/<FAMILY>/<ABI>/
arch_kdir() { echo "$VT_CACHE/pkgs/arm64/$fam/$1"; }
arch_host_suites() { echo "$@"; }
arch_kernel_pkgs() { echo "linux-image-$1-$fl-unsigned linux-image-$1-$fl-dbg linux-headers-$1-$fl linux-headers-$1-common"; }
ARCH_BOOT_FILE=vmlinuz ARCH_MODULES=1 ARCH_LOADER=ld-linux-aarch64.so.1 ARCH_QEMU_USER=qemu-aarch64
arch_fetch_extra() { :; }
arch_inputs_head() { echo "family=$fam abi=$abi flavour=$fl suites=$suites"; }
arch_fetch_done() { :; }

# ---- build-module.sh: the host's cross gcc-12 (6.1) or a trixie root's
# gcc-14 (6.12).  That root lives under a cache of its own: suite-root.sh
# replaces a root of the same suite and packages, and the x86 generators'
# trixie roots are others.
ARCH_MOD_SRC=arm64/module ARCH_MOD_NAME=vt_arm64_inject ARCH_ROOT_CACHE=$VT_CACHE/pkgs/arm64/roots
ARCH_MAKE=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CONFIG_DEBUG_INFO_BTF_MODULES=)

# ---- gen.sh
arch_parse() {
	fam=${1#arm64-}; kind=${fam#*-}; fam=${fam%%-*}
	case " $VT_ARM64_FAMILIES " in *" $fam "*) ;; *) vt_die "gen-arm64" "unknown scenario $1 (family '$fam')" ;; esac
	case $kind in basic|hotplug|e|va48) ;; *) vt_die "gen-arm64" "unknown scenario $1 (kind '$kind')" ;; esac
}
arch_uefi() { [ "$kind" != basic ] && [ "$kind" != va48 ]; }
arch_require() {
	vt_require_qemu "${VT_QEMU_ARM64:-qemu-system-aarch64}"
	vt_require_qemu qemu-aarch64
	if arch_uefi && [ ! -f "$ARM64_FW" ]; then   # UEFI firmware: as a missing QEMU
		[ -n "${CI:-}" ] && vt_die "require-firmware" "$ARM64_FW missing (qemu-efi-aarch64) and CI is set"
		echo "testdata: skipped: $ARM64_FW is not installed (qemu-efi-aarch64; testdata/install-deps.sh)" >&2
		exit 77
	fi
}
ARCH_INPUTS=("$T/lib/elf-phdrs-first.py" "$T/arm64/check-injection.py" "$T/lib/dumpcheck.py"
	"$T/arm64/elf-for-drgn.py" "$T/arm64/module/vt_arm64_inject.c" "$T/arm64/module/Kbuild")
arch_hash_extra() {
	local tools
	tools="$("${VT_QEMU_ARM64:-qemu-system-aarch64}" --version | head -1); $(qemu-aarch64 --version | head -1); $(makedumpfile -v 2>&1 | head -1)"
	! arch_uefi || tools="$tools; fw $(sha256sum < "$ARM64_FW" | cut -c1-16)"
	echo "tools=$tools"
}
arch_prepare() {
	local ko
	case $kind in e|hotplug) ;; *) return 0 ;; esac   # hotplug: the twin's initrd carries it too
	ko=$("$T/lib/build-module.sh" arm64 "$fam" "$kdir") || vt_die "build-module" "see messages above"
	run_args=(--module "$ko")
}
arch_convert() {
	local mver skip=
	vt_reassemble timeout 600 makedumpfile
	vt_phdrs_first_copy
	VT_MKD=(timeout 900 qemu-aarch64 -L "$kdir/sysroot" "$kdir/sysroot/usr/bin/makedumpfile") VT_MKD_IN=$tmp/fixed.elf
	mver=$("${VT_MKD[@]:2}" -v 2>&1 | head -1)
	vt_log "$scen: makedumpfile (arm64, qemu-aarch64): $mver"
	vt_mkd_parallel "vmcore.kdump-zlib -c -d 0" "vmcore.kdump-d31 -c -d 31"
	if [ ${#mkd_failed[@]} != 0 ]; then
		# Debian's makedumpfile (1.7.2, 1.7.6, even sid's 1.7.8) refuses a 4K-page
		# kernel built with VA_BITS=52 (Debian 13's arm64 kernels), whatever
		# the VA size at run time: no makedumpfile files for those.
		grep -q "VA Bits 52 not supported" "$tmp"/mkd-vmcore.kdump-zlib.log "$tmp"/mkd-vmcore.kdump-d31.log \
			|| vt_die "makedumpfile ${mkd_failed[0]#* }" "see messages above"
		skip=$(grep -h -m1 "not supported" "$tmp"/mkd-vmcore.kdump-zlib.log)
		vt_log "$scen: makedumpfile cannot convert this kernel ($skip): no vmcore.kdump-* files"
		rm -f "$tmp"/vmcore.kdump-zlib "$tmp"/vmcore.kdump-d31
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
}
ARCH_CHECK_CORES= ARCH_SPARSE=vmcore.elf ARCH_TIMEOUT=900
