# Shared helpers for the dump generators. Source it; do not run it.
#
# Cache layout (outside the clone, survives fresh CI clones on one machine):
#   $VMTRIAGE_CACHE            default ${XDG_CACHE_HOME:-$HOME/.cache}/vmtriage
#     pkgs/<arch>/             downloaded .deb files and extracted kernels
#     dumps/<scenario>-<hash>/ one scenario's dumps + truth.json (hash of inputs)

set -euo pipefail

VT_TESTDATA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VT_CACHE=${VMTRIAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmtriage}

vt_log() { printf '[testdata %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# vt_die STEP MESSAGE: fail naming the step, as issue 3 asks.
vt_die() { printf 'testdata: step "%s" failed: %s\n' "$1" "$2" >&2; exit 1; }

# vt_hash FILE...: short content hash of the generator inputs.
vt_hash() { cat "$@" | sha256sum | cut -c1-16; }

# ---------------------------------------------------------------------------
# Shared by every arch's generators (lib/gen.sh, lib/fetch.sh, ...).
# ---------------------------------------------------------------------------

# VT_PYTHON: a python3 that can import drgn (Debian's python3-drgn lives in
# /usr/bin/python3's dist-packages; a pyenv python3 on PATH cannot see it).
if [ -x /usr/bin/python3 ]; then VT_PYTHON=/usr/bin/python3; else VT_PYTHON=python3; fi

# vt_require_qemu BINARY: QEMU missing -> exit 77 (skip) outside CI, fail in CI.
vt_require_qemu() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -z "${CI:-}" ]; then
		echo "testdata: skipped: $1 is not installed (run testdata/install-deps.sh)" >&2
		exit 77
	fi
	vt_die "require-qemu" "$1 is not installed and CI is set (run testdata/install-deps.sh)"
}

# vt_step NAME CMD...: run CMD; on failure vt_die naming the step.
vt_step() {
	local name=$1; shift
	vt_log "step $name"
	"$@" || vt_die "$name" "command failed (exit $?): $*"
}

# vt_dump_dir SCENARIO HASH: the final (published) directory of a scenario.
vt_dump_dir() { printf '%s/dumps/%s-%s\n' "$VT_CACHE" "$1" "$2"; }

# vt_lock NAME: take an exclusive lock (held until the calling shell exits) so
# that two concurrent runs never build the same cache entry at once.
vt_lock() {
	mkdir -p "$VT_CACHE/locks"
	local fd
	exec {fd}>"$VT_CACHE/locks/$1.lock"
	flock "$fd"
}

# vt_publish TMPDIR FINALDIR: atomically move a finished scenario into place
# and delete older versions (other hashes) of the same scenario.
vt_publish() {
	local tmp=$1 final=$2 base old
	base=$(basename "$final")
	mv -T "$tmp" "$final"
	for old in "${final%-*}"-*; do
		[ "$old" = "$final" ] && continue
		[ -d "$old" ] || continue
		case $(basename "$old") in "${base%-*}"-????????????????) rm -rf -- "$old";; esac
	done
}

# vt_in_root ROOT [--bind DIR]... -- CMD ARGS...: run CMD inside a suite root
# (lib/suite-root.sh) with /proc, /dev and each DIR bind-mounted at the same
# path, in a private mount namespace (nothing stays mounted afterwards).
vt_in_root() {
	local root=$1; shift
	local binds=()
	while [ "$1" != -- ]; do
		[ "$1" = --bind ] || vt_die "vt_in_root" "usage: vt_in_root ROOT [--bind DIR]... -- CMD"
		binds+=("$2"); shift 2
	done
	shift
	unshare --mount --propagation private /bin/bash -c '
		root=$1; shift; n=$1; shift
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		for ((i = 0; i < n; i++)); do
			mkdir -p "$root$1"; mount --rbind "$1" "$root$1"; shift
		done
		exec chroot "$root" "$@"' _ "$root" "${#binds[@]}" "${binds[@]}" "$@"
}

# ---------------------------------------------------------------------------
# Dump conversions of lib/gen.sh's arch_convert hooks, in gen.sh's $tmp.
# ---------------------------------------------------------------------------

# vt_phdrs_first_copy: $tmp/fixed.elf, a sparse copy of $tmp/vmcore.elf with
# the program headers right after the ELF header: makedumpfile (1.7.2 at
# least) cannot read QEMU's ELF as is (QEMU puts section headers there).
vt_phdrs_first_copy() {
	cp --sparse=always "$tmp/vmcore.elf" "$tmp/fixed.elf"
	chmod u+w "$tmp/fixed.elf"
	vt_step "fix ELF header" "$VT_PYTHON" "$VT_TESTDATA_DIR/lib/elf-phdrs-first.py" "$tmp/fixed.elf"
}

# vt_reassemble CMD...: QEMU's kdump-zlib output is makedumpfile's flattened
# format: CMD -R (a makedumpfile) makes $tmp/vmcore.qemu-kdump of it.
vt_reassemble() {
	vt_log "step makedumpfile -R"
	"$@" -R "$tmp/vmcore.qemu-kdump" < "$tmp/vmcore.qemu-kdump.flat" >/dev/null 2>"$tmp/mkd-R.log" \
		|| { tail -5 "$tmp/mkd-R.log" >&2; vt_die "makedumpfile -R" "see messages above"; }
}

# vt_mkd OUT OPTIONS...: one conversion of $VT_MKD_IN into $tmp/OUT by the
# command in the array VT_MKD (the family's makedumpfile); its messages go
# to $tmp/mkd-OUT.log, their tail to stderr on failure.
vt_mkd() {
	local out=$1; shift
	"${VT_MKD[@]}" "$@" "$VT_MKD_IN" "$tmp/$out" >"$tmp/mkd-$out.log" 2>&1 \
		|| { tail -5 "$tmp/mkd-$out.log" >&2; return 1; }
}

# vt_mkd_parallel "OUT OPTIONS..."...: those conversions in parallel; the
# OUTs that failed are left in the array mkd_failed.
vt_mkd_parallel() {
	local spec i pids=() outs=()
	mkd_failed=()
	for spec in "$@"; do
		# shellcheck disable=SC2086  # "OUT OPTIONS..." are words
		vt_mkd $spec & pids+=($!)
		outs+=("$spec")
	done
	for i in "${!pids[@]}"; do wait "${pids[$i]}" || mkd_failed+=("${outs[$i]}"); done
}

# vt_mkd_all "OUT OPTIONS..."...: vt_mkd_parallel; any failure fails its step.
vt_mkd_all() {
	vt_mkd_parallel "$@"
	[ ${#mkd_failed[@]} = 0 ] || vt_die "makedumpfile ${mkd_failed[0]#* }" "see messages above"
}
