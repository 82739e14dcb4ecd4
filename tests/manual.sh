#!/bin/bash
# vmtriage(1) and the bash completion (issue 18 item 2), as the build made
# them from the command tables: the page renders without a groff warning;
# every command of --help has its section, and every option its --help
# lists is in that section; the completion, sourced in bash, completes
# commands, each command's options, --plugin names and files.
set -euo pipefail
vt=${VMTRIAGE:-./vmtriage}
b=${top_builddir:-.}
man=${VMTRIAGE_MAN:-$b/vmtriage.1}
comp=${VMTRIAGE_COMPLETION:-$b/completion/vmtriage}
fails=0 passes=0
ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
command -v groff >/dev/null || { echo "manual: no groff (groff-base)"; exit 77; }

warn=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || true
[ -z "$warn" ] && ok || bad "groff -ww: $warn"
text=$(groff -man -Tutf8 -P-cbou "$man" 2>/dev/null)
own_options() {
	"$vt" "$1" --help | sed '/^Common options:/,$d' | grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' |
		grep -oE -- '--[a-z0-9-]+'
}
common=$(awk '/^COMMON OPTIONS/ {on=1; next} on && /^[A-Z]/ {exit} on' <<<"$text")
for o in --json --force --no-btf --help; do
	grep -q -- "$o" <<<"$common" && ok || bad "COMMON OPTIONS: no $o"
done
cmds=$("$vt" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 10 ] && ok || bad "--help lists the commands: $cmds"
for c in $cmds; do
	# the section: from its heading to the next command's
	sec=$(awk -v c="$c" '$0 ~ "^   "c"$" {on=1; next} on && /^   [a-z]+$/ {exit} on' <<<"$text")
	[ -n "$sec" ] && ok || { bad "no section for $c"; continue; }
	# its own options (--help lists the common ones after "Common options:")
	for o in $(own_options "$c"); do
		grep -q -- "$o" <<<"$sec" && ok || bad "$c: $o (in --help) not in its man section"
	done
	summary=$("$vt" "$c" --help | sed -n 3p)
	flat=$(tr -s ' \n' '  ' <<<"$sec")
	[[ $flat == *"$summary"* ]] && ok ||
		bad "$c: its summary line is not in its section"
done

complete_words() {
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vmtriage
		echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}
[ "$(complete_words vmtriage rep)" = report ] && ok || bad "completion of 'rep'"
[ "$(complete_words vmtriage pl)" = plugins ] && ok || bad "completion of 'pl'"
for c in $cmds; do
	got=" $(complete_words vmtriage "$c" --) "
	for o in $("$vt" "$c" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
		[[ $got == *" $o "* ]] && ok || bad "completion of $c --: no $o"
	done
done
[ "$(complete_words vmtriage report --plugin stale)" = stale-lmb ] && ok || bad "completion of --plugin stale"
d=$(mktemp -d); touch "$d/vmcore.one" "$d/vmcore.two"
[ "$(complete_words vmtriage report "$d/vmcore.o")" = "$d/vmcore.one" ] && ok || bad "completion of a dump file"
[ "$(complete_words vmtriage report --svg "$d/vmcore.t")" = "$d/vmcore.two" ] && ok || bad "completion of --svg FILE"
rm -rf "$d"
echo "manual: $passes passed, $fails failed"
[ "$fails" = 0 ]
