#!/bin/bash
# Validity of the test dumps (issue 3): every scenario can be made (or comes
# from the cache), and its injected state (or its absence, for the clean
# twins) reads back from the dump with drgn, independently of vmtriage:
# testdata/{x86,ppc64,arm64}/check-injection.py; a fired scenario
# (SCENARIO-fired, lib/gen-variant.sh) with testdata/lib/check-fired.py (the
# death, in the console and in the dump), and with its arch's checker too
# where the death leaves the injected state alone (ARCH/fired.py
# ARCH_CHECK = "injection"); a kdump scenario (SCENARIO-kdump[-stale])
# with testdata/lib/check-kdump.py (the capture). The scenarios tagged "ci"
# in testdata/scenarios (every kernel x arch at least once), or all of them
# with VT_MATRIX=all (make check-matrix).
set -uo pipefail
top=${top_srcdir:-$(dirname "$0")/..}
pass=0 fail=0
while read -r scenario gen tag _; do
	case $scenario in ''|\#*) continue ;; esac
	[ "${VT_MATRIX:-}" = all ] || [ "${tag:-}" = ci ] || continue
	d=$("$top/testdata/dumpdir" "$scenario"); rc=$?
	if [ $rc -eq 77 ]; then echo "SKIP: $scenario cannot be made here"; exit 77; fi
	if [ $rc -ne 0 ]; then echo "FAIL: making $scenario"; fail=$((fail+1)); continue; fi
	case $scenario in
	x86-*) arch=x86 cores="vmcore.kdump-zlib vmcore.kdump-d31" ;;
	ppc-*) arch=ppc64 cores="" ;;
	arm64-*) arch=arm64 cores="" ;;
	*) echo "FAIL: no checker for $scenario"; fail=$((fail+1)); continue ;;
	esac
	checker=$top/testdata/$arch/check-injection.py
	case $scenario in *-fired)
		if out=$(/usr/bin/python3 "$top/testdata/lib/check-fired.py" "$d" 2>&1); then pass=$((pass+1))
		else echo "FAIL: $scenario (fired): $out"; fail=$((fail+1)); fi
		grep -qx 'ARCH_CHECK = "injection"' "$top/testdata/$arch/fired.py" || continue ;;
	*-kdump|*-kdump-stale)
		# the capture (lib/check-kdump.py); the state is the latent scenario's
		if out=$(/usr/bin/python3 "$top/testdata/lib/check-kdump.py" "$d" 2>&1); then pass=$((pass+1))
		else echo "FAIL: $scenario (kdump): $out"; fail=$((fail+1)); fi
		continue ;;
	esac
	if [ -z "$cores" ]; then
		if out=$(/usr/bin/python3 "$checker" "$d" 2>&1); then pass=$((pass+1))
		else echo "FAIL: $scenario: $out"; fail=$((fail+1)); fi
		continue
	fi
	for core in $cores; do
		if out=$(/usr/bin/python3 "$checker" "$d" --core "$d/$core" 2>&1); then pass=$((pass+1))
		else echo "FAIL: $scenario/$core: $out"; fail=$((fail+1)); fi
	done
done < "$top/testdata/scenarios"
echo "real_testdata: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
