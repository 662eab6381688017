#!/bin/sh
# make bench: every speed goal, each figure printed with the command behind
# it and a ratio against a baseline measured in the same run.
#   1. engine placements/s, decision time, sticky lookups (bench_engine)
#   2. HTTP joins and durable meeting creations with wrk, next to nginx
#      serving `return 302` on the same machine
#   3. the simulator (bench/bench_sim.sh), when present
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD/confpool"
DURATION=${BENCH_DURATION:-10}
OUT=$(mktemp -d /tmp/confpool-bench.XXXXXX)
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"; }
trap cleanup EXIT INT TERM

echo "== confpool benchmarks ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores)"
echo
echo "## 1. engine"
echo "\$ $BUILD/bench/bench_engine"
"$ROOT/$BUILD/bench/bench_engine"
echo
echo "## 1b. metrics: their share of the join handler, and the cost of a scrape"
echo "\$ $BUILD/bench/bench_metrics"
"$ROOT/$BUILD/bench/bench_metrics"
echo

# With two or more cores the server under test (nginx or confpool) runs on
# CPU 0 and wrk on CPU 1, so both servers get one core each and wrk does
# not steal it from them.
if [ "$(nproc)" -ge 2 ]; then SRV="taskset -c 0"; CLI="taskset -c 1"; else SRV=""; CLI=""; fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wrk_run SLUG LABEL URL SCRIPT -> prints a line, leaves "rps p50 p99" in $OUT/SLUG
wrk_run() {
    name=$1 label=$2 url=$3 script=$4
    cmd="${CLI:+$CLI }wrk -t2 -c64 -d${DURATION}s --latency${script:+ -s $script} $url"
    $CLI wrk -t2 -c64 -d2s ${script:+-s "$script"} "$url" >/dev/null 2>&1 || true   # warm-up
    $CLI wrk -t2 -c64 -d"${DURATION}s" --latency ${script:+-s "$script"} "$url" > "$OUT/$name.txt" 2>&1
    rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.txt")
    p50=$(awk '/^ +50%/ {print $2}' "$OUT/$name.txt")
    p99=$(awk '/^ +99%/ {print $2}' "$OUT/$name.txt")
    non2xx=$(awk '/Non-2xx or 3xx/ {print $NF}' "$OUT/$name.txt")
    echo "$rps $p50 $p99" > "$OUT/$name"
    printf '%-36s %10s req/s  p50 %-9s p99 %-9s %s\n' "$label" "$rps" "$p50" "$p99" \
        "${non2xx:+non-2xx/3xx: $non2xx}"
    echo "    \$ $cmd"
    # The same load from one wrk thread: with two wrk threads on one core
    # they preempt each other and every server's p99 shows the scheduler's
    # 4 ms slice, not its own latency.
    $CLI wrk -t1 -c64 -d5s --latency ${script:+-s "$script"} "$url" > "$OUT/$name.t1.txt" 2>&1
    t1rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/$name.t1.txt")
    t1p50=$(awk '/^ +50%/ {print $2}' "$OUT/$name.t1.txt")
    t1p99=$(awk '/^ +99%/ {print $2}' "$OUT/$name.t1.txt")
    echo "$t1rps $t1p50 $t1p99" > "$OUT/$name.t1"
    printf '  %-34s %10s req/s  p50 %-9s p99 %-9s (wrk -t1, 5s)\n' "" "$t1rps" "$t1p50" "$t1p99"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "## 2. HTTP (wrk: 2 threads, 64 connections, ${DURATION}s; everything on this machine)"
echo "   joins go through the full path: parse, auth, JSON, engine, and for a new"
echo "   participant a group commit (fsync) before the reply."
# nginx baseline: one worker, one event loop on one core, like confpool.
for workers in 1; do
    port=$(free_port)
    mkdir -p "$OUT/nginx-$workers"
    cat > "$OUT/nginx-$workers/nginx.conf" <<NGINX
worker_processes $workers;
daemon off;
pid $OUT/nginx-$workers/nginx.pid;
error_log $OUT/nginx-$workers/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        location / { return 302 https://fe1.example.com:443/m1; }
    }
}
NGINX
    $SRV nginx -p "$OUT/nginx-$workers" -c "$OUT/nginx-$workers/nginx.conf" &
    PIDS="$PIDS $!"
    sleep 0.5
    wrk_run "nginx_$workers" "nginx return 302 (workers=$workers)" "http://127.0.0.1:$port/join/m1" ""
    kill "$(cat "$OUT/nginx-$workers/nginx.pid")" 2>/dev/null || true
done

port=$(free_port)
echo "    \$ ${SRV:+$SRV }confpool serve --listen 127.0.0.1:$port --db \$TMP/bench.db  (12 servers, 1000 active meetings)"
$SRV "$BIN" serve --listen "127.0.0.1:$port" --db "$OUT/bench.db" --log-level warn 2>"$OUT/confpool.log" &
CP=$!
PIDS="$PIDS $CP"
for i in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
base="http://127.0.0.1:$port"
for i in $(seq -w 1 12); do
    curl -fs -X PUT "$base/v1/servers/fe$i" -H 'Content-Type: application/json' \
        -d "{\"address\":\"fe$i.example.com:443\",\"capacity\":10000000}" >/dev/null
done
python3 - "$base" <<'PY'
import http.client, json, sys
host, port = sys.argv[1].split("//")[1].split(":")
c = http.client.HTTPConnection(host, int(port))
for i in range(1000):
    for path, body in (("/v1/meetings", {"id": "b%d" % i, "organizer": "bench"}),
                       ("/v1/meetings/b%d/join" % i, {"participant": "p1"})):
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse(); r.read()
        assert r.status in (200, 201), (path, r.status)
PY

cat > "$OUT/join_repeat.lua" <<'LUA'
-- the same participant joining active meetings again: a sticky lookup
local n = 0
request = function()
    n = n + 1
    return wrk.format("POST", "/v1/meetings/b" .. (n % 1000) .. "/join",
        {["Content-Type"] = "application/json"}, '{"participant":"p1"}')
end
LUA
cat > "$OUT/join_new.lua" <<'LUA'
-- a new participant each time: the join is written and committed before the reply
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
    n = n + 1
    return wrk.format("POST", "/v1/meetings/b" .. (n % 1000) .. "/join",
        {["Content-Type"] = "application/json"},
        '{"participant":"t' .. tid .. '-' .. n .. '"}')
end
LUA
cat > "$OUT/create.lua" <<'LUA'
-- durable meeting creations (the server generates the ids)
request = function()
    return wrk.format("POST", "/v1/meetings", {["Content-Type"] = "application/json"},
        '{"organizer":"bench","expected_participants":5}')
end
LUA
wrk_run redirect "confpool GET /join/{id} (302)" "$base/join/b7?participant=p1" ""
wrk_run join_repeat "confpool join, repeat participant" "$base" "$OUT/join_repeat.lua"
wrk_run join_new "confpool join, new participant" "$base" "$OUT/join_new.lua"
wrk_run create "confpool durable meeting creation" "$base" "$OUT/create.lua"
kill -TERM "$CP"; wait "$CP" 2>/dev/null || true

n1=$(cut -d' ' -f1 "$OUT/nginx_1")
echo
for name in redirect join_repeat join_new create; do
    r=$(cut -d' ' -f1 "$OUT/$name")
    printf '%-12s %5sx nginx return 302 throughput\n' "$name" "$(ratio "$r" "$n1")"
done
printf 'RESULT http'
for name in nginx_1 redirect join_repeat join_new create; do
    printf ' %s=%s t1=%s' "$name" "$(tr ' ' '/' < "$OUT/$name")" "$(tr ' ' '/' < "$OUT/$name.t1")"
done
echo
echo

if [ -x "$ROOT/bench/bench_sim.sh" ]; then
    echo "## 3. simulator"
    "$ROOT/bench/bench_sim.sh" "$BUILD"
fi
