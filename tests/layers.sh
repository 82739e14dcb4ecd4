#!/bin/bash
# The layer rules (docs/ARCHITECTURE.md): tools/layers.py check on fixture
# trees (each rule caught, a clean tree passes), docs/architecture.svg as
# tools/layers.py svg draws it now, and the check over this source tree.
set -uo pipefail
top=${top_srcdir:-$(dirname "$0")/..}
py=${PYTHON:-python3}
layers="$top/tools/layers.py"
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vt-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { echo "PASS: $1"; pass=$((pass+1)); }
bad() { echo "FAIL: $1"; fail=$((fail+1)); }

# put TREE PATH LINE...: write analyzer/PATH in fixture TREE, one arg a line.
put() {
	local tree=$1 path=$2; shift 2
	mkdir -p "$(dirname "$tmp/$tree/analyzer/$path")"
	printf '%s\n' "$@" >"$tmp/$tree/analyzer/$path"
}

# A clean tree: includes only point down, VT_ARCH_ only in arch/ (and in
# comments and strings elsewhere), an 800-line file, a plugin on models.
clean() {
	local tree=$1
	put "$tree" core/error.h '#ifndef E' '#define E' '#endif'
	put "$tree" arch/arch.h '#include "core/error.h"' 'enum vt_arch { VT_ARCH_X86_64 };'
	put "$tree" arch/x86_64.c '#include "arch/arch.h"' 'int a = VT_ARCH_X86_64;'
	put "$tree" target/target.h '#include "arch/arch.h"'
	put "$tree" models/mm.h '#include "target/target.h"' '#include <stdio.h>' '#include "config.h"'
	put "$tree" models/mm.c '#include "models/mm.h"' '/* not VT_ARCH_PPC64 here */' \
		'// nor VT_ARCH_ARM64' 'const char *s = "VT_ARCH_X86_64";'
	put "$tree" plugins/p.c '#include "models/mm.h"' '#include "core/error.h"'
	put "$tree" cli/main.c '#include "plugins/p.h"' '#include "models/mm.h"'
	seq 800 | sed 's/^/\/\/ /' >"$tmp/$tree/analyzer/models/long.c"
}

# expect NAME WANT_RC WANT_OUTPUT TREE: the check's exit status and its exact output.
expect() {
	local name=$1 want_rc=$2 want=$3 tree=$4 out rc
	out=$("$py" "$layers" --root "$tmp/$tree" check 2>&1); rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		bad "$name: exit $rc, want $want_rc; output: $out"
	elif [ "$out" != "$want" ]; then
		bad "$name: output"$'\n'"$out"$'\n'"want"$'\n'"$want"
	else
		ok "$name"
	fi
}

clean clean
expect "clean tree passes" 0 "" clean

clean up
put up core/error.h '#ifndef E' '#include "models/mm.h"'
expect "upward include caught" 1 \
	"analyzer/core/error.h:2: upward-include: core includes models/mm.h, which is above it" up

clean unknown
put unknown models/mm.c '#include "util/list.h"'
put unknown extra/x.c '#include "core/error.h"'
expect "unknown layers caught" 1 \
	"analyzer/extra/x.c:1: unknown-layer: extra is not a layer (LAYERS in tools/layers.py)
analyzer/models/mm.c:1: unknown-layer: includes util/list.h: util is not a layer" unknown

clean long
seq 801 >"$tmp/long/analyzer/models/long.c"
expect "long file caught" 1 \
	"analyzer/models/long.c:801: file-length: 801 lines, over 800" long

clean archname
put archname cli/main.c '#include "models/mm.h"' 'int x;' \
	'if (a == VT_ARCH_PPC64 || b == VT_ARCH_ARM64) /* VT_ARCH_X86_64 */'
expect "VT_ARCH_ outside arch/ caught" 1 \
	"analyzer/cli/main.c:3: arch-name: VT_ARCH_ARM64, VT_ARCH_PPC64 outside analyzer/arch/" archname

clean plugin
put plugin plugins/plugin.h '#include "models/mm.h"' '#include "target/target.h"'
put plugin plugins/p.c '#include "plugins/plugin.h"' '#include "arch/arch.h"'
expect "plugin including target/ or arch/ caught" 1 \
	"analyzer/plugins/p.c:2: plugin-include: includes arch/arch.h; plugins read only models
analyzer/plugins/plugin.h:2: plugin-include: includes target/target.h; plugins read only models" plugin

clean plugincall
put plugincall plugins/p.c '#include "models/mm.h"' '/* vt_target_info is fine here */' \
	'int n = vt_target_info(t)->ncpus;'
expect "plugin calling the target caught" 1 \
	"analyzer/plugins/p.c:3: plugin-call: vt_target_info: plugins read the dump only through models" plugincall

# The picture of a fixture: well-formed XML naming every layer, the
# upward edge red; dot names the same edge.
if "$py" "$layers" --root "$tmp/up" svg "$tmp/up.svg" &&
   "$py" -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$tmp/up.svg" &&
   grep -q '>batch/<' "$tmp/up.svg" && grep -q '>core/<' "$tmp/up.svg" &&
   grep -q 'stroke="#d01010".*<title>core &#8594; models: 1 #include line</title>' "$tmp/up.svg"; then
	ok "svg of a fixture"
else
	bad "svg of a fixture"
fi
if "$py" "$layers" --root "$tmp/up" dot | grep -q '"core" -> "models" \[label="1", color="#d01010"'; then
	ok "dot of a fixture"
else
	bad "dot of a fixture"
fi

# The committed picture is the one the tree draws now.
if "$py" "$layers" --root "$top" svg "$tmp/architecture.svg" &&
   cmp -s "$tmp/architecture.svg" "$top/docs/architecture.svg"; then
	ok "docs/architecture.svg is current"
else
	bad "docs/architecture.svg is stale: run tools/layers.py svg docs/architecture.svg and commit it"
fi

# The rules over this tree.
if out=$("$py" "$layers" --root "$top" check 2>&1); then
	ok "layer rules hold in analyzer/"
else
	bad "layer rules broken in analyzer/ ($(grep -c . <<<"$out") violations):"$'\n'"$out"
fi

echo "layers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
