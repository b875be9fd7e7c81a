# Pieces shared by the test and benchmark scripts; sourced, never run:
#   . scripts/lib.sh        (from the repository root)

# listen_port FILE TRIES [PID]: prints the port of a `noshow serve`
# started with --listen HOST:0 once it has written "listening on
# HOST:PORT" to FILE (its stdout). Looks every 0.1 s, TRIES times; fails
# when the line never comes, or as soon as PID (when given) has exited.
listen_port() {
    local file=$1 tries=$2 pid=${3-} p
    for _ in $(seq "$tries"); do
        p=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$file")
        if [ -n "$p" ]; then
            echo "$p"
            return 0
        fi
        [ -n "$pid" ] && ! kill -0 "$pid" 2> /dev/null && return 1
        sleep 0.1
    done
    return 1
}

# free_port: prints a port on 127.0.0.1 nobody listens on (bash only: no
# extra tools on a clean machine), below the kernel's range of ports for
# outgoing connections: a port a client socket holds there cannot be
# bound by a server, and the load tests open thousands of them.
free_port() {
    local p low=32768
    read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null ||
        low=32768
    [ "$low" -gt 11000 ] || low=32768
    for _ in $(seq 50); do
        p=$((10000 + RANDOM % (low - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# check WHAT GOT WANT: one test result; prints it and counts it in the
# caller's pass and fail.
check() {
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
        pass=$((pass + 1))
    else
        echo "FAIL $1: got '$2', expected '$3'"
        fail=$((fail + 1))
    fi
}

# maria_root DIR [ARGS]: the mariadb client as root on the socket of the
# server scripts/mariadb.sh runs from DIR.
maria_root() {
    local dir=$1
    shift
    mariadb --no-defaults --protocol=socket -S "$dir/mysqld.sock" -uroot "$@"
}

# predict_lua FILE RECORD KEY: a wrk script posting the JSON in RECORD to
# /predict with KEY as the bearer key.
predict_lua() {
    cat > "$1" <<LUA
local f = assert(io.open("$2", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $3"
LUA
}

# peer_dir: the Python reference stack the benchmarks run beside noshow,
# ../shared/peers/python-fastapi next to the repository unless PEER
# names another copy.
peer_dir() {
    echo "${PEER:-$(cd .. && pwd)/shared/peers/python-fastapi}"
}

# bench_scratch: sets work (a new temporary folder) and pids (an empty
# list the caller adds its servers to); on exit the servers get SIGTERM
# and the folder is removed.
bench_scratch() {
    work=$(mktemp -d)
    pids=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
