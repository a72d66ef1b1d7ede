#!/usr/bin/env python3
"""The table of bench/goclient.sh: medians, spreads and ratios of its timed `go mod download`s.

    goclient_report.py TSV [key=value...]

TSV has one run a line: round, client:target (e.g. 1.19:modgate-https), seconds, noise (percent
of a CPU that other work took during the run, bench/lib.sh's noise_end), the client's and the
server's CPU seconds (user + system, in clock ticks of 10 ms). The key=value pairs are
the run's settings, printed in the header.
"""

import collections
import datetime
import os
import statistics
import sys

NAMES = {
    "file": "GOPROXY=file:// (no server)",
    "modgate-http": "modgate, http (no users)",
    "nginx-http": "nginx, http (no auth)",
    "modgate-https": "modgate, https (bcrypt users)",
    "nginx-https": "nginx, https (no auth)",
    "nginx-h2": "nginx, https + HTTP/2 (no auth)",
    "base-http": "modgate-base, http (no users)",
    "base-https": "modgate-base, https (bcrypt users)",
}
# (numerator, denominator, ceiling or None): the two targets, then what helps read them.
RATIOS = [
    ("modgate-http", "file", 1.03),
    ("modgate-https", "nginx-https", 1.00),
    ("modgate-https", "nginx-h2", None),
    ("modgate-http", "nginx-http", None),
    ("nginx-http", "file", None),
    ("nginx-https", "file", None),
    ("modgate-https", "file", None),
    ("modgate-http", "base-http", None),
    ("modgate-https", "base-https", None),
]


def quartiles(xs):
    if len(xs) < 2:
        return xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[2]


def cpu_ratio(cpu, client, num, den):
    """(go's median CPU + the server's mean) of one target over the other's."""
    def work(target):
        used = cpu[(client, target)].values()
        return statistics.median(c for c, _ in used) + statistics.mean(s for _, s in used)
    return work(num) / work(den)


def main():
    tsv, settings = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
    runs = collections.defaultdict(dict)  # (client, target) -> round -> seconds
    cpu = collections.defaultdict(dict)  # (client, target) -> round -> (client s, server s)
    noise = collections.defaultdict(list)
    missing = 0
    for line in open(tsv):
        if not line.strip():
            missing += 1  # a run kept by no attempt (bench/lib.sh before it kept the first)
            continue
        rnd, label, seconds, other, client_cpu, server_cpu = line.rstrip("\n").split("\t")
        client, target = label.split(":", 1)
        runs[(client, target)][int(rnd)] = float(seconds)
        cpu[(client, target)][int(rnd)] = (float(client_cpu), float(server_cpu))
        noise[client].append(int(other))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    model = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    p = print
    p(f"modgate: the go client's floor (issue #17), {now}")
    p(f"machine: {os.cpu_count()} x {model}; servers on CPU 0, go on CPU 1; 127.0.0.1; "
      f"load average before / after: {settings.get('load', '?')}")
    p(f"download: go mod download of {settings['modules']} module versions (set {settings['set']}, "
      f"{int(settings['bytes']) / 2**20:.1f} MiB of zips) into an empty GOMODCACHE "
      f"({settings['gomodcache']}), GOFLAGS=-modcacherw, GOSUMDB=off, GOTOOLCHAIN=local")
    p(f"rounds: {settings['runs']}, each one run of every target with every client, the order "
      "rotated each round; runs where other work took more than "
      f"{settings['noise_limit']}% of a CPU were done again up to twice, keeping the quietest "
      f"({settings['redone']} redone{f', {missing} runs missing' if missing else ''})")
    p(f"servers: modgate {settings['modgate']} (release, RUST_LOG=info, request log on), "
      f"nginx {settings['nginx']} (1 worker, sendfile, access log on; HTTP/1.1 as Debian "
      "ships it, and HTTP/2 offered as a second https reference)"
      + (f"; modgate-base = {settings['baseline']}" if "baseline" in settings else ""))
    p("clients: " + ", ".join(v for k, v in sorted(settings.items()) if k.startswith("go1")))
    p("https: the same ECDSA P-256 certificate for both, trusted through SSL_CERT_FILE; modgate "
      "with its bcrypt users (credentials in GOPROXY, verified ones remembered) against nginx "
      "with no auth (nginx's auth_basic checks bcrypt on every request); http: no users on either "
      "(the go command sends no credentials over http)")
    for client in sorted({c for c, _ in runs}, key=lambda c: [int(x) for x in c.split(".")]):
        p()
        p(f"go {client}: seconds per download, median; spread = interquartile range and "
          f"lowest-highest; other = median % of a CPU taken by other work "
          f"(this client: {statistics.median(noise[client])}%)")
        p("  CPU: go's (median) and the server's (mean: 10 ms ticks), seconds per download; on a busy "
          "machine their sum is the steadier guide to a quiet one's time")
        p(f"  {'target':<38}{'median':>8}{'IQR':>16}{'lowest-highest':>17}{'runs':>6}"
          f"{'go CPU':>8}{'server CPU':>11}")
        for target, name in NAMES.items():
            times = sorted(runs.get((client, target), {}).values())
            if not times:
                continue
            q1, q3 = quartiles(times)
            used = cpu[(client, target)].values()
            p(f"  {name:<38}{statistics.median(times):>8.3f}{f'{q1:.3f}-{q3:.3f}':>16}"
              f"{f'{times[0]:.3f}-{times[-1]:.3f}':>17}{len(times):>6}"
              f"{statistics.median(c for c, _ in used):>8.2f}{statistics.mean(s for _, s in used):>11.3f}")
        p("  ratios: of the medians; per round = median (and interquartile range) of each round's "
          "own ratio, the two runs a few seconds apart; by CPU = of go's + the server's CPU time")
        for num, den, ceiling in RATIOS:
            a, b = runs.get((client, num)), runs.get((client, den))
            if not a or not b:
                continue
            ratio = statistics.median(a.values()) / statistics.median(b.values())
            paired = sorted(a[r] / b[r] for r in a if r in b)
            q1, q3 = quartiles(paired)
            verdict = ""
            if ceiling is not None:
                verdict = f"<= {ceiling:.2f}x  {'met' if ratio <= ceiling else 'MISSED'}"
            p(f"  {num + ' / ' + den:<30}{ratio:>7.3f}x   per round {statistics.median(paired):.3f}x "
              f"({q1:.3f}-{q3:.3f}); by CPU {cpu_ratio(cpu, client, num, den):.3f}x  {verdict}")


if __name__ == "__main__":
    main()
