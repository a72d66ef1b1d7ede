#!/usr/bin/env python3
"""Turns the raw runs of bench/run.sh into one table and the ratios against issue #6's targets.

    report.py WORK_DIR key=value...

reads WORK_DIR/results.tsv (one wrk run a line), go-download.tsv, upstream.tsv, publish.tsv,
memory.tsv and meta.json; the key=value arguments describe the run (versions, duration, ...).
Every figure is the median over the rounds, except RSS, which is the highest sample of any round
(the target is a ceiling).

With an older build measured beside the current one (BENCH_BASELINE: servers modgate-base and
modgate-base-tls, labels cold-base and warm-base, publish-base.tsv, memory-base.tsv), its rows
join every section and one more compares the two, round by round.
"""

import json
import os
import platform
import statistics
import sys
import time

MIB = 1024 * 1024

SCENARIOS = {
    "a": ".info/.mod round robin, with credentials",
    "b": "~64 KB zip",
    "c": "~13 MB zip",
    "d": "404 for unknown modules",
    "e": "401 for wrong passwords",
    "f": "(a) over TLS",
    "h": "(d) over TLS",
    "i": "(e) over TLS",
}
TLS_SCENARIOS = ("f", "h", "i")
SERVERS = {
    "modgate": "modgate (bcrypt users)",
    "modgate-base": "modgate-base (bcrypt users)",
    "nginx": "nginx (no auth)",
    "nginx-bcrypt": "nginx (auth_basic, bcrypt)",
    "seed": "seed Go server (bcrypt)",
    "modgate-tls": "modgate TLS (bcrypt users)",
    "modgate-base-tls": "modgate-base TLS (bcrypt users)",
    "nginx-tls": "nginx TLS (no auth)",
    "seed-tls": "seed Go server TLS (bcrypt)",
    "nginx-sha": "nginx (auth_basic, {SHA})",
    "nginx-sha-tls": "nginx TLS (auth_basic, {SHA})",
    "modgate-quiet": "modgate, quiet",
    "modgate-tls-quiet": "modgate TLS, quiet",
    "nginx-quiet": "nginx (no auth), quiet",
    "nginx-tls-quiet": "nginx TLS (no auth), quiet",
    "nginx-sha-quiet": "nginx (auth_basic, {SHA}), quiet",
    "nginx-sha-tls-quiet": "nginx TLS (auth_basic, {SHA}), quiet",
}
# Server CPU per request, like for like (issue 17): for each scenario, modgate's reference in the
# logging mode; the quiet mode's servers are the same names with "-quiet".
CPU_REFERENCE = {"a": "nginx", "d": "nginx", "e": "nginx-sha",
                 "f": "nginx-tls", "h": "nginx-tls", "i": "nginx-sha-tls"}
CPU_TARGET = 0.67
CPU_TITLES = {"a": "small .info/.mod", "d": "404 unknown module", "e": "401 wrong password",
              "f": "small files, TLS", "h": "404, TLS", "i": "401, TLS"}
# The servers the targets are about (the baseline, if measured, is compared separately).
CURRENT = ("modgate", "modgate-tls")
# (scenario, reference, target ratio of modgate's req/s to the reference's)
TARGETS = [
    ("a", "nginx", 1.0), ("a", "seed", 1.5), ("a", "nginx-bcrypt", 50.0),
    ("b", "nginx", 1.0), ("c", "nginx", 0.95), ("d", "nginx", 1.0),
    ("e", "nginx-bcrypt", 1.0), ("f", "nginx-tls", 1.0),
]
# (g) runs over https, the only scheme the go command sends credentials on.
GO_TARGETS = {
    "modgate": "modgate https (bcrypt users)",
    "modgate-base": "modgate-base https (bcrypt users)",
    "nginx": "nginx https (no auth)",
    "nginx-bcrypt": "nginx https (bcrypt)",
    "seed": "seed Go server https (bcrypt)",
}
RSS_CEILING_MIB = 32
# "A 500 MiB zip download does not grow it": allow for allocator noise, nothing proportional.
GROWTH_ALLOWANCE_MIB = 4


def read_runs(work):
    runs = {}
    with open(os.path.join(work, "results.tsv")) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 4:
                continue
            round_, scenario, server = fields[:3]
            values = dict(kv.split("=", 1) for kv in fields[3:])
            v = {k: float(x) for k, x in values.items()}
            seconds = v["duration_us"] / 1e6
            # wrk counts answers outside 2xx/3xx; d and e should get nothing else.
            expect_errors = scenario in ("d", "e", "h", "i")
            unexpected = v["requests"] - v["status"] if expect_errors else v["status"]
            runs.setdefault((scenario, server), []).append({
                "round": int(round_),
                "rps": v["requests"] / seconds,
                "mbps": v["bytes"] / seconds / 1e6,
                "p50": v["p50_us"] / 1000,
                "p99": v["p99_us"] / 1000,
                "rss": v["rss_kb"] / 1024,
                "cpu": 100 * v["cpu_ticks"] / v["tick_hz"] / seconds,
                "cpu_us": 1e6 * v["cpu_ticks"] / v["tick_hz"] / max(v["requests"], 1),
                "client_cpu": 100 * v.get("client_ticks", 0.0) / v["tick_hz"] / seconds,
                "errors": v["connect"] + v["read"] + v["write"] + v["timeout"],
                "unexpected": unexpected,
                "noise": v.get("noise", 0.0),
            })
    return runs


def summarize(samples):
    med = lambda key: statistics.median(s[key] for s in samples)
    return {
        "rps": med("rps"), "mbps": med("mbps"), "p50": med("p50"), "p99": med("p99"),
        "cpu": med("cpu"), "client_cpu": med("client_cpu"),
        "rss": max(s["rss"] for s in samples), "noise": med("noise"),
        "errors": sum(s["errors"] for s in samples), "n": len(samples),
        "unexpected": sum(s["unexpected"] for s in samples),
    }


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def mark(ok):
    return "met" if ok else "MISSED"


def cpu_per_request(runs, p):
    """The server's CPU time per request, modgate over its like-for-like reference, both modes."""
    rows = []
    for scenario, ref in CPU_REFERENCE.items():
        mine = "modgate-tls" if scenario in TLS_SCENARIOS else "modgate"
        modes = [("logging", mine, ref), ("quiet", f"{mine}-quiet", f"{ref}-quiet")]
        if (scenario, f"{mine.replace('modgate', 'modgate-base')}") in runs:
            modes.append(("logging", mine.replace("modgate", "modgate-base"), ref))
        for mode, me, other in modes:
            if (scenario, me) in runs and (scenario, other) in runs:
                rows.append((scenario, mode, me, other))
    if not rows:
        return
    p("")
    p("server CPU per request (issue 17): the pinned server's utime+stime over the run / requests "
      "answered, in µs;")
    p("like for like: logging = modgate's request log vs nginx's access log as shipped; quiet = "
      "request_log = \"off\" vs access_log off and")
    p("log_not_found off (a wrong password is still logged on both sides: modgate's audit line, "
      "nginx's error line); 401s: nginx auth_basic")
    p("with {SHA} entries: modgate remembers a password's verdict, nginx would run bcrypt on every "
      "request (that row is no reference);")
    p("ratio = modgate's median / the reference's; per round = lowest-highest of the rounds' own "
      "ratios; spread = (highest - lowest) / median")
    p(f"  {'scenario':<24} {'mode':<13} {'modgate µs':>10} {'ref µs':>7} {'ratio':>6} "
      f"{'per round':>11} {'spread':>15}  target")
    spread = lambda xs: 100 * (max(xs) - min(xs)) / statistics.median(xs)
    for scenario, mode, me, other in rows:
        mine = {r["round"]: r["cpu_us"] for r in runs[(scenario, me)]}
        ref = {r["round"]: r["cpu_us"] for r in runs[(scenario, other)]}
        ratio = statistics.median(mine.values()) / statistics.median(ref.values())
        per = [mine[r] / ref[r] for r in sorted(set(mine) & set(ref))]
        title = f"({scenario}) {CPU_TITLES[scenario]}"
        # The baseline's row shows where the current build started; the target is the current's.
        who = ", base" if "base" in me else ""
        verdict = "" if who else f"<= {CPU_TARGET}x {mark(ratio <= CPU_TARGET)}"
        p(f"  {title:<24} {mode + who:<13} {statistics.median(mine.values()):>10.2f} "
          f"{statistics.median(ref.values()):>7.2f} {ratio:>5.2f}x "
          f"{min(per):>5.2f}-{max(per):.2f}x "
          f"{f'{spread(list(mine.values())):.1f}% / {spread(list(ref.values())):.1f}%':>15}"
          f"  {verdict}")


def main():
    work = sys.argv[1]
    info = dict(a.split("=", 1) for a in sys.argv[2:])
    meta = json.load(open(os.path.join(work, "meta.json")))
    runs = read_runs(work)
    stats = {key: summarize(samples) for key, samples in runs.items()}
    out = []
    p = out.append

    cpu = cpu_model()
    p(f"modgate benchmark (issue #6), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    p(f"machine: {os.cpu_count()} x {cpu}, Linux {platform.release()}; servers on CPU 0, "
      f"client on CPU 1; 127.0.0.1; load average before / after: {info.get('load', '?')}")
    p(f"load: wrk {info.get('wrk', '?')}, 1 thread, {info.get('connections', '32')} connections, "
      f"{info.get('duration', '?')} s per run, {info.get('rounds', '?')} rounds with the server "
      f"order rotated; medians (RSS: highest sample)")
    p(f"servers: modgate {info.get('modgate', '?')} (release, RUST_LOG=info, request log on); "
      f"nginx {info.get('nginx', '?')} (1 worker, sendfile, access log on); seed: "
      f"net/http FileServer, {info.get('go', '?')}, {info.get('seed_scheme', '?')} passwords, "
      f"verified credentials remembered")
    if "baseline" in info:
        p(f"baseline: modgate-base = modgate {info['baseline']}, started like the current build "
          f"(same configs, its own ports, CPU 0), measured in the same rounds")
    p(f"CPU % = the server's CPU time over the run, wrk % the client's (near 100: the client is "
      f"the bound, and servers that wait on it tie); other % = CPU time taken by anything else "
      f"on either CPU (a shared machine), median; runs above {info.get('noise_limit', '?')}% "
      f"were done again up to twice, keeping the quietest ({info.get('redone', '?')} redone)")
    p(f"users: htpasswd -B, bcrypt cost {info.get('cost', '?')}; TLS: ECDSA P-256 self-signed")
    p(f"store: {meta['modules']} modules ({meta['uppercase_modules']} with capitals), "
      f"{meta['versions']} versions, {meta['zip_bytes'] / MIB:.0f} MiB of zips; "
      f"b = {meta['zip64k']['size'] / 1024:.0f} KiB, c = {meta['zip13m']['size'] / MIB:.1f} MiB")
    p("")
    # As wide as the longest server name in this run (the baseline's are longer).
    sw = max([29] + [len(SERVERS[srv]) for _, srv in stats])
    header = (f"{'scenario':<44} {'server':<{sw}} {'req/s':>9} {'MB/s':>8} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'RSS MiB':>7} {'CPU %':>5} {'wrk %':>5} {'other %':>7}")
    p(header)
    p("-" * len(header))
    for scenario, title in SCENARIOS.items():
        first = True
        for server in SERVERS:
            s = stats.get((scenario, server))
            if not s:
                continue
            label = f"({scenario}) {title}" if first else ""
            first = False
            flag = f"  {s['errors']:.0f} socket errors" if s["errors"] else ""
            if s["unexpected"]:
                flag += f"  {s['unexpected']:.0f} answers with another status"
            p(f"{label:<44} {SERVERS[server]:<{sw}} {s['rps']:>9.0f} {s['mbps']:>8.1f} "
              f"{s['p50']:>7.2f} {s['p99']:>7.2f} {s['rss']:>7.1f} {s['cpu']:>5.0f} {s['client_cpu']:>5.0f} "
              f"{s['noise']:>7.0f}{flag}")

    go_times, go_noise, go_rounds = {}, {}, {}
    go_path = os.path.join(work, "go-download.tsv")
    if os.path.exists(go_path):
        for line in open(go_path):
            round_, target, seconds, noise = line.split()
            go_times.setdefault(target, []).append(float(seconds))
            go_noise.setdefault(target, []).append(int(noise))
            go_rounds.setdefault(target, {})[int(round_)] = float(seconds)
    if go_times:
        p("")
        p(f"(g) go mod download, 30 modules ({meta['download_bytes'] / MIB:.1f} MiB of zips), "
          f"cold GOMODCACHE, {info.get('go', '?')} on CPU 1, median of "
          f"{len(next(iter(go_times.values())))}:")
        gw = max([32] + [len(label) for target, label in GO_TARGETS.items() if target in go_times])
        for target, label in [("file", "GOPROXY=file:// (floor)")] + list(GO_TARGETS.items()):
            if target in go_times:
                t = statistics.median(go_times[target])
                p(f"  {label:<{gw}} {t:7.3f} s   runs: "
                  + " ".join(f"{x:.3f}" for x in go_times[target])
                  + "   other %: " + " ".join(str(n) for n in go_noise[target]))

    upstream, upstream_rounds = {}, {}
    upstream_path = os.path.join(work, "upstream.tsv")
    if os.path.exists(upstream_path):
        for line in open(upstream_path):
            if line.strip():
                round_, label, seconds, _ = line.split()
                upstream.setdefault(label, []).append(float(seconds))
                upstream_rounds.setdefault(label, {})[int(round_)] = float(seconds)
    if upstream:
        p("")
        p("(u) the upstream cache: the same go mod download (cold GOMODCACHE), median:")
        titles = [("direct", "straight from the upstream (nginx)"),
                  ("cold", "modgate gateway, empty store (fetch, check, store)"),
                  ("warm", "modgate gateway, from its store"),
                  ("cold-base", "modgate-base gateway, empty store (fetch, check, store)"),
                  ("warm-base", "modgate-base gateway, from its store")]
        uw = max([52] + [len(title) for label, title in titles if label in upstream])
        for label, title in titles:
            if label in upstream:
                p(f"  {title:<{uw}} {statistics.median(upstream[label]):7.3f} s   runs: "
                  + " ".join(f"{x:.3f}" for x in upstream[label]))

    # One line a round, in round order: small_count small_seconds p50 p99 big_bytes big_seconds.
    def read_publish(name):
        path = os.path.join(work, name)
        if not os.path.exists(path):
            return []
        return [[float(x) for x in line.split()] for line in open(path) if line.strip()]

    publish, publish_base = read_publish("publish.tsv"), read_publish("publish-base.tsv")
    if publish:
        p("")
        p(f"(p) publishing through the API (PUT, bcrypt user), median of {len(publish)}:")
        for runs_, who in ((publish, ""), (publish_base, "modgate-base: ")):
            if not runs_:
                continue
            med = lambda i: statistics.median(r[i] for r in runs_)
            p(f"  {who}{med(0):.0f} small versions on 4 connections: {med(0) / med(1):.0f} versions/s, "
              f"p50 {med(2):.1f} ms, p99 {med(3):.1f} ms")
            p(f"  {who}one {med(4) / MIB:.1f} MiB zip: {med(5):.2f} s ({med(4) / med(5) / 1e6:.0f} MB/s, "
              f"checked, hashed and stored)")

    # round, rate, RSS before, peak and after (kB), bytes sent; more than one round only with a
    # baseline, where each rate shows the round with the highest peak (RSS: highest sample).
    def read_memory(name):
        path = os.path.join(work, name)
        if not os.path.exists(path):
            return {}
        by_rate = {}
        for line in open(path):
            if line.strip():
                round_, rate, before, peak, after, size = line.split()
                by_rate.setdefault(rate, []).append(
                    (int(round_), int(before), int(peak), int(after), int(size)))
        return by_rate

    memory, memory_base = read_memory("memory.tsv"), read_memory("memory-base.tsv")
    if memory:
        p("")
        p("(m) modgate RSS while one 500 MiB zip streams out:")
        lines = []
        for by_rate, who in ((memory, ""), (memory_base, "modgate-base ")):
            for rate, rs in by_rate.items():
                _, before, peak, after, size = max(rs, key=lambda r: r[2])
                more = f"; peaks of {len(rs)} runs: " + " ".join(f"{r[2] / 1024:.1f}" for r in rs) if len(rs) > 1 else ""
                lines.append((f"{who}{'full speed' if rate == 'full' else 'client at ' + rate + '/s'}",
                              f"before {before / 1024:5.1f} MiB, peak {peak / 1024:5.1f} MiB, "
                              f"after {after / 1024:5.1f} MiB ({size / MIB:.0f} MiB sent{more})"))
        mw = max([18] + [len(label) for label, _ in lines])
        for label, text in lines:
            p(f"  {label:<{mw}} {text}")

    p("")
    p("modgate / each reference, from the same run (req/s; for g, time), against issue #6:")
    rows = []  # (what, value, target text, verdict)
    targeted = {(sc, ref) for sc, ref, _ in TARGETS}
    for scenario in SCENARIOS:
        mine = "modgate-tls" if scenario in TLS_SCENARIOS else "modgate"
        for ref in SERVERS:
            if ref.startswith("modgate") or (scenario, ref) not in stats or (scenario, mine) not in stats:
                continue
            ratio = stats[(scenario, mine)]["rps"] / stats[(scenario, ref)]["rps"]
            goal = next((t for sc, r, t in TARGETS if (sc, r) == (scenario, ref)), None)
            rows.append((f"({scenario}) modgate / {SERVERS[ref]}", f"{ratio:.2f}x",
                         f">= {goal:g}x" if goal else "", mark(ratio >= goal) if goal else ""))
    if "file" in go_times:
        floor = statistics.median(go_times["file"])
        for target in GO_TARGETS:
            if target in go_times and target != "modgate-base":
                r = statistics.median(go_times[target]) / floor
                is_goal = target == "modgate"
                rows.append((f"(g) {GO_TARGETS[target]} / file://", f"{r:.2f}x",
                             "<= 1.05x" if is_goal else "", mark(r <= 1.05) if is_goal else ""))
    if "direct" in upstream:
        direct = statistics.median(upstream["direct"])
        for label in ("cold", "warm"):
            if label in upstream:
                rows.append((f"(u) modgate gateway {label} / straight from upstream",
                             f"{statistics.median(upstream[label]) / direct:.2f}x", "", ""))
    modgate_rss = [s["rss"] for (sc, srv), s in stats.items() if srv in CURRENT]
    # (m) runs last, after publishing and everything else: its samples count too.
    modgate_rss += [peak / 1024 for rs in memory.values() for _, _, peak, _, _ in rs]
    if modgate_rss:
        worst = max(modgate_rss)
        rows.append(("memory: modgate's highest RSS, every scenario", f"{worst:.1f} MiB",
                     f"<= {RSS_CEILING_MIB} MiB", mark(worst <= RSS_CEILING_MIB)))
    for rate, rs in memory.items():
        growth = max(peak - before for _, before, peak, _, _ in rs) / 1024
        rows.append((f"memory: 500 MiB zip ({'full speed' if rate == 'full' else rate + '/s'}) RSS growth",
                     f"{growth:.1f} MiB", f"<= {GROWTH_ALLOWANCE_MIB} MiB", mark(growth <= GROWTH_ALLOWANCE_MIB)))
    for what, value, goal, verdict in rows:
        p(f"  {what:<56} {value:>9}  {goal:<10} {verdict}".rstrip())
    missed = sum(1 for r in rows if r[3] == "MISSED")
    met = sum(1 for r in rows if r[3] == "met")
    p(f"  targets met: {met} of {met + missed}")

    # The baseline: each figure of the current build over the same figure of the older one,
    # {round: value} on both sides.
    pairs = []  # (what, measure, higher is better, current, baseline)
    for scenario, title in SCENARIOS.items():
        mine, old = (("modgate-tls", "modgate-base-tls") if scenario in TLS_SCENARIOS
                     else ("modgate", "modgate-base"))
        pairs.append((f"({scenario}) {title}", "req/s", True,
                      {r["round"]: r["rps"] for r in runs.get((scenario, mine), [])},
                      {r["round"]: r["rps"] for r in runs.get((scenario, old), [])}))
    pairs.append(("(g) go mod download over https", "time", False,
                  go_rounds.get("modgate", {}), go_rounds.get("modgate-base", {})))
    pairs.append(("(u) gateway, empty store", "time", False,
                  upstream_rounds.get("cold", {}), upstream_rounds.get("cold-base", {})))
    pairs.append(("(u) gateway, from its store", "time", False,
                  upstream_rounds.get("warm", {}), upstream_rounds.get("warm-base", {})))
    by_round = lambda rows, f: {i + 1: f(r) for i, r in enumerate(rows)}
    pairs.append(("(p) small versions on 4 connections", "versions/s", True,
                  by_round(publish, lambda r: r[0] / r[1]), by_round(publish_base, lambda r: r[0] / r[1])))
    pairs.append(("(p) one ~13 MiB zip", "time", False,
                  by_round(publish, lambda r: r[5]), by_round(publish_base, lambda r: r[5])))
    for rate in ("full", "100M"):
        pairs.append((f"(m) 500 MiB zip, {'full speed' if rate == 'full' else 'client at ' + rate + '/s'}",
                      "peak RSS", False,
                      {r[0]: r[2] for r in memory.get(rate, [])}, {r[0]: r[2] for r in memory_base.get(rate, [])}))
    pairs = [pair for pair in pairs if pair[3] and pair[4]]
    if pairs:
        p("")
        p("current / baseline, same run: ratio = current's median / baseline's median; per round = "
          "lowest-highest of the rounds' own ratios;")
        p("spread = each build's own (highest - lowest) / median over the rounds, current / baseline")
        p(f"  {'scenario':<44} {'measure':<10} {'ratio':>6}  {'per round':>12}  "
          f"{'spread':>15}  verdict")
        spread = lambda d: 100 * (max(d.values()) - min(d.values())) / statistics.median(d.values())
        for what, measure, higher_better, cur, base in pairs:
            ratio = statistics.median(cur.values()) / statistics.median(base.values())
            per = [cur[r] / base[r] for r in sorted(set(cur) & set(base))]
            span = f"{min(per):.2f}-{max(per):.2f}x"
            if len(per) < 2:
                span, spreads, verdict = "-", "-", "one round: no spread"
            else:
                spreads = f"{spread(cur):.1f}% / {spread(base):.1f}%"
                noise = max(spread(cur), spread(base)) / 100
                if min(per) <= 1 <= max(per) or abs(ratio - 1) <= noise:
                    verdict = "within noise"
                else:
                    verdict = "better" if (ratio > 1) == higher_better else "worse"
                    verdict += " in every round, beyond the spread"
            p(f"  {what:<44} {measure:<10} {ratio:>5.2f}x  {span:>12}  "
              f"{spreads:>15}  {verdict}")
        p("  higher is better for req/s and versions/s, lower for time and peak RSS; within noise: the "
          "rounds disagree on which is better, or the ratio is off 1 by no more than either build's spread")
    cpu_per_request(runs, p)
    bad = [(k, s) for k, s in stats.items() if s["errors"]]
    if bad:
        p("")
        p("socket errors (connect/read/write/timeout) in: "
          + ", ".join(f"({sc}) {srv}: {s['errors']:.0f}" for (sc, srv), s in bad))
    print("\n".join(out))


if __name__ == "__main__":
    main()
