#!/usr/bin/env python3
"""The table of bench/s3.sh: s3_report.py RESULTS COLD FILES BUILD_LINE RUN_LINE STORE_SIZES.

Each RESULTS line: round, scenario, label, requests, bytes, elapsed µs, p50 µs, p99 µs, server
CPU ticks, weed CPU ticks, S3 requests weed answered, ticks per second. Ratios are taken within a
round (both sides measured minutes apart at most), then shown as median and range over rounds.
"""

import statistics
import sys
from collections import defaultdict

NAMES = {
    "zs": "small zips (8-40 KB)",
    "zl": "large zips (~1.3 MB)",
    "im": ".info and .mod",
    "ls": "@v/list, 2,000 versions, warm",
    "lt": "@latest, 2,000 versions, warm",
    "rim": "replicas: .info and .mod",
    "rzl": "replicas: large zips",
}
TARGETS = {"zs": 0.9, "zl": 0.9, "im": 1.0, "rim": 1.6, "rzl": 1.6}


def main():
    results, cold, files, build, run, sizes = sys.argv[1:7]
    rows = defaultdict(list)  # (scenario, label) -> [per round dict]
    for line in open(results):
        f = line.rstrip("\n").split("\t")
        if len(f) < 12:
            continue
        rnd, scen, label = f[0], f[1], f[2]
        req, byt, us, p50, p99, sticks, wticks, s3, hz = (int(x) for x in f[3:12])
        secs = us / 1e6
        rows[(scen, label)].append({
            "round": rnd, "rps": req / secs, "mbps": byt / secs / 1e6, "p50": p50 / 1000,
            "p99": p99 / 1000,
            "cpu": sticks * 1e6 / hz / max(req, 1), "weed": wticks * 1e6 / hz / max(req, 1),
            "s3": s3 / max(req, 1),
        })
    small, large, big = sizes.split()
    print("modgate on S3 (SeaweedFS weed mini, 127.0.0.1) vs the same objects straight from S3 (bench/s3.sh)")
    print(build)
    print(run)
    print(f"store: {int(small) * 2} small versions, {large} large zips, one module of {big} versions")
    print("direct = wrk GETs the objects from the S3 endpoint anonymously; modgate = wrk through modgate,")
    print("which signs its S3 requests. Direct vs modgate: nothing pinned (2 cores shared by weed, modgate")
    print("and wrk). Replicas: replica 1 on CPU 0, replica 2 on CPU 1, weed and two wrk unpinned; one")
    print("replica = replica 1 alone on CPU 0 with the same two wrk. cpu = server CPU per request (µs;")
    print("for direct, the S3 server's own),")
    print("weed = SeaweedFS CPU per request (µs), s3/req = S3 requests weed answered per client request.")
    print()
    print(f"{'scenario':32} {'server':8} {'req/s':>9} {'MB/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'cpu µs':>7} {'weed µs':>8} {'s3/req':>7}")
    order = ["zs", "zl", "im", "ls", "lt", "rim", "rzl"]
    for scen in order:
        for label in ("direct", "modgate", "base", "one", "two"):
            for r in rows.get((scen, label), []):
                print(f"{NAMES[scen]:32} {label:8} {r['rps']:9.0f} {r['mbps']:8.1f} {r['p50']:7.2f} "
                      f"{r['p99']:7.2f} {r['cpu']:7.1f} {r['weed']:8.1f} {r['s3']:7.3f}  (round {r['round']})")
    print()
    print("ratios within each round (median, then [min..max] over rounds):")
    for scen in order:
        pairs = [("modgate", "direct")] if scen in ("zs", "zl", "im") else []
        if scen in ("zs", "zl", "im", "ls", "lt"):
            pairs.append(("modgate", "base"))
        if scen in ("rim", "rzl"):
            pairs = [("two", "one")]
        for a, b in pairs:
            ra = {r["round"]: r for r in rows.get((scen, a), [])}
            rb = {r["round"]: r for r in rows.get((scen, b), [])}
            common = sorted(set(ra) & set(rb))
            if not common:
                continue
            if scen in ("ls", "lt"):
                ratios = [ra[k]["p50"] / rb[k]["p50"] for k in common]
                what = "p50 latency"
            else:
                ratios = [ra[k]["rps"] / rb[k]["rps"] for k in common]
                what = "throughput"
            target = f" (target >= {TARGETS[scen]}x)" if b != "base" and scen in TARGETS else ""
            print(f"  {NAMES[scen]:32} {a}/{b} {what}: {statistics.median(ratios):.2f}x "
                  f"[{min(ratios):.2f}..{max(ratios):.2f}]{target}")
    for scen in ("ls", "lt"):
        p50s = [r["p50"] for r in rows.get((scen, "modgate"), [])]
        if p50s:
            print(f"  {NAMES[scen]:32} modgate p50: {statistics.median(p50s):.2f} ms "
                  f"[{min(p50s):.2f}..{max(p50s):.2f}] (target <= 5 ms)")
    lines = [line.split("\t") for line in open(cold) if line.strip()]
    if lines:
        print()
        print("cold (first request after start, one each): " + ", ".join(
            f"{NAMES[s].split(',')[0]} {srv} {float(t) * 1000:.1f} ms" for s, srv, t in lines))
    lines = [line.split() for line in open(files) if line.strip()]
    if lines:
        print()
        print("a fresh process, one request at a time, in the go command's order (.mod, .info, .zip, then")
        print("the zip again): S3 requests per client request, and ms per request")
        seen = set()
        for kind, ext, s3, ms in lines:
            if kind == "idle":
                print(f"  an idle process asks {float(s3):.2f} S3 requests a second on its own")
                continue
            label = f"{kind} {ext}" + (" again" if (kind, ext) in seen else "")
            seen.add((kind, ext))
            print(f"  {label:16} {float(s3):5.2f} S3 requests  {float(ms):7.2f} ms")


if __name__ == "__main__":
    main()
