#!/usr/bin/env python3
"""Turns the raw runs of bench/ui.sh into its report.

    ui_report.py WORK_DIR key=value...

reads WORK_DIR/results.tsv (one wrk run a line: round, scenario, server, wrk.lua's RESULT
fields, cpu_ticks, tick_hz, noise), meta.json, first.txt and pages.txt; the key=value arguments
describe the run. Figures are medians over the rounds; a ratio is the median of the rounds' own
ratios (both servers of a round measured one after the other), with the lowest and highest.
"""

import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model, mark  # noqa: E402

SCENARIOS = {
    "page1": "modules page 1 (/-/)",
    "search": "search (/-/?q=payments)",
    "deep": "a deep page (/-/?page={deep})",
}
SERVERS = {"modgate": "modgate (renders)", "nginx": "nginx (saved copy)"}
GOAL_MS = 50.0


def read_runs(work):
    runs = {}
    for line in open(os.path.join(work, "results.tsv")):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 4:
            continue
        round_, scenario, server = fields[:3]
        v = {k: float(x) for k, x in (kv.split("=", 1) for kv in fields[3:])}
        seconds = v["duration_us"] / 1e6
        runs.setdefault((scenario, server), []).append({
            "round": int(round_),
            "rps": v["requests"] / seconds,
            "p50": v["p50_us"] / 1000,
            "p99": v["p99_us"] / 1000,
            "cpu": 100 * v["cpu_ticks"] / v["tick_hz"] / seconds,
            "bad": v["connect"] + v["read"] + v["write"] + v["timeout"] + v["status"],
            "noise": v.get("noise", 0.0),
        })
    return runs


def spread(values):
    m = statistics.median(values)
    return 100 * (max(values) - min(values)) / m if m else 0.0


def main():
    work = sys.argv[1]
    info = dict(a.split("=", 1) for a in sys.argv[2:])
    meta = json.load(open(os.path.join(work, "meta.json")))
    first = dict(line.strip().split("=", 1) for line in open(os.path.join(work, "first.txt")))
    pages = [line.rstrip("\n").split("\t") for line in open(os.path.join(work, "pages.txt"))]
    runs = read_runs(work)
    out = []
    p = out.append
    p(f"modgate web UI benchmark (issue 15), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    p(f"machine: {os.cpu_count()} x {cpu_model()}, Linux {platform.release()}, a shared machine; "
      f"servers on CPU 0, wrk on CPU 1; 127.0.0.1; load average before / after: {info['load']}")
    p(f"modgate {info['modgate']} (release, RUST_LOG=info, request log on), directory store; "
      f"nginx {info['nginx']} (1 worker, access log on) serving the pages modgate rendered, saved")
    p(f"store: {meta['modules']} modules, {meta['versions']} versions "
      f"({meta['zip_bytes'] / meta['versions']:.0f}-byte zips), a cache/download tree written "
      "directly; every module behind any valid user (bcrypt, cost 5, remembered), every request "
      "with Basic credentials")
    p(f"module index's first build (serve lists the store at start; the first page waits for it): "
      f"listening {first['listening_ms']} ms after the start, the first /-/ answered "
      f"{first['start_to_first_ms']} ms after it (that request {float(first['first']) * 1000:.0f} ms, "
      f"the next {float(first['second']) * 1000:.1f} ms); the store is listed again in the background "
      f"every 30 s while pages are asked for; modgate RSS after the first page "
      f"{int(info['rss_index_kb']) / 1024:.1f} MiB, at the end {int(info['rss_end_kb']) / 1024:.1f} MiB")
    if "browsed_ticks" in first:
        hz = float(info.get("tick_hz", 100))
        p(f"keeping the index fresh: modgate's CPU idle {int(first['idle_ticks']) / hz:.2f} s in 10 s; "
          f"with one page a second for {first['browsed_seconds']} s (a listing of the store in the "
          f"background every 30 s) {int(first['browsed_ticks']) / hz:.2f} s, "
          f"{100 * int(first['browsed_ticks']) / hz / float(first['browsed_seconds']):.0f}% of a CPU")
    for scenario, count, links, size in pages:
        p(f"  {scenario:<7} says \"{count}\", {links} modules listed, {int(size):,} bytes")
    p(f"wrk {info['wrk']}, 1 thread, {info['connections']} connection (sequential requests), "
      f"{info['duration']} s per run, {info['rounds']} rounds (order alternating); medians; "
      f"other % = CPU time taken by anything else (runs above {info['noise_limit']}% redone up "
      f"to twice, keeping the quietest; {info['redone']} redone)")
    p("")
    header = (f"  {'page':<32} {'server':<20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
              f"{'CPU %':>5} {'other %':>7}  p50 by round (ms)            spread")
    p(header)
    p("  " + "-" * (len(header) - 2))
    closing = []
    met = 0
    for scenario, label in SCENARIOS.items():
        label = label.format(deep=info["deep"])
        for i, server in enumerate(SERVERS):
            samples = runs.get((scenario, server), [])
            if not samples:
                continue
            med = lambda k: statistics.median(s[k] for s in samples)
            by_round = " ".join(f"{s['p50']:.2f}" for s in sorted(samples, key=lambda s: s["round"]))
            bad = sum(s["bad"] for s in samples)
            p(f"  {label if i == 0 else '':<32} {SERVERS[server]:<20} {med('rps'):>7.0f} "
              f"{med('p50'):>7.2f} {med('p99'):>7.2f} {med('cpu'):>5.0f} {med('noise'):>7.0f}  "
              f"{by_round:<28} {spread([s['p50'] for s in samples]):5.1f}%"
              + (f"  ({bad:.0f} failed or non-2xx!)" if bad else ""))
        mg, ng = runs.get((scenario, "modgate"), []), runs.get((scenario, "nginx"), [])
        if mg and ng:
            by = {s["round"]: s for s in ng}
            ratios = [s["p50"] / by[s["round"]]["p50"] for s in mg if s["round"] in by]
            p99 = statistics.median(s["p99"] for s in mg)
            ok = p99 <= GOAL_MS
            met += ok
            closing.append(
                f"  {label:<32} p50 {statistics.median(s['p50'] for s in mg):6.2f} ms, "
                f"p99 {p99:6.2f} ms (rounds {min(s['p99'] for s in mg):.2f}-{max(s['p99'] for s in mg):.2f}) "
                f"<= {GOAL_MS:.0f} ms {mark(ok)}; p50 modgate / nginx {statistics.median(ratios):.1f}x "
                f"(rounds {min(ratios):.1f}-{max(ratios):.1f}x)")
    p("")
    p("closing figures (issue 15: the modules page of a store with 10,000 modules renders in <= 50 ms):")
    out.extend(closing)
    p(f"  goals met: {met} of {len(closing)}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
