#!/usr/bin/env python3
"""Turns the raw runs of bench/sumdb.sh into one report, with issue 14's goals.

    sumdb_report.py WORK_DIR key=value...

reads WORK_DIR/results.tsv (wrk runs, as run.sh writes them: read by report.py's read_runs),
sync.tsv (round tmpdir versions seconds user_s sys_s noise), publish.tsv (round on|off modules
small_count small_seconds p50_ms p99_ms big_bytes big_seconds server_ticks tick_hz noise),
publish-log.txt (records heads), download.tsv
(round label seconds noise, label <go version>-on|off) and sumdb-meta.json; the key=value
arguments describe the run.

Every ratio is given as the median of the rounds' own ratios (each round's two sides measured
one right after the other), with the lowest and highest of them, and each side's spread over the
rounds ((highest - lowest) / median).
"""

import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import cpu_model, mark, read_runs  # noqa: E402

SYNC_GOAL = 2000.0  # versions/s
DOWNLOAD_GOAL = 1.10  # on / off
SCENARIOS = {
    "lookup": "lookup/M@V, every version round robin",
    "tile": "hash tiles, every one of the tree",
}
SERVERS = {"modgate": "modgate (private log)", "nginx": "nginx (the same bytes, static)"}


def spread(values):
    values = list(values)
    if len(values) < 2:
        return "-"
    return f"{100 * (max(values) - min(values)) / statistics.median(values):.1f}%"


def ratio(cur, ref):
    """cur, ref: {round: value}. The median of the rounds' ratios, and their range."""
    per = [cur[r] / ref[r] for r in sorted(set(cur) & set(ref))]
    if not per:
        return None
    return statistics.median(per), min(per), max(per), per


def fmt_ratio(r, digits=2):
    med, lo, hi, per = r
    if len(per) < 2:
        return f"{med:.{digits}f}x (one round)"
    return f"{med:.{digits}f}x (rounds {lo:.{digits}f}-{hi:.{digits}f}x)"


def main():
    work = sys.argv[1]
    info = dict(a.split("=", 1) for a in sys.argv[2:])
    meta = json.load(open(os.path.join(work, "sumdb-meta.json")))
    out = []
    p = out.append
    closing = []  # (what, value, goal, verdict)

    cpu = cpu_model()
    p(f"modgate private checksum database benchmark (issue 14), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    p(f"machine: {os.cpu_count()} x {cpu}, Linux {platform.release()}, a shared machine (other "
      f"sessions build and test on it); servers and the sync on CPU 0, clients on CPU 1; 127.0.0.1; "
      f"load average before / after: {info.get('load', '?')}")
    p(f"modgate {info.get('modgate', '?')} (release, RUST_LOG=info, request log on), directory store; "
      f"nginx {info.get('nginx', '?')} (1 worker, sendfile, access log on)")
    p(f"other % = CPU time taken by anything else on the two CPUs (a shared machine), median; runs "
      f"above {info.get('noise_limit', '?')}% were done again up to twice, keeping the quietest "
      f"({info.get('redone', '?')} redone)")
    p(f"store: {meta['small_versions']} small versions of {meta['small_modules']} modules "
      f"({meta['small_zip_bytes'] / meta['small_versions']:.0f}-byte zips: a go.mod and one Go file), "
      f"then the {meta['download_versions']} versions of run.sh's go mod download "
      f"({meta['download_zip_bytes'] / 2**20:.1f} MiB of zips)")
    p(f"log: {info.get('static', '?')}")
    p("ratios: the median of the rounds' own ratios (both sides of a round measured one after the "
      "other), with the lowest and highest; spread = a side's (highest - lowest) / median over the rounds")

    # (1) serve
    runs = read_runs(work) if os.path.getsize(os.path.join(work, "results.tsv")) else {}
    if runs:
        p("")
        p(f"(1) serving the log: wrk {info.get('wrk', '?')}, 1 thread, {info.get('connections', '?')} "
          f"connections, {info.get('duration', '?')} s per run, {info.get('rounds', '?')} rounds "
          f"(order alternating); medians; no credentials (no users configured: every caller anonymous)")
        header = (f"  {'scenario':<40} {'server':<31} {'req/s':>8} {'MB/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
                  f"{'RSS MiB':>7} {'CPU %':>5} {'wrk %':>5} {'other %':>7}  req/s by round   spread")
        p(header)
        p("  " + "-" * (len(header) - 2))
        for scenario, title in SCENARIOS.items():
            first = True
            for server, label in SERVERS.items():
                rs = runs.get((scenario, server))
                if not rs:
                    continue
                med = lambda key: statistics.median(r[key] for r in rs)
                bad = sum(r["errors"] + r["unexpected"] for r in rs)
                flag = f"  {bad:.0f} errors or other statuses" if bad else ""
                p(f"  {title if first else '':<40} {label:<31} {med('rps'):>8.0f} {med('mbps'):>7.1f} "
                  f"{med('p50'):>7.2f} {med('p99'):>7.2f} {max(r['rss'] for r in rs):>7.1f} "
                  f"{med('cpu'):>5.0f} {med('client_cpu'):>5.0f} {med('noise'):>7.0f}  "
                  + " ".join(f"{r['rps']:.0f}" for r in sorted(rs, key=lambda r: r["round"]))
                  + f"   {spread(r['rps'] for r in rs)}{flag}")
                first = False
        for scenario, title in SCENARIOS.items():
            cur = {r["round"]: r["rps"] for r in runs.get((scenario, "modgate"), [])}
            ref = {r["round"]: r["rps"] for r in runs.get((scenario, "nginx"), [])}
            r = ratio(cur, ref)
            if r:
                closing.append((f"(1) {scenario}s/s, modgate / nginx", fmt_ratio(r),
                                f"spread {spread(cur.values())} / {spread(ref.values())}", ""))

    # (2) appending
    sync_path = os.path.join(work, "sync.tsv")
    sync = [line.split() for line in open(sync_path) if line.strip()] if os.path.exists(sync_path) else []
    publish_path = os.path.join(work, "publish.tsv")
    publish = [line.split() for line in open(publish_path) if line.strip()] if os.path.exists(publish_path) else []
    if sync or publish:
        p("")
        p("(2) appending to the log")
    if sync:
        by_tmp = {}
        for r in sync:
            by_tmp.setdefault(r[1], []).append(r)
        p(f"  modgate sumdb sync of {sync[0][2]} stored versions into an empty log (batches of 1,000, "
          f"8 zips hashed at once, each copied to a TMPDIR file first), pinned to one CPU, each run on "
          f"a new hard-linked copy of the store, files in the page cache:")
        rates_by = {}
        for tmpdir, rs in by_tmp.items():
            rates = {int(r[0]): int(r[2]) / float(r[3]) for r in rs}
            rates_by[tmpdir] = rates
            med = statistics.median(rates.values())
            p(f"    TMPDIR={tmpdir:<9} {med:6,.0f} versions/s (median of {len(rs)}; "
              f"{statistics.median(float(r[3]) for r in rs):.2f} s); by round: "
              + " ".join(f"{rates[k]:,.0f}" for k in sorted(rates))
              + f"; spread {spread(rates.values())}; CPU user {statistics.median(float(r[4]) for r in rs):.2f} s, "
              f"system {statistics.median(float(r[5]) for r in rs):.2f} s; other %: " + " ".join(r[6] for r in rs))
        goal_tmp = "/tmp" if "/tmp" in rates_by else next(iter(rates_by))
        rates = rates_by[goal_tmp]
        med = statistics.median(rates.values())
        closing.append((f"(2) sumdb sync, versions/s (TMPDIR={goal_tmp})",
                        f"{med:,.0f} (rounds {min(rates.values()):,.0f}-{max(rates.values()):,.0f})",
                        f">= {SYNC_GOAL:,.0f}", mark(med >= SYNC_GOAL)))
        for tmpdir, other in rates_by.items():
            if tmpdir != goal_tmp:
                r = ratio(other, rates)
                closing.append((f"(2) sumdb sync, TMPDIR={tmpdir} / TMPDIR={goal_tmp}", fmt_ratio(r), "", ""))
    if publish:
        # round side modules count seconds p50 p99 big_bytes big_seconds ticks hz noise
        by = {}
        for r in publish:
            count, seconds = int(r[3]), float(r[4])
            by.setdefault(int(r[2]), {"on": {}, "off": {}})[r[1]][int(r[0])] = {
                "rate": count / seconds, "p50": float(r[5]), "p99": float(r[6]),
                "cpu_ms": 1000 * int(r[9]) / int(r[10]) / count, "noise": int(r[11]),
            }
        p(f"  publishing through the API: {info.get('publishes', '?')} small versions a round on "
          f"{info.get('publish_connections', '?')} connections (PUT, bcrypt user, remembered), to a modgate "
          f"with the log and one without, each its own store, same rounds; server CPU = its CPU time / versions:")
        log_path = os.path.join(work, "publish-log.txt")
        if os.path.exists(log_path):
            records, heads = open(log_path).read().split()
            p(f"  (the log took {records} records in {heads} appends, each a signed head)")
        for modules, sides in sorted(by.items()):
            what = "versions of one module (written one at a time)" if modules == 1 else f"one version of each of {modules} modules"
            p(f"   {what}:")
            for side, label in (("on", "log on "), ("off", "log off")):
                rs = sides[side]
                if not rs:
                    continue
                m = lambda k: statistics.median(x[k] for x in rs.values())
                p(f"    {label}  {m('rate'):6.0f} versions/s (by round: "
                  + " ".join(f"{rs[k]['rate']:.0f}" for k in sorted(rs))
                  + f"; spread {spread(x['rate'] for x in rs.values())}), p50 {m('p50'):.1f} ms, p99 {m('p99'):.1f} ms, "
                  f"server CPU {m('cpu_ms'):.2f} ms a version; other %: " + " ".join(str(rs[k]["noise"]) for k in sorted(rs)))
            if sides["on"] and sides["off"]:
                r = ratio({k: v["rate"] for k, v in sides["on"].items()}, {k: v["rate"] for k, v in sides["off"].items()})
                rounds = sorted(set(sides["on"]) & set(sides["off"]))
                extra = [sides["on"][k]["cpu_ms"] - sides["off"][k]["cpu_ms"] for k in rounds]
                p(f"    log on / off: throughput {fmt_ratio(r)}; the log's server CPU a version "
                  f"{statistics.median(extra):+.2f} ms (rounds " + " ".join(f"{x:+.2f}" for x in extra) + ")")
                short = "1 module" if modules == 1 else f"{modules} modules"
                closing.append((f"(2) publishes/s ({short}), log on / off", fmt_ratio(r), "", ""))
                closing.append((f"(2) server CPU a publish ({short}), on - off", f"{statistics.median(extra):+.2f} ms "
                                f"(rounds {min(extra):+.2f} to {max(extra):+.2f})", "", ""))

    # (3) download
    dl_path = os.path.join(work, "download.tsv")
    downloads = [line.split() for line in open(dl_path) if line.strip()] if os.path.exists(dl_path) else []
    if downloads:
        by = {}
        for round_, label, seconds, noise in downloads:
            gov, side = label.rsplit("-", 1)
            by.setdefault(gov, {}).setdefault(side, {})[int(round_)] = (float(seconds), int(noise))
        p("")
        p(f"(3) go mod download of {meta['download_versions']} modules through modgate (http, anonymous), "
          f"a fresh GOMODCACHE (tmpfs) and GOPATH/pkg/sumdb every run, go on CPU 1; GOSUMDB = the log's "
          f"verifier key (lookups and tiles through the proxy) against GOSUMDB=off, alternating, "
          f"{info.get('download_rounds', '?')} rounds; go: {info.get('gos', '?')}")
        for gov, sides in by.items():
            for side in ("on", "off"):
                rs = sides.get(side, {})
                if rs:
                    p(f"  {gov:<9} GOSUMDB {side:<3} {statistics.median(v[0] for v in rs.values()):.3f} s   runs: "
                      + " ".join(f"{rs[k][0]:.3f}" for k in sorted(rs))
                      + f"   spread {spread(v[0] for v in rs.values())}   other %: "
                      + " ".join(str(rs[k][1]) for k in sorted(rs)))
            asked = os.path.join(work, f"download-asked-{gov}.tsv")
            if os.path.exists(asked):
                _, lookups, tiles = open(asked).read().split()
                p(f"  {gov:<9} with GOSUMDB on, go read {lookups} lookups and {tiles} tiles through modgate "
                  f"(besides `supported`)")
            if "on" in sides and "off" in sides:
                r = ratio({k: v[0] for k, v in sides["on"].items()}, {k: v[0] for k, v in sides["off"].items()})
                p(f"  {gov:<9} on / off: {fmt_ratio(r)}; by round: " + " ".join(f"{x:.2f}" for x in r[3]))
                closing.append((f"(3) go mod download ({gov}), on / off", fmt_ratio(r),
                                f"<= {DOWNLOAD_GOAL:.2f}x", mark(r[0] <= DOWNLOAD_GOAL)))

    p("")
    p("closing figures (issue 14), from the same run:")
    w = max([40] + [len(c[0]) for c in closing])
    vw = max([10] + [len(c[1]) for c in closing])
    for what, value, goal, verdict in closing:
        p(f"  {what:<{w}} {value:<{vw}}  {goal:<14} {verdict}".rstrip())
    goals = [c for c in closing if c[3]]
    if goals:
        p(f"  goals met: {sum(1 for c in goals if c[3] == 'met')} of {len(goals)}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
