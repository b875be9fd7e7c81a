#!/usr/bin/env bash
# Runs the libFuzzer targets of fuzz/ (built by `make fuzz`).
#   scripts/fuzz.sh [TARGET...]      fuzz each target for FUZZ_SECONDS
#                                    (default 30) from its committed seeds
#                                    fuzz/corpus/TARGET; prints executions
#                                    and coverage (cov, ft) per target. A
#                                    crash input lands in
#                                    fuzz/regressions/TARGET/.
#   scripts/fuzz.sh --replay         runs every seed and every kept crash
#                                    input once through its target (fast;
#                                    scripts/test.sh runs this)
#   scripts/fuzz.sh --seed-bundle    trains the small bundle that seeds
#                                    the bundle target and the HTTP ones
# TARGET is the name without "fuzz_" (csv, req_predict, ...); none means
# all. New corpus entries found while fuzzing stay in a temporary
# directory: the committed corpus is only the hand-picked seeds.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
mode=fuzz
targets=()
for a in "$@"; do
    case $a in
    --replay) mode=replay ;;
    --seed-bundle) mode=seed ;;
    -*) echo "fuzz.sh: unknown option $a" >&2; exit 2 ;;
    *) targets+=("$a") ;;
    esac
done
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz/fuzz_*.c; do
        t=${f#fuzz/fuzz_}
        targets+=("${t%.c}")
    done
fi

if [ $mode = seed ]; then
    make -j2 build/noshow > /dev/null || exit 1
    mkdir -p fuzz/corpus/bundle
    # 3 trees of depth 2: small enough for the fuzzer to mutate quickly,
    # real enough to exercise every section of the format.
    build/noshow train tests/fixtures/server/train.csv \
        -o fuzz/corpus/bundle/tiny.json --trees 3 --depth 2 --threads 1 \
        > /dev/null 2>&1 || exit 1
    echo "wrote fuzz/corpus/bundle/tiny.json"
    exit 0
fi

bins=()
for t in "${targets[@]}"; do
    [ -f "fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no target $t" >&2; exit 2; }
    bins+=("build-fuzz/fuzz_$t")
done
make -j2 "${bins[@]}" > build-fuzz.log 2>&1 || {
    tail -n 30 build-fuzz.log
    echo "fuzz: 0 passed, ${#targets[@]} failed (build)"
    exit 1
}

pass=0
fail=0
export NOSHOW_LOG=error
# The HTTP targets host the server's threads: leak checks per input
# would count their buffers in flight, so leaks are checked at exit.
opts=(-detect_leaks=0 -print_final_stats=1)

replay_one() {
    local t=$1 files=()
    local f
    for f in "fuzz/corpus/$t"/* "fuzz/regressions/$t"/*; do
        [ -f "$f" ] && files+=("$f")
    done
    if [ ${#files[@]} -eq 0 ]; then
        echo "$t: no inputs to replay"
        return 0
    fi
    if timeout 120 "build-fuzz/fuzz_$t" "${opts[@]}" "${files[@]}" \
        > "build-fuzz/$t.replay.log" 2>&1; then
        echo "$t: replayed ${#files[@]} inputs, no failure"
        return 0
    fi
    echo "$t: FAILED on replay; see build-fuzz/$t.replay.log"
    grep -E 'ERROR|Running:|fuzz:' "build-fuzz/$t.replay.log" | tail -n 5
    return 1
}

fuzz_one() {
    local t=$1 work log execs cov ft
    work=$(mktemp -d)
    log="build-fuzz/$t.fuzz.log"
    mkdir -p "fuzz/regressions/$t"
    timeout $((FUZZ_SECONDS + 60)) "build-fuzz/fuzz_$t" "${opts[@]}" \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="fuzz/regressions/$t/" \
        "$work" "fuzz/corpus/$t" > "$log" 2>&1
    local rc=$?
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" |
        grep -o '[0-9]*$')
    cov=$(grep -E '#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1 |
        grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')
    ft=$(grep -E '#[0-9]+[[:space:]]+(DONE|INITED)' "$log" | tail -n 1 |
        grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
    rm -rf "$work"
    printf '%-12s %3ss  execs=%-9s cov=%-6s ft=%-6s' "$t" \
        "$FUZZ_SECONDS" "${execs:-?}" "${cov:-?}" "${ft:-?}"
    if [ $rc -eq 0 ]; then
        echo " ok"
        return 0
    fi
    echo " CRASH (rc=$rc); input kept in fuzz/regressions/$t/, log $log"
    grep -E '^==[0-9]+==ERROR|^SUMMARY|fuzz:' "$log" | head -n 5
    return 1
}

for t in "${targets[@]}"; do
    if [ $mode = replay ]; then
        replay_one "$t"
    else
        fuzz_one "$t"
    fi && pass=$((pass + 1)) || fail=$((fail + 1))
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
