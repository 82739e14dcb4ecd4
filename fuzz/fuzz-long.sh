#!/bin/bash
# `make fuzz-long`: every harness for a long time (default one CPU-hour
# each), its corpus kept outside the clone so runs add up, then coverage of
# that corpus and the figures in docs/fuzzing.md.
#
#   fuzz/fuzz-long.sh BUILDDIR [HARNESS...]
# make fuzz-long builds the harnesses (fuzz/build/, fuzz/build-cov/) and the
# seeds, then runs this.
#
# Environment:
#   FUZZ_LONG_SECONDS  per harness (default 3600); with FUZZ_LONG_CPU_HOURS,
#                      the length of each chunk
#   FUZZ_LONG_CPU_HOURS run each harness in chunks until its records (all runs
#                      so far) add up to this many CPU-hours; a chunk that
#                      got no CPU at all ends the harness's turn
#   FUZZ_LONG_JOBS     harnesses run at once (default 1: the other core stays free;
#                      runs are niced, and each records the CPU time it got,
#                      so a busy machine shows as fewer CPU-hours, not more)
#   VMTRIAGE_FUZZ_DIR  corpus, findings and run records
#                      (default ${XDG_CACHE_HOME:-~/.cache}/vmtriage/fuzz)
#   FUZZ_LONG_NO_RUN=1 only coverage and the report of what the corpus has
#
# libFuzzer runs in fork mode and goes on past a finding (-ignore_crashes):
# every crash, leak, timeout and OOM input lands in $VMTRIAGE_FUZZ_DIR/
# artifacts/NAME/ and is counted in the run's record
# ($VMTRIAGE_FUZZ_DIR/runs.jsonl, one JSON object per run). Fix what it
# finds, then keep each input in tests/fuzz-regressions/NAME/ (`make check`
# replays them). Exit 1 when a run left a finding, else 0.
set -euo pipefail
build=${1:?usage: fuzz-long.sh BUILDDIR [HARNESS...]}
shift
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${VMTRIAGE_FUZZ_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vmtriage/fuzz}
secs=${FUZZ_LONG_SECONDS:-3600}
jobs=${FUZZ_LONG_JOBS:-1}
[ $# -gt 0 ] || set -- btf drmem dump dumpcheck flattened pgtable unwind vmcoreinfo
mkdir -p "$dir/runs" "$dir/artifacts" "$dir/corpus"
rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)

run_one() {
	local h=$1 log art start rc=0
	start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	log=$dir/runs/$h-$(date -u +%Y%m%d%H%M%S).log
	art=$dir/artifacts/$h
	mkdir -p "$dir/corpus/$h" "$art"
	local before
	before=$(find "$art" -type f | wc -l)
	echo "fuzz-long: $h for $secs s (log: $log)"
	# The seeds and the in-tree corpus and regressions are read-only inputs;
	# new inputs go to the cached corpus only.
	local inputs=() d
	for d in "$build/fuzz/seeds/$h" "$build/fuzz/corpus/$h" "$top/tests/fuzz-regressions/$h"; do
		if [ -d "$d" ]; then inputs+=("$d"); fi
	done
	local max_len
	max_len=$("$top/fuzz/max-len.sh" "$dir/corpus/$h" "${inputs[@]}")
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	nice -n 10 /usr/bin/time -f '%U %S' -o "$log.cpu" \
		"$build/fuzz/build/fuzz_$h" -fork=1 -ignore_crashes=1 \
		-ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$secs" -timeout=25 \
		-max_len="$max_len" \
		-rss_limit_mb=2560 -artifact_prefix="$art/" "$dir/corpus/$h" \
		"${inputs[@]}" >"$log" 2>&1 || rc=$?
	local after
	after=$(find "$art" -type f | wc -l)
	/usr/bin/python3 "$top/fuzz/fuzz_report.py" record "$dir" "$h" "$log" "$start" \
		"$secs" "$rev" "$rc" $((after - before)) "$log.cpu"
}

# Until the harness's records reach FUZZ_LONG_CPU_HOURS (or once).
run_harness() {
	local h=$1 want got before chunk=$secs
	if [ -z "${FUZZ_LONG_CPU_HOURS:-}" ]; then
		run_one "$h"
		return
	fi
	want=$(awk -v h="$FUZZ_LONG_CPU_HOURS" 'BEGIN { printf "%d", h * 3600 }')
	while :; do
		got=$(/usr/bin/python3 "$top/fuzz/fuzz_report.py" cpu "$dir" "$h")
		echo "fuzz-long: $h has $got of $want CPU seconds"
		[ "$got" -lt "$want" ] || break
		before=$got
		# the last chunk no longer than the rest needs (a run gets ~0.9
		# CPU second per second on an idle core), at least a minute
		secs=$(( (want - got) * 10 / 9 + 30 ))
		[ "$secs" -ge 60 ] || secs=60
		[ "$secs" -le "$chunk" ] || secs=$chunk
		run_one "$h"
		got=$(/usr/bin/python3 "$top/fuzz/fuzz_report.py" cpu "$dir" "$h")
		[ "$got" -gt "$before" ] || { echo "fuzz-long: $h got no CPU time, stopping it" >&2; break; }
	done
}

if [ -z "${FUZZ_LONG_NO_RUN:-}" ]; then
	export -f run_one run_harness
	export build dir secs rev top FUZZ_LONG_CPU_HOURS
	printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run_harness {}'
fi

# Coverage of everything the corpus holds, per library file (make fuzz-long
# built fuzz/build-cov/ beside fuzz/build/).
/usr/bin/python3 "$top/fuzz/fuzz_report.py" coverage "$dir" "$build" "$@"
/usr/bin/python3 "$top/fuzz/fuzz_report.py" markdown "$dir" "$top/docs/fuzzing.md"
/usr/bin/python3 "$top/fuzz/fuzz_report.py" findings "$dir"
