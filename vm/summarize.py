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
    r"sleeping function called from invalid context|Kernel panic|"
    # kmemleak's own errors (a leak it reports is a GM-FAIL line of
    # vm/kmemleak.sh, and what the kmemleak kselftest asks for).
    r"kmemleak: (Found object by alias|Trying to color unknown|Cannot |"
    r"Kernel memory leak detector disabled|.*unknown object|Scan area larger)")
TAP = re.compile(r"^(\s*)(not ok|ok) (\d+)\s*-?\s*(.*)$")
# A KCSAN report runs from its BUG line to a line of '='; each access in it
# opens with "read to 0x... by task N on cpu M:" (or "race at unknown
# origin, with ..."), then its stack, one frame a line.
KCSAN_BUG = re.compile(r"BUG: KCSAN: ")
KCSAN_END = re.compile(r"={20,}")
KCSAN_ACCESS = re.compile(r" to 0x[0-9a-f]+ of \d+ bytes by ")
FRAME = re.compile(r"\]\s+\S+\+0x[0-9a-f]+/0x[0-9a-f]+( \[\w+\])?\s*$")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().replace("\r", "").splitlines()
    except OSError:
        return []


def kernel_only_kcsan(lines):
    """Indexes of the BUG lines of KCSAN reports about the kernel itself:
    in every access, neither the racing function nor its caller (the top
    two frames, so that an out-of-line helper such as _find_next_zero_bit
    called by gomalloc still counts) is in a module. Every module a guest
    loads is gomalloc or one of its tests. Such races are 6.1's own (e.g.
    hrtimer_wakeup against schedule_hrtimeout_range_clock), not ours to
    fix."""
    skip, start, ours, depth = set(), None, False, 0
    for i, l in enumerate(lines):
        if KCSAN_BUG.search(l):
            start, ours, depth = i, False, 0
        elif start is None:
            continue
        elif KCSAN_END.search(l):
            if not ours:
                skip.add(start)
            start = None
        elif KCSAN_ACCESS.search(l):
            depth = 2
        elif depth and FRAME.search(l):
            depth -= 1
            ours = ours or FRAME.search(l).group(1) is not None
    return skip


# A KASAN report a test asked for: between "gomalloc-kasan: expect begin NAME"
# and "... end NAME" (selftests/kunit/kasan_kunit.c), one "BUG: KASAN:" line.
KASAN_EXPECT = re.compile(r"gomalloc-kasan: expect (begin|end) (.*\S)\s*$")
KASAN_REPORT = re.compile(r"BUG: KASAN:")


def complaints(lines):
    """The complaint lines of a console, less one KASAN report line in each
    span from "begin NAME" to the next marker when that is "end NAME". All
    else counts: a second report or a warning in the span, a report outside
    one, a span left open or closed under another name."""
    bad, span, name = [], None, None

    def close(matched):
        excused = not matched
        for l in span:
            if not excused and KASAN_REPORT.search(l):
                excused = True
            else:
                bad.append(l)

    for l in lines:
        m = KASAN_EXPECT.search(l)
        if m:
            if span is not None:
                close(m.group(1) == "end" and m.group(2) == name)
            span, name = ([], m.group(2)) if m.group(1) == "begin" else (None, None)
        elif COMPLAINTS.search(l):
            (bad if span is None else span).append(l)
    if span is not None:
        close(False)
    return bad


def watch(guest, label):
    """Console lines that mean the kernel complained. KCSAN reports about
    the kernel alone are listed, not counted."""
    lines = read(os.path.join(guest, "console.log"))
    skip = kernel_only_kcsan(lines)
    for i in sorted(skip):
        print(f"  {label}: console (the kernel's own race, not counted): {lines[i].strip()}")
    bad = complaints([l for i, l in enumerate(lines) if i not in skip])
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


SUBTEST = re.compile(r"^(\s*)# Subtest: (\S+)")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)\s*$")


def ktap_suites(body):
    """KTAP suites of a KUnit frame as dicts: name, plan (N of '1..N' or
    None), cases (TAP matches at the suite's indentation) and result (the
    suite's own ok/not ok line, or None). A '# Subtest:' header opens a node
    whose plan and cases sit at the header's indentation; a result line less
    indented closes it. Nodes inside a suite (parameterised cases) are not
    suites; their closing line is one case of the suite."""
    suites, stack = [], []
    for l in body:
        m = SUBTEST.match(l)
        if m:
            ind = len(m.group(1))
            while stack and stack[-1]["indent"] >= ind:
                stack.pop()
            node = {"name": m.group(2), "indent": ind, "plan": None,
                    "cases": [], "result": None}
            if not stack:
                suites.append(node)
            stack.append(node)
            continue
        m = PLAN.match(l)
        if m:
            if stack and stack[-1]["indent"] == len(m.group(1)):
                stack[-1]["plan"] = int(m.group(2))
            continue
        m = TAP.match(l)
        if not m:
            continue
        ind = len(m.group(1))
        closed = None
        while stack and stack[-1]["indent"] > ind:
            closed = stack.pop()
        if closed is not None and m.group(4).split()[:1] == [closed["name"]]:
            closed["result"] = m
        if stack and stack[-1]["indent"] == ind:
            stack[-1]["cases"].append(m)
    return suites


def count_kunit(body, label, res):
    """Records every KUnit case; a suite whose plan does not match its cases,
    or without its own result line, fails. KUnit's own lines saying why a
    case failed are printed. Returns the names of the suites seen."""
    for i, l in enumerate(body):
        if "FAILED at" in l:
            for d in body[i:i + 4]:
                print(f"  {label}: {d.strip()}")
    names = []
    for s in ktap_suites(body):
        name = s["name"]
        names.append(name)
        for m in s["cases"]:
            record(res, label, f"kunit: {name}", m)
        ncases = len(s["cases"])
        if s["plan"] is None:
            res["failed"].append(f"{label}: kunit: {name}: no plan line (1..N)")
        elif s["plan"] != ncases:
            res["failed"].append(f"{label}: kunit: {name}: plan 1..{s['plan']} "
                                 f"but {ncases} case result(s)")
        if s["result"] is None:
            res["failed"].append(f"{label}: kunit: {name}: no suite result line "
                                 f"(output cut short?)")
        elif (s["result"].group(2) == "not ok" and s["plan"] == ncases and
              all(m.group(2) == "ok" for m in s["cases"])):
            res["failed"].append(f"{label}: kunit: {name}: suite reported "
                                 f"not ok with no failed case")
    return names


def record(res, label, kind, m):
    desc = m.group(4)
    if m.group(2) == "not ok":
        res["failed"].append(f"{label}: {kind}: not ok {m.group(3)} {desc}")
    elif re.search(r"#\s*SKIP", desc, re.I):
        res["skipped"].append(f"{label}: {kind}: {desc}")
    else:
        res["passed"].append(f"{label}: {kind}: {desc}")


def summarize_guest(guest, label, res):
    """Records a guest's results; returns the names of its KUnit suites."""
    lines = read(os.path.join(guest, "results.log"))
    if not any(l.startswith("GM-DONE") for l in lines):
        why = next((l for l in lines if l.startswith("guest timed out")), "")
        res["failed"].append(f"{label}: guest did not finish (hung, panicked or "
                             f"killed){': ' + why if why else ''}")
        for l in read(os.path.join(guest, "console.log"))[-25:]:
            print(f"  {label}: console tail: {l}")
    for l in lines:
        if l.startswith("GM-FAIL"):
            res["failed"].append(f"{label}: {l[8:].strip()}")
    suites = []
    for name, body in frames(lines, "KUNIT"):
        if name.endswith("(truncated)"):
            res["failed"].append(f"{label}: KUnit output {name} has no KUNIT-END")
        suites += count_kunit(body, f"{label} {name}", res)
    for name, body in frames(lines, "KSFT"):
        plan, n, out = None, 0, []
        for l in body:
            m = PLAN.match(l)
            if m and not m.group(1) and plan is None:
                plan = int(m.group(2))
            m = TAP.match(l)
            if m and not m.group(1):
                n += 1
                record(res, f"{label} {name}", "kselftest", m)
                # A failed test's own last words: why, in CI's summary.
                if m.group(2) == "not ok":
                    test = (m.group(4).split("#")[0].split() or ["?"])[-1]
                    for o in out[-12:]:
                        print(f"  {label}: {test} said: {o.strip()}")
                out = []
            else:
                out.append(l)
        if plan is not None and plan != n:
            res["failed"].append(f"{label} {name}: kselftest plan 1..{plan} but {n} result(s)")
    bad = watch(guest, label)
    if bad:
        res["failed"].append(f"{label}: {len(bad)} kernel complaint line(s) on the "
                             f"console, first: {bad[0].strip()}")
    return suites


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--watch-only", action="store_true",
                    help="only the console watch and completion check")
    ap.add_argument("--expect-kunit", action="append", default=[],
                    help="label of a guest that must report KUnit suites")
    ap.add_argument("--expect-kunit-suites", default="",
                    help="comma-separated KUnit suites each --expect-kunit "
                         "guest must report")
    ap.add_argument("--expect-kunit-extra", action="append", default=[],
                    metavar="LABEL=SUITES",
                    help="comma-separated KUnit suites guest LABEL must also "
                         "report")
    ap.add_argument("--expect-console", action="append", default=[],
                    metavar="LABEL=TEXT",
                    help="text that guest LABEL's console must contain")
    ap.add_argument("guests", nargs="+", help="LABEL=DIR or DIR")
    a = ap.parse_args()
    want = [s for s in a.expect_kunit_suites.split(",") if s]
    res = {"passed": [], "failed": [], "skipped": []}
    for g in a.guests:
        label, _, d = g.rpartition("=")
        label = label or os.path.basename(d.rstrip("/"))
        suites = summarize_guest(d, label, res)
        if label in a.expect_kunit:
            if not suites:
                res["failed"].append(f"{label}: no KUnit suite reported results")
            extra = [s for e in a.expect_kunit_extra
                     if e.partition("=")[0] == label
                     for s in e.partition("=")[2].split(",") if s]
            for s in want + extra:
                if s not in suites:
                    res["failed"].append(f"{label}: kunit: suite {s} did not run")
        for e in a.expect_console:
            elabel, _, text = e.partition("=")
            if elabel == label and not any(
                    text in l for l in read(os.path.join(d, "console.log"))):
                res["failed"].append(f"{label}: console lacks \"{text}\"")
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
