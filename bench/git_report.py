#!/usr/bin/env python3
"""Prints the git benchmark's table from the raw runs git.sh leaves in its work directory.

    git_report.py WORK key=value...

Reads downloads.tsv, list.tsv and rss.tsv; the key=value pairs describe the run.
"""

import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model  # noqa: E402


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def kv_fields(fields):
    out = {}
    for f in fields:
        if "=" in f:
            k, v = f.split("=", 1)
            out[k] = v
    return out


def runs(values, fmt):
    return " ".join(fmt % v for v in values)


def main():
    work = sys.argv[1]
    meta = kv_fields(sys.argv[2:])
    rounds = int(meta["rounds"])
    hz = int(os.sysconf("SC_CLK_TCK"))
    out = []
    p = out.append

    p(f"modgate git source benchmark (issue 13), {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    p(f"machine: {os.cpu_count()} x {cpu_model()}, Linux {platform.release()}; servers (git host, modgate) "
      f"on CPU 0, clients (go and its git, wrk, curl) on CPU 1; 127.0.0.1; load average before / after: {meta['load']}")
    p(f"git host: bench/git_server.py (Python {meta['python']}, a thread per connection) running git "
      f"http-backend {meta['git']} per request (CGI), basic auth, go-import pages, HTTP proxy for git.corp.example")
    p(f"modgate {meta['modgate']} (release, RUST_LOG=info): a git route with go-import discovery and its own "
      f"credentials, refresh_secs 3600; a store route for the stored-file figures")
    p(f"go client: {meta['go']}, git {meta['git']} for direct mode (GOPROXY=direct, GOINSECURE, GOPRIVATE, "
      f".netrc), module cache {meta['gomodcache']} emptied before each run")
    p(f"{rounds} rounds, the two sides' order alternating; medians, then every round's figure; other % = CPU "
      f"time taken by anything else on either CPU during a run; runs above {meta['noise_limit']}% were done "
      f"again up to twice, keeping the quietest ({meta['redone']} redone)")
    p("")

    # (1) and (2)
    downloads = {}
    for row in read_tsv(os.path.join(work, "downloads.tsv")):
        rnd, label, secs, noise, sticks, cticks = row
        downloads.setdefault(label, []).append(
            (int(rnd), float(secs), int(noise), int(sticks) / hz, int(cticks) / hz))
    names = {
        "direct": "GOPROXY=direct (go runs git)",
        "cold": "modgate git route, cold",
        "warm": "modgate git route, warm",
        "stored": "modgate store route (stored files)",
    }

    def download_line(label):
        rows = sorted(downloads.get(label, []))
        secs = [r[1] for r in rows]
        return (f"  {names[label]:<38} {median(secs):6.3f} s   runs: {runs(secs, '%.3f')}   "
                f"CPU s server/client: {median([r[3] for r in rows]):.2f}/{median([r[4] for r in rows]):.2f}   "
                f"other %: {runs([r[2] for r in rows], '%d')}")

    if downloads:
        p(f"(1) go mod download of {meta['modules']} modules from {meta['modules']} repositories (4 tags each; "
          f"{int(meta['zip_bytes']) / 2**20:.1f} MiB of zips), empty module cache:")
        p("    cold = a fresh modgate, empty store and no mirrors: discovery, fetch, build, check, store, serve")
        p(download_line("direct"))
        p(download_line("cold"))
        p("(2) the same download again through that modgate (versions stored), and from a store route")
        p("    holding the same files:")
        p(download_line("warm"))
        p(download_line("stored"))
        p("")

    # (3)
    lists = {}
    for row in read_tsv(os.path.join(work, "list.tsv")):
        rnd, side, conns = row[:3]
        f = kv_fields(row[3:])
        for k in ("status", "connect", "read", "write", "timeout"):
            if int(f.get(k, 0)):
                sys.exit(f"list run {row}: {k} errors")
        secs = int(f["duration_us"]) / 1e6
        lists.setdefault((int(conns), side), []).append({
            "round": int(rnd),
            "rps": int(f["requests"]) / secs,
            "p50": int(f["p50_us"]) / 1000,
            "p99": int(f["p99_us"]) / 1000,
            "cpu": 100 * int(f["cpu_ticks"]) / int(f["tick_hz"]) / secs,
            "noise": int(f["noise"]),
        })
    if lists:
        p(f"(3) @v/list of a repository with {meta['tags']} tags, warm (mirror fetched once), wrk 1 thread, "
          f"{meta['duration']} s per run, medians:")
        p(f"  {'connections':<12}{'server':<30}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU %':>7}   p50 per round        other %")
    side_names = {"git": "modgate git route", "stored": "modgate store route"}
    for conns in sorted({c for c, _ in lists}):
        for side in ("git", "stored"):
            rows = sorted(lists.get((conns, side), []), key=lambda r: r["round"])
            if not rows:
                continue
            p(f"  {conns:<12}{side_names[side]:<30}{median([r['rps'] for r in rows]):8.0f}"
              f"{median([r['p50'] for r in rows]):8.2f}{median([r['p99'] for r in rows]):8.2f}"
              f"{median([r['cpu'] for r in rows]):7.0f}   {runs([r['p50'] for r in rows], '%.2f'):<20} "
              f"{runs([r['noise'] for r in rows], '%d')}")
    if lists:
        p("")

    # (4)
    rss = []
    for row in read_tsv(os.path.join(work, "rss.tsv")):
        v = list(map(int, row))
        rss.append({
            "round": v[0], "idle": v[1:4], "fetch": v[4:7], "zip": v[7:10], "peak": v[10:13],
            "hwm": v[13], "after": v[14:17], "fetch_s": v[17] / 1000, "zip_s": v[18] / 1000,
            "size": v[19],
        })
    mib = lambda kb: kb / 1024  # noqa: E731

    def parts(t):
        return f"{mib(t[0]):6.1f} ({mib(t[1]):5.1f}/{mib(t[2]):5.1f})"

    if rss:
        p(f"(4) modgate's RSS, a fresh process each round: a 200 MiB repository ({meta['big_files']} files, one tag) "
          "asked for cold,")
        p("    @v/list first (the mirror's fetch), then the zip (built from the tree, checked, stored, served);")
        p("    VmRSS sampled every 100 ms, as RSS (RssAnon: heap / RssFile: mapped files), MiB; VmHWM = the exact")
        p("    peak the kernel saw; the anon and file figures of a phase are each that phase's highest sample")
        p(f"  {'round':<6}{'idle':>21}{'fetch peak':>23}{'zip peak':>23}{'VmHWM':>8}{'after':>23}"
          f"{'peak-idle':>10}{'anon':>6}{'fetch s':>8}{'zip s':>7}")
        for r in rss:
            p(f"  {r['round']:<6}{parts(r['idle']):>21}{parts(r['fetch']):>23}{parts(r['zip']):>23}"
              f"{mib(r['hwm']):8.1f}{parts(r['after']):>23}{mib(r['peak'][0] - r['idle'][0]):10.1f}"
              f"{mib(r['peak'][1] - r['idle'][1]):6.1f}{r['fetch_s']:8.2f}{r['zip_s']:7.2f}")
        p(f"  zip served: {rss[0]['size'] / 2**20:.1f} MiB; peak-idle: VmRSS, sampled; anon: RssAnon's highest "
          "sample - idle")
        p("")
    if meta.get("reference"):
        p(f"checks: every download's go.mod and zip hashes are direct mode's (digest {meta['reference']})")
    if meta.get("big_sum"):
        p(f"checks: the 200 MiB zip has its {meta['big_files']} files under module@version/ with right CRCs, and "
          f"the go command accepts it with direct mode's hash ({meta['big_sum']})")
    p("")

    # goals
    p("modgate against issue 13's goals, from the same run:")
    results = []

    def goal(name, value, target, met):
        results.append(met)
        p(f"  {name:<58}{value:>12}  {target:<14}{'met' if met else 'MISSED'}")

    def ratio_rounds(a, b):
        ra = {r[0]: r[1] for r in downloads.get(a, [])}
        rb = {r[0]: r[1] for r in downloads.get(b, [])}
        return [ra[k] / rb[k] for k in sorted(ra) if k in rb]

    if downloads.get("cold") and downloads.get("direct"):
        ratio = median([r[1] for r in downloads["cold"]]) / median([r[1] for r in downloads["direct"]])
        goal("(1) cold git route / direct (medians)", f"{ratio:.2f}x", "<= 0.7x", ratio <= 0.7)
        p(f"      per round: {runs(ratio_rounds('cold', 'direct'), '%.2fx')}")
    if downloads.get("warm") and downloads.get("stored"):
        warm = [r[1] for r in downloads["warm"]]
        stored = [r[1] for r in downloads["stored"]]
        ratio = median(warm) / median(stored)
        # "Equal": within 5%, or within the larger round-to-round spread of the two.
        spread = max(max(warm) - min(warm), max(stored) - min(stored))
        equal = abs(ratio - 1) <= 0.05 or abs(median(warm) - median(stored)) <= spread
        goal("(2) warm git route / store route (medians)", f"{ratio:.2f}x", "= 1x", equal)
        p(f"      per round: {runs(ratio_rounds('warm', 'stored'), '%.2fx')}; equal = within 5% or within the "
          f"rounds' spread ({spread * 1000:.0f} ms)")
    for conns in sorted({c for c, _ in lists}):
        rows = lists.get((conns, "git"), [])
        stored = lists.get((conns, "stored"), [])
        if not rows:
            continue
        p50 = median([r["p50"] for r in rows])
        if conns == 1:
            goal(f"(3) list p50, {conns} connection (service time)", f"{p50:.2f} ms", "<= 2 ms", p50 <= 2)
        else:
            p(f"  {'(3) list p50, %d connections, as run.sh loads' % conns:<58}{'%.2f ms' % p50:>12}  "
              f"{'(<= 2 ms)':<14}{'met' if p50 <= 2 else 'over'}: {conns} requests queue for one CPU")
        if stored:
            p(f"      git route / store route, req/s: "
              f"{median([r['rps'] for r in rows]) / median([r['rps'] for r in stored]):.2f}x")
    if rss:
        growth = median([mib(r["peak"][0] - r["idle"][0]) for r in rss])
        goal("(4) RSS peak - idle, sampled (median of rounds)", f"{growth:.1f} MiB", "< 64 MiB", growth < 64)
        p(f"      VmHWM - idle, highest round: {max(mib(r['hwm'] - r['idle'][0]) for r in rss):.1f} MiB; highest "
          f"samples - idle, medians: RssAnon {median([mib(r['peak'][1] - r['idle'][1]) for r in rss]):.1f} MiB, "
          f"RssFile {median([mib(r['peak'][2] - r['idle'][2]) for r in rss]):.1f} MiB")
    p(f"  goals met: {sum(results)} of {len(results)}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
