#!/usr/bin/env bash
# A throwaway MariaDB server for tests, from Debian's packages.
#   scripts/mariadb.sh start DIR   data in DIR/data, socket DIR/mysqld.sock,
#                                  127.0.0.1 on a free port; prints the URL
#                                  mysql://noshow:PASS@127.0.0.1:PORT/noshow_test
#                                  and writes it to DIR/url
#   scripts/mariadb.sh stop DIR    stops it (the data stays in DIR; a
#                                  later start on DIR keeps the URL)
# The user noshow gets a random password and rights on noshow_test only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

READY_TIMEOUT_S=${MARIADB_READY_TIMEOUT_S:-60}
STOP_TIMEOUT_S=20

die() {
    echo "mariadb.sh: $*" >&2
    exit 1
}

client() {
    maria_root "$dir" "$@"
}

start() {
    local port="" pass="" user_opt=()
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -e "$dir/mysqld.pid" ] && kill -0 "$(cat "$dir/mysqld.pid")" \
        2>/dev/null && die "a server already runs from $dir"
    [ "$(id -u)" -eq 0 ] && user_opt=(--user=root)

    if [ ! -d "$dir/data/mysql" ]; then
        mariadb-install-db --no-defaults "${user_opt[@]}" \
            --datadir="$dir/data" --auth-root-authentication-method=socket \
            --skip-test-db > "$dir/install.log" 2>&1 ||
            die "mariadb-install-db failed; see $dir/install.log"
    fi
    # A restart of the same DIR keeps its port and password, so that a
    # client holding the URL reconnects (the outage test relies on it).
    if [ -f "$dir/url" ]; then
        port=$(sed -n 's|.*@127.0.0.1:\([0-9]*\)/.*|\1|p' "$dir/url")
        pass=$(sed -n 's|mysql://noshow:\([^@]*\)@.*|\1|p' "$dir/url")
    fi
    [ -n "$port" ] || port=$(free_port) || die "no free port found"

    mariadbd --no-defaults "${user_opt[@]}" --datadir="$dir/data" \
        --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
        --bind-address=127.0.0.1 --port="$port" \
        --log-error="$dir/error.log" --innodb-buffer-pool-size=64M \
        --innodb-log-file-size=16M --skip-name-resolve \
        --max-connections=200 > /dev/null 2>&1 &
    echo $! > "$dir/launcher.pid"

    local waited=0
    until client -e 'SELECT 1' > /dev/null 2>&1; do
        if ! kill -0 "$(cat "$dir/launcher.pid")" 2> /dev/null; then
            tail -n 20 "$dir/error.log" >&2
            die "mariadbd exited before it was ready (port $port); see" \
                "$dir/error.log"
        fi
        sleep 0.5
        waited=$((waited + 1))
        if [ "$waited" -ge $((READY_TIMEOUT_S * 2)) ]; then
            stop_server
            die "server not ready after ${READY_TIMEOUT_S}s; see" \
                "$dir/error.log"
        fi
    done

    [ -n "$pass" ] || pass=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    client <<EOF
CREATE DATABASE IF NOT EXISTS noshow_test CHARACTER SET utf8mb4;
CREATE OR REPLACE USER 'noshow'@'127.0.0.1' IDENTIFIED BY '$pass';
CREATE OR REPLACE USER 'noshow'@'localhost' IDENTIFIED BY '$pass';
GRANT ALL PRIVILEGES ON noshow_test.* TO 'noshow'@'127.0.0.1';
GRANT ALL PRIVILEGES ON noshow_test.* TO 'noshow'@'localhost';
EOF
    local url="mysql://noshow:$pass@127.0.0.1:$port/noshow_test"
    echo "$url" > "$dir/url"
    chmod 600 "$dir/url"
    echo "$url"
}

stop_server() {
    local pid=""
    [ -f "$dir/mysqld.pid" ] && pid=$(cat "$dir/mysqld.pid")
    [ -z "$pid" ] && [ -f "$dir/launcher.pid" ] && pid=$(cat "$dir/launcher.pid")
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.5
        waited=$((waited + 1))
        if [ "$waited" -ge $((STOP_TIMEOUT_S * 2)) ]; then
            kill -9 "$pid" 2>/dev/null || true
            break
        fi
    done
    rm -f "$dir/mysqld.pid" "$dir/launcher.pid"
}

[ $# -eq 2 ] || die "usage: mariadb.sh start|stop DIR"
dir=$2
case $1 in
start) start ;;
stop) stop_server ;;
*) die "unknown command $1; expected start or stop" ;;
esac
