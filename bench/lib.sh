# What bench/run.sh and bench/sumdb.sh share: sourced, never run. Installing and building, ports,
# nginx's config, the noise accounting of a shared machine, one wrk run and one timed
# `go mod download`.
#
# The sourcing script sets BENCH_DIR, ROOT and WORK first; the functions below read the globals
# named in their comments at call time.

SERVER_CPU=0 # the measured server's alone
CLIENT_CPU=1 # wrk, go, curl and the script itself

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
say() { printf '== [%3ss] %s\n' "$SECONDS" "$*" >&2; } # seconds since the script started

# Installs the Debian packages of the list that are missing.
install_packages() { # package...
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
}

# Builds modgate (release) and sets MODGATE to the binary.
build_modgate() {
  say "building modgate (release)"
  (cd "$ROOT" && cargo build --release --locked -q -p modgate)
  MODGATE=${CARGO_TARGET_DIR:-$ROOT/target}/release/modgate
}

# The commit of the current build, "+changes" when the crates differ from it.
modgate_version() {
  (cd "$ROOT" && echo "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo +changes)")
}

# Exits unless every port FIRST..LAST is free on 127.0.0.1.
ports_free() { # first last
  local p
  for p in $(seq "$1" "$2"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "port $p is in use on 127.0.0.1: set BENCH_PORT to a free range" >&2
      exit 1
    fi
  done
}

# Waits (10 s at most each) until every port answers on 127.0.0.1.
wait_for_ports() { # port...
  local p
  for p in "$@"; do
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
  done
}

# nginx as Debian ships it (sendfile and tcp_nopush on, access log on), one worker; the keep-alive
# request limit is raised so that wrk's connections are never closed under it (modgate has none).
# Prints the config, with the server blocks read from stdin; its files go under DIR, its logs
# (nginx-access.log, nginx-error.log) under LOGS.
nginx_conf() { # dir logs
  local user=""
  [ "$(id -u)" = 0 ] && user="user root;" # workers read the scratch directory as the invoking user
  cat <<EOF
$user
worker_processes 1;
pid $1/nginx.pid;
error_log $2/nginx-error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  access_log $2/nginx-access.log;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  ssl_protocols TLSv1.2 TLSv1.3;
$(cat)
}
EOF
}

# Starts nginx on the server CPU with CONF (whose pid file is DIR/nginx.pid); sets PID_NGINX
# (the master) and NGINX_WORKER (the process doing the work).
start_nginx() { # dir conf logs
  : >"$3/nginx-access.log"
  taskset -c "$SERVER_CPU" nginx -p "$1" -c "$2" -e "$3/nginx-error.log"
  for _ in $(seq 50); do [ -s "$1/nginx.pid" ] && break; sleep 0.1; done
  PID_NGINX=$(cat "$1/nginx.pid")
  STARTED+=("$PID_NGINX")
}
nginx_worker() { # master pid
  local worker
  for _ in $(seq 50); do
    worker=$(pgrep -P "$1" | head -1) && [ -n "$worker" ] && break
    sleep 0.1
  done
  echo "$worker"
}

# Resident memory (kB) of a process; CPU ticks used so far by processes ("" counts none), with
# the children they waited for (a git host's http-backend and pack-objects).
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { # pids
  local pid sum=0
  for pid in "$@"; do
    [ -z "$pid" ] || sum=$((sum + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat")))
  done
  echo "$sum"
}

# The machine may be shared (other sessions' processes are not always visible to ps here), so
# every run also measures how much CPU time anything else took: on CPU 0 everything but the
# server, on CPU 1 everything but this script and its children (wrk, go, curl, the sampler).
# Busy = user + nice + system; interrupt time is the traffic's own and is left out.
cpu_busy() { awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4 }' /proc/stat; }
self_ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$$/stat"; }
TICK_HZ=$(getconf CLK_TCK)
NOISE_LIMIT=${BENCH_NOISE_LIMIT:-10} # percent of a CPU; a run above it is done again (twice at most)
# Before a run: wait for a quiet second (both CPUs under NOISE_LIMIT while our servers idle),
# within a budget for the whole benchmark, so a long build elsewhere delays it only so much.
QUIET_BUDGET=${BENCH_QUIET_BUDGET:-600} # seconds
wait_quiet() {
  local c0 c1 d0 d1 announced=""
  while ((QUIET_BUDGET > 0)); do
    c0=$(cpu_busy "$SERVER_CPU") c1=$(cpu_busy "$CLIENT_CPU")
    sleep 0.5
    d0=$((200 * ($(cpu_busy "$SERVER_CPU") - c0) / TICK_HZ))
    d1=$((200 * ($(cpu_busy "$CLIENT_CPU") - c1) / TICK_HZ))
    ((d0 <= NOISE_LIMIT && d1 <= NOISE_LIMIT)) && return 0
    [ -n "$announced" ] || say "other work is using the CPUs ($d0% / $d1%): waiting for a quiet moment"
    announced=1
    sleep 0.5
    QUIET_BUDGET=$((QUIET_BUDGET - 1))
  done
  [ -z "$announced" ] || say "quiet-wait budget spent: measuring anyway"
  return 0
}
# With a server pid: its CPU time is the measured work on CPU 0. With "" the measured work is
# all this script's children (a command run to its end, on either CPU): everything else on both
# CPUs together is the noise.
noise_start() { # server pids, or ""
  N_T0=$(date +%s%N) N_C0=$(cpu_busy "$SERVER_CPU") N_C1=$(cpu_busy "$CLIENT_CPU")
  N_S0=$(cpu_ticks "$@")
  N_M0=$(self_ticks)
}
noise_end() { # server pids, or "" → sets NOISE (percent of one CPU), SERVER_TICKS and CLIENT_TICKS
  local elapsed other0 other1
  elapsed=$((($(date +%s%N) - N_T0) * TICK_HZ / 1000000000))
  SERVER_TICKS=$(($(cpu_ticks "$@") - N_S0))
  CLIENT_TICKS=$(($(self_ticks) - N_M0))
  other0=$(($(cpu_busy "$SERVER_CPU") - N_C0 - SERVER_TICKS))
  other1=$(($(cpu_busy "$CLIENT_CPU") - N_C1 - CLIENT_TICKS))
  if [ -z "$1" ]; then
    other0=$((other0 + other1)) other1=0
  fi
  NOISE=$((100 * (other0 > other1 ? other0 : other1) / (elapsed > 0 ? elapsed : 1)))
  ((NOISE < 0)) && NOISE=0
  return 0
}

# The status the first request of a list gets: a run only counts if it is the intended one
# (a misconfigured server answering 401 or 404 quickly would look fast). Reads LIST, STATUS, URL,
# GOOD_AUTH (may be empty: no credentials) and WORK.
check_status() { # server scenario
  local line path auth got
  line=$(head -1 "$WORK/${LIST[$2]}")
  path=${line%%$'\t'*}
  auth=$GOOD_AUTH
  [[ $line == *$'\t'* ]] && auth=${line#*$'\t'}
  local header=()
  [ -z "$auth" ] || header=(-H "Authorization: $auth")
  got=$(curl -sk -o /dev/null -w '%{http_code}' "${header[@]}" "${URL[$1]}$path")
  if [ "$got" != "${STATUS[$2]}" ]; then
    echo "scenario $2: $1 answered $got, not ${STATUS[$2]}, for $path: see $WORK/logs" >&2
    exit 1
  fi
}

# One measured run: wrk on the client CPU for DURATION seconds while the server's RSS is
# sampled; appends a line to RESULTS. Done again while other work disturbed it. Reads URL, PID,
# LIST, STATUS (by server and scenario), CONNECTIONS, DURATION, GOOD_AUTH, RESULTS, and the
# sourcing script's truncate_logs.
REDONE=0
measure() { # round scenario server
  local round=$1 scenario=$2 server=$3 pid=${PID[$3]}
  check_status "$server" "$scenario"
  local out=$WORK/logs/wrk-$scenario-$server.txt
  local attempt peak rss wrk_pid result best="" best_noise=101
  for attempt in 1 2 3; do
    peak=0
    wait_quiet
    noise_start "$pid"
    taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
      -s "$BENCH_DIR/wrk.lua" "${URL[$server]}/" -- "$WORK/${LIST[$scenario]}" "$GOOD_AUTH" >"$out" 2>&1 &
    wrk_pid=$!
    while kill -0 "$wrk_pid" 2>/dev/null; do
      rss=$(rss_kb "$pid")
      ((rss > peak)) && peak=$rss
      sleep 0.2
    done
    wait "$wrk_pid" || { cat "$out" >&2; exit 1; }
    noise_end "$pid"
    truncate_logs
    result=$(grep '^RESULT' "$out") || { cat "$out" >&2; exit 1; }
    if [ -z "$best" ] || ((NOISE < best_noise)); then
      best_noise=$NOISE
      best=$(printf '%s\t%s\t%s\t%s\trss_kb=%s\tcpu_ticks=%s\tclient_ticks=%s\ttick_hz=%s\tnoise=%s' \
        "$round" "$scenario" "$server" "$(echo "${result#RESULT }" | tr ' ' '\t')" "$peak" \
        "$SERVER_TICKS" "$CLIENT_TICKS" "$TICK_HZ" "$NOISE")
    fi
    ((NOISE <= NOISE_LIMIT)) && break
    ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
  done
  echo "$best" >>"$RESULTS"
}

# `go mod download` of the modules in the array `downloads` into an empty module cache through
# one proxy, with $GO on the client CPU; appends "round label seconds noise" to a TSV. Done again
# while other work disturbed it, except a cold cache, which is cold only once. The checksum
# database is off unless the NAME=VALUE arguments say otherwise (they come last in the
# environment); the client's own record of the databases' trees (GOPATH/pkg/sumdb) starts empty
# too. Reads GO, WORK, GOMODCACHE_DIR and the sourcing script's truncate_logs.
timed_download() { # tsv round label goproxy server_pid [NAME=VALUE...]
  local tsv=$1 round=$2 label=$3 goproxy=$4 pid=$5 attempt start end count best="" best_noise=101
  shift 5
  mkdir -p "$WORK/gomod-empty"
  for attempt in 1 2 3; do
    rm -rf "$GOMODCACHE_DIR" "$WORK/gopath/pkg/sumdb"
    wait_quiet
    noise_start "$pid"
    start=$(date +%s.%N)
    (cd "$WORK/gomod-empty" && env GOPROXY="$goproxy" GOMODCACHE="$GOMODCACHE_DIR" \
      GOPATH="$WORK/gopath" GOFLAGS=-modcacherw GOSUMDB=off GONOSUMDB='' GOPRIVATE='' GONOPROXY='' \
      GOTOOLCHAIN=local GO111MODULE=on SSL_CERT_FILE="$WORK/cert.pem" "$@" \
      taskset -c "$CLIENT_CPU" "$GO" mod download "${downloads[@]}") >"$WORK/logs/go-$label.log" 2>&1 ||
      { cat "$WORK/logs/go-$label.log" >&2; exit 1; }
    end=$(date +%s.%N)
    noise_end "$pid"
    truncate_logs
    count=$(find "$GOMODCACHE_DIR/cache/download" -name '*.zip' | wc -l)
    [ "$count" = "${#downloads[@]}" ] || { echo "go mod download via $label: $count zips" >&2; exit 1; }
    if [ -z "$best" ] || ((NOISE < best_noise)); then
      best_noise=$NOISE
      best=$(printf '%s\t%s\t%s\t%s' "$round" "$label" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')" "$NOISE")
    fi
    ((NOISE <= NOISE_LIMIT)) && break
    [ "$label" = cold ] && break
    ((attempt < 3)) && { say "other work took $NOISE% of a CPU during the run: again"; REDONE=$((REDONE + 1)); }
  done
  echo "$best" >>"$tsv"
}
