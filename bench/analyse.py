#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the bench guests' logs into results.csv, ratios.csv and results.md.

usage: analyse.py OUTDIR LABEL=RAWDIR [LABEL=RAWDIR ...]

RAWDIR holds results.log (the guest's GMB lines) and counts.log (the gmcount
plugin's GMC lines). The k-th window the module reports on CPU c pairs with
the k-th END line the plugin printed for vCPU c; the module's per-CPU
sequence numbers (restarting at every load) are checked against that.
A window the module reports with intr=K > 0 (bulk workloads: interrupts
landed in it) is paired, then left out; the module repeats it.
"""
import csv
import os
import re
import statistics
import sys
from collections import defaultdict

PAGE = 4096
KV = re.compile(r"(\w+)=(\S+)")

COUNTERS = ("insns", "mem", "atomic", "ucx", "irq", "rep", "repst", "repmem")


def fields(line):
    return dict(KV.findall(line))


def die(msg):
    sys.stderr.write("analyse.py: error: %s\n" % msg)
    sys.exit(1)


def load_raw(rawdir):
    """Return (windows, memory lines, info) of one boot."""
    counts = defaultdict(list)
    with open(os.path.join(rawdir, "counts.log")) as f:
        for line in f:
            if line.startswith("GMC vcpu="):
                d = fields(line)
                counts[int(d["vcpu"])].append(d)
            elif line.startswith("GMC-WARN"):
                sys.stderr.write("analyse.py: plugin: %s" % line)
    windows, memlines = [], []
    info = {"errors": [], "loads": 0, "done": 0, "irq_windows": 0}
    offset = defaultdict(int)   # windows consumed per CPU by earlier loads
    in_load = defaultdict(int)  # windows seen per CPU in the current load

    def close_load():
        for c, k in in_load.items():
            offset[c] += k
        in_load.clear()

    with open(os.path.join(rawdir, "results.log")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("GMB-LOAD"):
                close_load()
                info["loads"] += 1
            elif line.startswith("GMB P "):
                d = fields(line)
                c, seq = int(d["cpu"]), int(d["seq"])
                in_load[c] += 1
                if seq != in_load[c]:
                    die("%s: CPU %d window %d reported as seq %d (lost log lines?)"
                        % (rawdir, c, in_load[c], seq))
                k = offset[c] + seq - 1
                if k >= len(counts[c]):
                    die("%s: no plugin count for CPU %d window %d" % (rawdir, c, k + 1))
                g = counts[c][k]
                if int(g["seq"]) != k + 1:
                    die("%s: plugin sequence mismatch on vCPU %d" % (rawdir, c))
                w = {
                    "wl": d["wl"], "size": int(d["size"]), "alloc": d["alloc"],
                    "n": int(d["n"]), "r": int(d["rep"]), "cpu": c,
                    "ns": int(d["ns"]), "fail": int(d["fail"]),
                    "intr": int(d.get("intr", 0)),
                }
                if "ucx" not in g and not info.get("old_plugin"):
                    info["old_plugin"] = True
                    sys.stderr.write("analyse.py: %s: counts without ucx (an older plugin "
                                     "counted unlocked cmpxchg8b/16b as atomic)\n" % rawdir)
                for key in COUNTERS:
                    w[key] = int(g.get(key, 0) if key == "ucx" else g[key])
                if w["intr"]:
                    info["irq_windows"] += 1
                    continue
                windows.append(w)
            elif line.startswith("GMB M "):
                d = fields(line)
                memlines.append({
                    "wl": d["wl"], "size": int(d["size"]), "alloc": d["alloc"],
                    "rep": int(d["rep"]), "n": int(d["n"]), "req": int(d["req"]),
                    "pages": int(d["pages"]), "held": int(d.get("held", d["pages"])),
                })
            elif line.startswith("GMB done"):
                info["done"] += 1
            elif line.startswith("GMB-AUTOINIT"):
                info["autoinit"] = line.split(" ", 1)[1]
            elif line.startswith(("GMB-ERROR", "GMB-KERNEL")):
                info["errors"].append(line)
    close_load()
    for c, lst in counts.items():
        if len(lst) != offset[c]:
            die("%s: vCPU %d has %d plugin windows, the module reported %d"
                % (rawdir, c, len(lst), offset[c]))
    return windows, memlines, info


def per_op(windows):
    """Per-op counts of each real window, the matching empty window subtracted."""
    empty = {}
    for w in windows:
        if w["alloc"] == "empty":
            empty[(w["wl"], w["size"], w["r"], w["cpu"])] = w
    out = []
    for w in windows:
        if w["alloc"] == "empty" or w["r"] < 0:
            continue
        e = empty.get((w["wl"], w["size"], w["r"], w["cpu"]))
        if e is None or e["n"] != w["n"]:
            die("no empty-loop baseline for %s size %d rep %d" % (w["wl"], w["size"], w["r"]))
        n = float(w["n"])

        def d(key):
            return (w[key] - e[key]) / n
        hw = (w["insns"] - w["rep"] + w["repst"]) - (e["insns"] - e["rep"] + e["repst"])
        out.append({
            "wl": w["wl"], "size": w["size"], "alloc": w["alloc"], "rep": w["r"],
            "cpu": w["cpu"], "fail": w["fail"],
            "insns": hw / n,
            "mem": d("mem") - d("repmem"),
            "atomic": d("atomic"),
            "ucx": d("ucx"),
            "irq": d("irq"),
            # expensive: locked instructions and interrupt-flag changes, not
            # the unlocked per-CPU cmpxchg8b/16b (ucx), which is not locked
            "exp": d("atomic") + d("irq"),
            "repiters": d("rep") - d("repst"),
            "tcg_insns": d("insns"),
            "ns": d("ns"),
        })
    return out


# gomalloc's column of a workload that measures one of its other entry points
GOMALLOC_ALIASES = ("gomalloc_tiny", "gomalloc_cache")

METRICS = ("insns", "mem", "exp", "atomic", "ucx", "irq", "repiters", "tcg_insns", "ns")


def aggregate(points, memlines):
    """Rows keyed (wl, size, alloc): medians over repetitions."""
    # alloc+free windows of the memory workloads form one pair per object
    merged = defaultdict(lambda: defaultdict(float))
    rest = []
    for p in points:
        m = re.match(r"^(mem|tiny)-(alloc|free)$", p["wl"])
        if m:
            key = (m.group(1), p["size"], p["alloc"], p["rep"], p["cpu"])
            for k in METRICS:
                merged[key][k] += p[k]
            merged[key]["fail"] += p["fail"]
        else:
            rest.append(p)
    for (wl, size, alloc, rep, c), v in merged.items():
        q = dict(v)
        q.update({"wl": wl, "size": size, "alloc": alloc, "rep": rep, "cpu": c})
        rest.append(q)
    # per repetition: mean over CPUs (parallel workloads), then median over reps
    by_rep = defaultdict(list)
    for p in rest:
        alloc = "gomalloc" if p["alloc"] in GOMALLOC_ALIASES else p["alloc"]
        by_rep[(p["wl"], p["size"], alloc, p["rep"])].append(p)
    by_point = defaultdict(list)
    for (wl, size, alloc, rep), lst in by_rep.items():
        avg = {k: statistics.mean(x[k] for x in lst) for k in METRICS}
        avg["fail"] = sum(x["fail"] for x in lst)
        avg["cpus"] = len(lst)
        by_point[(wl, size, alloc)].append(avg)
    mem = defaultdict(list)
    for m in memlines:
        alloc = "gomalloc" if m["alloc"] in GOMALLOC_ALIASES else m["alloc"]
        if m["pages"] >= 0:
            mem[(m["wl"], m["size"], alloc)].append(m)
    rows = {}
    for key, lst in by_point.items():
        row = {k: statistics.median(x[k] for x in lst) for k in METRICS}
        row["spread"] = (max(x["insns"] for x in lst) - min(x["insns"] for x in lst))
        row["fail"] = sum(x["fail"] for x in lst)
        row["reps"] = len(lst)
        ms = mem.get(key)
        if ms:
            row["bytes_per_obj"] = statistics.median(m["pages"] * PAGE / m["n"] for m in ms)
            row["page_bytes_per_req"] = statistics.median(m["pages"] * PAGE / m["req"] for m in ms)
            row["held_bytes_per_obj"] = statistics.median(m["held"] * PAGE / m["n"] for m in ms)
        rows[key] = row
    return rows


def wl_order(wl):
    for i, p in enumerate(("hot", "batch-fifo", "batch-lifo", "batch-shuffled",
                           "cache-hot", "cache-bulk", "bulk", "cross-alloc", "cross-free", "par-hot", "par-batch",
                           "mem", "tiny")):
        if wl.startswith(p):
            m = re.search(r"-(\d+)$", wl)
            return (i, int(m.group(1)) if m else 0, wl)
    return (99, 0, wl)


def target(wl, size):
    """The issue's target for gomalloc/SLUB on this point and the SLUB
    column it is against, or (None, None)."""
    if wl == "hot":
        return (0.5 if size <= 32768 else 0.3), "kmalloc"
    if wl == "batch-shuffled-1000":
        return 0.7, "kmalloc"
    if wl in ("cross-alloc", "cross-free"):
        return 1.0, "kmalloc"
    if wl.startswith("cache-bulk-"):
        return 0.5, "kmem_cache"
    if wl.startswith("bulk-"):
        return 0.5, "kmalloc"   # SLUB's bulk on the kmalloc cache
    return None, None


def ratio(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return None if a == 0 else float("inf")
    return a / b


def fmt(x, nd=1):
    if x is None:
        return ""
    if x == float("inf"):
        return "inf"
    if abs(x) >= 1000:
        return "%.0f" % x
    return ("%%.%df" % nd) % x


def main():
    if len(sys.argv) < 3:
        die(__doc__)
    outdir = sys.argv[1]
    boots = []
    for arg in sys.argv[2:]:
        label, raw = arg.split("=", 1)
        windows, memlines, info = load_raw(raw)
        if not windows:
            die("%s: no measured windows" % raw)
        rows = aggregate(per_op(windows), memlines)
        boots.append((label, rows, info))

    csv_rows, ratio_rows = [], []
    for label, rows, info in boots:
        for (wl, size, alloc) in sorted(rows, key=lambda k: (wl_order(k[0]), k[1], k[2])):
            r = rows[(wl, size, alloc)]
            csv_rows.append([
                wl, size if size else "mixed", alloc, fmt(r["insns"], 2), fmt(r["mem"], 2),
                fmt(r["exp"], 3), fmt(r["atomic"], 3), fmt(r["ucx"], 3), fmt(r["irq"], 3),
                fmt(r["repiters"], 1), fmt(r["tcg_insns"], 1), fmt(r["ns"], 0),
                fmt(r.get("bytes_per_obj"), 2), fmt(r.get("page_bytes_per_req"), 3),
                fmt(r.get("held_bytes_per_obj"), 2), fmt(r["spread"], 2), r["fail"], label,
            ])
        keys = sorted({(wl, size) for (wl, size, _) in rows}, key=lambda k: (wl_order(k[0]), k[1]))
        for wl, size in keys:
            g = rows.get((wl, size, "gomalloc"))
            k = rows.get((wl, size, "kmalloc"))
            c = rows.get((wl, size, "kmem_cache"))
            if not g or not (k or c):
                continue
            ri = ratio(g["insns"], k["insns"]) if k else None
            rc = ratio(g["insns"], c["insns"]) if c else None
            re_ = ratio(g["exp"], k["exp"]) if k else None
            rm = ratio(g["mem"], k["mem"]) if k else None
            rp = ratio(g.get("page_bytes_per_req"), k.get("page_bytes_per_req")) if k else None
            t, base = target(wl, size)
            rt = ri if base == "kmalloc" else rc
            met = ""
            if t is not None and rt is None:
                t = None
            if t is not None:
                met = "yes" if rt <= t else "no"
                # a whole expensive instruction more per pair, not the
                # profile's occasional sample (its raw lock) in gomalloc's
                if wl == "hot" and g["exp"] >= k["exp"] + 0.5:
                    met = "no (expensive)"
            if wl == "mem" and rp is not None:
                t, met = 1.0, "yes" if rp <= 1.0 else "no"
            if wl == "tiny":
                # the target: twice as dense as kmalloc(8)
                k8 = rows.get(("tiny", 8, "kmalloc"), {}).get("bytes_per_obj")
                gb = g.get("bytes_per_obj")
                if k8 and gb is not None:
                    t = "0.5x kmalloc(8)"
                    met = "yes" if gb <= 0.5 * k8 else "no"
            ratio_rows.append([wl, size if size else "mixed", fmt(ri, 3), fmt(rc, 3),
                               fmt(re_, 3), fmt(rm, 3), fmt(rp, 3),
                               "" if t is None else t, met, label])

    with open(os.path.join(outdir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["workload", "size", "allocator", "insns_per_op", "mem_per_op",
                    "expensive_per_op", "locked_per_op", "unlocked_cmpxchg_per_op",
                    "irqflag_per_op",
                    "rep_iters_per_op", "tcg_insns_per_op", "tcg_ns_per_op",
                    "bytes_per_obj", "page_bytes_per_req_byte", "held_bytes_per_obj",
                    "insns_spread",
                    "failures", "boot"])
        w.writerows(csv_rows)
    with open(os.path.join(outdir, "ratios.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["workload", "size", "insns_vs_kmalloc", "insns_vs_kmem_cache",
                    "expensive_vs_kmalloc", "mem_vs_kmalloc", "memory_vs_kmalloc",
                    "target", "met", "boot"])
        w.writerows(ratio_rows)

    md = []
    for label, rows, info in boots:
        md.append("### Boot: %s%s\n" % (label, " (%s)" % info["autoinit"] if info.get("autoinit") else ""))
        md.append("Per operation (alloc+free pair; cross: per object on that side; "
                  "bulk: per object of a bulk alloc+free), "
                  "loop overhead subtracted, median of repetitions. "
                  "cache-*: gomalloc's column is gomalloc_cache_*; bulk-N: gomalloc_bulk/"
                  "gofree_bulk, kmalloc's column SLUB's kmem_cache_alloc_bulk on the "
                  "kmalloc cache of the size and kfree_bulk. Targets are against kmalloc, "
                  "cache-bulk-N's against kmem_cache. "
                  "insns: guest instructions (REP string = 1); exp: locked instructions "
                  "(LOCK prefix, XCHG with memory) + CLI/STI/POPF; ucx: CMPXCHG8B/16B "
                  "without LOCK (SLUB's per-CPU cmpxchg: atomic against this CPU's "
                  "interrupts only, not locked); mem: memory accesses of non-string "
                  "instructions; zeroing: bytes handled by REP string instructions.\n")
        md.append("| workload | size | gomalloc insns | kmalloc insns | kmem_cache insns "
                  "| g/kmalloc | g/kmem_cache | exp g / k / c | ucx g / k / c | mem g / k "
                  "| zeroing g / k | target | met |")
        md.append("|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---:|---|")
        rat = {(r[0], r[1]): r for r in ratio_rows if r[-1] == label}
        keys = sorted({(wl, size) for (wl, size, _) in rows}, key=lambda k: (wl_order(k[0]), k[1]))
        for wl, size in keys:
            g = rows.get((wl, size, "gomalloc"))
            k = rows.get((wl, size, "kmalloc"))
            c = rows.get((wl, size, "kmem_cache"))
            rr = rat.get((wl, size if size else "mixed"))

            def v(r, key, nd=1):
                return fmt(r[key], nd) if r else "-"
            md.append("| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s "
                      "| %s / %s | %s / %s | %s | %s |" % (
                wl, size if size else "mixed", v(g, "insns"), v(k, "insns"), v(c, "insns"),
                rr[2] if rr else "", rr[3] if rr else "",
                v(g, "exp", 2), v(k, "exp", 2), v(c, "exp", 2),
                v(g, "ucx", 2), v(k, "ucx", 2), v(c, "ucx", 2),
                v(g, "mem"), v(k, "mem"), v(g, "repiters", 0), v(k, "repiters", 0),
                rr[7] if rr else "", rr[8] if rr else ""))
        memkeys = [key for key in keys if key[0] in ("mem", "tiny")]
        if memkeys:
            md.append("")
            md.append("Memory held live: bytes of pages per object and per requested byte. "
                      "gomalloc: pages in spans (pages_held - pages_free delta, fresh gomalloc); "
                      "held: its pages_held delta (whole 2 MiB arenas). "
                      "SLUB: Slab delta (/proc/meminfo's, large kmalloc included).\n")
            md.append("| workload | size | gomalloc B/obj | gomalloc held B/obj | kmalloc B/obj "
                      "| gomalloc B/req B | kmalloc B/req B | g/kmalloc | target | met |")
            md.append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
            for wl, size in memkeys:
                g = rows.get((wl, size, "gomalloc"), {})
                k = rows.get((wl, size, "kmalloc"), {})
                rr = rat.get((wl, size if size else "mixed"))
                md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                    wl, size if size else "mixed", fmt(g.get("bytes_per_obj"), 2),
                    fmt(g.get("held_bytes_per_obj"), 1),
                    fmt(k.get("bytes_per_obj"), 2), fmt(g.get("page_bytes_per_req"), 3),
                    fmt(k.get("page_bytes_per_req"), 3), rr[6] if rr else "",
                    rr[7] if rr else "", rr[8] if rr else ""))
        fails = sum(r["fail"] for r in rows.values())
        if fails:
            md.append("\n%d allocation failures inside measured windows." % fails)
        if info["irq_windows"]:
            md.append("\n%d bulk window(s) with interrupts in them left out (repeated)."
                      % info["irq_windows"])
        for e in info["errors"]:
            md.append("\n    %s" % e)
        md.append("")
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")

    # gnuplot data: hot pair by size, one file per boot and allocator
    for label, rows, _ in boots:
        for alloc in ("gomalloc", "kmalloc", "kmem_cache"):
            pts = sorted((s, r["insns"]) for (wl, s, a), r in rows.items()
                         if wl == "hot" and a == alloc)
            with open(os.path.join(outdir, "raw", "hot-%s-%s.dat" % (label, alloc)), "w") as f:
                for s, i in pts:
                    f.write("%d %.2f\n" % (s, i))


if __name__ == "__main__":
    main()
