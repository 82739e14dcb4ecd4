#!/usr/bin/env python3
"""The synthetic-dump tier: tiny dumps built by tests/mkcore.py from the
specs in tests/synthetic/NAME.spec, vmtriage run on them, and the output
compared with tests/synthetic/NAME.expect. No QEMU, no kernel: seconds.

NAME.expect is JSON: {"cases": [CASE, ...]}, each CASE
  "name"      what it checks (unique in the file)
  "format"    elf | kdump | kdump-zlib: which dump of the spec to run on
  "args"      vmtriage's arguments; "DUMP" stands for the made dump
  "exit"      the expected exit status
  "json"      the expected stdout, parsed (when the command prints JSON)
  "stdout_contains", "stderr_contains"
              lists of substrings (the dump's path reads "DUMP")
  "same_as"   {"case": NAME, "except": [KEY, ...]}: the JSON must equal that
              case's, but for the top-level KEYs (ELF vs kdump answers)
  "xfail"     why vmtriage is known to get this wrong: the case holds the
              right answer; a mismatch is reported as XFAIL, a match as
              XPASS (a failure: drop the xfail)
Expected values come from what the spec built (the spec's comments say
where each address must land), checked by hand before they were saved.

  tests/synthetic.py [NAME...]           run (all specs, or those named)
  tests/synthetic.py --update [NAME...]  rewrite "exit", "json" and the
        *_contains lists from vmtriage's output (not xfail cases): for a
        deliberate change of output only; review the diff before committing.

Dumps are cached in ${VMTRIAGE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/vmtriage}/
synthetic/, keyed by a hash of the spec, the files it names and mkcore.py.
Environment: VMTRIAGE (the binary), top_srcdir (as for the other tests).
"""
import argparse
import difflib
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkcore  # noqa: E402
import vtlib  # noqa: E402
from dumpedit import kdump_layout  # noqa: E402

SPECDIR = os.path.join(vtlib.TOP, "tests", "synthetic")
MKCORE = os.path.join(vtlib.TOP, "tests", "mkcore.py")


def cache_dir():
    base = os.environ.get("VMTRIAGE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vmtriage")
    d = os.path.join(base, "synthetic")
    os.makedirs(d, exist_ok=True)
    return d


def spec_hash(spec_path, fmt):
    h = hashlib.sha256()
    for path in (MKCORE, spec_path):
        with open(path, "rb") as f:
            h.update(f.read())
    with open(spec_path) as f:
        for line in f:
            word, _, rest = line.strip().partition(" ")
            if word == "file":
                with open(os.path.join(os.path.dirname(spec_path), rest.split()[-1]),
                          "rb") as g:
                    h.update(g.read())
    h.update(fmt.encode())
    return h.hexdigest()[:16]


def dump_for(name, fmt):
    """The dump of spec NAME in format fmt, made unless cached."""
    spec = os.path.join(SPECDIR, name + ".spec")
    d = cache_dir()
    prefix = f"{name}-{fmt}-"
    path = os.path.join(d, prefix + spec_hash(spec, fmt) + ".core")
    if not os.path.exists(path):
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".mkcore-")
        os.close(fd)
        try:
            mkcore.make(spec, tmp, fmt)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for old in os.listdir(d):     # older builds of the same spec and format
            rest = old[len(prefix):]
            if old.startswith(prefix) and len(rest) == 21 and rest.endswith(".core") and \
                    old != os.path.basename(path) and "-" not in rest:
                os.unlink(os.path.join(d, old))
    return path


def run_case(case, dump):
    args = [dump if a == "DUMP" else a for a in case["args"]]
    proc = subprocess.run([vtlib.VMTRIAGE, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)
    out = proc.stdout.replace(dump, "DUMP")
    err = proc.stderr.replace(dump, "DUMP")
    try:
        parsed = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        parsed = None
    return {"exit": proc.returncode, "json": parsed, "stdout": out, "stderr": err}


def without(obj, keys):
    return {k: v for k, v in obj.items() if k not in keys} if isinstance(obj, dict) else obj


def pretty(v):
    return json.dumps(v, indent=2).splitlines()


def mismatches(case, got, results):
    """Readable differences between what the case expects and what ran."""
    out = []
    if got["exit"] != case["exit"]:
        out.append(f"exit status {got['exit']}, expected {case['exit']}")
    if "json" in case and got["json"] != case["json"]:
        if got["json"] is None:
            out.append("no JSON on stdout; stdout was:\n" + got["stdout"][:2000])
        else:
            out.append("JSON differs (--- expected, +++ got):\n" + "\n".join(
                difflib.unified_diff(pretty(case["json"]), pretty(got["json"]),
                                     "expected", "got", lineterm="")))
    for stream in ("stdout", "stderr"):
        for s in case.get(stream + "_contains", []):
            if s not in got[stream]:
                out.append(f"{stream} lacks {s!r}; it was:\n{got[stream][:2000]}")
    same = case.get("same_as")
    if same:
        other = results.get(same["case"])
        if other is None:
            out.append(f"same_as: no case {same['case']!r} ran before this one")
        elif without(got["json"], same["except"]) != without(other["json"], same["except"]):
            out.append(f"differs from {same['case']!r} beyond {same['except']}:\n" + "\n".join(
                difflib.unified_diff(pretty(without(other["json"], same["except"])),
                                     pretty(without(got["json"], same["except"])),
                                     same["case"], case["name"], lineterm="")))
    return out


def update(case, got):
    case["exit"] = got["exit"]
    if got["json"] is not None:
        case["json"] = got["json"]
    else:
        case.pop("json", None)
    for stream in ("stdout", "stderr"):
        text = got[stream].strip()
        if got["json"] is None or stream == "stderr":
            if text:
                case[stream + "_contains"] = [text]
            else:
                case.pop(stream + "_contains", None)


def check_layout(checks, name, fmt, dump):
    """The kdump reader of tests/dumpedit.py finds what mkcore wrote: the
    page data starts right after the last page descriptor."""
    with open(dump, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        _, _, _, pd_off, ndumped = kdump_layout(f)
        if pd_off + 24 * ndumped > size:
            return      # a deliberately truncated dump
        f.seek(pd_off)
        first = int.from_bytes(f.read(8), "little")
    checks.equal(first, pd_off + 24 * ndumped,
                 f"{name} ({fmt}): dumpedit.kdump_layout: first page's data offset")


def main():
    ap = argparse.ArgumentParser(description="Run the synthetic-dump tests.")
    ap.add_argument("--update", action="store_true",
                    help="rewrite the .expect files from vmtriage's output (review them!)")
    ap.add_argument("names", nargs="*", help="specs to run (default: all)")
    a = ap.parse_args()
    if not os.access(vtlib.VMTRIAGE, os.X_OK):
        vtlib.skip(f"no vmtriage binary at {vtlib.VMTRIAGE} (set VMTRIAGE)")
    names = a.names or sorted(f[:-7] for f in os.listdir(SPECDIR) if f.endswith(".expect"))
    checks = vtlib.Checks("synthetic")
    xfails = 0
    for name in names:
        expect_path = os.path.join(SPECDIR, name + ".expect")
        with open(expect_path) as f:
            expect = json.load(f)
        results, changed, laid_out = {}, False, set()
        for case in expect["cases"]:
            what = f"{name}: {case['name']} ({case['format']})"
            try:
                dump = dump_for(name, case["format"])
            except mkcore.SpecError as e:
                checks.check(False, f"{what}: mkcore: {e}")
                continue
            if case["format"] != "elf" and case["format"] not in laid_out:
                laid_out.add(case["format"])
                check_layout(checks, name, case["format"], dump)
            got = run_case(case, dump)
            results[case["name"]] = got
            if a.update and "xfail" not in case:
                before = json.dumps(case, sort_keys=True)
                update(case, got)
                changed |= before != json.dumps(case, sort_keys=True)
            diffs = mismatches(case, got, results)
            if "xfail" in case:
                if diffs:
                    xfails += 1
                    print(f"XFAIL: {what}: {case['xfail']}")
                    checks.passed += 1
                else:
                    checks.check(False, f"XPASS: {what}: passes now; drop its xfail")
                continue
            checks.check(not diffs, f"{what}:\n  " + "\n  ".join(
                "\n  ".join(d.splitlines()) for d in diffs))
        if changed:
            with open(expect_path, "w") as f:
                json.dump(expect, f, indent=2)
                f.write("\n")
            print(f"updated {expect_path}: review the diff before committing")
    if xfails:
        print(f"{xfails} expected failure(s): known vmtriage bugs, see the cases' xfail")
    checks.done()


if __name__ == "__main__":
    main()
