# Pinned Debian kernel for the x86_64 test dumps: the ONE place to change it.
# Source it; do not run it.
#
# VT_X86_ABI is tried first; if the archive no longer has its packages, the
# ABIs in VT_X86_ABI_FALLBACK are tried in order (the dumps' cache hash
# includes this file, so changing a pin regenerates every x86 scenario).
# `apt-cache depends linux-image-cloud-amd64` names the archive's current ABI.
VT_X86_ABI=6.1.0-56
VT_X86_ABI_FALLBACK="6.1.0-55 6.1.0-54 6.1.0-53 6.1.0-50 6.1.0-47"
VT_X86_FLAVOUR=cloud-amd64

# ---------------------------------------------------------------------------
# ppc64le (pseries) test dumps: testdata/ppc64/. Separate block; the ppc64
# scenarios hash only these values (testdata/ppc64/fetch.sh prints them).
# The kernel ABI must exist for ppc64el in bookworm main or bookworm-updates
# (the security suite's ppc64el index is not used). Check with
#   APT_CONFIG=$VT_CACHE/pkgs/ppc64el/apt/apt.conf apt-cache depends linux-image-powerpc64le
# Userland (busybox-static, makedumpfile and its libraries) is taken at the
# archive's current bookworm version; the .deb names (with versions) go
# into the scenario hash.
VT_PPC64_ABI=6.1.0-50
VT_PPC64_ABI_FALLBACK="6.1.0-47"
VT_PPC64_FLAVOUR=powerpc64le
VT_PPC64_USERLAND="busybox-static makedumpfile libc6 libdw1 libelf1 liblzo2-2 zlib1g libbz2-1.0 liblzma5 libzstd1"
