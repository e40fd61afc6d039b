#!/usr/bin/env python3
"""Reads guest output folders left by vm/boot.sh: counts KUnit cases and
kselftests, watches each console for kernel complaints, prints the summary.
Exit status 1 on any failure."""
import argparse
import os
import re
import sys

COMPLAINTS = re.compile(
    r"BUG:|WARNING:|KASAN:|UBSAN:|Oops|general protection fault|"
    r"possible circular locking dependency|inconsistent lock state|"
    r"sleeping function called from invalid context|Kernel panic")
TAP = re.compile(r"^(\s*)(not ok|ok) (\d+)\s*-?\s*(.*)$")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "").splitlines()
    except OSError:
        return []


def watch(guest, label):
    """Console lines that mean the kernel complained."""
    bad = [l for l in read(os.path.join(guest, "console.log")) if COMPLAINTS.search(l)]
    for l in bad[:40]:
        print(f"  {label}: console: {l.strip()}")
    return bad


def frames(lines, tag):
    """Yield (name, body lines) of every TAG-BEGIN name ... TAG-END frame."""
    name, body = None, []
    for l in lines:
        if l.startswith(tag + "-BEGIN"):
            name, body = l.split(None, 1)[1] if " " in l else "?", []
        elif l.startswith(tag + "-END") and name is not None:
            yield name, body
            name = None
        elif name is not None:
            body.append(l)
    if name is not None:
        yield name + " (truncated)", body


def count_kunit(body, label, res):
    """Case-level results: the least indented ok/not ok lines under a suite's
    '# Subtest' header (suite result lines are not cases). KUnit's own lines
    saying why a case failed are printed."""
    depth = None
    for i, l in enumerate(body):
        if "FAILED at" in l:
            for d in body[i:i + 4]:
                print(f"  {label}: {d.strip()}")
        m = TAP.match(l)
        if not m or not m.group(1):
            continue
        ind = len(m.group(1))
        if depth is None:
            depth = ind
        if ind != depth:
            continue
        record(res, label, "kunit", m)


def record(res, label, kind, m):
    desc = m.group(4)
    if m.group(2) == "not ok":
        res["failed"].append(f"{label}: {kind}: not ok {m.group(3)} {desc}")
    elif re.search(r"#\s*SKIP", desc, re.I):
        res["skipped"].append(f"{label}: {kind}: {desc}")
    else:
        res["passed"].append(f"{label}: {kind}: {desc}")


def summarize_guest(guest, label, res):
    lines = read(os.path.join(guest, "results.log"))
    if not any(l.startswith("GM-DONE") for l in lines):
        res["failed"].append(f"{label}: guest did not finish (hung, panicked or killed)")
        for l in read(os.path.join(guest, "console.log"))[-25:]:
            print(f"  {label}: console tail: {l}")
    for l in lines:
        if l.startswith("GM-FAIL"):
            res["failed"].append(f"{label}: {l[8:].strip()}")
    nsuites = 0
    for name, body in frames(lines, "KUNIT"):
        nsuites += 1
        count_kunit(body, f"{label} {name}", res)
    for name, body in frames(lines, "KSFT"):
        for l in body:
            m = TAP.match(l)
            if m and not m.group(1):
                record(res, f"{label} {name}", "kselftest", m)
    bad = watch(guest, label)
    if bad:
        res["failed"].append(f"{label}: {len(bad)} kernel complaint line(s) on the console")
    return nsuites


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--watch-only", action="store_true",
                    help="only the console watch and completion check")
    ap.add_argument("--expect-kunit", action="append", default=[],
                    help="label of a guest that must report KUnit suites")
    ap.add_argument("guests", nargs="+", help="LABEL=DIR or DIR")
    a = ap.parse_args()
    res = {"passed": [], "failed": [], "skipped": []}
    for g in a.guests:
        label, _, d = g.rpartition("=")
        label = label or os.path.basename(d.rstrip("/"))
        n = summarize_guest(d, label, res)
        if label in a.expect_kunit and n == 0:
            res["failed"].append(f"{label}: no KUnit suite reported results")
    if a.watch_only:
        for f in res["failed"]:
            print(f"FAIL {f}")
        return 1 if res["failed"] else 0
    for f in res["failed"]:
        print(f"FAIL {f}")
    for s in res["skipped"]:
        print(f"SKIP {s}")
    line = f"{len(res['passed'])} passed, {len(res['failed'])} failed"
    if res["skipped"]:
        line += f", {len(res['skipped'])} skipped"
    print(line)
    return 1 if res["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
