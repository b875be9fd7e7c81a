#!/usr/bin/env bash
# Browser tests of the web app: builds noshow and the web app, starts the
# service on 127.0.0.1 (free port, temporary SQLite database, fresh API
# keys), runs app.test.mjs in Debian's chromium (headless, through
# playwright-core) and always stops the service. Screenshots go to
# tests/browser/screenshots/. Last line: "browser: N passed, N failed".
#
# The service is `noshow serve` when build/noshow has that command; until
# the API routes exist it is mock-api.mjs, which speaks the same API, and
# the run says so.
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d /tmp/noshow-browser-XXXXXX)
SERVER_PID=""
LIMIT_S=${BROWSER_TEST_LIMIT_S:-300}

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.3
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
    echo "browser: $1" >&2
    echo "browser: 0 passed, 1 failed"
    exit 1
}

[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (scripts/setup.sh \
installs Debian's chromium)"
make -j2 build/noshow >"$TMP/make.log" 2>&1 || {
    tail -20 "$TMP/make.log"; fail "build failed"; }
bash scripts/web-build.sh >"$TMP/web.log" 2>&1 || {
    tail -20 "$TMP/web.log"; fail "web build failed"; }

PORT=$(python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DATA=$ROOT/data/noshow-vitoria-2016-until-may.csv

has_command() {
    build/noshow "$1" --help >/dev/null 2>&1
}

new_key() {
    build/noshow keys add --db "sqlite:$TMP/noshow.db" --role "$1" \
        | tail -1 | awk '{print $NF}'
}

if has_command serve && has_command keys; then
    MODEL=${NOSHOW_TEST_MODEL:-}
    if [ -z "$MODEL" ]; then
        has_command train || fail "no model: build/noshow has no train \
command and NOSHOW_TEST_MODEL is not set"
        MODEL=$TMP/model.json
        timeout 600 build/noshow train "$DATA" --out "$MODEL" \
            >"$TMP/train.log" 2>&1 || {
            tail -20 "$TMP/train.log"; fail "training failed"; }
    fi
    READER_KEY=$(new_key reader) || fail "keys add failed"
    CLINIC_KEY=$(new_key clinic) || fail "keys add failed"
    build/noshow serve --model "$MODEL" --db "sqlite:$TMP/noshow.db" \
        --listen "127.0.0.1:$PORT" --web-dir web/dist \
        >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    echo "browser: service is noshow serve (model $MODEL)"
else
    READER_KEY=reader-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    CLINIC_KEY=clinic-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    node tests/browser/mock-api.mjs --port "$PORT" --web-dir web/dist \
        --data "$DATA" --key "reader=$READER_KEY" \
        --key "clinic=$CLINIC_KEY" >"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    echo "browser: NOTE build/noshow has no serve command yet; the tests \
run against tests/browser/mock-api.mjs, which speaks the planned API"
fi

for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
    kill -0 "$SERVER_PID" 2>/dev/null || {
        cat "$TMP/server.log"; fail "the service did not start"; }
    sleep 0.2
done

BASE_URL="http://127.0.0.1:$PORT" READER_KEY=$READER_KEY \
CLINIC_KEY=$CLINIC_KEY DATA_CSV=$DATA \
SHOT_DIR=$ROOT/tests/browser/screenshots \
    timeout "$LIMIT_S" node tests/browser/app.test.mjs
rc=$?
if [ "$rc" -eq 124 ]; then
    echo "browser: the run took more than $LIMIT_S s and was stopped"
    echo "browser: 0 passed, 1 failed"
fi
if [ "$rc" -ne 0 ]; then
    echo "--- service log (last 20 lines)"
    tail -20 "$TMP/server.log"
fi
exit "$rc"
