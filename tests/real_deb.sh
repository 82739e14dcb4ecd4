#!/bin/bash
# The Debian packages (issue 18 item 1), built, checked and used as a user
# gets them:
#   1. dpkg-buildpackage -us -uc -b on a copy of the tree (its dh_auto_test
#      runs `make check-unit`);
#   2. lintian on the result: no error, and no warning but those explained
#      in debian/*lintian-overrides;
#   3. a fresh Debian 12 root (mmdebstrap, cached by its package list) gets
#      the .debs with dpkg -i, and there:
#      - the README demo (`vmtriage report` on x86-b-latent's makedumpfile
#        -d 31 dump) prints what the tree's build prints, exit 1;
#      - `man vmtriage` renders, with every command;
#      - the bash completion completes commands, options and --plugin names;
#      - crash finds the extension by name (`extend vmtriage.so`) and runs
#        its `triage` (vmtriage report) in its session;
#      - the autopkgtest's command (debian/tests/control) passes against
#        the installed binary;
#   5. the same source in fresh Debian 12 and 13 roots with only its
#      Build-Depends: dpkg-buildpackage there, and its packages run the
#      README demo there.
# Needs root (chroot, bind mounts) and the Debian archive; exit 77 otherwise.
set -euo pipefail
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd)
. "$top/testdata/lib/common.sh"
[ "$(id -u)" = 0 ] || { echo "real_deb: needs root (chroot, bind mounts)"; exit 77; }
for t in dpkg-buildpackage lintian mmdebstrap; do
	command -v "$t" >/dev/null || { echo "real_deb: no $t (testdata/install-deps.sh)"; exit 77; }
done
fails=0 passes=0
ok() { echo "ok:   $*"; passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { # DESCRIPTION COMMAND...: passes when the command does
	local what=$1; shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

# Nothing of the caller's environment: under `make check` MAKEFLAGS carries
# TEST_LOGS and the tests' variables (top_srcdir, VMTRIAGE) name this tree.
clean=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME" LANG=C.UTF-8
	VMTRIAGE_CACHE="$VT_CACHE")
tmp=$(mktemp -d /var/tmp/vt-deb.XXXXXX)
mounts=()
cleanup() {
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[i]}" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# 1. build
mkdir "$tmp/src"
(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^testdata/' | tar --null -T - -cf -) |
	tar -xf - -C "$tmp/src"
vt_log "real_deb: dpkg-buildpackage"
if ! (cd "$tmp/src" && "${clean[@]}" DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log"
	bad "dpkg-buildpackage -us -uc -b"
	exit 1
fi
ok "dpkg-buildpackage -us -uc -b"
debs=("$tmp"/vmtriage_*.deb "$tmp"/crash-vmtriage_*.deb)
check "both binary packages built" test -f "${debs[0]}" -a -f "${debs[1]}"
check "dh_auto_test ran make check-unit" grep -q "make.*check-unit" "$tmp/build.log"

# 2. lintian
lintian --fail-on error,warning --display-info --no-tag-display-limit "$tmp"/*.changes >"$tmp/lintian.log" 2>&1 &&
	ok "lintian: no error or unexplained warning" ||
	{ cat "$tmp/lintian.log"; bad "lintian: no error or unexplained warning"; }

# 3. a fresh Debian 12 root with the packages' dependencies
deps=$(for d in "${debs[@]}"; do dpkg-deb -f "$d" Depends; done | tr ',|' '\n\n' |
	sed 's/(.*)//; s/ //g' | grep -v '^\(vmtriage\|crash-vmtriage\)$' | grep . | sort -u | paste -sd, -)
inc="$deps,man-db,bash,python3"
key=$( (echo "$inc"; sed -n '/^# 3\./,/^# 4\./p' "$0") | sha256sum | cut -c1-16)
roots=$VT_CACHE/debroot
tarball=$roots/bookworm-$key.tar
if [ ! -f "$tarball" ]; then
	mkdir -p "$roots"
	vt_log "real_deb: mmdebstrap bookworm ($inc)"
	mmdebstrap --quiet --variant=apt --format=tar --include="$inc" bookworm "$tarball.tmp" \
		"${VT_DEBIAN_MIRROR:-http://deb.debian.org}/debian" >"$tmp/mmdebstrap.log" 2>&1 ||
		{ tail -20 "$tmp/mmdebstrap.log"; bad "mmdebstrap bookworm"; exit 1; }
	rm -rf "$roots"/bookworm-*.tar
	mv "$tarball.tmp" "$tarball"
fi
# 4. install and use
root=$tmp/root
mkdir "$root"
tar -xf "$tarball" -C "$root"
cp "${debs[@]}" "$root/tmp/"
check "dpkg -i of both packages in a fresh bookworm root" \
	"${clean[@]}" chroot "$root" dpkg -i /tmp/"${debs[0]##*/}" /tmp/"${debs[1]##*/}"

# the dump cache, read-only, where the tree has it (the dumps' vmlinux links are relative)
dump=$("$top/testdata/dumpdir" x86-b-latent)
mkdir -p "$root$VT_CACHE"
mount --bind "$VT_CACHE" "$root$VT_CACHE" && mounts+=("$root$VT_CACHE")
mount -o remount,bind,ro "$root$VT_CACHE"
mount -t proc proc "$root/proc" && mounts+=("$root/proc")

rc=0
"${clean[@]}" chroot "$root" vmtriage report "$dump/vmcore.kdump-d31" >"$tmp/demo.out" 2>"$tmp/demo.err" || rc=$?
want_rc=0
"${VMTRIAGE:-$top/vmtriage}" report "$dump/vmcore.kdump-d31" >"$tmp/tree.out" 2>/dev/null || want_rc=$?
check "the README demo exits 1 (a finding), as the tree's build does ($rc, $want_rc)" \
	test "$rc" = 1 -a "$want_rc" = 1
check "the README demo prints what the tree's build prints" cmp -s "$tmp/demo.out" "$tmp/tree.out"
check "the README demo names pgd-desync latent" grep -Eq "^pgd-desync +B +latent" "$tmp/demo.out"

"${clean[@]}" MANWIDTH=100 chroot "$root" man -P cat vmtriage >"$tmp/man.out" 2>"$tmp/man.err" || true
check "man vmtriage renders" grep -q "post-mortem triage of Linux crash dumps" "$tmp/man.out"
for cmd in $("${VMTRIAGE:-$top/vmtriage}" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	grep -Eq "^ {0,8}$cmd\$" "$tmp/man.out" || bad "man vmtriage has a section for $cmd"
done
ok "man vmtriage: a section per command of --help"

complete_words() { # WORDS...: what the installed completion offers for the last word
	"${clean[@]}" chroot "$root" bash -c 'source /usr/share/bash-completion/completions/vmtriage
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vmtriage; echo "${COMPREPLY[*]}"' _ "$@"
}
check "completion: commands" test "$(complete_words vmtriage rep)" = report
check "completion: a command's options" test "$(complete_words vmtriage report --pl)" = --plugin
check "completion: --plugin names" test "$(complete_words vmtriage report --plugin pgd)" = pgd-desync

printf 'extend vmtriage.so\ntriage\nquit\n' >"$root/tmp/crash.cmds"
"${clean[@]}" chroot "$root" crash -s "$dump/vmlinux" "$dump/vmcore.kdump-d31" -i /tmp/crash.cmds \
	>"$tmp/crash.out" 2>&1 || true
check "crash finds the extension by name (extend vmtriage.so)" grep -q "vmtriage.so: shared object loaded" "$tmp/crash.out"
check "triage inside crash names pgd-desync latent" grep -Eq "pgd-desync +B +latent" "$tmp/crash.out"

# the autopkgtest's command, against the installed binary, in the root
mkdir -p "$root/src"
cp -a "$tmp/src/tests" "$root/src/"
cmd=$(sed -n 's/^Test-Command: //p' "$top/debian/tests/control")
if "${clean[@]}" AUTOPKGTEST_TMP=/tmp chroot "$root" bash -c "cd /src && $cmd" >"$tmp/autopkgtest.log" 2>&1; then
	ok "the autopkgtest passes in the root: $cmd"
else
	tail -20 "$tmp/autopkgtest.log"
	bad "the autopkgtest passes in the root: $cmd"
fi

# 5. the same source builds in fresh Debian 12 and 13 roots holding only
# build-essential and the Build-Depends (cached like the one above; the
# host's build above has whatever else is installed here): dpkg-buildpackage
# there, and its packages installed there run the README demo
bdeps=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top/debian/control" | sed '1s/^Build-Depends://; $d' |
	tr ',' '\n' | sed 's/\[.*\]//; s/<.*>//; s/(.*)//; s/ //g' | grep . |
	sed 's/^debhelper-compat$/debhelper/' | sort -u | paste -sd, -)
binc="build-essential,$bdeps"
build_in_root() { # SUITE NAME
	local suite=$1 name=$2 key tarball r rc=0 built
	key=$( (echo "$binc"; sed -n '/^# 5\./,$p' "$0") | sha256sum | cut -c1-16)
	tarball=$roots/$suite-build-$key.tar
	if [ ! -f "$tarball" ]; then
		vt_log "real_deb: mmdebstrap $suite ($binc)"
		mmdebstrap --quiet --variant=apt --format=tar --include="$binc" "$suite" "$tarball.tmp" \
			"${VT_DEBIAN_MIRROR:-http://deb.debian.org}/debian" >"$tmp/mmdebstrap-$suite.log" 2>&1 ||
			{ tail -20 "$tmp/mmdebstrap-$suite.log"; bad "mmdebstrap $suite"; return; }
		rm -rf "$roots/$suite"-build-*.tar
		mv "$tarball.tmp" "$tarball"
	fi
	r=$tmp/$suite
	mkdir -p "$r/build/src"
	tar -xf "$tarball" -C "$r"
	(cd "$top" && git ls-files -co --exclude-standard -z | grep -zv '^testdata/' |
		tar --null -T - -cf -) | tar -xf - -C "$r/build/src"
	vt_log "real_deb: dpkg-buildpackage in a fresh $suite root"
	if ! "${clean[@]}" DEB_BUILD_OPTIONS=parallel=2 chroot "$r" \
		bash -c 'cd /build/src && dpkg-buildpackage -us -uc -b' >"$tmp/build-$suite.log" 2>&1; then
		tail -40 "$tmp/build-$suite.log"
		bad "dpkg-buildpackage -us -uc -b in a fresh $name root"
		return
	fi
	ok "dpkg-buildpackage -us -uc -b in a fresh $name root"
	built=("$r"/build/vmtriage_*.deb "$r"/build/crash-vmtriage_*.deb)
	cp "${built[@]}" "$r/tmp/"
	mkdir -p "$r$VT_CACHE"
	mount --bind "$VT_CACHE" "$r$VT_CACHE" && mounts+=("$r$VT_CACHE")
	mount -o remount,bind,ro "$r$VT_CACHE"
	if ! "${clean[@]}" chroot "$r" dpkg -i /tmp/"${built[0]##*/}" /tmp/"${built[1]##*/}" \
		>"$tmp/install-$suite.log" 2>&1; then
		tail -20 "$tmp/install-$suite.log"
		bad "dpkg -i of the $name-built packages in that root"
		return
	fi
	"${clean[@]}" chroot "$r" vmtriage report "$dump/vmcore.kdump-d31" >"$tmp/demo-$suite.out" \
		2>/dev/null || rc=$?
	check "$name's build: the README demo prints what the tree's build prints" \
		cmp -s "$tmp/demo-$suite.out" "$tmp/tree.out"
	check "$name's build: the README demo exits 1" test "$rc" = 1
}
build_in_root bookworm "Debian 12"
build_in_root trixie "Debian 13"

echo "real_deb: $passes passed, $fails failed"
[ "$fails" = 0 ]
