#!/usr/bin/env bash
# Crash test: a sustained load of bookings and outcomes (tests/crash/
# load.py logs every acknowledged write), kill -9 of the server in the
# middle of it, a restart on the same database, then checks:
#   - every acknowledged booking is present exactly once, under its id,
#     with its idempotency row; a retry with its key replays that id;
#   - every acknowledged outcome is the appointment's status, recorded by
#     exactly one 'outcome' event;
#   - nothing is half-present: no appointment without its 'booked'
#     event, no idempotency row without its appointment;
#   - the database's own check passes (PRAGMA integrity_check; CHECK
#     TABLE on MariaDB).
#   scripts/crash-test.sh [sqlite|mariadb]    (default sqlite)
# CRASH_LOAD_S (default 6) bounds the load; the kill comes at
# CRASH_KILL_S (default 3). Prints "crash-BACKEND: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

backend=${1:-sqlite}
LOAD_S=${CRASH_LOAD_S:-6}
KILL_S=${CRASH_KILL_S:-3}
dir=$(mktemp -d)
srv_pid=""
load_pid=""
pass=0
fail=0

cleanup() {
    [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
    [ -n "$srv_pid" ] && kill -9 "$srv_pid" 2>/dev/null
    [ "$backend" = mariadb ] && bash scripts/mariadb.sh stop "$dir/maria" \
        > /dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -j2 build/noshow > /dev/null || exit 1
export NOSHOW_PSEUDONYM_KEY=crash-test-pseudonym-key-0123456789
export NOSHOW_LOG=warn
case $backend in
sqlite)
    url="sqlite:$dir/db"
    sql() { sqlite3 -batch -noheader "$dir/db"; }
    ;;
mariadb)
    url=$(bash scripts/mariadb.sh start "$dir/maria") || exit 1
    sql() { maria_root "$dir/maria" -N -B noshow_test; }
    # A fresh database: earlier runs' rows would muddle the counts.
    echo "DROP DATABASE noshow_test; CREATE DATABASE noshow_test;" |
        maria_root "$dir/maria"
    ;;
*)
    echo "crash-test.sh: unknown backend $backend; expected sqlite or" \
        "mariadb" >&2
    exit 2
    ;;
esac

key=$(build/noshow keys add --db "$url" --role clinic 2> /dev/null) ||
    { echo "crash-$backend: keys add failed"; exit 1; }

# Starts the server; sets srv_pid and port.
start_server() {
    : > "$dir/serve.out"
    build/noshow serve --model fuzz/corpus/bundle/tiny.json --db "$url" \
        --listen 127.0.0.1:0 --threads 4 > "$dir/serve.out" \
        2>> "$dir/serve.err" &
    srv_pid=$!
    port=$(listen_port "$dir/serve.out" 100) && return 0
    echo "server did not start; its log:"
    tail -n 20 "$dir/serve.err"
    exit 1
}

start_server
/usr/bin/python3 tests/crash/load.py "$port" "$key" "$dir/acked" \
    "$LOAD_S" 4 &
load_pid=$!
sleep "$KILL_S"
kill -9 "$srv_pid"
wait "$srv_pid" 2> /dev/null
srv_pid=""
wait "$load_pid"
load_pid=""

nbooked=$(grep -c '^booked ' "$dir/acked" || true)
noutcome=$(grep -c '^outcome ' "$dir/acked" || true)
echo "acknowledged before the kill: $nbooked bookings, $noutcome outcomes"
[ "$nbooked" -gt 0 ] || { echo "crash-$backend: 0 passed, 1 failed"; exit 1; }

start_server

# The client's log as two temporary tables, then the checks in SQL.
{
    echo "CREATE TEMPORARY TABLE acked (idem VARCHAR(200), ext VARCHAR(64),"
    echo " id BIGINT);"
    echo "CREATE TEMPORARY TABLE acked_out (id BIGINT, outcome VARCHAR(20));"
    awk '/^booked /{printf "INSERT INTO acked VALUES (\x27%s\x27, \x27%s\x27, %s);\n", $2, $3, $4}
         /^outcome /{printf "INSERT INTO acked_out VALUES (%s, \x27%s\x27);\n", $2, $3}' \
        "$dir/acked"
    echo "SELECT 'missing', COUNT(*) FROM acked a LEFT JOIN appointments p"
    echo " ON p.id = a.id AND p.ext_id = a.ext WHERE p.id IS NULL;"
    echo "SELECT 'duplicated', COUNT(*) FROM (SELECT ext_id FROM"
    echo " appointments GROUP BY ext_id HAVING COUNT(*) > 1) d;"
    echo "SELECT 'no_idem', COUNT(*) FROM acked a LEFT JOIN idempotency i"
    echo " ON i.idem_key = a.idem AND i.appointment_id = a.id"
    echo " WHERE i.idem_key IS NULL;"
    echo "SELECT 'no_booked_event', COUNT(*) FROM appointments p WHERE NOT"
    echo " EXISTS (SELECT 1 FROM events e WHERE e.appointment_id = p.id"
    echo " AND e.kind = 'booked');"
    echo "SELECT 'orphan_idem', COUNT(*) FROM idempotency i WHERE NOT EXISTS"
    echo " (SELECT 1 FROM appointments p WHERE p.id = i.appointment_id);"
    echo "SELECT 'wrong_outcome', COUNT(*) FROM acked_out o JOIN"
    echo " appointments p ON p.id = o.id WHERE p.status <> o.outcome;"
    echo "SELECT 'outcome_events_not_one', COUNT(*) FROM acked_out o WHERE"
    echo " (SELECT COUNT(*) FROM events e WHERE e.appointment_id = o.id"
    echo " AND e.kind = 'outcome') <> 1;"
} > "$dir/check.sql"
sql < "$dir/check.sql" | tr '|\t' '  ' > "$dir/check.out"
for name in missing duplicated no_idem no_booked_event orphan_idem \
    wrong_outcome outcome_events_not_one; do
    got=$(awk -v n="$name" '$1 == n {print $2}' "$dir/check.out")
    check "$name acknowledged writes or rows" "$got" 0
done

if [ "$backend" = sqlite ]; then
    check "PRAGMA integrity_check" \
        "$(echo 'PRAGMA integrity_check;' | sql)" ok
else
    bad=$(echo "CHECK TABLE appointments, events, idempotency, outbox;" |
        sql | awk '$3 == "status" && $4 != "OK"' | wc -l)
    check "CHECK TABLE reports every table OK" "$bad" 0
fi

# The API view after the restart: ready, and a retried booking replays.
ready=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$port/readyz")
check "restarted server is ready" "$ready" 200
read -r _ idem ext id < <(grep '^booked ' "$dir/acked" | head -n 1)
body=$(printf '{"PatientId":"%s","AppointmentID":%s,"Gender":"F",'\
'"ScheduledDay":"2016-04-29T18:38:08Z","AppointmentDay":'\
'"2016-05-02T00:00:00Z","Age":40,"Neighbourhood":"CENTRO",'\
'"Scholarship":0,"Hipertension":0,"Diabetes":0,"Alcoholism":0,'\
'"Handcap":0,"SMS_received":0}' "$((1000 + ext % 97))" "$ext")
replay=$(curl -s -H "Authorization: Bearer $key" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $idem" \
    -d "$body" "http://127.0.0.1:$port/appointments" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "a retried acknowledged booking replays its id" "$replay" "$id"

kill "$srv_pid"
wait "$srv_pid" 2> /dev/null
srv_pid=""
echo "crash-$backend: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
