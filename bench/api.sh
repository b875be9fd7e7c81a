#!/usr/bin/env bash
# The service under load, side by side with the Python reference:
#   bench/api.sh MODEL [MYSQL_URL]
# POST /predict (32 connections, both cores) on the C server and on the
# FastAPI reference (tuned path: plain-Python features, one OpenMP
# thread), then POST /appointments on SQLite (and on MariaDB when a URL
# is given), each for DURATION seconds (default 10) after a 2 s warm-up.
# Prints requests/s, p50 and p99 per run and each server's peak memory
# (VmHWM). The access log is off (NOSHOW_LOG=warn) as in the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
model=${1:?usage: bench/api.sh MODEL [MYSQL_URL]}
mysql_url=${2:-}
dur=${DURATION:-10}
peer=$(peer_dir)
record=$peer/bench/sample_record.json
bench_scratch
make -j2 > /dev/null

# wrk scripts: one fixed body for /predict, a fresh appointment id per
# request for bookings (ids must be unique) over 5,000 patients per wrk
# thread.
book_lua() {
    cat > "$work/book.lua" <<LUA
local f = assert(io.open("$record", "rb"))
local body = f:read("*a")
f:close()
local n = 0
local tag = "x"
local threads = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $1"
function setup(thread)
    threads = threads + 1
    thread:set("tag", os.time() .. "-" .. threads)
end
function init(args)
    tag = wrk.thread:get("tag")
end
function request()
    n = n + 1
    -- A patient books a handful of appointments, as in the data set.
    local b = body:gsub('"AppointmentID": %d+',
                        '"AppointmentID": "' .. tag .. "-" .. n .. '"')
    b = b:gsub('"PatientId": %d+',
               '"PatientId": "' .. tag .. "-" .. (n % 5000) .. '"')
    return wrk.format(nil, nil, nil, b)
end
LUA
}

run_wrk() {   # label url script
    wrk -t2 -c32 -d2s -s "$3" "$2" > /dev/null
    wrk -t2 -c32 -d"${dur}s" --latency -s "$3" "$2" > "$work/wrk.out"
    awk -v l="$1" '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2}
        /^ +99%/ {p99=$2} /Non-2xx/ {bad=$NF}
        END {printf "%-34s %10s req/s  p50 %-9s p99 %-9s%s\n", l, r,
             p50, p99, bad ? "  non-2xx " bad : ""}' "$work/wrk.out"
}

peak() { awk '/VmHWM/ {print $2 " kB"}' "/proc/$1/status"; }

start_c() {   # db-url -> sets port, pid
    NOSHOW_LOG=warn NOSHOW_PSEUDONYM_KEY=bench-pseudonym-key-0123456789 \
        build/noshow serve --model "$model" --db "$1" \
        --listen 127.0.0.1:0 > "$work/c.out" 2> "$work/c.err" &
    pid=$!
    pids+=("$pid")
    port=$(listen_port "$work/c.out" 50) && return 0
    cat "$work/c.err" >&2
    return 1
}

key=$(build/noshow keys add --db "sqlite:$work/c.db" --role clinic \
      2>/dev/null)
predict_lua "$work/predict.lua" "$record" "$key"
book_lua "$key"
start_c "sqlite:$work/c.db"
run_wrk "C /predict" "http://127.0.0.1:$port/predict" "$work/predict.lua"
run_wrk "C /appointments (SQLite)" "http://127.0.0.1:$port/appointments" \
    "$work/book.lua"
echo "C server peak memory: $(peak "$pid")"
kill -TERM "$pid"
wait "$pid" || true

if [ -n "$mysql_url" ]; then
    mkey=$(build/noshow keys add --db "$mysql_url" --role clinic \
           2>/dev/null)
    book_lua "$mkey"
    start_c "$mysql_url"
    run_wrk "C /appointments (MariaDB)" \
        "http://127.0.0.1:$port/appointments" "$work/book.lua"
    kill -TERM "$pid"
    wait "$pid" || true
fi

if [ -d "$peer/artifacts" ]; then
    (cd "$peer" && exec env PREDICT_PATH=numpy OMP_NUM_THREADS=1 \
        NOSHOW_DB="$work/peer.db" /usr/bin/python3 -m uvicorn app:app \
        --host 127.0.0.1 --port 8011 --workers 1 --log-level warning \
        --no-access-log > "$work/py.log" 2>&1) &
    ppid=$!
    pids+=("$ppid")
    for _ in $(seq 100); do
        curl -sf http://127.0.0.1:8011/health > /dev/null && break
        sleep 0.1
    done
    run_wrk "Python reference /predict (tuned)" \
        "http://127.0.0.1:8011/predict" "$work/predict.lua"
    echo "Python reference peak memory: $(peak "$ppid")"
fi
