#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what it
# needs, builds, then runs every stage. Each stage prints its own
# "N passed, N failed" line; the last line adds them up.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh || exit 1

total_pass=0
total_fail=0
stage_failed=()

# Runs one stage, echoes its output and adds its closing counts.
stage() {
    local name=$1
    shift
    local log
    log=$(mktemp)
    echo "== $name"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local line
    line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" |
        tail -n 1)
    if [ -n "$line" ]; then
        local p f
        p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
        total_pass=$((total_pass + p))
        total_fail=$((total_fail + f))
    fi
    if [ "$rc" -ne 0 ]; then
        stage_failed+=("$name")
        [ -n "$line" ] || total_fail=$((total_fail + 1))
    fi
    rm -f "$log"
}

# The store tests' MariaDB group on a throwaway server (scripts/mariadb.sh
# in a temporary directory), stopped however the stage ends. The unit
# stages run the SQLite group; this stage is where MariaDB is covered.
store_mariadb() {
    local dir
    dir=$(mktemp -d)
    # Expanded now: the local dir is gone when the EXIT trap runs.
    trap "bash scripts/mariadb.sh stop '$dir' >/dev/null 2>&1;
          rm -rf '$dir'" EXIT
    trap 'exit 130' INT TERM
    bash scripts/mariadb.sh start "$dir" > /dev/null || return 1
    NOSHOW_TEST_MYSQL_URL=$(cat "$dir/url")
    export NOSHOW_TEST_MYSQL_URL
    make -j2 build/tests/store/test_store || return 1
    NOSHOW_TEST_STORE_BACKENDS=mysql bash scripts/run-unit-tests.sh build \
        build/tests/store/test_store
}

# The MariaDB groups of the API, learning and command tests, the same
# way, on a server of their own; $1 is build (default) or build-san, the
# AddressSanitizer and UBSan build.
api_mariadb() {
    local dir bins build=${1:-build} san=
    [ "$build" = build-san ] && san=SAN=1
    dir=$(mktemp -d)
    trap "bash scripts/mariadb.sh stop '$dir' >/dev/null 2>&1;
          rm -rf '$dir'" EXIT
    trap 'exit 130' INT TERM
    bash scripts/mariadb.sh start "$dir" > /dev/null || return 1
    NOSHOW_TEST_MYSQL_URL=$(cat "$dir/url")
    export NOSHOW_TEST_MYSQL_URL
    bins=$(grep -l run_backends tests/*/test_*.c |
        sed "s|^tests/\(.*\)\.c$|$build/tests/\1|")
    # shellcheck disable=SC2086
    make -j2 $san "$build/noshow" $bins || return 1
    NOSHOW_TEST_BEFORE_EACH="mariadb --no-defaults -S '$dir/mysqld.sock' \
        -uroot -e 'DROP DATABASE IF EXISTS noshow_test;
        CREATE DATABASE noshow_test CHARACTER SET utf8mb4'"
    export NOSHOW_TEST_BEFORE_EACH
    # shellcheck disable=SC2086
    NOSHOW_TEST_STORE_BACKENDS=mysql bash scripts/run-unit-tests.sh \
        "$build" $bins
}

# The code that runs on several threads of its own (the ordered stages,
# the bounded queue, the parallel bucket resolving, noshow clean end to
# end) under ThreadSanitizer, which fails a run on any data race. Code
# that calls libxgboost stays out: its OpenMP runtime is not
# instrumented, so every run would report races that are not there.
threads() {
    local bins="build-tsan/tests/util/test_stages
        build-tsan/tests/util/test_queue
        build-tsan/tests/features/test_rowfate
        build-tsan/tests/cli/test_cmd_clean"
    # shellcheck disable=SC2086
    make -j2 TSAN=1 build-tsan/noshow $bins || return 1
    # shellcheck disable=SC2086
    TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
        bash scripts/run-unit-tests.sh build-tsan $bins
}

stage lint bash scripts/lint.sh
stage build make -j2
NOSHOW_TEST_STORE_BACKENDS=sqlite stage unit make -j2 check
NOSHOW_TEST_STORE_BACKENDS=sqlite stage unit-sanitizers make -j2 SAN=1 check
stage threads threads
stage store-mariadb store_mariadb
stage api-mariadb api_mariadb
stage api-mariadb-sanitizers api_mariadb build-san
# Hardening (docs/security.md): every fuzz seed and kept crash input once,
# the server under memcheck, kill -9 under load on both back ends, and the
# outages (MariaDB stopped, full disk).
stage fuzz-replay bash scripts/fuzz.sh --replay
stage valgrind bash scripts/valgrind.sh
stage crash-sqlite bash scripts/crash-test.sh sqlite
stage crash-mariadb bash scripts/crash-test.sh mariadb
stage outage bash scripts/outage-test.sh
stage web-unit bash tests/web/run.sh
stage browser bash tests/browser/run.sh
stage install bash scripts/test-install.sh
REPLICAS=2 DURATION=5 CHECK_ONLY=1 stage replicas bash bench/replicas.sh

for s in "${stage_failed[@]}"; do
    echo "stage failed: $s"
done
echo "total: $total_pass passed, $total_fail failed"
[ "${#stage_failed[@]}" -eq 0 ] && [ "$total_fail" -eq 0 ]
