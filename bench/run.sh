#!/usr/bin/env bash
# modgate side by side with nginx and the seed's Go server (issue #6), in one command:
#
#   bash bench/run.sh
#
# Installs what it needs from Debian, builds modgate (release), generates one module store under
# bench/.work, serves it from every server at once on 127.0.0.1 (each server pinned to CPU 0,
# idle while another is measured), loads them one after another with wrk pinned to CPU 1, and
# prints one table, also written to bench/results/latest.txt. Numbers are reported here and
# never asserted in tests: they depend on the machine.
#
# Two modes side by side (issue 17), each server against its like: "logging" (modgate's request
# log on, nginx's access log as Debian ships it) and "quiet" (modgate with request_log = "off",
# nginx with access_log off and log_not_found off; both still log a wrong password). The report
# gives the server's CPU time per request for both.
#
# Knobs (environment): BENCH_DURATION seconds per run (5), BENCH_ROUNDS (3), BENCH_SCENARIOS
# ("a b c d e f h i g m u p"; the CPU-per-request comparison alone: "a d e f h i"), BENCH_BCRYPT_COST (htpasswd's default, 5), BENCH_PORT first port (18080),
# BENCH_WORK scratch directory (bench/.work), BENCH_BASELINE an older modgate binary to measure
# beside the current one in the same run (unset: none), BENCH_MODGATE a binary to measure as the
# current build instead of building this checkout (unset: build).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work}
DURATION=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-a b c d e f h i g m u p}
COST=${BENCH_BCRYPT_COST:-5}
PORT=${BENCH_PORT:-18080}
# A before/after comparison is only fair within one run: a rerun on a shared machine differs from
# the last by more than most changes do. So the older build is a server of this run like the others.
BASELINE=${BENCH_BASELINE:-}
if [ -n "$BASELINE" ] && [ ! -x "$BASELINE" ]; then
  echo "BENCH_BASELINE=$BASELINE is not an executable (a modgate binary, e.g. another checkout's target/release/modgate)" >&2
  exit 1
fi
CONNECTIONS=32
GO=/usr/lib/go-1.19/bin/go # Debian's Go: a `go` earlier on PATH may be another version
USER_NAME=alice
PASSWORD=bench-s3cret
STORE=$WORK/store
# The module cache of scenario g lives in memory where it can: on disk, extracting 3,000 files
# costs seconds and varies with writeback, which would drown what the proxies add.
GOMODCACHE_DIR=$WORK/gomodcache
[ -d /dev/shm ] && [ -w /dev/shm ] && GOMODCACHE_DIR=/dev/shm/modgate-bench-gomodcache
RESULTS=$WORK/results.tsv

# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh" # SERVER_CPU=0, CLIENT_CPU=1, and what the benchmarks share

# --- what the benchmark needs ------------------------------------------------------------------

# Debian's golang-*-dev packages are only here for their sources (real Go files for the store);
# golang-golang-x-crypto-dev also gives the seed server bcrypt.
PACKAGES=(nginx-light wrk apache2-utils golang-go openssl curl python3
  golang-golang-x-crypto-dev golang-golang-x-text-dev golang-golang-x-sys-dev
  golang-golang-x-net-dev golang-golang-x-tools-dev golang-golang-x-mod-dev
  golang-github-burntsushi-toml-dev golang-github-google-go-cmp-dev
  golang-github-stretchr-testify-dev golang-github-sirupsen-logrus-dev
  golang-github-spf13-cobra-dev golang-github-pkg-errors-dev golang-gopkg-yaml.v3-dev)
install_packages "${PACKAGES[@]}"
# The Debian package starts a system nginx on port 80 where it can; ours runs on its own ports.

# BENCH_MODGATE: a modgate binary to measure instead of building this checkout's.
if [ -n "${BENCH_MODGATE:-}" ]; then MODGATE=$BENCH_MODGATE; else build_modgate; fi

mkdir -p "$WORK"/{bin,logs,nginx,gopath}
say "building the seed server with $($GO version | cut -d' ' -f3)"
# GOPATH mode finds golang.org/x/crypto in Debian's /usr/share/gocode; without it the seed
# compares plain passwords (build tag "plain") and the table says so.
SEED_SCHEME=bcrypt
if ! (cd "$BENCH_DIR/seed" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS='' GOTOOLCHAIN=local \
  "$GO" build -o "$WORK/bin/seed" .) 2>"$WORK/logs/seed-build.log"; then
  say "x/crypto/bcrypt not found: the seed compares plain passwords in constant time"
  SEED_SCHEME=plain
  (cd "$BENCH_DIR/seed" && GO111MODULE=off GOFLAGS='' GOTOOLCHAIN=local "$GO" build -tags plain -o "$WORK/bin/seed" .)
fi

# The store is deterministic: regenerate only when the generator changed.
if [ ! -f "$WORK/meta.json" ] || [ "$BENCH_DIR/gen_store.py" -nt "$WORK/meta.json" ]; then
  say "generating the store"
  python3 "$BENCH_DIR/gen_store.py" "$WORK" >&2
fi
meta() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$WORK/meta.json" "$1"; }

# --- credentials, certificate, configs ---------------------------------------------------------

say "bcrypt users (cost $COST) and a certificate for 127.0.0.1"
rm -f "$WORK/htpasswd"
htpasswd -B -C "$COST" -b -c "$WORK/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
for u in bob carol dave erin frank grace heidi ivan judy; do
  htpasswd -B -C "$COST" -b "$WORK/htpasswd" "$u" "pw-$u" 2>/dev/null
done
# The same users with {SHA} entries, for nginx's like-for-like 401s: modgate remembers the
# verdict on a password (a digest and a lookup per request, bcrypt only the first time), while
# nginx runs bcrypt on every request; with {SHA} it hashes once per request, a cost like ours.
rm -f "$WORK/htpasswd-sha"
htpasswd -s -b -c "$WORK/htpasswd-sha" "$USER_NAME" "$PASSWORD" 2>/dev/null
SEED_HTPASSWD=$WORK/htpasswd
if [ "$SEED_SCHEME" = plain ]; then
  SEED_HTPASSWD=$WORK/htpasswd-plain
  echo "$USER_NAME:$PASSWORD" >"$SEED_HTPASSWD"
fi
GOOD_AUTH="Basic $(printf '%s:%s' "$USER_NAME" "$PASSWORD" | base64 -w0)"
# ECDSA P-256: what a current deployment uses, and cheap for both TLS stacks alike.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

P_MODGATE=$PORT P_NGINX=$((PORT + 1)) P_NGINX_BCRYPT=$((PORT + 2)) P_SEED=$((PORT + 3))
P_MODGATE_TLS=$((PORT + 4)) P_NGINX_TLS=$((PORT + 5)) P_SEED_TLS=$((PORT + 6))
P_NGINX_BCRYPT_TLS=$((PORT + 7)) P_MODGATE_UPSTREAM=$((PORT + 8))
# The baseline's own ports, after the others.
P_BASE=$((PORT + 9)) P_BASE_TLS=$((PORT + 10)) P_BASE_UPSTREAM=$((PORT + 11))
# The quiet mode's servers.
P_MODGATE_QUIET=$((PORT + 12)) P_MODGATE_TLS_QUIET=$((PORT + 13))
P_NGINX_QUIET=$((PORT + 14)) P_NGINX_TLS_QUIET=$((PORT + 15))
P_NGINX_SHA=$((PORT + 16)) P_NGINX_SHA_QUIET=$((PORT + 17))
P_NGINX_SHA_TLS=$((PORT + 18)) P_NGINX_SHA_TLS_QUIET=$((PORT + 19))
ports_free "$PORT" $((PORT + 19))

# modgate: every module behind "any valid user" (route "*" with an htpasswd), which also makes
# unknown modules plain 404s (a public route), as scenario d wants.
for variant in plain tls; do
  {
    echo "[server]"
    if [ "$variant" = tls ]; then
      echo "listen = \"127.0.0.1:$P_MODGATE_TLS\""
      printf '[tls]\ncert = "%s"\nkey = "%s"\n' "$WORK/cert.pem" "$WORK/key.pem"
    else
      echo "listen = \"127.0.0.1:$P_MODGATE\""
    fi
    printf '[storage]\npath = "%s"\n' "$STORE"
    printf '[auth]\nhtpasswd = "%s"\n' "$WORK/htpasswd"
    printf '[[route]]\nprefix = "*"\nwrite_users = ["%s"]\n' "$USER_NAME"
  } >"$WORK/modgate-$variant.toml"
done
# (u) a gateway caching everything from nginx (plain, as the upstream proxy). The bench's modules
# are in no checksum database, so that check is off here.
UPSTREAM_STORE=$WORK/upstream-store
cat >"$WORK/modgate-upstream.toml" <<EOF
[server]
listen = "127.0.0.1:$P_MODGATE_UPSTREAM"
[storage]
path = "$UPSTREAM_STORE"
[upstream]
proxies = "http://127.0.0.1:$P_NGINX"
[sumdb]
verify = false
[[route]]
prefix = "*"
source = "upstream"
EOF

# nginx as Debian ships it (lib.sh's nginx_conf), with and without basic auth and TLS; and quiet:
# no access log and no error line for a missing file (log_not_found). A wrong password is still
# written to nginx's error log, as modgate still writes it to its audit log: a security event,
# not a request line.
NGINX_QUIET="access_log off; log_not_found off;"
nginx_conf "$WORK/nginx" "$WORK/logs" >"$WORK/nginx/nginx.conf" <<EOF
  server { listen 127.0.0.1:$P_NGINX; root $STORE; }
  server {
    listen 127.0.0.1:$P_NGINX_BCRYPT; root $STORE;
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd;
  }
  server {
    listen 127.0.0.1:$P_NGINX_TLS ssl; root $STORE;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
  }
  server {
    listen 127.0.0.1:$P_NGINX_BCRYPT_TLS ssl; root $STORE;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd;
  }
  server {
    listen 127.0.0.1:$P_NGINX_SHA; root $STORE;
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd-sha;
  }
  server {
    listen 127.0.0.1:$P_NGINX_SHA_TLS ssl; root $STORE;
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd-sha;
  }
  server { listen 127.0.0.1:$P_NGINX_QUIET; root $STORE; $NGINX_QUIET }
  server {
    listen 127.0.0.1:$P_NGINX_TLS_QUIET ssl; root $STORE; $NGINX_QUIET
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
  }
  server {
    listen 127.0.0.1:$P_NGINX_SHA_QUIET; root $STORE; $NGINX_QUIET
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd-sha;
  }
  server {
    listen 127.0.0.1:$P_NGINX_SHA_TLS_QUIET ssl; root $STORE; $NGINX_QUIET
    ssl_certificate $WORK/cert.pem; ssl_certificate_key $WORK/key.pem;
    auth_basic "modules"; auth_basic_user_file $WORK/htpasswd-sha;
  }
EOF

# From here on this script and everything it starts run on the client CPU, unless pinned to the
# server's; CPU 0 is the measured server's alone.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

# --- servers -----------------------------------------------------------------------------------

STARTED=() # pids of the servers this script started, stopped on exit
HUGE_DIR=$STORE/corp.example/bench/huge
PUBLISHED_DIR=$STORE/bench.example/publish
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$HUGE_DIR" "$GOMODCACHE_DIR" "$UPSTREAM_STORE" "$PUBLISHED_DIR"
}
trap cleanup EXIT

# taskset execs the server, so $! is the server's own pid (a shell function here would put a
# subshell in between, whose pid would be measured and killed instead).
: >"$WORK/logs/modgate.log"
RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$WORK/modgate-plain.toml" >>"$WORK/logs/modgate.log" 2>&1 &
PID_MODGATE=$!
STARTED+=("$PID_MODGATE")
: >"$WORK/logs/modgate-tls.log"
RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$WORK/modgate-tls.toml" >>"$WORK/logs/modgate-tls.log" 2>&1 &
PID_MODGATE_TLS=$!
STARTED+=("$PID_MODGATE_TLS")
if [ -n "$BASELINE" ]; then
  # The same configs as the current build's, so that only the code differs; --listen moves it to
  # its own ports.
  : >"$WORK/logs/modgate-base.log"
  RUST_LOG=info taskset -c "$SERVER_CPU" "$BASELINE" serve --config "$WORK/modgate-plain.toml" \
    --listen "127.0.0.1:$P_BASE" >>"$WORK/logs/modgate-base.log" 2>&1 &
  PID_BASE=$!
  STARTED+=("$PID_BASE")
  : >"$WORK/logs/modgate-base-tls.log"
  RUST_LOG=info taskset -c "$SERVER_CPU" "$BASELINE" serve --config "$WORK/modgate-tls.toml" \
    --listen "127.0.0.1:$P_BASE_TLS" >>"$WORK/logs/modgate-base-tls.log" 2>&1 &
  PID_BASE_TLS=$!
  STARTED+=("$PID_BASE_TLS")
fi
# The quiet mode: the same configs with the request log off (an older baseline ignores the
# variable, so it runs in the logging mode only).
: >"$WORK/logs/modgate-quiet.log"
MODGATE_REQUEST_LOG=off RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$WORK/modgate-plain.toml" \
  --listen "127.0.0.1:$P_MODGATE_QUIET" >>"$WORK/logs/modgate-quiet.log" 2>&1 &
PID_MODGATE_QUIET=$!
STARTED+=("$PID_MODGATE_QUIET")
: >"$WORK/logs/modgate-tls-quiet.log"
MODGATE_REQUEST_LOG=off RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$WORK/modgate-tls.toml" \
  --listen "127.0.0.1:$P_MODGATE_TLS_QUIET" >>"$WORK/logs/modgate-tls-quiet.log" 2>&1 &
PID_MODGATE_TLS_QUIET=$!
STARTED+=("$PID_MODGATE_TLS_QUIET")
taskset -c "$SERVER_CPU" "$WORK/bin/seed" -listen "127.0.0.1:$P_SEED" -store "$STORE" -htpasswd "$SEED_HTPASSWD" \
  >"$WORK/logs/seed.log" 2>&1 &
PID_SEED=$!
STARTED+=("$PID_SEED")
taskset -c "$SERVER_CPU" "$WORK/bin/seed" -listen "127.0.0.1:$P_SEED_TLS" -store "$STORE" -htpasswd "$SEED_HTPASSWD" \
  -tls-cert "$WORK/cert.pem" -tls-key "$WORK/key.pem" >"$WORK/logs/seed-tls.log" 2>&1 &
PID_SEED_TLS=$!
STARTED+=("$PID_SEED_TLS")
start_nginx "$WORK/nginx" "$WORK/nginx/nginx.conf" "$WORK/logs"

SERVER_PORTS="$(seq "$PORT" $((PORT + 7))) $(seq $((PORT + 12)) $((PORT + 19)))"
[ -z "$BASELINE" ] || SERVER_PORTS+=" $P_BASE $P_BASE_TLS"
# shellcheck disable=SC2086 # one port a word
wait_for_ports $SERVER_PORTS
# An older build may not read today's config: say so now rather than as a wrong status later.
if [ -n "$BASELINE" ]; then
  for variant in base base-tls; do
    pid=$PID_BASE
    [ "$variant" = base-tls ] && pid=$PID_BASE_TLS
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/logs/modgate-$variant.log" >&2; echo "the baseline ($variant) exited" >&2; exit 1; }
  done
fi
NGINX_WORKER=$(nginx_worker "$PID_NGINX")

# name → base URL, the process doing the work (RSS and CPU are read from it)
declare -A URL PID
URL[modgate]=http://127.0.0.1:$P_MODGATE PID[modgate]=$PID_MODGATE
URL[nginx]=http://127.0.0.1:$P_NGINX PID[nginx]=$NGINX_WORKER
URL[nginx-bcrypt]=http://127.0.0.1:$P_NGINX_BCRYPT PID[nginx-bcrypt]=$NGINX_WORKER
URL[seed]=http://127.0.0.1:$P_SEED PID[seed]=$PID_SEED
URL[modgate-tls]=https://127.0.0.1:$P_MODGATE_TLS PID[modgate-tls]=$PID_MODGATE_TLS
URL[nginx-tls]=https://127.0.0.1:$P_NGINX_TLS PID[nginx-tls]=$NGINX_WORKER
URL[seed-tls]=https://127.0.0.1:$P_SEED_TLS PID[seed-tls]=$PID_SEED_TLS
URL[modgate-quiet]=http://127.0.0.1:$P_MODGATE_QUIET PID[modgate-quiet]=$PID_MODGATE_QUIET
URL[modgate-tls-quiet]=https://127.0.0.1:$P_MODGATE_TLS_QUIET PID[modgate-tls-quiet]=$PID_MODGATE_TLS_QUIET
URL[nginx-quiet]=http://127.0.0.1:$P_NGINX_QUIET PID[nginx-quiet]=$NGINX_WORKER
URL[nginx-tls-quiet]=https://127.0.0.1:$P_NGINX_TLS_QUIET PID[nginx-tls-quiet]=$NGINX_WORKER
URL[nginx-sha]=http://127.0.0.1:$P_NGINX_SHA PID[nginx-sha]=$NGINX_WORKER
URL[nginx-sha-quiet]=http://127.0.0.1:$P_NGINX_SHA_QUIET PID[nginx-sha-quiet]=$NGINX_WORKER
URL[nginx-sha-tls]=https://127.0.0.1:$P_NGINX_SHA_TLS PID[nginx-sha-tls]=$NGINX_WORKER
URL[nginx-sha-tls-quiet]=https://127.0.0.1:$P_NGINX_SHA_TLS_QUIET PID[nginx-sha-tls-quiet]=$NGINX_WORKER
if [ -n "$BASELINE" ]; then
  URL[modgate-base]=http://127.0.0.1:$P_BASE PID[modgate-base]=$PID_BASE
  URL[modgate-base-tls]=https://127.0.0.1:$P_BASE_TLS PID[modgate-base-tls]=$PID_BASE_TLS
fi

# --- scenarios ---------------------------------------------------------------------------------

# Request lists for wrk.lua: one path a line, optionally a tab and that request's Authorization.
meta 'zip64k["path"]' >"$WORK/paths-64k.txt"
meta 'zip13m["path"]' >"$WORK/paths-13m.txt"
# Wrong passwords: a hundred different ones for a real user, as a password-guessing client sends.
python3 - "$WORK" "$USER_NAME" <<'EOF'
import base64, sys
work, user = sys.argv[1:]
paths = open(f"{work}/paths-small.txt").read().split()
with open(f"{work}/paths-401.txt", "w") as f:
    for i, path in enumerate(paths):
        token = base64.b64encode(f"{user}:wrong-{i % 100}".encode()).decode()
        f.write(f"{path}\tBasic {token}\n")
EOF

declare -A LIST STATUS SERVERS
# The small-file, 404 and 401 scenarios run in both modes: "-quiet" servers log no line per request.
LIST[a]=paths-small.txt STATUS[a]=200 SERVERS[a]="modgate modgate-quiet nginx nginx-quiet nginx-bcrypt seed"
LIST[b]=paths-64k.txt STATUS[b]=200 SERVERS[b]="modgate nginx nginx-bcrypt seed"
LIST[c]=paths-13m.txt STATUS[c]=200 SERVERS[c]="modgate nginx nginx-bcrypt seed"
LIST[d]=paths-404.txt STATUS[d]=404 SERVERS[d]="modgate modgate-quiet nginx nginx-quiet nginx-bcrypt seed"
LIST[e]=paths-401.txt STATUS[e]=401 SERVERS[e]="modgate modgate-quiet nginx-sha nginx-sha-quiet nginx-bcrypt seed"
LIST[f]=paths-small.txt STATUS[f]=200 SERVERS[f]="modgate-tls modgate-tls-quiet nginx-tls nginx-tls-quiet seed-tls"
LIST[h]=paths-404.txt STATUS[h]=404 SERVERS[h]="modgate-tls modgate-tls-quiet nginx-tls nginx-tls-quiet"
LIST[i]=paths-401.txt STATUS[i]=401 SERVERS[i]="modgate-tls modgate-tls-quiet nginx-sha-tls nginx-sha-tls-quiet"
if [ -n "$BASELINE" ]; then
  # The baseline joins each list right after the current build; the rotation moves it like the rest.
  for s in a b c d e; do SERVERS[$s]=${SERVERS[$s]/modgate/modgate modgate-base}; done
  for s in f h i; do SERVERS[$s]=${SERVERS[$s]/modgate-tls/modgate-tls modgate-base-tls}; done
fi

truncate_logs() {
  # The servers append, so truncating keeps the disk from filling without restarting them.
  : >"$WORK/logs/modgate.log"
  : >"$WORK/logs/modgate-tls.log"
  : >"$WORK/logs/modgate-quiet.log"
  : >"$WORK/logs/modgate-tls-quiet.log"
  if [ -n "$BASELINE" ]; then
    : >"$WORK/logs/modgate-base.log"
    : >"$WORK/logs/modgate-base-tls.log"
  fi
  : >"$WORK/logs/nginx-access.log"
  # nginx logs every 404 (log_not_found) and every failed password here, as shipped
  : >"$WORK/logs/nginx-error.log"
}

has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
# The current build's name, then the baseline's if there is one, in this round's order: each goes
# first every other round, so neither always runs on what the other left (page cache, heap, port).
pair() { # round current-name baseline-name
  if [ -z "$BASELINE" ]; then
    echo "$2"
  elif (($1 % 2)); then
    echo "$2 $3"
  else
    echo "$3 $2"
  fi
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine shows here
: >"$RESULTS"
load_scenarios=()
for s in a b c d e f h i; do has "$s" && load_scenarios+=("$s"); done
if [ ${#load_scenarios[@]} -gt 0 ]; then
  for round in $(seq "$ROUNDS"); do
    for scenario in "${load_scenarios[@]}"; do
      read -r -a servers <<<"${SERVERS[$scenario]}"
      # Rotate the order every round, so no server always runs first (or right after another).
      n=${#servers[@]}
      for i in $(seq 0 $((n - 1))); do
        server=${servers[$(((i + round - 1) % n))]}
        say "round $round/$ROUNDS, scenario $scenario: $server"
        measure "$round" "$scenario" "$server"
      done
    done
  done
fi

mkdir -p "$WORK/gomod-empty"
read -r -a downloads <<<"$(tr '\n' ' ' <"$WORK/go-download.txt")"

# (g) `go mod download` of 30 modules with a cold GOMODCACHE, through each server and from the
# same tree as GOPROXY=file:// (the floor). Over https: the go command sends credentials only
# there.
GO_RESULTS=$WORK/go-download.tsv
: >"$GO_RESULTS"
if has g; then
  declare -A PROXY=(
    [file]="file://$STORE"
    [modgate]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_MODGATE_TLS"
    [nginx]="https://127.0.0.1:$P_NGINX_TLS"
    [nginx-bcrypt]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_NGINX_BCRYPT_TLS"
    [seed]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_SEED_TLS"
  )
  # whose CPU time is the server's during each (file:// has none: its pid 1 stands in, idle)
  declare -A GO_PID=([file]=1 [modgate]=$PID_MODGATE_TLS [nginx]=$NGINX_WORKER
    [nginx-bcrypt]=$NGINX_WORKER [seed]=$PID_SEED_TLS)
  if [ -n "$BASELINE" ]; then
    PROXY[modgate-base]="https://$USER_NAME:$PASSWORD@127.0.0.1:$P_BASE_TLS"
    GO_PID[modgate-base]=$PID_BASE_TLS
  fi
  for round in $(seq "$ROUNDS"); do
    for target in file $(pair "$round" modgate modgate-base) nginx nginx-bcrypt seed; do
      say "round $round/$ROUNDS, scenario g: go mod download via $target"
      timed_download "$GO_RESULTS" "$round" "$target" "${PROXY[$target]}" "${GO_PID[$target]}"
    done
  done
fi

# (u) the upstream cache: the same download straight from nginx (standing in for the public
# proxy); through a modgate gateway that must fetch, check and store every file first (cold:
# empty store, fresh process); and through that gateway again (warm: served from its store).
UPSTREAM_RESULTS=$WORK/upstream.tsv
: >"$UPSTREAM_RESULTS"
if has u; then
  for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS, scenario u: straight from the upstream (nginx)"
    timed_download "$UPSTREAM_RESULTS" "$round" direct "http://127.0.0.1:$P_NGINX" "$NGINX_WORKER"
    # The baseline's gateway: the same config and (one after the other) the same emptied store.
    for build in $(pair "$round" modgate modgate-base); do
      binary=$MODGATE port=$P_MODGATE_UPSTREAM suffix="" listen=()
      if [ "$build" = modgate-base ]; then
        binary=$BASELINE port=$P_BASE_UPSTREAM suffix=-base listen=(--listen "127.0.0.1:$P_BASE_UPSTREAM")
      fi
      rm -rf "$UPSTREAM_STORE"
      RUST_LOG=warn taskset -c "$SERVER_CPU" "$binary" serve --config "$WORK/modgate-upstream.toml" "${listen[@]}" \
        >"$WORK/logs/$build-upstream.log" 2>&1 &
      pid_upstream=$!
      STARTED+=("$pid_upstream")
      for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
      say "round $round/$ROUNDS, scenario u: $build gateway, cold"
      timed_download "$UPSTREAM_RESULTS" "$round" "cold$suffix" "http://127.0.0.1:$port" "$pid_upstream"
      say "round $round/$ROUNDS, scenario u: $build gateway, warm"
      timed_download "$UPSTREAM_RESULTS" "$round" "warm$suffix" "http://127.0.0.1:$port" "$pid_upstream"
      kill "$pid_upstream"
      wait "$pid_upstream" 2>/dev/null || true
    done
  done
fi

# (p) publishing through the HTTP API: small new versions on 4 connections at once, then one
# ~13 MB zip; deleted from the store afterwards.
PUBLISH_RESULTS=$WORK/publish.tsv PUBLISH_BASE_RESULTS=$WORK/publish-base.tsv
: >"$PUBLISH_RESULTS"
: >"$PUBLISH_BASE_RESULTS"
if has p; then
  rm -rf "$PUBLISHED_DIR" # left by an interrupted run: versions never change, so start afresh
  for round in $(seq "$ROUNDS"); do
    # The baseline publishes into the same store under a prefix of its own (versions never change).
    for build in $(pair "$round" modgate modgate-base); do
      module=bench.example/publish/r$round tsv=$PUBLISH_RESULTS
      [ "$build" = modgate-base ] && module=bench.example/publish/base/r$round tsv=$PUBLISH_BASE_RESULTS
      say "round $round/$ROUNDS, scenario p: publishing to $build"
      wait_quiet
      taskset -c "$CLIENT_CPU" python3 "$BENCH_DIR/publish.py" "${URL[$build]}" "$GOOD_AUTH" \
        "$module" "$STORE$(meta 'zip13m["path"]')" >>"$tsv"
      truncate_logs
    done
  done
  rm -rf "$PUBLISHED_DIR"
fi

# (m) modgate's memory while a 500 MiB zip streams out: once at full speed, once to a reader
# slowed to 100 MB/s (so that the body is produced faster than it leaves). The zip is sparse:
# cheap to make and read, and deleted afterwards.
MEM_RESULTS=$WORK/memory.tsv MEM_BASE_RESULTS=$WORK/memory-base.tsv
: >"$MEM_RESULTS"
: >"$MEM_BASE_RESULTS"
if has m; then
  mkdir -p "$HUGE_DIR/@v"
  truncate -s 500M "$HUGE_DIR/@v/v1.0.0.zip"
  echo '{"Version":"v1.0.0","Time":"2023-01-01T00:00:00Z"}' >"$HUGE_DIR/@v/v1.0.0.info"
  echo 'module corp.example/bench/huge' >"$HUGE_DIR/@v/v1.0.0.mod"
  # One run per rate answers the targets; a comparison with the baseline needs rounds to show
  # how much a peak varies by itself.
  mem_rounds=1
  [ -z "$BASELINE" ] || mem_rounds=$ROUNDS
  for round in $(seq "$mem_rounds"); do
    for build in $(pair "$round" modgate modgate-base); do
      pid=${PID[$build]} tsv=$MEM_RESULTS
      [ "$build" = modgate-base ] && tsv=$MEM_BASE_RESULTS
      for rate in full 100M; do
        say "500 MiB zip from $build ($rate)"
        before=$(rss_kb "$pid")
        limit=()
        [ "$rate" = full ] || limit=(--limit-rate "$rate")
        taskset -c "$CLIENT_CPU" curl -sf "${limit[@]}" -o /dev/null -w '%{size_download}' \
          -H "Authorization: $GOOD_AUTH" "${URL[$build]}/corp.example/bench/huge/@v/v1.0.0.zip" \
          >"$WORK/logs/huge-$rate.txt" &
        curl_pid=$!
        peak=$before
        while kill -0 "$curl_pid" 2>/dev/null; do
          rss=$(rss_kb "$pid")
          ((rss > peak)) && peak=$rss
          sleep 0.1
        done
        wait "$curl_pid"
        after=$(rss_kb "$pid")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$rate" "$before" "$peak" "$after" \
          "$(cat "$WORK/logs/huge-$rate.txt")" >>"$tsv"
      done
    done
  done
  rm -rf "$HUGE_DIR"
  truncate_logs
fi

# --- report ------------------------------------------------------------------------------------

# What the baseline is: its path, and the commit of the checkout it sits in, if any (as for the
# current build, "+changes" when that checkout's crates differ from its commit).
baseline_info=()
if [ -n "$BASELINE" ]; then
  where=$BASELINE
  dir=$(dirname "$BASELINE")
  if rev=$(git -C "$dir" rev-parse --short HEAD 2>/dev/null); then
    git -C "$dir" diff --quiet HEAD -- ':/crates' 2>/dev/null || rev+=+changes
    where="$rev ($BASELINE, a binary in that checkout)"
  fi
  baseline_info=(baseline="$where")
fi
mkdir -p "$BENCH_DIR/results"
python3 "$BENCH_DIR/report.py" "$WORK" \
  duration="$DURATION" rounds="$ROUNDS" connections="$CONNECTIONS" cost="$COST" \
  seed_scheme="$SEED_SCHEME" nginx="$(nginx -v 2>&1 | cut -d/ -f2)" \
  go="$($GO version | cut -d' ' -f3)" redone="$REDONE" noise_limit="$NOISE_LIMIT" load="$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" wrk="$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
  modgate="${BENCH_MODGATE:-$(modgate_version)}" \
  "${baseline_info[@]}" \
  | tee "$BENCH_DIR/results/latest.txt"
