#!/bin/sh
# fuzz/run.sh BUILD SECONDS — runs every libFuzzer target for SECONDS each,
# starting from the committed seeds in fuzz/corpus/<target>/ (new inputs go
# to BUILD/fuzz/corpus/<target>/, crashes to BUILD/fuzz/artifacts/). First
# it replays the committed seeds and regression inputs once. Prints the
# executions per target; exits non-zero if any target finds a failure.
# Used by `make fuzz FUZZ_TIME=N` and, briefly, by `make test`.
set -eu
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
case $BUILD in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
TARGETS="http api config"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

max_len() {
    case $1 in http) echo 16384 ;; api) echo 8192 ;; *) echo 4096 ;; esac
}

status=0
summary=""
for t in $TARGETS; do
    bin="$BUILD/fuzz/fuzz_$t"
    seeds="$ROOT/fuzz/corpus/$t"
    work="$BUILD/fuzz/corpus/$t"
    arts="$BUILD/fuzz/artifacts/$t"
    log="$BUILD/fuzz/fuzz_$t.log"
    [ -x "$bin" ] || { echo "fuzz: $bin not built (make fuzz builds it)" >&2; exit 2; }
    mkdir -p "$work" "$arts"
    # 1. every committed seed and regression input, once
    if ! "$bin" "$seeds"/* > "$log.replay" 2>&1; then
        echo "FAIL fuzz_$t: a committed input fails (see $log.replay)"
        tail -n 30 "$log.replay"
        status=1
        continue
    fi
    # 2. fuzz for the time given
    cmd="$bin -max_total_time=$SECONDS_EACH -timeout=10 -rss_limit_mb=2048 -max_len=$(max_len $t) -dict=$ROOT/fuzz/$t.dict -artifact_prefix=$arts/ -print_final_stats=1 $work $seeds"
    echo "\$ $cmd" | sed "s|$ROOT/||g"
    if $cmd > "$log" 2>&1; then res=ok; else res=FAIL; status=1; fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    corpus=$(ls "$work" | wc -l)
    line=$(printf '%-4s fuzz_%-7s %10s executions in %ss (%s/s), coverage %s edges, corpus %s new inputs' \
        "$res" "$t" "${execs:-?}" "$SECONDS_EACH" "${rate:-?}" "${cov:-?}" "$corpus")
    echo "$line"
    summary="$summary$line
"
    if [ "$res" = FAIL ]; then
        grep -E 'ERROR|runtime error|fuzz_[a-z]+: |Test unit written' "$log" | head -n 20
        echo "full log: $log"
    fi
done
echo "== fuzz summary"
printf '%s' "$summary"
exit $status
