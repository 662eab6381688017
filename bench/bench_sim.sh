#!/bin/sh
# bench_sim.sh BUILD — the simulator's speed goals (called by bench/run.sh):
#   1. one simulated day of an 80,000-user pool in under 2 s, against a bare
#      event loop popping the same number of events (bench_sim);
#   2. a day of 10 million meetings (a large cloud datacenter: independent
#      lync2013 pools, 12 front ends and 80,000 users each) in under 60 s
#      with bounded memory: meetings stream through, only live ones are
#      held, one pool per worker thread. Peak RSS is printed next to that
#      of the one-pool day: memory must not grow with the datacenter.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/$BUILD/confpool"
OUT=$(mktemp -d /tmp/confpool-bench-sim.XXXXXX)
trap 'rm -rf "$OUT"' EXIT INT TERM
THREADS=$(nproc)

echo "\$ $BUILD/bench/bench_sim"
"$ROOT/$BUILD/bench/bench_sim"
echo

# run_timed OUTFILE CMD...: runs CMD, writes "wall_seconds peak_rss_kb" (the
# child's own peak, from getrusage) to OUTFILE.
run_timed() {
    out=$1
    shift
    python3 - "$out" "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
subprocess.run(sys.argv[2:], check=True)
wall = time.monotonic() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
open(sys.argv[1], "w").write("%.3f %d\n" % (wall, rss))
PY
}

# One pool-day, for meetings per pool and the one-pool memory footprint.
cmd1="$BUILD/confpool sim --model lync2013 --servers 12 --duration 1d --seed 1 --no-plots --no-csv --quiet --out \$TMP"
run_timed "$OUT/t1" "$BIN" sim --model lync2013 --servers 12 --duration 1d \
    --seed 1 --no-plots --no-csv --quiet --out "$OUT/one"
per_pool=$(python3 -c "import json;print(json.load(open('$OUT/one/summary.json'))['workload']['occurrences'])")
read -r wall1 rss1 < "$OUT/t1"
pools=$(( (10000000 + per_pool - 1) / per_pool ))
cmd2="$BUILD/confpool sim --model lync2013 --servers 12 --pools $pools --threads $THREADS --duration 1d --seed 1 --no-plots --quiet --out \$TMP"
run_timed "$OUT/t2" "$BIN" sim --model lync2013 --servers 12 --pools "$pools" \
    --threads "$THREADS" --duration 1d --seed 1 --no-plots --quiet --out "$OUT/dc"
read -r wall2 rss2 < "$OUT/t2"
total=$(python3 -c "import json;print(json.load(open('$OUT/dc/summary.json'))['workload']['occurrences'])")
python3 - "$per_pool" "$wall1" "$rss1" "$total" "$wall2" "$rss2" "$pools" "$THREADS" <<'PY'
import sys
per, w1, r1, tot, w2, r2, pools, thr = sys.argv[1:]
per, w1, r1, tot, w2, r2 = int(per), float(w1), int(r1), int(tot), float(w2), int(r2)
print("one pool-day:   %9d meetings in %6.2f s, peak RSS %6.1f MB" % (per, w1, r1 / 1024))
print("datacenter day: %9d meetings in %6.2f s, peak RSS %6.1f MB  (%s pools, %s threads; goal < 60 s)"
      % (tot, w2, r2 / 1024, pools, thr))
print("meetings/s:     %9.0f one pool, %9.0f datacenter: ratio %.2f (parallel speed-up incl. calibration)"
      % (per / w1, tot / w2, (tot / w2) / (per / w1)))
print("peak RSS ratio datacenter / one pool: %.2f  (bounded: it does not grow with meetings)" % (r2 / r1))
print("RESULT sim_10m_meetings=%d sim_10m_s=%.2f sim_10m_rss_mb=%.1f one_pool_rss_mb=%.1f"
      % (tot, w2, r2 / 1024, r1 / 1024))
PY
echo "    \$ $cmd1"
echo "    \$ $cmd2"
