# Pinned Debian kernels of every arch's test dumps: the ONE place to change them.
# Source it; do not run it.
#
# One block per kernel family (VT_X86_FAMILIES).  Scenario names:
# deb12 keeps the plain names (x86-basic, x86-e, ...); every other family F
# is x86-F-basic, x86-F-e, ... (testdata/scenarios, lib/gen.sh).
#
#   VT_X86_<F>_SUITES        Debian suites of the family's private apt state
#                            (lib/apt-state.sh amd64 SUITES...); the host's
#                            apt sources are never used or changed
#   VT_X86_<F>_ABI           pinned ABI (the part of the package names before
#                            the flavour); tried first
#   VT_X86_<F>_ABI_FALLBACK  tried in order if the archive no longer has the
#                            pin's packages (lib/fetch.sh)
#   VT_X86_<F>_FLAVOUR       kernel flavour (cloud-amd64)
#   VT_X86_<F>_ROOT          empty: the host's (bookworm) gcc and makedumpfile;
#                            else "SUITE PACKAGE..." of lib/suite-root.sh, whose
#                            gcc builds the test module and whose makedumpfile
#                            converts the dumps (a kernel wants its own gcc
#                            major; bookworm's makedumpfile 1.7.2 mis-filters
#                            6.12+)
#   VT_X86_<F>_CC            the compiler given to the module build (overrides
#                            CC of the headers' .kernelvariables)
#   VT_X86_<F>_MKD172        1: also write vmcore.kdump-d31-mkd172 with the
#                            host's makedumpfile 1.7.2 (a real partial dump of
#                            a kernel 1.7.2 does not know)
#
# `APT_CONFIG=$(testdata/lib/apt-state.sh amd64 SUITES...) apt-cache depends
# linux-image-cloud-amd64` names a family's current ABI.  Changing a family's
# block regenerates that family's scenarios only (the dumps' hash covers the
# resolved ABI, the .deb versions and the toolchain, not this whole file).
VT_X86_FAMILIES="deb11 deb12 deb13 sid"

# Debian 11 bullseye, 5.10 (built with gcc-10; bookworm's gcc-12 builds the
# module fine, and makedumpfile 1.7.2 knows 5.10).  Pinned to bullseye's own
# last ABI (its linux-kbuild-5.10 of the same version is in the archive);
# the security suite's newer ABIs 5.10.0-44..46 are listed but their image
# and -dbg files were not fetchable from the mirror (404).
VT_X86_DEB11_SUITES="bullseye bullseye-security bullseye-updates"
VT_X86_DEB11_ABI=5.10.0-32
VT_X86_DEB11_ABI_FALLBACK="5.10.0-43 5.10.0-30"
VT_X86_DEB11_FLAVOUR=cloud-amd64
VT_X86_DEB11_ROOT=""
VT_X86_DEB11_CC=gcc-12
VT_X86_DEB11_MKD172=

# Debian 12 bookworm, 6.1 (gcc-12: the host's toolchain).
VT_X86_DEB12_SUITES="bookworm bookworm-security bookworm-updates"
VT_X86_DEB12_ABI=6.1.0-56
VT_X86_DEB12_ABI_FALLBACK="6.1.0-55 6.1.0-54 6.1.0-53 6.1.0-50 6.1.0-47"
VT_X86_DEB12_FLAVOUR=cloud-amd64
VT_X86_DEB12_ROOT=""
VT_X86_DEB12_CC=gcc-12
VT_X86_DEB12_MKD172=

# Debian 13 trixie, 6.12 (gcc-14; makedumpfile 1.7.6 from a trixie root).
VT_X86_DEB13_SUITES="trixie trixie-security trixie-updates"
VT_X86_DEB13_ABI=6.12.118+deb13
VT_X86_DEB13_ABI_FALLBACK="6.12.117+deb13 6.12.116+deb13"
VT_X86_DEB13_FLAVOUR=cloud-amd64
VT_X86_DEB13_ROOT="trixie gcc-14 make libc6-dev makedumpfile pahole"
VT_X86_DEB13_CC=gcc-14
VT_X86_DEB13_MKD172=1

# The newest kernel of unstable: sid's 7.2 (Debian's newer split package
# layout: linux-binary-unsigned-*, linux-modules-* with .ko.xz, linux-base-*);
# gcc-16 and makedumpfile 1.7.8 from a sid root.  Experimental's newer
# 7.3~rc7 is NOT used: its release "7.3-cloud-amd64" has no sublevel and
# libkdumpfile 0.5.1 (drgn 0.0.22's kdump reader) refuses to open its
# makedumpfile dumps ("Invalid kernel version"), so check-injection.py could
# not read them.  sid carries one ABI at a time: no fallback.
VT_X86_SID_SUITES="sid"
VT_X86_SID_ABI=7.2.13+deb14
VT_X86_SID_ABI_FALLBACK=""
VT_X86_SID_FLAVOUR=cloud-amd64
VT_X86_SID_ROOT="sid gcc-16 make libc6-dev makedumpfile pahole"
VT_X86_SID_CC=gcc-16
VT_X86_SID_MKD172=

# ---------------------------------------------------------------------------
# ppc64le (pseries) test dumps: testdata/ppc64/. One block per kernel family;
# the family key names the scenarios (ppc-<key>-<state>; deb12 keeps the
# historic names ppc-<state>). A scenario hashes only its family's values
# (lib/fetch.sh ppc64 FAMILY writes them into inputs.txt).
#   _SUITES     suites of the private apt states (lib/apt-state.sh ppc64el
#               SUITES... for the kernel and userland, amd64 SUITES... for the
#               host-arch linux-kbuild); the security suite's ppc64el index
#               is not used (bookworm's fails with a size mismatch)
#   _ABI, _ABI_FALLBACK  tried in order; ppc64el lags amd64 by point
#               releases, so its ABI may differ from the x86 pins. Check with
#     APT_CONFIG=$(testdata/lib/apt-state.sh ppc64el SUITES...) apt-cache depends linux-image-<FLAVOUR>
#   _FLAVOUR    linux-image-<ABI>-<FLAVOUR> (uname -r = <ABI>-<FLAVOUR>)
#   _USERLAND   ppc64el busybox-static + makedumpfile and its libraries, taken
#               at the suite's current version (the .deb names, with versions,
#               go into the scenario hash); _USERLAND_FALLBACK: PKG=VERSION@SHA256
#               for packages whose indexed version is not in the ppc64el pool
#   _ROOT       empty: the host's cross gcc-12 (gcc-powerpc64le-linux-gnu);
#               else "SUITE PACKAGE..." of lib/suite-root.sh: an amd64 root
#               whose cross gcc builds the test module (6.12 is built with
#               gcc-14); makedumpfile is the family's ppc64el one (_USERLAND)
#   _CC         the module's compiler (CC= of the kbuild make)
# The kbuild tools (scripts/) are the HOST-arch (amd64) linux-kbuild package
# that the headers depend on, at the headers' version, from the same suites.
VT_PPC64_FAMILIES="deb12 deb13 deb13k64"

# The guest userland of the cross arches (ppc64el, arm64; _USERLAND): the
# initramfs' busybox-static, makedumpfile and its libraries, per suite.
VT_USERLAND_BOOKWORM="busybox-static makedumpfile libc6 libdw1 libelf1 liblzo2-2 zlib1g libbz2-1.0 liblzma5 libzstd1"
VT_USERLAND_TRIXIE="busybox-static makedumpfile libc6 libdw1t64 libelf1t64 liblzo2-2 zlib1g libbz2-1.0 liblzma5 libzstd1"

# deb12: Debian 12 bookworm, 6.1, 64 KiB pages. bookworm has no 4K-page
# ppc64el flavour (powerpc64le is the only one; -64k appeared in 6.12).
VT_PPC64_DEB12_SUITES="bookworm bookworm-updates"
VT_PPC64_DEB12_ABI=6.1.0-50
VT_PPC64_DEB12_ABI_FALLBACK="6.1.0-47"
VT_PPC64_DEB12_FLAVOUR=powerpc64le
VT_PPC64_DEB12_USERLAND=$VT_USERLAND_BOOKWORM
VT_PPC64_DEB12_ROOT=""
VT_PPC64_DEB12_CC=powerpc64le-linux-gnu-gcc-12

# deb13: Debian 13 trixie, 6.12, flavour powerpc64le = 4 KiB pages (trixie's
# default). makedumpfile 1.7.6 (bookworm's 1.7.2 fails on 6.12).
VT_PPC64_DEB13_SUITES="trixie trixie-updates"
# trixie 13.8's ppc64el index names 6.12.117 and 6.12.107, but the pool has
# only 6.12.107's .debs: pinned; 6.12.117 is tried if 6.12.107 leaves.
VT_PPC64_DEB13_ABI=6.12.107+deb13
VT_PPC64_DEB13_ABI_FALLBACK="6.12.117+deb13"
VT_PPC64_DEB13_FLAVOUR=powerpc64le
VT_PPC64_DEB13_USERLAND=$VT_USERLAND_TRIXIE
# The ppc64el pool lags trixie's index (13.8 names libc6 2.41-12+deb13u5,
# zlib1g +deb13u1, liblzma5 +deb13u2; the pool has the versions below):
# PKG=VERSION@SHA256 of the .deb, used only when the indexed one 404s.
VT_PPC64_DEB13_USERLAND_FALLBACK="
libc6=2.41-12+deb13u4@917cbd81a9038133bd58bbfe0991db889a78eb446be2080015b7804942b45ec2
zlib1g=1:1.3.dfsg+really1.3.1-1+b1@f526e830310db11983cf51cfde95a74bc449a7bdc44b6ce68827d78802f1b4ae
liblzma5=5.8.1-1+deb13u1@8e02e866cf1bb0e98c56a56c79a47c3011055074414cd56482f8db20738adeea"
VT_PPC64_DEB13_ROOT="trixie gcc-14-powerpc64le-linux-gnu make"
VT_PPC64_DEB13_CC=powerpc64le-linux-gnu-gcc-14

# deb13k64: Debian 13 trixie, 6.12, flavour powerpc64le-64k (64 KiB pages).
VT_PPC64_DEB13K64_SUITES=$VT_PPC64_DEB13_SUITES
VT_PPC64_DEB13K64_ABI=$VT_PPC64_DEB13_ABI
VT_PPC64_DEB13K64_ABI_FALLBACK=$VT_PPC64_DEB13_ABI_FALLBACK
VT_PPC64_DEB13K64_FLAVOUR=powerpc64le-64k
VT_PPC64_DEB13K64_USERLAND=$VT_PPC64_DEB13_USERLAND
VT_PPC64_DEB13K64_USERLAND_FALLBACK=$VT_PPC64_DEB13_USERLAND_FALLBACK
VT_PPC64_DEB13K64_ROOT=$VT_PPC64_DEB13_ROOT
VT_PPC64_DEB13K64_CC=$VT_PPC64_DEB13_CC

# ---------------------------------------------------------------------------
# arm64 (QEMU virt) test dumps: testdata/arm64/. Separate block; the arm64
# scenarios hash only their family's values (lib/fetch.sh's inputs.txt).
# One block per kernel family (VT_ARM64_FAMILIES); scenarios are
# arm64-<FAMILY>-basic|hotplug|e (testdata/scenarios).
#   _SUITES        suites of the private apt states (lib/apt-state.sh arm64
#                  SUITES... for the kernel and userland; amd64 SUITES... for
#                  the host-arch linux-kbuild of the headers)
#   _ABI, _ABI_FALLBACK   the pin, then fallbacks tried in order when the
#                  archive (or the cache) no longer has the pin. Check with
#   APT_CONFIG=$(testdata/lib/apt-state.sh arm64 SUITES...) apt-cache depends linux-image-cloud-arm64
#   _FLAVOUR       cloud-arm64: the only Debian arm64 flavour with
#                  ACPI_HOTPLUG_MEMORY (plain arm64 has it unset in 6.1)
#   _USERLAND      arm64 packages unpacked for the guest (busybox-static) and
#                  for makedumpfile under qemu-aarch64 (it and its libraries)
#   _ROOT          empty: host gcc-aarch64-linux-gnu (gcc-12); else
#                  "SUITE PACKAGE..." of lib/suite-root.sh whose cross gcc
#                  builds the test module (the kernel's own gcc major)
#   _CC            the module's compiler (CC= of the kbuild make)
VT_ARM64_FAMILIES="deb12 deb13"

# Debian 12 bookworm, 6.1 (bookworm main: stays until the next point release)
VT_ARM64_DEB12_SUITES="bookworm bookworm-security bookworm-updates"
VT_ARM64_DEB12_ABI=6.1.0-50
VT_ARM64_DEB12_ABI_FALLBACK="6.1.0-57 6.1.0-56"
VT_ARM64_DEB12_FLAVOUR=cloud-arm64
VT_ARM64_DEB12_USERLAND=$VT_USERLAND_BOOKWORM
VT_ARM64_DEB12_ROOT=""
VT_ARM64_DEB12_CC=aarch64-linux-gnu-gcc-12

# Debian 13 trixie, 6.12 (trixie main; gcc-14 cross compiler from a trixie
# root; trixie's makedumpfile 1.7.6: bookworm's 1.7.2 mis-filters 6.12)
VT_ARM64_DEB13_SUITES="trixie trixie-security trixie-updates"
VT_ARM64_DEB13_ABI=6.12.117+deb13
VT_ARM64_DEB13_ABI_FALLBACK="6.12.118+deb13 6.12.116+deb13"
VT_ARM64_DEB13_FLAVOUR=cloud-arm64
VT_ARM64_DEB13_USERLAND=$VT_USERLAND_TRIXIE
VT_ARM64_DEB13_ROOT="trixie gcc-14-aarch64-linux-gnu make"
VT_ARM64_DEB13_CC=aarch64-linux-gnu-gcc-14

# ---------------------------------------------------------------------------
# vt_pin ARCH FAMILY NAME: the value of VT_<ARCH>_<FAMILY>_<NAME> (ARCH X86,
# PPC64, ARM64; FAMILY in any case), empty when unset.
vt_pin() {
	local v="VT_$1_$(printf '%s' "$2" | tr '[:lower:]' '[:upper:]')_$3"
	printf '%s' "${!v-}"
}
