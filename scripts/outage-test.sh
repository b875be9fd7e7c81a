#!/usr/bin/env bash
# Outages the service must ride out without a restart:
#   mariadb  MariaDB stopped while bookings arrive: every answer is 201
#            or 503 with Retry-After (never a 500), /readyz says not
#            ready, and bookings succeed again by themselves once the
#            database is back, in the same server process.
#   reload   a corrupted model file at SIGHUP: the old model keeps
#            scoring, the failure is logged and counted in /metrics.
#   disk     the SQLite database on a 2 MiB tmpfs that fills up: 503
#            problem+json with Retry-After (never a 500), and once space
#            is freed bookings succeed again and PRAGMA integrity_check
#            passes. Needs mount(8) rights; without them the part says
#            SKIPPED loudly and fails (NOSHOW_ALLOW_SKIP=1: passes).
#   scripts/outage-test.sh [mariadb|reload|disk]...   (default: all)
# Prints "outage: N passed, N failed". Bounded: about a minute.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(mariadb reload disk)
dir=$(mktemp -d)
srv_pid=""
pass=0
fail=0

cleanup() {
    [ -n "$srv_pid" ] && kill -9 "$srv_pid" 2> /dev/null
    [ -d "$dir/maria" ] && bash scripts/mariadb.sh stop "$dir/maria" \
        > /dev/null 2>&1
    mountpoint -q "$dir/small" 2> /dev/null && umount "$dir/small"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make -j2 build/noshow > /dev/null || exit 1
export NOSHOW_PSEUDONYM_KEY=outage-test-pseudonym-key-0123456789
export NOSHOW_LOG=info
cp fuzz/corpus/bundle/tiny.json "$dir/model.json"

# start_server DB_URL: sets srv_pid, port, key (a clinic key).
start_server() {
    key=$(build/noshow keys add --db "$1" --role clinic 2> /dev/null) ||
        { echo "keys add failed on $1"; exit 1; }
    : > "$dir/serve.out"
    : > "$dir/serve.err"
    build/noshow serve --model "$dir/model.json" --db "$1" \
        --listen 127.0.0.1:0 --threads 2 > "$dir/serve.out" \
        2> "$dir/serve.err" &
    srv_pid=$!
    port=$(listen_port "$dir/serve.out" 100) && return 0
    echo "server did not start:"
    tail -n 5 "$dir/serve.err"
    exit 1
}

stop_server() {
    kill "$srv_pid" 2> /dev/null
    wait "$srv_pid" 2> /dev/null
    srv_pid=""
}

# book: one booking with a new appointment id; prints "STATUS RETRY-AFTER
# CONTENT-TYPE" and keeps the body in $dir/last.body.
book() {
    # Runs in a subshell, so the id comes from the clock, not a counter.
    local ns
    ns=$(date +%s%N)
    local ext=$(( ns / 1000 % 1000000000000 ))
    curl -s --max-time 20 -D "$dir/last.head" -o "$dir/last.body" \
        -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
        --data-binary "{\"PatientId\":\"$((ext % 50))\",\
\"AppointmentID\":$ext,\"Gender\":\"F\",\
\"ScheduledDay\":\"2016-04-29T18:38:08Z\",\
\"AppointmentDay\":\"2016-05-02T00:00:00Z\",\"Age\":40,\
\"Neighbourhood\":\"CENTRO\",\"Scholarship\":0,\"Hipertension\":0,\
\"Diabetes\":0,\"Alcoholism\":0,\"Handcap\":0,\"SMS_received\":0}" \
        "http://127.0.0.1:$port/appointments" > /dev/null
    local st ra ct
    st=$(sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$dir/last.head")
    ra=$(tr -d '\r' < "$dir/last.head" |
        sed -n 's/^[Rr]etry-[Aa]fter: *//p')
    ct=$(tr -d '\r' < "$dir/last.head" |
        sed -n 's/^[Cc]ontent-[Tt]ype: *//p')
    echo "${st:-000} ${ra:--} ${ct:--}"
}

status_of() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 20 \
        "http://127.0.0.1:$port$1"
}

part_mariadb() {
    local url seen bad
    url=$(bash scripts/mariadb.sh start "$dir/maria") || {
        check "MariaDB starts" no yes
        return
    }
    start_server "$url"
    check "booking with the database up" "$(book | cut -d' ' -f1)" 201
    local pid=$srv_pid

    bash scripts/mariadb.sh stop "$dir/maria" > /dev/null
    seen=""
    bad=0
    for _ in $(seq 1 10); do
        read -r st ra ct < <(book)
        seen="$seen $st"
        if [ "$st" != 201 ] && { [ "$st" != 503 ] || [ "$ra" = - ] ||
            [[ "$ct" != *problem+json* ]]; }; then
            bad=$((bad + 1))
            echo "     answer during the outage: $st Retry-After=$ra $ct"
        fi
    done
    echo "     statuses while MariaDB is down:$seen"
    check "answers during the outage: 503 problem+json, Retry-After" \
        "$bad" 0
    check "503 seen during the outage" \
        "$([[ "$seen" == *503* ]] && echo yes)" yes
    check "/readyz while MariaDB is down" "$(status_of /readyz)" 503

    bash scripts/mariadb.sh start "$dir/maria" > /dev/null
    local st=000
    for _ in $(seq 1 60); do
        st=$(book | cut -d' ' -f1)
        [ "$st" = 201 ] && break
        sleep 0.5
    done
    check "bookings resume by themselves when MariaDB returns" "$st" 201
    check "/readyz once MariaDB is back" "$(status_of /readyz)" 200
    check "same server process throughout" \
        "$(kill -0 "$pid" 2> /dev/null && echo alive)" alive
    stop_server
    bash scripts/mariadb.sh stop "$dir/maria" > /dev/null
}

part_reload() {
    local before after
    start_server "sqlite:$dir/reload.db"
    before=$(curl -s -H "Authorization: Bearer $key" \
        "http://127.0.0.1:$port/model" |
        sed -n 's/.*"version":"\([^"]*\)".*/\1/p')
    head -c 500 fuzz/corpus/bundle/tiny.json > "$dir/model.json"
    kill -HUP "$srv_pid"
    sleep 1
    check "corrupted reload counted in /metrics" \
        "$(curl -s "http://127.0.0.1:$port/metrics" |
            grep -c 'noshow_model_reloads_total{result="failed"} 1')" 1
    check "corrupted reload logged" \
        "$(grep -c 'model reload failed' "$dir/serve.err")" 1
    check "a booking is still scored after the failed reload" \
        "$(book | cut -d' ' -f1)" 201
    after=$(curl -s -H "Authorization: Bearer $key" \
        "http://127.0.0.1:$port/model" |
        sed -n 's/.*"version":"\([^"]*\)".*/\1/p')
    [ -n "$before" ] || before="(no version read)"
    check "the old model keeps serving" "$after" "$before"
    cp fuzz/corpus/bundle/tiny.json "$dir/model.json"
    stop_server
}

part_disk() {
    mkdir -p "$dir/small"
    if ! mount -t tmpfs -o size=2m tmpfs "$dir/small" 2> /dev/null; then
        echo
        echo "*** full-disk test SKIPPED: cannot mount a tmpfs here ***"
        echo
        [ "${NOSHOW_ALLOW_SKIP:-}" = 1 ] ||
            check "the full-disk test can mount its tmpfs" no yes
        return
    fi
    local url="sqlite:$dir/small/db" st ra ct n=0 full="" bad=0
    start_server "$url"
    # Most of the room goes to a filler, so the database fills quickly.
    dd if=/dev/zero of="$dir/small/filler" bs=64k count=22 2> /dev/null
    while [ $n -lt 3000 ]; do
        n=$((n + 1))
        read -r st ra ct < <(book)
        [ "$st" = 201 ] && continue
        full="$st"
        if [ "$st" != 503 ] || [ "$ra" = - ] ||
            [[ "$ct" != *problem+json* ]]; then
            bad=1
            echo "     answer on a full disk: $st Retry-After=$ra $ct"
            head -c 300 "$dir/last.body"
            echo
        fi
        break
    done
    echo "     the disk filled after $n bookings"
    check "a full disk answers 503 problem+json with Retry-After" \
        "$full/$bad" "503/0"
    check "the server lives on with a full disk" \
        "$(status_of /healthz)" 200
    rm -f "$dir/small/filler"
    check "bookings succeed again once space is freed" \
        "$(book | cut -d' ' -f1)" 201
    check "PRAGMA integrity_check after the full disk" \
        "$(sqlite3 "$dir/small/db" 'PRAGMA integrity_check;')" ok
    stop_server
    check "PRAGMA integrity_check after a clean stop" \
        "$(sqlite3 "$dir/small/db" 'PRAGMA integrity_check;')" ok
    umount "$dir/small"
}

for p in "${parts[@]}"; do
    echo "-- $p"
    case $p in
    mariadb) part_mariadb ;;
    reload) part_reload ;;
    disk) part_disk ;;
    *) echo "outage-test.sh: unknown part $p" >&2; exit 2 ;;
    esac
done
echo "outage: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
