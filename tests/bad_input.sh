#!/bin/bash
# Bad input (issue 2): every case must end with one clear message on stderr
# naming the file, a non-zero exit (2), no crash (signal), no hang (timeout),
# bounded memory (ulimit -v). Inputs are made from a real dump in a temp dir.
set -uo pipefail
top=${top_srcdir:-$(dirname "$0")/..}
vt=${VMTRIAGE:-$top/vmtriage}
pass=0 fail=0
tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/vt-bad.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

d=$("$top/testdata/dumpdir" x86-basic); rc=$?
[ $rc -eq 77 ] && { echo "SKIP: no dumps here"; exit 77; }
[ $rc -ne 0 ] && { echo "FAIL: generating x86-basic"; exit 1; }

# AddressSanitizer maps terabytes of shadow: no address-space limit then.
memlimit=4000000
if [ "$(nm -D "$vt" 2>/dev/null | grep -c __asan_init)" -gt 0 ]; then
	memlimit=unlimited
fi

# expect WHAT WANT_RC PATTERN -- ARGS...: run under a time and memory limit.
expect() {
	local what=$1 want=$2 pattern=$3; shift 4
	local out rc
	out=$( (ulimit -v $memlimit; timeout 60 "$vt" "$@") 2>&1 >/dev/null); rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: $what: exit $rc, want $want (stderr: ${out:0:300})"; fail=$((fail+1)); return
	fi
	if ! grep -qE -- "$pattern" <<<"$out"; then
		echo "FAIL: $what: stderr '${out:0:300}' lacks /$pattern/"; fail=$((fail+1)); return
	fi
	pass=$((pass+1))
}

expect "missing file" 2 "nope: No such file" -- info "$tmp/nope"
: > "$tmp/empty"
expect "empty file" 2 "empty: empty file" -- info "$tmp/empty"
head -c 100000 /dev/urandom > "$tmp/random"
expect "not a dump" 2 "random: not a dump" -- info "$tmp/random"
expect "directory" 2 "is a directory" -- info "$tmp"
expect "usage: no command" 2 "Usage" --
expect "usage: unknown command" 2 "unknown command" -- frobnicate
expect "usage: bad option" 2 "unknown option" -- info --bogus "$d/vmcore.elf"
expect "usage: missing VMCORE" 2 "missing VMCORE" -- rd
# The running kernel (no VMCORE): a machine without /proc/kcore, and a
# kcore that is not an ELF core (real_live.py runs the rest in guests).
VMTRIAGE_KCORE=$tmp/no-kcore expect "live: no /proc/kcore" 2 "no-kcore: no such file: this kernel has no /proc/kcore \(CONFIG_PROC_KCORE=n\)" -- report
VMTRIAGE_KCORE=$tmp/random expect "live: kcore not ELF" 2 "not a 64-bit ELF core" -- preflight

# Truncated dumps whose headers are cut (ELF program headers, a flattened
# stream mid-record): refused.
for spec in vmcore.elf:4096 vmcore.qemu-kdump.flat:20000000; do
	f=${spec%%:*} n=${spec##*:}
	head -c "$n" "$d/$f" > "$tmp/trunc-$n-$f"
	expect "truncated $f at $n" 2 "trunc-$n-$f: .*(truncated|not a dump)" -- info "$tmp/trunc-$n-$f"
done
# Cut in the page descriptors or page data (a full disk): read, with a
# warning naming what is missing (tests/real_cut.py checks the ranges).
for spec in vmcore.elf:20000000 vmcore.kdump-zlib:1000000 vmcore.kdump-zlib:30000000; do
	f=${spec%%:*} n=${spec##*:}
	head -c "$n" "$d/$f" > "$tmp/trunc-$n-$f"
	out=$( (ulimit -v $memlimit; timeout 60 "$vt" info "$tmp/trunc-$n-$f") 2>/dev/null); rc=$?
	if [ $rc -eq 0 ] && grep -q "warning: the dump file is cut short ($n of" <<<"$out"; then
		pass=$((pass+1))
	else
		echo "FAIL: cut $f at $n: exit $rc, want 0 and the cut-short warning"; fail=$((fail+1))
	fi
done

# A vmlinux that is not a kernel, and one that does not match the dump.
expect "vmlinux not a kernel" 2 "ls.*(not a Linux kernel|no linux_banner|not a kernel)" -- info "$d/vmcore.kdump-d31" /bin/ls

# A vmlinux of another kernel (and another arch): refused, naming both.
p=$("$top/testdata/dumpdir" ppc-hotplug) || { echo "FAIL: generating ppc-hotplug"; exit 1; }
expect "ppc64 vmlinux for an x86_64 dump" 2 "powerpc64le.*but the dump .* is kernel 6.1.0-[0-9]+-cloud-amd64" -- info "$d/vmcore.kdump-d31" "$p/vmlinux"
expect "x86_64 vmlinux for a ppc64 dump" 2 "cloud-amd64.*but the dump .* is kernel .*powerpc64le" -- sym "$p/vmcore.kdump-d31" "$d/vmlinux" jiffies
expect "--force uses a mismatched vmlinux anyway" 0 "" -- info --force "$d/vmcore.kdump-d31" "$p/vmlinux"

# Corrupt VMCOREINFO: no KEY=VALUE line left, then a garbage symbol value.
cp "$d/vmcore.kdump-d31" "$tmp/vi-zero"
off=$(grep -abo 'OSRELEASE=' "$tmp/vi-zero" | head -1 | cut -d: -f1)
python3 - "$tmp/vi-zero" "$off" <<'PY'
import sys
p, off = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(off); data = f.read(4096)
    end = data.find(b"\0")
    f.seek(off); f.write(b"#" * (end if end > 0 else 4096))
PY
expect "VMCOREINFO without entries" 2 "vi-zero: VMCOREINFO" -- info "$tmp/vi-zero"
cp "$d/vmcore.kdump-d31" "$tmp/vi-sym"
off=$(grep -abo 'SYMBOL(init_top_pgt)=' "$tmp/vi-sym" | head -1 | cut -d: -f1)
printf 'SYMBOL(init_top_pgt)=zzzzzzzzzzzzzzzz' | dd of="$tmp/vi-sym" bs=1 seek="$off" conv=notrunc status=none
expect "garbage SYMBOL(init_top_pgt)" 2 "init_top_pgt.*not hex" -- rd "$tmp/vi-sym" 0xffffffff81000000

# Garbage page tables: the kernel PGD page rewritten with entries pointing
# beyond memory and back at itself, in a sparse copy of the ELF dump.
cp --sparse=always "$d/vmcore.elf" "$tmp/pgt.elf"
python3 - "$tmp/pgt.elf" "$d/truth.json" <<'PY'
import json, struct, sys
p = sys.argv[1]
with open(p, "r+b") as f:
    hdr = f.read(64)
    phoff, = struct.unpack_from("<Q", hdr, 32)
    phnum, = struct.unpack_from("<H", hdr, 56)
    f.seek(phoff)
    phdrs = [struct.unpack("<IIQQQQQQ", f.read(56)) for _ in range(phnum)]
    raw = f.read(0)
    # init_top_pgt's physical address from VMCOREINFO in the notes
    f.seek(0); blob = f.read(1 << 20)
    i = blob.find(b"SYMBOL(init_top_pgt)=")
    va = int(blob[i:blob.find(b"\n", i)].split(b"=")[1], 16)
    pa = va - 0xffffffff80000000     # nokaslr dump: phys_base 0
    for typ, flags, off, vaddr, paddr, filesz, memsz, align in phdrs:
        if typ == 1 and paddr <= pa < paddr + filesz:
            f.seek(off + pa - paddr)
            ents = [(1 << 45) | 0x63, (pa | 0x63)] * 256   # beyond memory / itself
            f.write(struct.pack("<512Q", *ents))
            break
PY
expect "garbage PGD: direct-map read" 2 "(no data|not mapped|beyond)" -- rd "$tmp/pgt.elf" 0xffff888000001000
expect "garbage PGD: kernel text read" 2 "(no data|not mapped|beyond)" -- rd "$tmp/pgt.elf" 0xffffffff81000000
out=$( (ulimit -v $memlimit; timeout 60 "$vt" info "$tmp/pgt.elf") 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "kallsyms   no" <<<"$out"; then pass=$((pass+1)); else
	echo "FAIL: garbage PGD: info should still describe the dump and say kallsyms failed (rc $rc)"; fail=$((fail+1)); fi

# A kernel newer than any tested: the same dump with its VMCOREINFO release
# (and the kdump header's) rewritten to 9.9: opens, works, warns once.
cp "$d/vmcore.kdump-d31" "$tmp/newer.kdump"; chmod u+w "$tmp/newer.kdump"
rel=$(strings "$d/vmcore.kdump-d31" | sed -n 's/^OSRELEASE=//p' | head -1)
/usr/bin/python3 - "$tmp/newer.kdump" "$rel" <<'PY'
import sys
path, rel = sys.argv[1], sys.argv[2].encode()
new = b"9.9" + rel[rel.index(b".", rel.index(b".") + 1):]
new = new.ljust(len(rel), b"x")[:len(rel)]
data = bytearray(open(path, "rb").read(8 << 20))
n = data.count(rel)
data = data.replace(rel, new)
with open(path, "r+b") as f:
    f.write(data)
print(n, file=sys.stderr)
PY
out=$( (ulimit -v $memlimit; timeout 60 "$vt" info "$tmp/newer.kdump") 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c "is newer than any tested on x86_64" <<<"$out")" = 1 ]; then
	pass=$((pass+1)); else
	echo "FAIL: newer kernel: exit $rc, want 0 and one warning (stderr: ${out:0:300})"; fail=$((fail+1)); fi

# Under --json an error is also one JSON object on stdout (docs/report-schema.md,
# "Errors"): {"error": {"file", "message", "code"}}, the same exit status, the
# same message on stderr.
# json_error WHAT FILE CODE PATTERN -- ARGS...
json_error() {
	local what=$1 file=$2 code=$3 pattern=$4; shift 5
	local out rc
	out=$( (ulimit -v $memlimit; timeout 60 "$vt" "$@") 2>"$tmp/stderr"); rc=$?
	if [ $rc -ne 2 ]; then
		echo "FAIL: json error: $what: exit $rc, want 2"; fail=$((fail+1)); return
	fi
	if ! grep -qE -- "$pattern" "$tmp/stderr"; then
		echo "FAIL: json error: $what: stderr '$(head -c 300 "$tmp/stderr")' lacks /$pattern/"
		fail=$((fail+1)); return
	fi
	if ! python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$out"; then
		echo "FAIL: json error: $what: stdout is not JSON: ${out:0:300}"; fail=$((fail+1)); return
	fi
	if ! python3 -c '
import json, re, sys
e = json.load(sys.stdin)["error"]
file, code, pattern = sys.argv[1:]
ok = (sorted(e) == ["code", "file", "message"] and e["file"] == file and
      e["code"] == code and re.search(pattern, e["message"]))
sys.exit(0 if ok else 1)' "$file" "$code" "$pattern" <<<"$out"
	then
		echo "FAIL: json error: $what: wrong error object: ${out:0:300}"; fail=$((fail+1)); return
	fi
	pass=$((pass+1))
}
json_error "missing file" "$tmp/nope" io "No such file" -- info --json "$tmp/nope"
json_error "not a dump" "$tmp/random" format "not a dump" -- report --json "$tmp/random"
json_error "unexpected argument" "$d/vmcore.elf" usage "unexpected argument 'extra'" \
	-- log --json "$d/vmcore.elf" extra
json_error "unknown plugin" "$d/vmcore.elf" usage "no plugin 'nope'" \
	-- report --json --plugin nope "$d/vmcore.elf"
json_error "a model fails: no such type" "$d/vmcore.kdump-d31" not-found "nosuchtype" \
	-- type --json "$d/vmcore.kdump-d31" nosuchtype
json_error "a model fails: no such pfn" "$d/vmcore.kdump-d31" usage "not a number" \
	-- memmap --json "$d/vmcore.kdump-d31" --pfn zz
# Before the dump is known (bad option, no VMCORE) there is no file: text only.
out=$("$vt" info --json --bogus "$d/vmcore.elf" 2>/dev/null); rc=$?
if [ $rc -eq 2 ] && [ -z "$out" ]; then pass=$((pass+1)); else
	echo "FAIL: a bad option under --json: exit $rc, stdout '${out:0:200}'"; fail=$((fail+1)); fi

# Every command's --help is made from its option table: each option of the
# usage line has its help line and each help line's option is on the usage
# line (the common ones but --json are listed under "Common options" only);
# an unknown option is exit 2.
cmds=$("$vt" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "FAIL: no commands in vmtriage --help"; fail=$((fail+1)); }
for cmd in $cmds; do
	help=$("$vt" "$cmd" --help); rc=$?
	if ! python3 -c '
import re, sys
cmd, rc = sys.argv[1], int(sys.argv[2])
text = sys.stdin.read()
usage = text.splitlines()[0]
own, common = text.split("\nCommon options:\n")
lines = lambda t: set(re.findall(r"^  (?:-[a-z], )?--([a-z-]+)", t, re.M))
in_usage = set(re.findall(r"--([a-z-]+)", usage)) - {"json"}
listed = lines(own)
ok = rc == 0 and usage.startswith(f"Usage: vmtriage {cmd} ") and in_usage == listed \
    and "help" in lines(common) and ("json" in lines(common)) == ("--json" in usage)
if not ok:
    print(f"usage options {sorted(in_usage)}, help lines {sorted(listed)}, rc {rc}")
sys.exit(0 if ok else 1)' "$cmd" "$rc" <<<"$help"
	then
		echo "FAIL: $cmd --help: the usage line and the option lines disagree"; fail=$((fail+1))
	else
		pass=$((pass+1))
	fi
	expect "usage: $cmd --bogus" 2 "unknown option '--bogus'" -- "$cmd" --bogus "$d/vmcore.elf"
done
for opt in --sections --ranges "--pfn N"; do
	if "$vt" memmap --help | grep -q -- "^  $opt "; then pass=$((pass+1)); else
		echo "FAIL: memmap --help lacks its option $opt"; fail=$((fail+1)); fi
done

echo "bad_input: $pass passed, $fail failed"
[ $fail -eq 0 ]
