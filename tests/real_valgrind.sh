#!/bin/bash
# valgrind (memcheck) over the main commands on real dumps (issue 9; the
# whole matrix with VT_MATRIX=all, issue 17):
# invalid reads/writes, uninitialised values and definite leaks fail it.
# valgrind cannot run an AddressSanitizer binary, and CI builds vmtriage
# with ASan; then this test uses vmtriage-plain, the same sources built
# without sanitizers, which `make check` builds for it (Makefile.am).
set -uo pipefail
top=${top_srcdir:-$(dirname "$0")/..}
build=${top_builddir:-$top}
vt=${VMTRIAGE:-$build/vmtriage}
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed (Debian package valgrind)"; exit 77; }
# (grep -c, not -q: with pipefail, nm would die of SIGPIPE and fail the test)
asan() { [ "$(nm -D "$1" 2>/dev/null | grep -c __asan_init)" -gt 0 ]; }
if asan "$vt"; then
	plain=$build/vmtriage-plain
	[ -x "$plain" ] || { echo "SKIP: $vt has ASan and there is no $plain (make vmtriage-plain)"; exit 77; }
	asan "$plain" && { echo "FAIL: $plain is built with ASan too"; exit 1; }
	vt=$plain
fi
# Which dumps: one of each arch by default; every scenario of
# testdata/scenarios with VT_MATRIX=all (make check-matrix).
if [ "${VT_MATRIX:-}" = all ]; then
	scens=$(awk '!/^#/ && NF >= 2 { print $1 }' "$top/testdata/scenarios")
else
	scens="x86-basic ppc-hotplug arm64-deb13-va48"
fi
dirs=()
for s in $scens; do
	d=$("$top/testdata/dumpdir" "$s"); rc=$?
	[ $rc -eq 77 ] && { echo "SKIP: no dumps here"; exit 77; }
	[ $rc -ne 0 ] && { echo "FAIL: generating $s"; exit 1; }
	dirs+=("$d")
done
pass=0 fail=0
log=$(mktemp "${TMPDIR:-/var/tmp}/vt-valgrind.XXXXXX")
trap 'rm -f "$log"' EXIT

# run WANT_RC ARGS...: vmtriage under memcheck; exit 9 means valgrind errors.
# WANT_RC may list several exits ("0|1": report's findings exit 1).
run() {
	local want=$1 rc; shift
	valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$top/tests/valgrind.supp" --log-file="$log" \
		"$vt" "$@" >/dev/null 2>&1; rc=$?
	if [[ ! "|$want|" == *"|$rc|"* ]] || [ -s "$log" ]; then
		echo "FAIL: vmtriage $*: exit $rc (want $want)"; head -n 40 "$log"; fail=$((fail+1))
	else
		pass=$((pass+1))
	fi
}

# The kdump-compressed dump where there is one (libkdumpfile's and the
# project's own decompression), else QEMU's ELF; with the vmlinux, so that
# DWARF, the symtab and source lines are read too.
for d in "${dirs[@]}"; do
	dump=$d/vmcore.kdump-zlib
	[ -f "$dump" ] || dump=$d/vmcore.elf
	run "0|1" report "$dump" "$d/vmlinux" --json
	# (ppc64's kdumps come from makedumpfile under qemu-user; on 6.12 with
	# 4K pages 1.7.6 leaves out pages mem_section needs: the ELF there)
	case $d in */ppc-deb13-*) run 0 memmap "$d/vmcore.elf" "$d/vmlinux" ;;
	*) run 0 memmap "$dump" "$d/vmlinux" ;;
	esac
	run 0 info "$dump"
	run 0 log "$dump"
	run 0 bt "$dump" "$d/vmlinux" --all
done
x86=${dirs[0]}
# A dump cut short in its page data (read, with the missing ranges named)
# and one cut inside its header (an error).
head -c 1000000 "$x86/vmcore.kdump-zlib" > "$log.cut"
run 0 info "$log.cut"
head -c 300 "$x86/vmcore.kdump-zlib" > "$log.cut"
run 2 info "$log.cut"
rm -f "$log.cut"

echo "real_valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
