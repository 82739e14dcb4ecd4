#!/bin/bash
# Install every Debian package the test-dump generators need (run as root;
# Debian 12).  Each architecture's generator lists its own packages below;
# add yours to the list of your arch (or a new list) and to the install line.
#   testdata/install-deps.sh
# The pinned kernels themselves are not installed: the generators download
# them into the cache with `apt-get download` (testdata/x86/fetch-kernel.sh).
set -euo pipefail

# x86_64 generator (testdata/x86/, testdata/module/):
#   qemu-system-x86   the guest (TCG); busybox-static  the guest's userland
#   makedumpfile      -R / -c / -l / -d 31 conversions
#   python3           run-guest.py, qemu.py, mkinitramfs.py, elf-phdrs-first.py
#   python3-drgn      x86/check-injection.py (the dump validity check)
#   gcc-12 make binutils libc6-dev   build vtinject.ko against the Debian
#                     linux-headers (the kernel was built with gcc-12)
#   cpio gzip         the initramfs
#   (also used, always present on Debian: util-linux for flock and
#   fallocate --dig-holes, dpkg-deb, apt-get download)
X86_PKGS=(
	qemu-system-x86 busybox-static makedumpfile python3 python3-drgn
	gcc-12 make binutils libc6-dev cpio gzip
)

# ppc64le generator (testdata/ppc64/):
#   qemu-system-ppc   the pseries guest (TCG, -cpu power9, radix)
#   qemu-user         qemu-ppc64le runs Debian's ppc64el makedumpfile (from the
#                     cache's private sysroot: no multiarch install)
#   gcc-powerpc64le-linux-gnu make   cross-build vt_ppc_inject.ko (gcc-12, as the
#                     kernel); the kbuild host tools come from the host-arch
#                     linux-kbuild-6.1 deb that ppc64/fetch.sh downloads
#   binutils (nm: data symbols of the ppc64 vmlinux), jq, python3, python3-drgn
#                     (ppc64/check-injection.py), cpio gzip (initramfs)
PPC64_PKGS=(
	qemu-system-ppc qemu-user gcc-powerpc64le-linux-gnu make binutils jq
	python3 python3-drgn cpio gzip
)

# The tests and benchmarks (tests/, bench/): crash is an oracle (kmem -n)
# and a benchmark peer; GNU time measures peak RSS; chromium renders the
# report's memory-map picture headless (tests/real_picture.py); valgrind
# runs the commands under memcheck (tests/real_valgrind.sh).
TEST_PKGS=(crash time python3-drgn chromium valgrind)

if [ "$(id -u)" != 0 ]; then
	echo "install-deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${X86_PKGS[@]}" "${PPC64_PKGS[@]}" \
	"${TEST_PKGS[@]}"
