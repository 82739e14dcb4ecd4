# x86_64 data and hooks of the shared generators (lib/gen.sh, lib/fetch.sh,
# lib/build-module.sh; the guest side is x86/guest.py).  Sourced, not run.
#
# Scenarios x86-[FAMILY-]KIND: a kernel family (pins.sh VT_X86_FAMILIES)
# times a kind; deb12 keeps the plain names (x86-basic, x86-e, ...), any
# other family is x86-FAMILY-KIND (x86-deb11-basic, x86-sid-pmem, ...).
# Dumps: QEMU's vmcore.elf, vmcore.elf-paging and vmcore.qemu-kdump(.flat),
# the family's makedumpfile (a suite root's for 6.12+, else the host's)
# -c/-l -d 0 and -c -d 31 of the ELF (+ the host's 1.7.2 -d 31 where _MKD172).

ARCH_PIN=X86 ARCH_DEB=amd64
X86_KINDS="basic hotplug pmem b-latent b-conflict e"

# ---- fetch.sh
arch_kdir() { echo "$VT_CACHE/pkgs/x86_64/$1"; }
arch_host_suites() { echo "$@"; }
arch_kernel_pkgs() { # ABI -> the packages of the classic or the split (7.x) layout
	local r="$1-$fl"
	if have "linux-image-$r-unsigned"; then
		echo "linux-image-$r-unsigned linux-image-$r-dbg linux-headers-$r linux-headers-$1-common"
	elif have "linux-binary-unsigned-$r"; then
		echo "linux-binary-unsigned-$r linux-base-$r linux-modules-$r linux-image-$r-dbg linux-headers-$r linux-headers-$1-common"
	fi
}
ARCH_BOOT_FILE=vmlinuz ARCH_MODULES=1 ARCH_LOADER= ARCH_QEMU_USER=
arch_fetch_extra() { :; }
arch_inputs_head() { echo "family=$fam abi=$abi flavour=$fl suites=$suites"; }
arch_fetch_done() { :; }

# ---- build-module.sh: ONE module source for every family
ARCH_MOD_SRC=module ARCH_MOD_NAME=vtinject ARCH_MAKE=() ARCH_ROOT_CACHE=

# ---- gen.sh
arch_parse() {
	local f rest=${1#x86-}
	fam=deb12
	[ "$rest" != "$1" ] || vt_die "gen-x86" "unknown scenario $1"
	for f in $VT_X86_FAMILIES; do
		[ "$f" = deb12 ] && continue
		case $rest in "$f"-*) fam=$f; rest=${rest#"$f"-};; esac
	done
	case " $X86_KINDS " in *" $rest "*) kind=$rest ;;
	*) vt_die "gen-x86" "unknown scenario $1 (x86-[FAMILY-]KIND, FAMILY: ${VT_X86_FAMILIES/deb12 /}, KIND: $X86_KINDS)" ;; esac
}
# VT_QEMU_X86: the QEMU binary (default qemu-system-x86_64).
arch_require() { vt_require_qemu "${VT_QEMU_X86:-qemu-system-x86_64}"; }
ARCH_INPUTS=("$T/lib/elf-phdrs-first.py" "$T/lib/apt-state.sh" "$T/module/vtinject.c" "$T/module/Kbuild")
arch_hash_extra() {
	local toolchain rootspec cc
	rootspec=$(pin ROOT) cc=$(pin CC)
	if [ -n "$rootspec" ]; then
		# shellcheck disable=SC2086  # "SUITE PACKAGE..." are words
		toolchain="root=$(basename "$("$T/lib/suite-root.sh" --path $rootspec)") cc=$cc"
	else
		toolchain="host cc=$("$cc" --version | head -1)"
	fi
	# The host's makedumpfile too: it writes the MKD172 file and the host
	# families' conversions.
	echo "toolchain=$toolchain mkd172=$(pin MKD172) tools=$("${VT_QEMU_X86:-qemu-system-x86_64}" --version | head -1); $(/bin/busybox 2>&1 | head -1); $(makedumpfile -v 2>&1 | head -1)"
}
arch_prepare() {
	local rootspec cc ko mkdver ccver
	rootspec=$(pin ROOT) cc=$(pin CC) root=
	if [ -n "$rootspec" ]; then
		# shellcheck disable=SC2086
		root=$("$T/lib/suite-root.sh" $rootspec) || vt_die "suite-root" "$rootspec: see messages above"
	fi
	ko=$("$T/lib/build-module.sh" x86 "$fam" "$kdir") || vt_die "build-module" "see messages above"
	# makedumpfile of the family: the suite root's (6.12+) or the host's.
	if [ -n "$root" ]; then
		VT_MKD=(vt_in_root "$root" --bind "$VT_CACHE/dumps" -- timeout 600 makedumpfile)
		mkdver=$(vt_in_root "$root" -- makedumpfile -v 2>&1 | head -1)
		ccver=$(vt_in_root "$root" -- "$cc" --version | head -1)
	else
		VT_MKD=(timeout 600 makedumpfile)
		mkdver=$(makedumpfile -v 2>&1 | head -1)
		ccver=$("$cc" --version | head -1)
	fi
	vt_log "$scen: $(cat "$kdir/release"); $ccver; $mkdver"
	run_args=(--module "$ko" --toolchain "cc=$ccver; makedumpfile=$mkdver${root:+; root=$(basename "$root")}")
}
arch_convert() {
	vt_reassemble "${VT_MKD[@]}"
	vt_phdrs_first_copy
	VT_MKD_IN=$tmp/fixed.elf
	vt_log "$scen: makedumpfile conversions"
	vt_mkd_all "vmcore.kdump-zlib -c -d 0" "vmcore.kdump-lzo -l -d 0"
	vt_mkd_all "vmcore.kdump-d31 -c -d 31"
	if [ -n "$(pin MKD172)" ]; then
		# bookworm's makedumpfile 1.7.2 on a kernel it calls "not supported":
		# its -d 31 drops slab pages it does not recognise (a real partial dump).
		VT_MKD=(timeout 600 makedumpfile)
		vt_mkd_all "vmcore.kdump-d31-mkd172 -c -d 31"
	fi
}
# the two files tests/real_testdata.sh checks, ~1 s each
ARCH_CHECK_CORES="vmcore.kdump-zlib vmcore.kdump-d31"
ARCH_SPARSE="vmcore.elf vmcore.elf-paging"
ARCH_TIMEOUT=1500
