#!/bin/bash
# Install every Debian package the test-dump generators need (run as root;
# Debian 12).  Each architecture's generator lists its own packages below;
# add yours to the list of your arch (or a new list) and to the install line.
#   testdata/install-deps.sh
# The pinned kernels themselves are not installed: the generators download
# them into the cache with `apt-get download` (testdata/lib/fetch.sh).
set -euo pipefail

# x86_64 generator (testdata/x86/, testdata/module/):
#   qemu-system-x86   the guest (TCG); busybox-static  the guest's userland
#   makedumpfile      -R / -c / -l / -d 31 conversions
#   python3           run_guest.py, qemu.py, mkinitramfs.py, elf-phdrs-first.py
#   python3-drgn      */check-injection.py (the dump validity checks)
#   gcc-12 make binutils libc6-dev   build vtinject.ko against the Debian
#                     linux-headers of the deb11 (5.10) and deb12 (6.1)
#                     kernels; deb13 and sid build in a suite root
#                     (lib/suite-root.sh, debootstrap below)
#   cpio gzip         the initramfs
#   xz-utils zstd     decompress the .ko.xz modules of 6.12+ kernels
#   kexec-tools       kexec -p in the kdump scenarios' guests (lib/run_kdump.py)
#   debian-archive-keyring   the private apt states (lib/apt-state.sh)
#   (also used, always present on Debian: util-linux for flock, unshare and
#   fallocate --dig-holes, dpkg-deb, apt-get download)
X86_PKGS=(
	qemu-system-x86 busybox-static makedumpfile python3 python3-drgn
	gcc-12 make binutils libc6-dev cpio gzip xz-utils zstd kexec-tools debian-archive-keyring
)

# ppc64le generator (testdata/ppc64/):
#   qemu-system-ppc   the pseries guest (TCG, -cpu power9, radix)
#   qemu-user         qemu-ppc64le runs Debian's ppc64el makedumpfile (from the
#                     cache's private sysroot: no multiarch install)
#   gcc-powerpc64le-linux-gnu make   cross-build vt_ppc_inject.ko (gcc-12, as the
#                     kernel); the kbuild host tools come from the host-arch
#                     linux-kbuild-6.1 deb that lib/fetch.sh downloads
#   binutils (nm: data symbols of the ppc64 vmlinux), jq, python3, python3-drgn
#                     (ppc64/check-injection.py), cpio gzip (initramfs)
PPC64_PKGS=(
	qemu-system-ppc qemu-user gcc-powerpc64le-linux-gnu make binutils jq
	python3 python3-drgn cpio gzip
)

# arm64 generator (testdata/arm64/):
#   qemu-system-arm   qemu-system-aarch64, the virt guest (TCG, -cpu max)
#   qemu-efi-aarch64  UEFI firmware (QEMU_EFI.fd) for the ACPI (hotplug) scenarios
#   qemu-user         qemu-aarch64 runs Debian's arm64 makedumpfile from the
#                     cache's private sysroot
#   gcc-aarch64-linux-gnu make   cross-build vt_arm64_inject.ko for 6.1 (gcc-12,
#                     as the kernel; 6.12's gcc-14 comes from a trixie root made
#                     by lib/suite-root.sh); the kbuild host tools come from the
#                     host-arch linux-kbuild that lib/fetch.sh downloads
#   makedumpfile (host: -R of QEMU's flattened kdump), binutils (nm), python3,
#                     python3-drgn (arm64/check-injection.py), cpio gzip xz-utils
#                     (initramfs; 6.12's modules are .ko.xz)
ARM64_PKGS=(
	qemu-system-arm qemu-efi-aarch64 qemu-user gcc-aarch64-linux-gnu make makedumpfile
	binutils python3 python3-drgn cpio gzip xz-utils
)

# Newer suites' toolchains (lib/suite-root.sh): debootstrap makes a cached
# trixie/sid root with the gcc and makedumpfile a newer kernel needs.
SUITE_PKGS=(debootstrap util-linux)

# The tests and benchmarks (tests/, bench/): crash is an oracle (kmem -n)
# and a benchmark peer; GNU time measures peak RSS; chromium renders the
# report's memory-map picture headless (tests/real_picture.py); valgrind
# runs the commands under memcheck (tests/real_valgrind.sh); strace sees
# every file a command opens (tests/real_readonly.py); groff and man-db
# render vmtriage(1) (tests/manual.sh); debhelper, dpkg-dev, lintian and
# mmdebstrap build, check and install the Debian packages in a fresh root
# (tests/real_deb.sh); autoconf/automake/pkgconf configure the cross builds
# (testdata/lib/cross-vmtriage.sh); debuginfod serves the test kernels'
# vmlinux files on 127.0.0.1 (tests/real_debuginfod.py).
TEST_PKGS=(crash time python3-drgn chromium valgrind strace
	groff-base man-db bash-completion debhelper dpkg-dev lintian mmdebstrap
	autoconf automake pkgconf debuginfod)

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${X86_PKGS[@]}" "${PPC64_PKGS[@]}" "${ARM64_PKGS[@]}" \
	"${SUITE_PKGS[@]}" "${TEST_PKGS[@]}"
