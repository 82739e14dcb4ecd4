#!/bin/bash
# The -max_len to give libFuzzer for these input directories: their largest
# file (at least 4096). Without it libFuzzer takes the largest input but
# clamps it to 1 MiB, and cuts every longer input to that when it reads the
# corpus: the dump harness's whole-run seeds (7-18 MiB) and the BTF of a
# real kernel (~4 MiB) would lose all but their first MiB.
#   fuzz/max-len.sh DIR...
set -euo pipefail
max=4096
for d in "$@"; do
	[ -d "$d" ] || continue
	n=$(find "$d" -type f -printf '%s\n' | sort -n | tail -n 1)
	if [ -n "$n" ] && [ "$n" -gt "$max" ]; then max=$n; fi
done
echo "$max"
