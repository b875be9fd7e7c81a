#!/usr/bin/env bash
# Browser tests of the web app: builds noshow and the web app, starts the
# service on 127.0.0.1 (free port, temporary SQLite database, fresh
# reader and clinic keys), runs app.test.mjs in Debian's chromium
# (headless, through playwright-core) and always stops the service.
# Screenshots go to tests/browser/screenshots/. Bounded: each run is
# stopped after BROWSER_TEST_LIMIT_S seconds (default 300).
# Last line: "browser: N passed, N failed".
#
# The model comes from NOSHOW_TEST_MODEL, else from `noshow train` on the
# bundled data. When neither exists, the service runs without a model:
# the tests that need scores are skipped there, and the whole suite runs
# a second time against tests/browser/mock-api.mjs, a stand-in that
# speaks the same API, so the pages are still exercised end to end.
# BROWSER_API=mock runs the stand-in only.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d /tmp/noshow-browser-XXXXXX)
SERVER_PID=""
LIMIT_S=${BROWSER_TEST_LIMIT_S:-300}
DATA=$ROOT/data/noshow-vitoria-2016-until-may.csv
PASS=0
FAIL=0
SKIP=0

stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.3
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

cleanup() {
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
    echo "browser: $1" >&2
    echo "browser: $PASS passed, $((FAIL + 1)) failed"
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

has_command() {
    build/noshow "$1" --help >/dev/null 2>&1
}

random_key() {
    echo "$1-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}

# Starts noshow serve (with the model $1, or none when empty) on $PORT.
start_service() {
    local db="sqlite:$TMP/noshow-$PORT.db"
    local model_opt=()

    [ -n "$1" ] && model_opt=(--model "$1")
    READER_KEY=$(build/noshow keys add --db "$db" --role reader \
        2>/dev/null) || fail "noshow keys add failed"
    CLINIC_KEY=$(build/noshow keys add --db "$db" --role clinic \
        2>/dev/null) || fail "noshow keys add failed"
    build/noshow serve "${model_opt[@]}" --db "$db" \
        --listen "127.0.0.1:$PORT" --web-dir web/dist \
        >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
}

start_mock() {
    READER_KEY=$(random_key reader)
    CLINIC_KEY=$(random_key clinic)
    node tests/browser/mock-api.mjs --port "$PORT" --web-dir web/dist \
        --data "$DATA" --key "reader=$READER_KEY" \
        --key "clinic=$CLINIC_KEY" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
}

wait_ready() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.2
    done
    cat "$TMP/server.log"
    fail "the service did not start"
}

# Runs the suite once: $1 label, $2 "service" or "mock", $3 model path
# (service only; empty for none).
run_suite() {
    local label=$1 kind=$2 model=$3 loaded=1 out rc line

    PORT=$(free_port)
    if [ "$kind" = service ]; then
        start_service "$model"
        [ -n "$model" ] || loaded=0
    else
        start_mock
    fi
    wait_ready
    echo "browser: $label: $kind on port $PORT${model:+, model $model}"
    BASE_URL="http://127.0.0.1:$PORT" READER_KEY=$READER_KEY \
    CLINIC_KEY=$CLINIC_KEY DATA_CSV=$DATA MODEL_LOADED=$loaded \
    RUN_LABEL="[$label]" SHOT_DIR=$ROOT/tests/browser/screenshots \
        timeout "$LIMIT_S" node tests/browser/app.test.mjs \
        >"$TMP/run.log" 2>&1
    rc=$?
    grep -v -e 'openpyxl' -e 'warn(' "$TMP/run.log"
    [ "$rc" -eq 124 ] && echo "browser: $label stopped after $LIMIT_S s"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/run.log" | tail -1)
    if [ -n "$line" ]; then
        PASS=$((PASS + $(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")))
        FAIL=$((FAIL + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
        SKIP=$((SKIP + $(sed -E 's/.* ([0-9]+) skipped.*/\1/' <<<"$line")))
    else
        FAIL=$((FAIL + 1))
    fi
    if [ "$rc" -ne 0 ]; then
        echo "--- $label service log (last 20 lines)"
        tail -20 "$TMP/server.log"
    fi
    stop_server
}

rm -f tests/browser/screenshots/*.png
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (scripts/setup.sh \
installs Debian's chromium)"
make -j2 build/noshow >"$TMP/make.log" 2>&1 || {
    tail -20 "$TMP/make.log"; fail "build failed"; }
bash scripts/web-build.sh >"$TMP/web.log" 2>&1 || {
    tail -20 "$TMP/web.log"; fail "web build failed"; }

if [ "${BROWSER_API:-}" = mock ] || ! has_command serve; then
    run_suite mock mock ""
else
    MODEL=${NOSHOW_TEST_MODEL:-}
    if [ -z "$MODEL" ] && has_command train; then
        MODEL=$TMP/model.json
        timeout 600 build/noshow train "$DATA" -o "$MODEL" \
            >"$TMP/train.log" 2>&1 || {
            tail -20 "$TMP/train.log"; fail "training failed"; }
    fi
    run_suite service service "$MODEL"
    if [ -z "$MODEL" ]; then
        echo "browser: NOTE no model (no train command, NOSHOW_TEST_MODEL \
unset): the service ran without one; the full suite also runs against \
tests/browser/mock-api.mjs"
        run_suite mock mock ""
    fi
fi
[ "$SKIP" -eq 0 ] || echo "browser: $SKIP skipped (no model loaded)"
echo "browser: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
