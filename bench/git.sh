#!/usr/bin/env bash
# The git source's benchmark (issue 13), in one command:
#
#   bash bench/git.sh
#
# A git host (bench/git_server.py: the real `git http-backend` behind basic auth, go-import
# pages, and an HTTP proxy for git.corp.example) serves repositories generated under
# BENCH_WORK (bench/gen_git_repos.py). Side by side, in the same run, with the servers pinned to
# CPU 0 and every client (go, git, wrk, curl) to CPU 1:
#
#   1. `go mod download` of 10 modules from 10 repositories through a cold modgate git route
#      (fresh process, store and mirrors) vs GOPROXY=direct against the same host (goal <= 0.7x);
#   2. the same through that modgate again, warm (built versions stored), vs a modgate serving
#      the same versions from a plain store route (goal: equal);
#   3. `@v/list` of a repository with 2,000 tags, warm (mirror fetched once), wrk on that one
#      path, vs the same list from a store route of 2,000 stored versions (goal: p50 <= 2 ms);
#   4. modgate's RSS, sampled every 100 ms, from before the first request for a 200 MiB
#      repository (fetch, then build, check and store its zip) until the zip is served
#      (goal: peak - idle < 64 MiB).
#
# Every measurement runs BENCH_ROUNDS times, alternating the order of its two sides; the table
# (medians, every round's figure, ratios) is printed and written to bench/results/git-latest.txt.
# Every answer is checked: each download's go.mod and zip hashes must be direct mode's.
#
# Knobs (environment): BENCH_ROUNDS (3), BENCH_PORT first of four ports (20080), BENCH_WORK
# scratch directory (bench/.work-git), BENCH_SCENARIOS ("download list rss": 1 and 2, 3, 4),
# BENCH_DURATION seconds per wrk run (5), BENCH_LIST_CONNECTIONS wrk connections for (3)
# ("1 32"), BENCH_NOISE_LIMIT and BENCH_QUIET_BUDGET as in run.sh.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
WORK=${BENCH_WORK:-$BENCH_DIR/.work-git}
ROUNDS=${BENCH_ROUNDS:-3}
PORT=${BENCH_PORT:-20080}
SCENARIOS=${BENCH_SCENARIOS:-download list rss}
DURATION=${BENCH_DURATION:-5}
LIST_CONNECTIONS=${BENCH_LIST_CONNECTIONS:-1 32}
GO=/usr/lib/go-1.19/bin/go # Debian's Go: a `go` earlier on PATH may be another version
# Debian's git and python3 for the host and the go client: a `git` earlier on PATH may be
# another build.
SYS_PATH=/usr/bin:/bin
GIT_USER=modgate
GIT_PASSWORD=bench-git-s3cret
GIT_HOST=git.corp.example
# The module cache lives in memory where it can, as in run.sh: extracting files on disk costs
# time that varies with writeback.
GOMODCACHE_DIR=$WORK/gomodcache
[ -d /dev/shm ] && [ -w /dev/shm ] && GOMODCACHE_DIR=/dev/shm/modgate-bench-git-gomodcache

has() { [[ " $SCENARIOS " == *" $1 "* ]]; }
# shellcheck source=bench/lib.sh
. "$BENCH_DIR/lib.sh" # SERVER_CPU=0, CLIENT_CPU=1, say, the noise accounting, wait_quiet

# --- what the benchmark needs ------------------------------------------------------------------

# The golang-*-dev packages are only here for their sources: the modules' files.
PACKAGES=(git wrk golang-go curl python3 procps
  golang-golang-x-mod-dev golang-golang-x-term-dev golang-github-google-go-cmp-dev
  golang-github-stretchr-testify-dev golang-github-sirupsen-logrus-dev
  golang-github-spf13-cobra-dev golang-github-spf13-pflag-dev golang-github-pkg-errors-dev
  golang-gopkg-yaml.v3-dev golang-github-burntsushi-toml-dev)
install_packages "${PACKAGES[@]}"

say "building modgate (release)"
(cd "$ROOT" && cargo build --release --locked -q -p modgate)
MODGATE=${CARGO_TARGET_DIR:-$ROOT/target}/release/modgate

mkdir -p "$WORK"/{logs,gopath,gocache,gomod-empty}
# The repositories are deterministic: regenerated only when the generator changed.
if [ ! -f "$WORK/repos.json" ] || [ "$BENCH_DIR/gen_git_repos.py" -nt "$WORK/repos.json" ]; then
  say "generating the repositories (a minute)"
  PATH=$SYS_PATH:$PATH python3 "$BENCH_DIR/gen_git_repos.py" "$WORK" >&2
fi
meta() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))' "$WORK/repos.json" "$1"; }
read -r -a downloads <<<"$(meta '" ".join(m["module"] + "@" + m["version"] for m in modules)')"
TAGS_MODULE=$(meta 'tags["module"]') TAGS_COUNT=$(meta 'tags["tags"]')
BIG_MODULE=$(meta 'big["module"]') BIG_VERSION=$(meta 'big["version"]')
BIG_FILES=$(meta 'big["files"]')

P_GIT=$PORT P_MODGATE=$((PORT + 1)) P_STORED=$((PORT + 2)) P_BIG=$((PORT + 3))
for p in $(seq "$PORT" $((PORT + 3))); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    echo "port $p is in use on 127.0.0.1: set BENCH_PORT to a free range" >&2
    exit 1
  fi
done

# --- configs -----------------------------------------------------------------------------------

printf '%s\n' "$GIT_PASSWORD" >"$WORK/git-password"
# The git route as the README sets one up: go-import discovery (what the go command does too),
# modgate's own credentials, plain http to this loopback host. refresh_secs is long so that the
# list measurement is of a warm mirror, never of a fetch.
git_route_config() { # listen store
  cat <<EOF
[server]
listen = "$1"
[storage]
path = "$2"
[[route]]
prefix = "$GIT_HOST"
source = "git"
[route.git]
url = "http://$GIT_HOST/{repo}.git"
discovery = "http://{path}?go-get=1"
username = "$GIT_USER"
password_file = "$WORK/git-password"
insecure_http = true
refresh_secs = 3600
EOF
}
GIT_STORE=$WORK/git-store BIG_STORE=$WORK/big-store STORED_STORE=$WORK/stored-store
git_route_config "127.0.0.1:$P_MODGATE" "$GIT_STORE" >"$WORK/modgate-git.toml"
git_route_config "127.0.0.1:$P_BIG" "$BIG_STORE" >"$WORK/modgate-big.toml"
# The same prefix as a plain store route: the "stored-file figures".
cat >"$WORK/modgate-stored.toml" <<EOF
[server]
listen = "127.0.0.1:$P_STORED"
[storage]
path = "$STORED_STORE"
[[route]]
prefix = "$GIT_HOST"
EOF

# The go client's two setups, each with a HOME of its own. Direct mode reads the repositories
# itself through the git host's proxy port, with the developer's credentials in ~/.netrc (read
# by the go command and by git's curl); through modgate it needs nothing but GOPROXY.
mkdir -p "$WORK/home-direct" "$WORK/home-proxy"
printf 'machine %s login %s password %s\n' "$GIT_HOST" "$GIT_USER" "$GIT_PASSWORD" >"$WORK/home-direct/.netrc"
chmod 600 "$WORK/home-direct/.netrc"
go_env() { # direct|proxy URL → the environment of one go command
  local common=(PATH="$SYS_PATH" GOPATH="$WORK/gopath" GOMODCACHE="$GOMODCACHE_DIR"
    GOCACHE="$WORK/gocache" GOENV=off GOFLAGS=-modcacherw GOSUMDB=off GOTOOLCHAIN=local
    GO111MODULE=on GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0)
  if [ "$1" = direct ]; then
    echo "${common[@]}" HOME="$WORK/home-direct" GOPROXY=direct GOPRIVATE="$GIT_HOST" \
      GONOSUMDB="$GIT_HOST" GOINSECURE="$GIT_HOST" HTTP_PROXY="http://127.0.0.1:$P_GIT" \
      http_proxy="http://127.0.0.1:$P_GIT"
  else
    echo "${common[@]}" HOME="$WORK/home-proxy" GOPROXY="$2" GOPRIVATE= GONOSUMDB= GONOPROXY= GOINSECURE=
  fi
}

# From here on this script and everything it starts run on the client CPU, unless pinned to the
# server's; CPU 0 is the servers' alone.
taskset -cp "$CLIENT_CPU" $$ >/dev/null

# --- servers -----------------------------------------------------------------------------------

STARTED=() # pids this script started, stopped on exit
cleanup() {
  local pid
  for pid in "${STARTED[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${STARTED[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$GOMODCACHE_DIR" "$GIT_STORE" "$BIG_STORE" "$WORK/big.zip"
}
trap cleanup EXIT
stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
wait_port() { # port pid log
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3" >&2
  echo "nothing listens on port $1: see $3" >&2
  exit 1
}

# taskset execs the server, so $! is the server's own pid.
env -i PATH="$SYS_PATH" taskset -c "$SERVER_CPU" python3 "$BENCH_DIR/git_server.py" \
  --listen "127.0.0.1:$P_GIT" --root "$WORK/repos" --user "$GIT_USER" --password "$GIT_PASSWORD" \
  >"$WORK/logs/git-server.log" 2>&1 &
PID_GIT=$!
STARTED+=("$PID_GIT")
wait_port "$P_GIT" "$PID_GIT" "$WORK/logs/git-server.log"

# modgate with a git route, on an empty store (and so no mirrors): sets PID_MODGATE.
start_git_route() { # config store port log
  rm -rf "$2"
  env -u HTTPS_PROXY -u https_proxy -u NO_PROXY -u no_proxy \
    HTTP_PROXY="http://127.0.0.1:$P_GIT" http_proxy="http://127.0.0.1:$P_GIT" RUST_LOG=info \
    taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$1" >"$4" 2>&1 &
  PID_MODGATE=$!
  STARTED+=("$PID_MODGATE")
  wait_port "$3" "$PID_MODGATE" "$4"
}

# --- measuring ---------------------------------------------------------------------------------

# VmRSS, and its two parts: RssAnon (heap, stacks) and RssFile (mapped files: the binary, and
# the pack files gix maps), in kB
rss_parts() { awk '/^VmRSS:/ {r = $2} /^RssAnon:/ {a = $2} /^RssFile:/ {f = $2} END {print r, a, f}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# What a download put in the module cache, as one digest: every go.mod and zip hash. Direct
# mode's is the reference every other download must match.
cache_digest() {
  (cd "$GOMODCACHE_DIR/cache/download" && find . \( -name '*.mod' -o -name '*.ziphash' \) | LC_ALL=C sort |
    while read -r f; do printf '%s ' "$f"; cat "$f"; echo; done | sha256sum | cut -c1-16)
}
REFERENCE=""

# `go mod download` of the 10 modules into an empty module cache, on the client CPU.
go_download() { # label mode goproxy
  local out=$WORK/logs/go-$1.log count
  rm -rf "$GOMODCACHE_DIR"
  # shellcheck disable=SC2046 # go_env prints words
  (cd "$WORK/gomod-empty" && env -i $(go_env "$2" "$3") \
    taskset -c "$CLIENT_CPU" "$GO" mod download "${downloads[@]}") >"$out" 2>&1 ||
    { cat "$out" >&2; echo "go mod download ($1) failed: $out" >&2; exit 1; }
  count=$(find "$GOMODCACHE_DIR/cache/download" -name '*.zip' | wc -l)
  [ "$count" = "${#downloads[@]}" ] || { echo "go mod download ($1): $count zips, not ${#downloads[@]}" >&2; exit 1; }
  local digest
  digest=$(cache_digest)
  if [ -z "$REFERENCE" ]; then
    REFERENCE=$digest
  elif [ "$digest" != "$REFERENCE" ]; then
    echo "go mod download ($1): the go.mod and zip hashes differ from direct mode's ($digest, not $REFERENCE)" >&2
    exit 1
  fi
}

# One timed download; appends "round label seconds noise server_ticks client_ticks" to
# downloads.tsv. Done again (twice at most) while other work disturbed it; a cold run again
# from a fresh modgate.
DOWNLOADS=$WORK/downloads.tsv
timed_download() { # round label
  local round=$1 label=$2 attempt start end best="" best_noise=101 mode=proxy url pids
  for attempt in 1 2 3; do
    case $label in
      direct) mode=direct url="" pids=("$PID_GIT") ;;
      cold)
        ((attempt == 1)) || { stop "$PID_MODGATE"; start_git_route "$WORK/modgate-git.toml" "$GIT_STORE" "$P_MODGATE" "$WORK/logs/modgate-git.log"; }
        url=http://127.0.0.1:$P_MODGATE pids=("$PID_GIT" "$PID_MODGATE") ;;
      warm) url=http://127.0.0.1:$P_MODGATE pids=("$PID_GIT" "$PID_MODGATE") ;;
      stored) url=http://127.0.0.1:$P_STORED pids=("$PID_STORED") ;;
    esac
    rm -rf "$GOMODCACHE_DIR"
    wait_quiet
    noise_start "${pids[@]}"
    start=$(date +%s.%N)
    go_download "$label" "$mode" "$url"
    end=$(date +%s.%N)
    noise_end "${pids[@]}"
    if ((NOISE < best_noise)); then
      best_noise=$NOISE
      best=$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$round" "$label" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$NOISE" "$SERVER_TICKS" "$CLIENT_TICKS")
    fi
    ((NOISE <= NOISE_LIMIT)) && break
    ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
  done
  echo "$best" >>"$DOWNLOADS"
}

# wrk on one path; appends "round side connections RESULT-fields noise server_ticks".
LISTS=$WORK/list.tsv
measure_list() { # round side url pid connections
  local round=$1 side=$2 url=$3 pid=$4 conns=$5 attempt out=$WORK/logs/wrk-$2-$5.txt best="" best_noise=101 result
  for attempt in 1 2 3; do
    wait_quiet
    noise_start "$pid"
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$conns" -d"${DURATION}s" --timeout 10s \
      -s "$BENCH_DIR/wrk.lua" "$url/" -- "$WORK/list-path.txt" >"$out" 2>&1 || { cat "$out" >&2; exit 1; }
    noise_end "$pid"
    result=$(grep '^RESULT' "$out") || { cat "$out" >&2; exit 1; }
    if ((NOISE < best_noise)); then
      best_noise=$NOISE
      best=$(printf '%s\t%s\t%s\t%s\tnoise=%s\tcpu_ticks=%s\ttick_hz=%s' "$round" "$side" "$conns" \
        "$(echo "${result#RESULT }" | tr ' ' '\t')" "$NOISE" "$SERVER_TICKS" "$TICK_HZ")
    fi
    ((NOISE <= NOISE_LIMIT)) && break
    ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
  done
  echo "$best" >>"$LISTS"
}
check_list() { # url → exits unless 200 with every tag
  local got
  got=$(curl -sf "$1/$TAGS_MODULE/@v/list" | wc -l) || { echo "$1/$TAGS_MODULE/@v/list failed" >&2; exit 1; }
  [ "$got" = "$TAGS_COUNT" ] || { echo "$1/$TAGS_MODULE/@v/list: $got versions, not $TAGS_COUNT" >&2; exit 1; }
}
echo "/$TAGS_MODULE/@v/list" >"$WORK/list-path.txt"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg) # other work on the machine shows here
: >"$DOWNLOADS"
: >"$LISTS"

# --- preparation: the reference, and the stored-file route -------------------------------------

ZIP_BYTES=0
if has download || has list; then
  say "preparation: direct mode once (the reference hashes)"
  go_download reference direct ""
  ZIP_BYTES=$(find "$GOMODCACHE_DIR/cache/download" -name '*.zip' -printf '%s\n' | awk '{ s += $1 } END { print s }')
  say "preparation: a cold git route once, whose store the plain store route then serves"
  start_git_route "$WORK/modgate-git.toml" "$GIT_STORE" "$P_MODGATE" "$WORK/logs/modgate-git.log"
  go_download prepare proxy "http://127.0.0.1:$P_MODGATE"
  stop "$PID_MODGATE"
  rm -rf "$STORED_STORE"
  mkdir -p "$STORED_STORE"
  (cd "$GIT_STORE" && tar --exclude=./.modgate -cf - .) | (cd "$STORED_STORE" && tar -xf -)
  # The 2,000 versions of the tags module, stored (go.mod and .info only, as a list needs).
  python3 - "$STORED_STORE/$TAGS_MODULE/@v" "$TAGS_MODULE" "$TAGS_COUNT" <<'EOF'
import os, sys
out, module, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
for i in range(count):
    v = f"v1.{i // 100}.{i % 100}"
    with open(f"{out}/{v}.info", "w") as f:
        f.write('{"Version":"%s","Time":"2024-01-01T10:00:00Z"}' % v)
    with open(f"{out}/{v}.mod", "w") as f:
        f.write(f"module {module}\n\ngo 1.19\n")
EOF
  RUST_LOG=info taskset -c "$SERVER_CPU" "$MODGATE" serve --config "$WORK/modgate-stored.toml" \
    >"$WORK/logs/modgate-stored.log" 2>&1 &
  PID_STORED=$!
  STARTED+=("$PID_STORED")
  wait_port "$P_STORED" "$PID_STORED" "$WORK/logs/modgate-stored.log"
  go_download prepare-stored proxy "http://127.0.0.1:$P_STORED"
  check_list "http://127.0.0.1:$P_STORED"
fi

# --- (1) cold vs direct, (2) warm vs stored, (3) the list --------------------------------------

if has download || has list; then
  for round in $(seq "$ROUNDS"); do
    first=(direct cold) second=(warm stored) sides=(git stored)
    if ((round % 2 == 0)); then first=(cold direct) second=(stored warm) sides=(stored git); fi
    if has download; then
      for label in "${first[@]}"; do
        [ "$label" != cold ] || start_git_route "$WORK/modgate-git.toml" "$GIT_STORE" "$P_MODGATE" "$WORK/logs/modgate-git.log"
        say "round $round/$ROUNDS: go mod download, $label"
        timed_download "$round" "$label"
      done
      for label in "${second[@]}"; do
        say "round $round/$ROUNDS: go mod download, $label"
        timed_download "$round" "$label"
      done
    else
      start_git_route "$WORK/modgate-git.toml" "$GIT_STORE" "$P_MODGATE" "$WORK/logs/modgate-git.log"
    fi
    if has list; then
      # The mirror of the tags repository, fetched once; then only served.
      check_list "http://127.0.0.1:$P_MODGATE"
      for conns in $LIST_CONNECTIONS; do
        for side in "${sides[@]}"; do
          say "round $round/$ROUNDS: @v/list of $TAGS_COUNT tags, $side, $conns connection(s)"
          if [ "$side" = git ]; then
            measure_list "$round" git "http://127.0.0.1:$P_MODGATE" "$PID_MODGATE" "$conns"
          else
            measure_list "$round" stored "http://127.0.0.1:$P_STORED" "$PID_STORED" "$conns"
          fi
        done
      done
    fi
    : >"$WORK/logs/modgate-git.log"
    : >"$WORK/logs/modgate-stored.log"
    stop "$PID_MODGATE"
  done
fi

# --- (4) memory while a 200 MiB repository becomes a zip ---------------------------------------

# VmRSS, RssAnon and RssFile every 100 ms into a file ("ms kB kB kB" a line), until killed.
sample_rss() { # pid file
  while kill -0 "$1" 2>/dev/null; do
    echo "$(($(date +%s%N) / 1000000)) $(rss_parts "$1")" >>"$2"
    sleep 0.1
  done
}
peak_between() { # file column from-ms to-ms → highest kB of that column sampled in [from, to]
  awk -v c="$2" -v a="$3" -v b="$4" '$1 >= a && $1 <= b && $c > m { m = $c } END { print m + 0 }' "$1"
}
ms() { echo $(($(date +%s%N) / 1000000)); }
RSS=$WORK/rss.tsv
: >"$RSS"
BIG_SUM=""
if has rss; then
  for round in $(seq "$ROUNDS"); do
    say "round $round/$ROUNDS: the zip of a 200 MiB repository, modgate's RSS"
    start_git_route "$WORK/modgate-big.toml" "$BIG_STORE" "$P_BIG" "$WORK/logs/modgate-big.log"
    sleep 1
    wait_quiet
    samples=$WORK/rss-samples-$round.txt
    : >"$samples"
    read -r idle idle_anon idle_file <<<"$(rss_parts "$PID_MODGATE")"
    sample_rss "$PID_MODGATE" "$samples" &
    sampler=$!
    STARTED+=("$sampler")
    sleep 0.3
    t0=$(ms)
    # The list first: the mirror's fetch (200 MiB of pack), alone.
    taskset -c "$CLIENT_CPU" curl -sf -o /dev/null "http://127.0.0.1:$P_BIG/$BIG_MODULE/@v/list" ||
      { cat "$WORK/logs/modgate-big.log" >&2; echo "the list of $BIG_MODULE failed" >&2; exit 1; }
    t1=$(ms)
    # Then the zip: built from the tree, checked, stored, served.
    size=$(taskset -c "$CLIENT_CPU" curl -sf -o "$WORK/big.zip" -w '%{size_download}' \
      "http://127.0.0.1:$P_BIG/$BIG_MODULE/@v/$BIG_VERSION.zip") ||
      { cat "$WORK/logs/modgate-big.log" >&2; echo "the zip of $BIG_MODULE failed" >&2; exit 1; }
    t2=$(ms)
    sleep 0.3
    stop "$sampler"
    hwm=$(hwm_kb "$PID_MODGATE")
    read -r after after_anon after_file <<<"$(rss_parts "$PID_MODGATE")"
    # round, idle (rss anon file), fetch peaks (rss anon file), zip peaks (rss anon file),
    # overall sampled peaks (rss anon file), VmHWM, after (rss anon file), fetch ms, zip ms, bytes
    {
      printf '%s\t%s\t%s\t%s' "$round" "$idle" "$idle_anon" "$idle_file"
      for range in "$t0 $t1" "$t1 $t2" "0 $t2"; do
        for col in 2 3 4; do
          # shellcheck disable=SC2086 # two words
          printf '\t%s' "$(peak_between "$samples" "$col" $range)"
        done
      done
      printf '\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$hwm" "$after" "$after_anon" "$after_file" \
        "$((t1 - t0))" "$((t2 - t1))" "$size"
    } >>"$RSS"
    if [ "$round" = 1 ]; then
      # A valid module zip: every file under module@version/, CRCs right, none lost.
      python3 - "$WORK/big.zip" "$BIG_MODULE@$BIG_VERSION/" "$BIG_FILES" <<'PYTHON' || exit 1
import sys, zipfile
path, prefix, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
with zipfile.ZipFile(path) as z:
    names = z.namelist()
    assert len(names) == want, f"{len(names)} files, not {want}"
    assert all(n.startswith(prefix) for n in names), "a file outside " + prefix
    bad = z.testzip()
    assert bad is None, f"{bad}: bad CRC"
PYTHON
      # ... which the go command accepts, with direct mode's hash.
      rm -rf "$GOMODCACHE_DIR"
      # shellcheck disable=SC2046 # go_env prints words
      via=$(cd "$WORK/gomod-empty" && env -i $(go_env proxy "http://127.0.0.1:$P_BIG") \
        taskset -c "$CLIENT_CPU" "$GO" mod download -json "$BIG_MODULE@$BIG_VERSION" | sed -n 's/.*"Sum": "\(.*\)".*/\1/p')
      rm -rf "$GOMODCACHE_DIR"
      say "the 200 MiB module in direct mode, for its hash"
      # shellcheck disable=SC2046
      direct=$(cd "$WORK/gomod-empty" && env -i $(go_env direct "") \
        taskset -c "$CLIENT_CPU" "$GO" mod download -json "$BIG_MODULE@$BIG_VERSION" | sed -n 's/.*"Sum": "\(.*\)".*/\1/p')
      rm -rf "$GOMODCACHE_DIR"
      [ -n "$via" ] && [ "$via" = "$direct" ] ||
        { echo "the 200 MiB module: $via through modgate, $direct in direct mode" >&2; exit 1; }
      BIG_SUM=$via
    fi
    rm -f "$WORK/big.zip"
    : >"$WORK/logs/modgate-big.log"
    stop "$PID_MODGATE"
  done
fi

# --- report ------------------------------------------------------------------------------------

mkdir -p "$BENCH_DIR/results"
python3 "$BENCH_DIR/git_report.py" "$WORK" \
  rounds="$ROUNDS" duration="$DURATION" redone="$REDONE" noise_limit="$NOISE_LIMIT" \
  load="$LOAD_START / $(cut -d' ' -f1-3 /proc/loadavg)" \
  go="$($GO version | cut -d' ' -f3)" git="$(/usr/bin/git --version | cut -d' ' -f3)" \
  python="$(/usr/bin/python3 --version | cut -d' ' -f2)" wrk="$(wrk -v 2>&1 | head -1 | cut -d' ' -f2)" \
  modules="${#downloads[@]}" zip_bytes="$ZIP_BYTES" tags="$TAGS_COUNT" big_files="$BIG_FILES" big_sum="$BIG_SUM" \
  reference="$REFERENCE" gomodcache="$GOMODCACHE_DIR" \
  modgate="$(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- crates || echo +changes)" \
  | tee "$BENCH_DIR/results/git-latest.txt"
