#!/usr/bin/env bash
# Browser tests of the web app: builds noshow and the web app, trains a
# model on the bundled data (or takes NOSHOW_TEST_MODEL), starts `noshow
# serve` on 127.0.0.1 (free port, temporary SQLite database, fresh reader
# and clinic keys), runs app.test.mjs in Debian's chromium (headless,
# through playwright-core) and always stops the service. Screenshots go
# to tests/browser/screenshots/. Bounded: the browser run is stopped after
# BROWSER_TEST_LIMIT_S seconds (default 300), training after 600.
# Last line: "browser: N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$PWD
TMP=$(mktemp -d /tmp/noshow-browser-XXXXXX)
SERVER_PID=""
LIMIT_S=${BROWSER_TEST_LIMIT_S:-300}
DATA=$ROOT/data/noshow-vitoria-2016-until-may.csv
DB="sqlite:$TMP/noshow.db"

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
    [ -f "$TMP/server.log" ] && tail -20 "$TMP/server.log"
    echo "browser: 0 passed, 1 failed"
    exit 1
}

rm -f tests/browser/screenshots/*.png
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium (scripts/setup.sh \
installs Debian's chromium)"
make -j2 build/noshow >"$TMP/make.log" 2>&1 || {
    tail -20 "$TMP/make.log"; fail "build failed"; }
bash scripts/web-build.sh >"$TMP/web.log" 2>&1 || {
    tail -20 "$TMP/web.log"; fail "web build failed"; }

MODEL=${NOSHOW_TEST_MODEL:-}
if [ -z "$MODEL" ]; then
    MODEL=$TMP/model.json
    timeout 600 build/noshow train "$DATA" -o "$MODEL" >"$TMP/train.log" \
        2>&1 || { tail -20 "$TMP/train.log"; fail "training failed"; }
fi
READER_KEY=$(build/noshow keys add --db "$DB" --role reader 2>/dev/null) \
    || fail "noshow keys add failed"
CLINIC_KEY=$(build/noshow keys add --db "$DB" --role clinic 2>/dev/null) \
    || fail "noshow keys add failed"
PORT=$(python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# A control share of one half, so that the few appointments of a test
# day give both groups on the reminders page.
build/noshow serve --model "$MODEL" --db "$DB" --listen "127.0.0.1:$PORT" \
    --web-dir web/dist --control-share 0.5 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
ready=0
for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/readyz" && { ready=1; break; }
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
done
[ "$ready" -eq 1 ] || fail "the service did not start"

BASE_URL="http://127.0.0.1:$PORT" READER_KEY=$READER_KEY \
CLINIC_KEY=$CLINIC_KEY DATA_CSV=$DATA \
SHOT_DIR=$ROOT/tests/browser/screenshots \
    timeout "$LIMIT_S" node tests/browser/app.test.mjs >"$TMP/run.log" 2>&1
rc=$?
grep -v -e 'openpyxl' -e 'warn(' "$TMP/run.log"
if [ "$rc" -eq 124 ]; then
    fail "the run took more than $LIMIT_S s and was stopped"
fi
if [ "$rc" -ne 0 ]; then
    echo "--- service log (last 20 lines)"
    tail -20 "$TMP/server.log"
fi
grep -q '^browser: [0-9]* passed' "$TMP/run.log" || \
    echo "browser: 0 passed, 1 failed"
exit "$rc"
