#!/bin/bash
# valgrind (memcheck) over the main commands on two real dumps (issue 9):
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
x86=$("$top/testdata/dumpdir" x86-basic); rc=$?
[ $rc -eq 77 ] && { echo "SKIP: no dumps here"; exit 77; }
[ $rc -ne 0 ] && { echo "FAIL: generating x86-basic"; exit 1; }
ppc=$("$top/testdata/dumpdir" ppc-hotplug) || { echo "FAIL: generating ppc-hotplug"; exit 1; }
pass=0 fail=0
log=$(mktemp "${TMPDIR:-/var/tmp}/vt-valgrind.XXXXXX")
trap 'rm -f "$log"' EXIT

# run WANT_RC ARGS...: vmtriage under memcheck; exit 9 means valgrind errors.
run() {
	local want=$1 rc; shift
	valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions="$top/tests/valgrind.supp" --log-file="$log" \
		"$vt" "$@" >/dev/null 2>&1; rc=$?
	if [ $rc -ne "$want" ] || [ -s "$log" ]; then
		echo "FAIL: vmtriage $*: exit $rc (want $want)"; head -n 40 "$log"; fail=$((fail+1))
	else
		pass=$((pass+1))
	fi
}

run 0 report "$x86/vmcore.kdump-zlib" --json
run 0 memmap "$x86/vmcore.kdump-zlib"
run 0 info "$x86/vmcore.kdump-zlib"
run 0 log "$x86/vmcore.kdump-zlib"
run 0 report "$ppc/vmcore.elf" "$ppc/vmlinux"
run 0 memmap "$ppc/vmcore.elf" "$ppc/vmlinux"
run 0 info "$ppc/vmcore.elf" "$ppc/vmlinux"
# An error path too: a dump cut short.
head -c 1000000 "$x86/vmcore.kdump-zlib" > "$log.cut"
run 2 info "$log.cut"
rm -f "$log.cut"

echo "real_valgrind: $pass passed, $fail failed"
[ $fail -eq 0 ]
