#!/usr/bin/env bash
# Cold gateway misses (issue 17), in one command:
#
#   bash bench/gateway.sh
#
# `go mod download -json` of run.sh's 30 modules (bench/gen_store.py: 20 real modules from
# Debian's Go sources and 10 private ones) into an empty GOMODCACHE, on 127.0.0.1, with the
# servers pinned to CPU 0 and go to CPU 1:
#
#   direct    straight from the upstream proxy: nginx (as Debian ships it, access log on)
#             serving the generated tree;
#   cold      through a modgate `source = "upstream"` route in front of that nginx, a fresh
#             process with an empty store: every file is fetched, checked and stored first;
#   warm      through the same process again, everything now served from its store;
#   cold-base, warm-base: the same with BENCH_BASELINE (an older modgate binary), if set.
#
# Every round runs each of them once, in an order rotated round to round, so that none always
# runs first or right after another. The report (medians, every run's figure, the spread, the
# cold/direct ratio of each round, and how many requests reached the upstream) is printed and
# written to bench/results/gateway-latest.txt. Figures are reported, never asserted in tests.
#
# The checksum database is off on both sides (GOSUMDB=off for go, `[sumdb] verify = false` for
# modgate), as in run.sh's scenario (u): the generated modules are in no checksum database, and
# with one on, the go command would ask it for the same lookups and tiles whichever proxy it
# uses, so the comparison stays like for like.
#
# Knobs (environment): BENCH_ROUNDS (9; the short mode is BENCH_ROUNDS=3), BENCH_PORT first of
# three ports (18980), BENCH_WORK scratch directory (bench/.work-gateway), BENCH_BASELINE an
# older modgate binary measured beside the current one (unset: none), BENCH_MODGATE a modgate
# binary to measure instead of building this checkout's, BENCH_NOISE_LIMIT and
# BENCH_QUIET_BUDGET (30 s here) as in run.sh. After the release build and the generation of
# the tree (about 40 s) a round takes about 10 s with a baseline on a quiet machine.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-gateway}
ROUNDS=${BENCH_ROUNDS:-9}
PORT=${BENCH_PORT:-18980}
BASELINE=${BENCH_BASELINE:-}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BENCH_BASELINE=$BASELINE is not an executable (a modgate binary)" >&2
  exit 1
fi
# A cold run is a fresh process on an empty store each time: waiting long for a quiet machine
# before each would make a short run long.
export BENCH_QUIET_BUDGET=${BENCH_QUIET_BUDGET:-30}
GO=/usr/lib/go-1.19/bin/go # Debian's Go: a `go` earlier on PATH may be another version
GOMODCACHE_DIR=$WORK/gomodcache
[ -d /dev/shm ] && [ -w /dev/shm ] && GOMODCACHE_DIR=/dev/shm/modgate-bench-gateway-gomodcache
RESULTS=$WORK/gateway.tsv

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

install_packages nginx-light golang-go python3 curl \
  golang-golang-x-crypto-dev golang-golang-x-text-dev golang-golang-x-sys-dev \
  golang-golang-x-net-dev golang-golang-x-tools-dev golang-golang-x-mod-dev \
  golang-github-burntsushi-toml-dev golang-github-google-go-cmp-dev \
  golang-github-stretchr-testify-dev golang-github-sirupsen-logrus-dev \
  golang-github-spf13-cobra-dev golang-github-pkg-errors-dev golang-gopkg-yaml.v3-dev
if [ -n "${BENCH_MODGATE:-}" ]; then
  MODGATE=$BENCH_MODGATE # a binary built already (e.g. while the working tree moves on)
else
  build_modgate
fi
mkdir -p "$WORK"/{logs,nginx,gopath,gomod-empty}

# The same tree as run.sh's, deterministic: regenerated only when the generator changed.
if [ ! -f "$WORK/meta.json" ] || [ "$BENCH_DIR/gen_store.py" -nt "$WORK/meta.json" ]; then
  say "generating the upstream's tree"
  python3 "$BENCH_DIR/gen_store.py" "$WORK" >&2
fi
read -r -a downloads <<<"$(tr '\n' ' ' <"$WORK/go-download.txt")"

P_NGINX=$PORT P_GATEWAY=$((PORT + 1)) P_BASE=$((PORT + 2))
ports_free "$PORT" "$P_BASE"
STORE=$WORK/gateway-store
for build in current base; do
  port=$P_GATEWAY
  [ "$build" = base ] && port=$P_BASE
  cat >"$WORK/modgate-$build.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
[storage]
path = "$STORE-$build"
[upstream]
proxies = "http://127.0.0.1:$P_NGINX"
[sumdb]
verify = false
[[route]]
prefix = "*"
source = "upstream"
EOF
done
nginx_conf "$WORK/nginx" "$WORK/logs" >"$WORK/nginx/nginx.conf" <<EOF
  server { listen 127.0.0.1:$P_NGINX; root $WORK/store; }
EOF

taskset -cp "$CLIENT_CPU" $$ >/dev/null
STARTED=()
GATEWAY_PID=""
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$GOMODCACHE_DIR" "$STORE-current" "$STORE-base"
}
trap cleanup EXIT
start_nginx "$WORK/nginx" "$WORK/nginx/nginx.conf" "$WORK/logs"
wait_for_ports "$P_NGINX"
NGINX_WORKER=$(nginx_worker "$PID_NGINX")

# A gateway on an empty store, a fresh process: sets GATEWAY_PID.
start_gateway() { # current|base
  local binary=$MODGATE port=$P_GATEWAY
  [ "$1" = base ] && binary=$BASELINE port=$P_BASE
  rm -rf "$STORE-$1"
  RUST_LOG=info taskset -c "$SERVER_CPU" "$binary" serve --config "$WORK/modgate-$1.toml" \
    >"$WORK/logs/modgate-$1.log" 2>&1 &
  GATEWAY_PID=$!
  STARTED+=("$GATEWAY_PID")
  wait_for_ports "$port"
  kill -0 "$GATEWAY_PID" 2>/dev/null || { cat "$WORK/logs/modgate-$1.log" >&2; exit 1; }
}
stop_gateway() {
  kill "$GATEWAY_PID"
  wait "$GATEWAY_PID" 2>/dev/null || true
}

# One timed `go mod download -json` into an empty module cache; appends "round label seconds
# noise upstream_requests server_ticks" to RESULTS. Not done again when disturbed: a cold
# gateway is cold once, and every kind of run is alike in that.
download() { # round label goproxy
  local start end count requests
  rm -rf "$GOMODCACHE_DIR" "$WORK/gopath/pkg/sumdb"
  wait_quiet
  : >"$WORK/logs/nginx-access.log"
  noise_start "$NGINX_WORKER" "$GATEWAY_PID"
  start=$(date +%s.%N)
  (cd "$WORK/gomod-empty" && env GOPROXY="$3" GOMODCACHE="$GOMODCACHE_DIR" \
    GOPATH="$WORK/gopath" GOFLAGS=-modcacherw GOSUMDB=off GONOSUMDB='' GOPRIVATE='' GONOPROXY='' \
    GOTOOLCHAIN=local GO111MODULE=on taskset -c "$CLIENT_CPU" "$GO" mod download -json "${downloads[@]}") \
    >"$WORK/logs/go-$2.json" 2>"$WORK/logs/go-$2.err" || { cat "$WORK/logs/go-$2.err" >&2; exit 1; }
  end=$(date +%s.%N)
  noise_end "$NGINX_WORKER" "$GATEWAY_PID"
  count=$(grep -c '"Zip":' "$WORK/logs/go-$2.json" || true)
  if [ "$count" != "${#downloads[@]}" ] || grep -q '"Error":' "$WORK/logs/go-$2.json"; then
    echo "go mod download via $2: $count zips of ${#downloads[@]}; see $WORK/logs/go-$2.json" >&2
    exit 1
  fi
  requests=$(wc -l <"$WORK/logs/nginx-access.log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$NOISE" "$requests" \
    "$SERVER_TICKS" >>"$RESULTS"
}

# A gateway's cold run, then its warm run through the same process.
gateway_runs() { # round current|base
  local suffix=""
  [ "$2" = base ] && suffix=-base
  start_gateway "$2"
  local port=$P_GATEWAY
  [ "$2" = base ] && port=$P_BASE
  say "round $1/$ROUNDS: through $2 modgate, cold then warm"
  download "$1" "cold$suffix" "http://127.0.0.1:$port"
  download "$1" "warm$suffix" "http://127.0.0.1:$port"
  stop_gateway
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$RESULTS"
kinds=(direct current)
[ -z "$BASELINE" ] || kinds+=(base)
for round in $(seq "$ROUNDS"); do
  n=${#kinds[@]}
  for i in $(seq 0 $((n - 1))); do
    kind=${kinds[$(((i + round - 1) % n))]}
    if [ "$kind" = direct ]; then
      say "round $round/$ROUNDS: straight from the upstream (nginx)"
      GATEWAY_PID=""
      download "$round" direct "http://127.0.0.1:$P_NGINX"
    else
      gateway_runs "$round" "$kind"
    fi
  done
done

baseline_info=()
[ -z "$BASELINE" ] || baseline_info=(baseline="$BASELINE")
mkdir -p "$BENCH_DIR/results"
python3 - "$RESULTS" rounds="$ROUNDS" go="$($GO version | cut -d' ' -f3)" \
  modules="${#downloads[@]}" download_mib="$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["download_bytes"] / 2**20, 1))' "$WORK/meta.json")" \
  modgate="$(modgate_version)" load="$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" \
  tick_hz="$TICK_HZ" noise_limit="$NOISE_LIMIT" "${baseline_info[@]}" <<'EOF' | tee "$BENCH_DIR/results/gateway-latest.txt"
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().splitlines() if line]
info = dict(arg.split("=", 1) for arg in sys.argv[2:])
runs = {}
for rnd, label, secs, noise, requests, ticks in rows:
    runs.setdefault(label, {})[int(rnd)] = (float(secs), int(noise), int(requests), int(ticks))
names = {
    "direct": "straight from the upstream (nginx)",
    "cold": "modgate gateway, empty store (fetch, check, store)",
    "warm": "modgate gateway, from its store",
    "cold-base": "baseline gateway, empty store",
    "warm-base": "baseline gateway, from its store",
}
hz = int(info["tick_hz"])
print(f"bench/gateway.sh: go mod download -json of {info['modules']} modules ({info['download_mib']} MiB of zips),"
      f" empty GOMODCACHE, {info['go']}, {info['rounds']} rounds")
print(f"modgate {info['modgate']}" + (f"; baseline {info['baseline']}" if "baseline" in info else ""))
print(f"load average at start / end: {info['load']}; noise = other work's share of a CPU during a run"
      f" (limit for a quiet run {info['noise_limit']}%)")
print()
print(f"{'':52} {'median':>8} {'min-max':>15} {'spread':>7}  {'upstream reqs':>13}  {'server CPU':>10}  runs (s)")
for label, name in names.items():
    if label not in runs:
        continue
    r = runs[label]
    secs = [r[k][0] for k in sorted(r)]
    med = statistics.median(secs)
    reqs = statistics.median(r[k][2] for k in r)
    cpu = statistics.median(r[k][3] for k in r) / hz
    print(f"  {name:50} {med:7.3f}s {min(secs):6.3f}-{max(secs):6.3f}s {100 * (max(secs) - min(secs)) / med:6.0f}%"
          f"  {reqs:13.0f}  {cpu:9.2f}s  " + " ".join(f"{s:.3f}" for s in secs))
print("  (server CPU: the nginx worker's and the gateway's together, user + system)")
print("  noise per run: " + "; ".join(
    f"{label} " + " ".join(str(runs[label][k][1]) for k in sorted(runs[label])) for label in names if label in runs))
print()
print("ratios (median of the per-round ratios, min-max over rounds; target cold / direct <= 1.10):")
for label in ("cold", "warm", "cold-base", "warm-base"):
    if label not in runs:
        continue
    per_round = [runs[label][k][0] / runs["direct"][k][0] for k in sorted(runs[label]) if k in runs["direct"]]
    medians = statistics.median(runs[label][k][0] for k in runs[label]) / statistics.median(
        runs["direct"][k][0] for k in runs["direct"])
    print(f"  {names[label]:50} / direct  {statistics.median(per_round):5.2f}x"
          f"  ({min(per_round):.2f}-{max(per_round):.2f}x; ratio of medians {medians:.2f}x)")
if "cold-base" in runs:
    per_round = [runs["cold"][k][0] / runs["cold-base"][k][0] for k in sorted(runs["cold"]) if k in runs["cold-base"]]
    print(f"  {'modgate cold / baseline cold':50}           {statistics.median(per_round):5.2f}x"
          f"  ({min(per_round):.2f}-{max(per_round):.2f}x)")
EOF
