#!/usr/bin/env bash
# Several `noshow serve` replicas on one MariaDB behind nginx. For each
# replica count, wrk books appointments for DURATION seconds (each with a
# unique Idempotency-Key; every tenth request retries the thread's
# previous booking with the same key and body) and records each
# booking's outcome once it is acknowledged. The client logs every
# acknowledgement; the database is then checked against that log:
#   - no loss: every acknowledged booking and outcome is stored;
#   - no duplicates: one row per appointment id, retries included, and
#     no more rows than bookings sent;
# and requests/s per replica count is printed. Writes
# bench/results/replicas.md unless CHECK_ONLY=1.
#
#   bash bench/replicas.sh                       (1, 2 and 4 replicas)
#   REPLICAS=2 DURATION=4 CHECK_ONLY=1 bash bench/replicas.sh   (the test)
#
# Knobs: REPLICAS ("1 2 4"), DURATION seconds (10), CONNECTIONS (16),
# THREADS per replica (1), MYSQL_URL (default: a throwaway MariaDB from
# scripts/mariadb.sh). Ends with "replicas: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

REPLICAS=${REPLICAS:-1 2 4}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
THREADS=${THREADS:-1}
CHECK_ONLY=${CHECK_ONLY:-0}
OUT=bench/results/replicas.md
BIN=$PWD/build/noshow
work=$(mktemp -d /tmp/noshow-replicas.XXXXXX)
pids=()
pass=0
fail=0

cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ -z "${MYSQL_URL_GIVEN:-}" ]; then
        bash scripts/mariadb.sh stop "$work/db" >/dev/null 2>&1
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Unlike the check of scripts/lib.sh, runs a command.
check() {   # what, then a command that must succeed
    local what=$1
    shift
    if "$@"; then
        pass=$((pass + 1))
        echo "ok: $what"
    else
        fail=$((fail + 1))
        echo "FAIL: $what"
    fi
}

for tool in nginx wrk mariadb; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "replicas: SKIP, $tool is not installed (scripts/setup.sh)"
        echo "replicas: 0 passed, 1 failed"
        exit 1
    fi
done
make -s -j2 >/dev/null || exit 1

if [ -n "${MYSQL_URL:-}" ]; then
    MYSQL_URL_GIVEN=1
    url=$MYSQL_URL
else
    mkdir -p "$work/db"
    bash scripts/mariadb.sh start "$work/db" >/dev/null || exit 1
    url=$(cat "$work/db/url")
fi
# mysql://USER:PASS@HOST:PORT/NAME
IFS=':@/' read -r _ _ _ db_user db_pass db_host db_port db_name \
    <<< "$url"
sql() {
    mariadb -N -B -h "$db_host" -P "$db_port" -u "$db_user" \
        -p"$db_pass" "$db_name" -e "$1"
}

"$BIN" train tests/fixtures/server/train.csv -o "$work/model.json" \
    --trees 20 --depth 3 --threads 1 >/dev/null 2>&1 || exit 1
key=$("$BIN" keys add --db "$url" --role clinic 2>/dev/null) || exit 1

start_replica() {   # index -> appends "server 127.0.0.1:PORT;" to upstream
    local i=$1 port
    NOSHOW_LOG=warn NOSHOW_PSEUDONYM_KEY=replica-bench-key-0123456789 \
        "$BIN" serve --model "$work/model.json" --db "$url" \
        --listen 127.0.0.1:0 --threads "$THREADS" \
        > "$work/r$i.out" 2> "$work/r$i.err" &
    pids+=($!)
    if port=$(listen_port "$work/r$i.out" 100); then
        echo "        server 127.0.0.1:$port;" >> "$work/upstream"
        return 0
    fi
    cat "$work/r$i.err" >&2
    return 1
}

start_nginx() {   # -> sets lb_port
    lb_port=$(free_port)
    mkdir -p "$work/nginx"
    cat > "$work/nginx.conf" <<CONF
user $(id -un);
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    upstream noshow {
$(cat "$work/upstream")
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$lb_port;
        location / {
            proxy_pass http://noshow;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
    nginx -c "$work/nginx.conf" -p "$work/nginx" &
    pids+=($!)
    for _ in $(seq 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$lb_port") 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$work/nginx/error.log" >&2
    return 1
}

stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    wait 2>/dev/null
    pids=()
}

# The wrk script. Bookings carry appointment ids RUN-THREAD-N; the
# client log (one file per wrk thread) has "book ID", "replay ID",
# "outcome ID" or "status CODE" per response.
write_lua() {   # run tag
    cat > "$work/load.lua" <<LUA
local f = assert(io.open("tests/fixtures/server/booking.json", "rb"))
local template = f:read("*a")
f:close()
local run, dir = "$1", "$work"
local threads = 0
local n, tag, log, queue, last = 0, "", nil, {}, nil
local function headers(idem)
    local h = {["Content-Type"] = "application/json",
               ["Authorization"] = "Bearer $key"}
    if idem then h["Idempotency-Key"] = idem end
    return h
end
function setup(thread)
    threads = threads + 1
    thread:set("tag", run .. "-" .. threads)
end
function init(args)
    tag = wrk.thread:get("tag")
    log = assert(io.open(dir .. "/ack-" .. tag, "w"))
end
function request()
    if #queue > 0 then
        local id = table.remove(queue, 1)
        return wrk.format("PUT", "/appointments/" .. id .. "/outcome",
                          headers(nil), '{"outcome": "honored"}')
    end
    n = n + 1
    if n % 10 == 0 and last then
        return wrk.format("POST", "/appointments", headers(last.key),
                          last.body)
    end
    local ext = tag .. "-" .. n
    local body = template:gsub("@EXT@", ext)
    body = body:gsub("@PATIENT@", tag .. "-p" .. (n % 300))
    last = {key = "k-" .. ext, body = body}
    return wrk.format("POST", "/appointments", headers(last.key), body)
end
function response(status, hdrs, body)
    local id = body:match('"id":%s*(%d+)')
    if hdrs["Idempotent-Replayed"] then
        log:write("replay ", id or "?", "\n")
    elseif status == 201 and id then
        log:write("book ", id, "\n")
        queue[#queue + 1] = id
    elseif status == 200 and id then
        log:write("outcome ", id, "\n")
    else
        log:write("status ", status, "\n")
    end
    log:flush()
end
LUA
}

one_run() {   # replica count
    local r=$1 tag="r$1x$RANDOM" i
    : > "$work/upstream"
    for i in $(seq "$r"); do
        start_replica "$i" || return 1
    done
    start_nginx || return 1
    write_lua "$tag"
    rm -f "$work"/ack-*
    wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$work/load.lua" \
        "http://127.0.0.1:$lb_port/" > "$work/wrk.out" 2>&1
    stop_all
    verify "$r" "$tag"
}

# Compares the client's log of acknowledgements with the database.
verify() {   # replicas tag
    local r=$1 tag=$2 acks books replays outcomes other rows missing \
        unfinished rps
    cat "$work"/ack-* > "$work/acks"
    books=$(grep -c '^book ' "$work/acks")
    replays=$(grep -c '^replay ' "$work/acks")
    outcomes=$(grep -c '^outcome ' "$work/acks")
    other=$(grep '^status ' "$work/acks" | sort | uniq -c | tr '\n' ' ')
    rows=$(sql "SELECT COUNT(*) FROM appointments
                WHERE ext_id LIKE '$tag-%'")
    sql "SELECT id FROM appointments WHERE ext_id LIKE '$tag-%'" \
        | sort > "$work/db_ids"
    sql "SELECT id FROM appointments WHERE ext_id LIKE '$tag-%'
         AND outcome_at IS NOT NULL" | sort > "$work/db_done"
    missing=$(awk '$1 == "book" { print $2 }' "$work/acks" | sort \
        | comm -23 - "$work/db_ids" | wc -l)
    unfinished=$(awk '$1 == "outcome" { print $2 }' "$work/acks" | sort \
        | comm -23 - "$work/db_done" | wc -l)
    rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.out")
    echo "replicas=$r requests/s=$rps bookings=$books replays=$replays" \
         "outcomes=$outcomes rows=$rows other: ${other:-none}"
    check "$r replicas: some bookings were acknowledged" \
        test "$books" -gt 0
    check "$r replicas: every acknowledged booking is stored" \
        test "$missing" -eq 0
    check "$r replicas: every acknowledged outcome is stored" \
        test "$unfinished" -eq 0
    check "$r replicas: retries were answered from the stored booking" \
        test "$replays" -gt 0
    # A tenth of the requests are retries: had any made a row, rows
    # would exceed acknowledgements by far more than the bookings still
    # in flight when wrk stopped (at most one per connection).
    check "$r replicas: rows ($rows) = acknowledged bookings ($books) +
        at most $CONNECTIONS in flight" \
        test "$rows" -ge "$books" -a "$rows" -le $((books + CONNECTIONS))
    check "$r replicas: no request failed" test -z "$other"
    echo "| $r | $rps | $books | $replays | $outcomes | $rows |" \
        "$missing | $unfinished |" >> "$work/table"
}

: > "$work/table"
for r in $REPLICAS; do
    one_run "$r" || check "$r replicas: the run started" false
done

if [ "$CHECK_ONLY" != 1 ]; then
    {
        echo "# Replicas on one MariaDB behind nginx"
        echo
        echo "Run: \`bash bench/replicas.sh\` on $(date -u +%Y-%m-%d)," \
             "wrk -t2 -c$CONNECTIONS for ${DURATION} s per row,"
        echo "$THREADS worker thread(s) per replica, nginx 1 worker," \
             "MariaDB from scripts/mariadb.sh, all on"
        echo "one $(nproc)-vCPU host shared with other work (load" \
             "average $(cut -d' ' -f1 /proc/loadavg) at the end)."
        echo "Requests mix bookings (a tenth of them retries with the" \
             "same Idempotency-Key) and outcomes of acknowledged bookings."
        echo
        echo "| replicas | requests/s | bookings acked | replays |" \
             "outcomes acked | rows | acked but missing |" \
             "outcome acked but missing |"
        echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
        cat "$work/table"
    } > "$OUT"
    echo "wrote $OUT"
fi
echo "replicas: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
