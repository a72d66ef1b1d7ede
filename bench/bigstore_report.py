#!/usr/bin/env python3
"""The table of bench/bigstore.sh: each figure per round, its mean and spread, this build beside
the baseline, and the issue's targets.

    bigstore_report.py RESULTS_TSV META_JSON VERSION BASELINE
"""

import json
import sys
from collections import defaultdict

# metric -> (label, unit, target text, better: "low"/"high")
METRICS = [
    ("startup_ms", "start-up to /readyz", "ms", "<= 1000", "low"),
    ("rss_idle_kb", "RSS at idle", "KiB", "<= 65536", "low"),
    ("rss_load_kb", "RSS peak under load", "KiB", "<= 65536", "low"),
    ("small_big_rps", "small files, big store", "req/s", "", "high"),
    ("small_small_rps", "small files, small store", "req/s", "", "high"),
    ("small_ratio", "big store / small store", "x", ">= 0.95", "high"),
    ("small_big_cpu_us", "server CPU per small file, big store", "us", "", "low"),
    ("small_small_cpu_us", "server CPU per small file, small store", "us", "", "low"),
    ("list_p50_us", "@v/list of 2,000 versions, p50", "us", "<= 2000", "low"),
    ("list_p99_us", "@v/list of 2,000 versions, p99", "us", "<= 10000", "low"),
    ("import_per_s", "import", "versions/s", ">= 5000", "high"),
    ("verify_per_s", "verify", "versions/s", ">= 2000", "high"),
]


def load(path):
    values = defaultdict(lambda: defaultdict(dict))  # metric -> binary -> round -> value
    noise = []
    for line in open(path):
        cols = line.rstrip("\n").split("\t")
        if len(cols) == 4:
            rnd, metric, binary, value = cols
            values[metric][binary][rnd] = float(value)
            continue
        rnd, scenario, server = cols[:3]
        f = dict(c.split("=", 1) for c in cols[3:] if "=" in c)
        binary, store = server.rsplit("-", 1)
        requests = int(f["requests"])
        seconds = int(f["duration_us"]) / 1e6
        noise.append(int(f["noise"]))
        cpu_us = int(f["cpu_ticks"]) / int(f["tick_hz"]) * 1e6 / max(requests, 1)
        if scenario == "list":
            values["list_p50_us"][binary][rnd] = float(f["p50_us"])
            values["list_p99_us"][binary][rnd] = float(f["p99_us"])
        else:
            values[f"small_{store}_rps"][binary][rnd] = requests / seconds
            values[f"small_{store}_cpu_us"][binary][rnd] = cpu_us
        if store == "big":
            old = values["rss_load_kb"][binary].get(rnd, 0)
            values["rss_load_kb"][binary][rnd] = max(old, float(f["rss_kb"]))
    for binary, rounds in values["small_big_rps"].items():
        for rnd, big in rounds.items():
            small = values["small_small_rps"][binary].get(rnd)
            if small:
                values["small_ratio"][binary][rnd] = big / small
    return values, noise


def fmt(v):
    return f"{v:.2f}" if v < 10 else f"{v:,.0f}"


def main():
    results, meta, version, baseline = sys.argv[1:5]
    values, noise = load(results)
    meta = json.load(open(meta))
    print(f"modgate on a big store (bench/bigstore.sh): build {version} beside baseline {baseline}")
    print(
        f"store: {meta['versions']} versions in {meta['modules']} modules, "
        f"{meta['zip_bytes'] / 2**20:.0f} MiB of zips; {meta['big_module']} has "
        f"{meta['big_module_versions']} versions"
    )
    print(f"wrk runs' noise (other work, % of a CPU): max {max(noise, default=0)}")
    print()
    header = f"{'figure':40} {'unit':10} {'target':>9} {'new (rounds)':>26} {'spread':>7} {'base':>12} {'new/base':>8}"
    print(header)
    print("-" * len(header))
    for metric, label, unit, target, _ in METRICS:
        new = values[metric].get("new", {})
        base = values[metric].get("base", {})
        if not new:
            continue
        rounds = [new[r] for r in sorted(new)]
        mean = sum(rounds) / len(rounds)
        spread = (max(rounds) - min(rounds)) / mean * 100 if mean else 0
        base_mean = sum(base.values()) / len(base) if base else None
        ratio = f"{mean / base_mean:.2f}x" if base_mean else "-"
        print(
            f"{label:40} {unit:10} {target:>9} "
            f"{fmt(mean):>10} ({' '.join(fmt(r) for r in rounds)})".ljust(89)
            + f" {spread:>6.0f}% {fmt(base_mean) if base_mean else '-':>12} {ratio:>8}"
        )
    print()
    print("spread: (max - min) / mean over the rounds of this build. Ratios > 1 are better for")
    print("req/s and versions/s, < 1 for times, latencies, CPU and RSS.")


if __name__ == "__main__":
    main()
