#!/usr/bin/env bash
# modgate on a company-sized store (issue 17), beside the build before this work, in one command:
#
#   bash bench/bigstore.sh
#
# Generates a store of 100,000 versions in 10,000 modules (bench/gen_big_store.py, one module of
# 2,000 versions) and bench/gen_store.py's small store, then, for this build and the baseline
# binary, in alternating order each round:
#   - start-up: from exec to /readyz answering 200 on the big store; RSS at idle;
#   - small files: wrk over .info/.mod spread across the big store, and over the small store's,
#     same server settings: req/s on each and their ratio; RSS at the peak of the load;
#   - `@v/list` of the 2,000-version module, one connection: p50 and p99 latency;
#   - `modgate import` of the whole big tree into an empty store, and `modgate verify` of it:
#     versions per second (their progress lines go to the logs).
# Every server is pinned to CPU 0, wrk to CPU 1 (lib.sh). Results go to
# bench/results/bigstore-latest.txt with ratios and the spread between rounds.
#
# Knobs (environment): BIG_VERSIONS (100000), BIG_MODULES (10000), BENCH_DURATION seconds per wrk
# run (5), BENCH_ROUNDS (2), BENCH_PORT first port (18380), BENCH_WORK scratch directory
# (bench/.work-bigstore), BENCH_BASELINE an older modgate binary measured beside this one
# (unset: none), BENCH_MODGATE a binary to measure instead of building this checkout, BIG_KEEP=1 keeps the generated trees (they take ~3 GB at full size).
# Short mode: BIG_VERSIONS=20000 BIG_MODULES=2000 BENCH_DURATION=3.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-bigstore}
VERSIONS=${BIG_VERSIONS:-100000}
MODULES=${BIG_MODULES:-10000}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-2}
PORT=${BENCH_PORT:-18380}
BASELINE=${BENCH_BASELINE:-}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BENCH_BASELINE=$BASELINE is not an executable" >&2
  exit 1
fi
RESULTS=$WORK/results.tsv
BIG=$WORK/big/store
SMALL=$WORK/small/store

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

install_packages wrk curl python3
if [ -n "${BENCH_MODGATE:-}" ]; then MODGATE=$BENCH_MODGATE; else build_modgate; fi
mkdir -p "$WORK/logs"
: >"$RESULTS"
ports_free "$PORT" $((PORT + 1))

if [ ! -f "$WORK/big/meta.json" ] || [ "$(python3 -c "import json; print(json.load(open('$WORK/big/meta.json'))['versions'])")" != "$VERSIONS" ]; then
  say "generating the big store ($VERSIONS versions, $MODULES modules)"
  python3 "$BENCH_DIR/gen_big_store.py" "$WORK/big" "$VERSIONS" "$MODULES" 2>"$WORK/logs/gen.log"
fi
if [ ! -f "$WORK/small/meta.json" ]; then
  say "generating the small store"
  python3 "$BENCH_DIR/gen_store.py" "$WORK/small" >/dev/null
fi

STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK/imported"
  [ "${BIG_KEEP:-}" = 1 ] || rm -rf "$WORK/big" "$WORK/small"
}
trap cleanup EXIT

# What measure() (lib.sh) reads.
declare -A URL PID LIST STATUS
LIST[small-big]=big/paths-small.txt LIST[small-small]=small/paths-small.txt LIST[list]=big/paths-list.txt
STATUS[small-big]=200 STATUS[small-small]=200 STATUS[list]=200
GOOD_AUTH=""
truncate_logs() { for f in "$WORK"/logs/serve-*.log; do : >"$f"; done; }

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; } # round metric binary value

# Starts BINARY serving STORE on PORT (CPU 0); sets SERVED to its pid and STARTUP_MS to the time
# from exec to /readyz answering 200.
serve() { # binary store port label
  printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\npath = "%s"\n' "$3" "$2" >"$WORK/$4.toml"
  local start now
  start=$(date +%s%N)
  RUST_LOG=warn taskset -c "$SERVER_CPU" "$1" serve --config "$WORK/$4.toml" >"$WORK/logs/serve-$4.log" 2>&1 &
  SERVED=$!
  STARTED+=("$SERVED")
  for _ in $(seq 3000); do
    curl -sf -o /dev/null "http://127.0.0.1:$3/readyz" && break
    kill -0 "$SERVED" 2>/dev/null || { cat "$WORK/logs/serve-$4.log" >&2; exit 1; }
    sleep 0.005
  done
  now=$(date +%s%N)
  STARTUP_MS=$(((now - start) / 1000000))
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# A command's versions per second over the big store's count; its progress lines go to LOG.
rate() { # log command...
  local log=$1 start end
  shift
  wait_quiet
  start=$(date +%s%N)
  # Not pinned: a user's import or verify has every core, and they use them.
  "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
  end=$(date +%s%N)
  awk -v n="$VERSIONS" -v ns=$((end - start)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }'
}

one_binary() { # round label binary
  local round=$1 label=$2 bin=$3 pid
  wait_quiet
  serve "$bin" "$BIG" "$PORT" "$label-big"
  pid=$SERVED
  record "$round" startup_ms "$label" "$STARTUP_MS"
  sleep 1
  record "$round" rss_idle_kb "$label" "$(rss_kb "$pid")"
  serve "$bin" "$SMALL" $((PORT + 1)) "$label-small"
  URL[$label-big]=http://127.0.0.1:$PORT PID[$label-big]=$pid
  URL[$label-small]=http://127.0.0.1:$((PORT + 1)) PID[$label-small]=$SERVED
  CONNECTIONS=32
  measure "$round" small-big "$label-big"
  measure "$round" small-small "$label-small"
  CONNECTIONS=1
  measure "$round" list "$label-big"
  stop "$pid"
  stop "$SERVED"
  rm -rf "$WORK/imported"
  # The baseline's import is serial and minutes long: one round of it is the reference.
  [ "$label" = base ] && [ "$round" -gt 1 ] && return
  say "$label: import of $VERSIONS versions"
  local per_s
  per_s=$(rate "$WORK/logs/import-$label.log" "$bin" import --store "$WORK/imported" "$BIG")
  record "$round" import_per_s "$label" "$per_s"
  rm -rf "$WORK/imported"
  say "$label: verify of $VERSIONS versions"
  per_s=$(rate "$WORK/logs/verify-$label.log" "$bin" verify --store "$BIG")
  record "$round" verify_per_s "$label" "$per_s"
}

for round in $(seq "$ROUNDS"); do
  # Alternate which goes first, so neither always meets a warmer page cache.
  order=(new base)
  ((round % 2 == 0)) && order=(base new)
  for label in "${order[@]}"; do
    if [ "$label" = new ]; then
      say "round $round: this build"
      one_binary "$round" new "$MODGATE"
    elif [ -n "$BASELINE" ]; then
      say "round $round: baseline $BASELINE"
      one_binary "$round" base "$BASELINE"
    fi
  done
done

mkdir -p "$BENCH_DIR/results"
python3 "$BENCH_DIR/bigstore_report.py" "$RESULTS" "$WORK/big/meta.json" \
  "$(modgate_version)" "${BASELINE:-none}" | tee "$BENCH_DIR/results/bigstore-latest.txt"
