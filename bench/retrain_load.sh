#!/usr/bin/env bash
# What a retraining round costs the requests being served:
#   bench/retrain_load.sh MODEL DATA.csv
# POST /predict under wrk (2 threads, 16 connections) for DURATION seconds
# (default 8), once alone and once while `noshow retrain` runs back to
# back on DATA.csv the way `serve --retrain-every` runs it (SCHED_IDLE, one
# XGBoost thread). Prints requests/s, p50 and p99 of both runs and the
# number of retraining rounds completed during the second.
# RATE=N paces the load instead (8 connections, each waiting 8000/N ms
# between requests: about N requests/s), to see the latency a request
# gets at a given traffic rather than at saturation.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
model=${1:?usage: bench/retrain_load.sh MODEL DATA.csv}
data=${2:?usage: bench/retrain_load.sh MODEL DATA.csv}
dur=${DURATION:-8}
record=$(peer_dir)/bench/sample_record.json
bench_scratch
make -j2 > /dev/null

key=$(build/noshow keys add --db "sqlite:$work/c.db" --role clinic \
      2>/dev/null)
predict_lua "$work/predict.lua" "$record" "$key"
conns=16
if [ -n "${RATE:-}" ]; then
    conns=8
    echo "function delay() return $((8000 / RATE)) end" >> "$work/predict.lua"
fi
NOSHOW_LOG=warn NOSHOW_PSEUDONYM_KEY=bench-pseudonym-key-0123456789 \
    build/noshow serve --model "$model" --db "sqlite:$work/c.db" \
    --listen 127.0.0.1:0 > "$work/c.out" 2> "$work/c.err" &
pids+=("$!")
port=$(listen_port "$work/c.out" 50) || { cat "$work/c.err" >&2; exit 1; }

run_wrk() {   # label
    wrk -t2 -c"$conns" -d"${dur}s" --latency -s "$work/predict.lua" \
        "http://127.0.0.1:$port/predict" > "$work/wrk.out"
    awk -v l="$1" '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2}
        /^ +99%/ {p99=$2}
        END {printf "%-28s %10s req/s  p50 %-9s p99 %s\n", l, r, p50,
             p99}' "$work/wrk.out"
}

wrk -t2 -c16 -d2s -s "$work/predict.lua" \
    "http://127.0.0.1:$port/predict" > /dev/null
run_wrk "/predict alone"
(
    end=$((SECONDS + dur))
    n=0
    while [ "$SECONDS" -lt "$end" ]; do
        rm -f "$work/r.db"*
        chrt --idle 0 build/noshow retrain --db "sqlite:$work/r.db" \
            --also "$data" --model "$model" --threads 1 \
            > /dev/null 2>&1 && n=$((n + 1))
    done
    echo "$n" > "$work/rounds"
) &
retrainer=$!
run_wrk "/predict while retraining"
wait "$retrainer"
echo "retraining rounds completed meanwhile: $(cat "$work/rounds")"
