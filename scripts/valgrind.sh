#!/usr/bin/env bash
# The server under valgrind memcheck while a client calls every route:
# the route list comes from the server's own GET /openapi.json, so a new
# route is called without editing this script (with "{}" as its body when
# no better one is known here). Then SIGTERM; the run passes when
# memcheck reports no error and no definite leak, and every route was
# called. Bounded: the whole run takes about a minute.
#   scripts/valgrind.sh      prints "valgrind: N passed, N failed"
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

dir=$(mktemp -d)
srv_pid=""
pass=0
fail=0
cleanup() {
    [ -n "$srv_pid" ] && kill -9 "$srv_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Quieter than the check of scripts/lib.sh: only failures are printed.
check() {
    if [ "$2" = "$3" ]; then
        pass=$((pass + 1))
    else
        echo "FAIL $1: got '$2', expected '$3'"
        fail=$((fail + 1))
    fi
}

make -j2 build/noshow > /dev/null || exit 1
export NOSHOW_PSEUDONYM_KEY=valgrind-pseudonym-key-0123456789
export NOSHOW_LOG=info
# noshow re-executes itself through /proc/self/exe to set this before
# libgomp loads; under valgrind that would run the real binary outside
# memcheck, so it is set here.
export OMP_WAIT_POLICY=passive
url="sqlite:$dir/db"
for role in reader clinic admin; do
    build/noshow keys add --db "$url" --role $role > "$dir/$role.key" \
        2> /dev/null || exit 1
done
cp fuzz/corpus/bundle/tiny.json "$dir/model.json"

timeout 170 valgrind --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --log-file="$dir/memcheck.log" \
    build/noshow serve --model "$dir/model.json" --db "$url" \
    --listen 127.0.0.1:0 --threads 2 --webhook-url http://127.0.0.1:9/hook \
    > "$dir/serve.out" 2> "$dir/serve.err" &
srv_pid=$!
if ! port=$(listen_port "$dir/serve.out" 600 "$srv_pid"); then
    echo "the server did not start under valgrind"
    tail -n 20 "$dir/serve.err" "$dir/memcheck.log"
    echo "valgrind: 0 passed, 1 failed"
    exit 1
fi
base="http://127.0.0.1:$port"

# One request: METHOD PATH ROLE [BODY]; prints the status.
req() {
    local method=$1 path=$2 role=$3 body=${4-}
    local args=(-s -o "$dir/last.body" -w '%{http_code}' -X "$method"
        --max-time 60)
    [ "$role" != none ] &&
        args+=(-H "Authorization: Bearer $(cat "$dir/$role.key")")
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' \
        --data-binary "$body")
    curl "${args[@]}" "$base$path"
}

booking='{"PatientId":"29872499824296","AppointmentID":5642903,
"Gender":"F","ScheduledDay":"2016-04-29T18:38:08Z",
"AppointmentDay":"2016-05-02T00:00:00Z","Age":62,
"Neighbourhood":"JARDIM DA PENHA","Scholarship":0,"Hipertension":1,
"Diabetes":0,"Alcoholism":0,"Handcap":0,"SMS_received":0}'
infer=$(cat fuzz/corpus/req_infer/two.json)

# Bodies known here; every other route gets "{}" or none.
body_for() {
    case "$1 $2" in
    "POST /appointments"|"POST /predict") echo "$booking" ;;
    "PUT /appointments/{id}/outcome") echo '{"outcome":"honored"}' ;;
    "POST /appointments/{id}/notify") echo '{"message":"see you"}' ;;
    "POST /v2/models/noshow/infer") echo "$infer" ;;
    POST*|PUT*|PATCH*) echo '{}' ;;
    esac
}

# Book first so that {id} routes find appointment 1.
check "booking" "$(req POST /appointments clinic "$booking")" 201
booking2=${booking/5642903/5642904}
for try in first replayed; do
    check "booking with an Idempotency-Key ($try)" \
        "$(curl -s -o /dev/null -w '%{http_code}' \
        -H "Authorization: Bearer $(cat "$dir/clinic.key")" \
        -H 'Content-Type: application/json' -H 'Idempotency-Key: k1' \
        --data-binary "$booking2" "$base/appointments")" 201
done
req GET /openapi.json none > /dev/null
/usr/bin/python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for path, ops in doc["paths"].items():
    for m in ops:
        print(m.upper(), path)' "$dir/last.body" | sort > "$dir/routes"
nroutes=$(wc -l < "$dir/routes")
called=0
while read -r method pattern; do
    path=${pattern//\{id\}/1}
    [ "$pattern" = "/patients/{id}" ] && path=/patients/29872499824296
    [ "$pattern" = "/patients/{ref}" ] && path=/patients/29872499824296
    st=$(req "$method" "$path" admin "$(body_for "$method" "$pattern")")
    if [ "$st" -ge 500 ] && [ "$st" -ne 503 ]; then
        echo "FAIL $method $pattern answered $st"
        fail=$((fail + 1))
    else
        called=$((called + 1))
    fi
done < "$dir/routes"
echo "called $called of the $nroutes routes in /openapi.json"
check "routes called (of $nroutes in /openapi.json)" "$called" "$nroutes"

# Error paths: no key, weak key, bad JSON, too large, unknown route.
check "no key" "$(req GET /appointments none)" 401
check "weak key" "$(req POST /model/reload reader)" 403
check "bad JSON" "$(req POST /predict clinic '{"Age":')" 400
check "unknown route" "$(req GET /nowhere reader)" 404
head -c 2000000 /dev/zero | tr '\0' 'a' > "$dir/big"
check "body over the cap" "$(curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $(cat "$dir/clinic.key")" \
    -H 'Content-Type: application/json' --data-binary @"$dir/big" \
    "$base/predict")" 413
# A corrupted model at reload: refused, the old one keeps serving.
head -c 300 fuzz/corpus/bundle/tiny.json > "$dir/model.json"
check "corrupted reload refused" "$(req POST /model/reload admin)" 422
check "old model still scores" "$(req POST /predict clinic "$booking")" 200

kill -TERM "$srv_pid"
wait "$srv_pid"
rc=$?
srv_pid=""
check "server exit status under memcheck" "$rc" 0
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' \
    "$dir/memcheck.log" | tail -n 1)
lost=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' \
    "$dir/memcheck.log" | tail -n 1)
check "memcheck errors" "$errors" 0
check "definitely lost bytes" "${lost:-0}" 0
if [ "$fail" -ne 0 ]; then
    grep -E '^==[0-9]+== (Invalid|Conditional|Syscall|[0-9,]+ bytes)' \
        -A 8 "$dir/memcheck.log" | head -n 60
fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
