#!/usr/bin/env bash
# Runs each unit-test executable from the repository root and prints one
# closing line: "N passed, N failed". Exits non-zero when any test failed.
set -u
# Same OpenMP policy as the binary sets for itself (see src/main.c).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# Sanitizer builds: see tests/lsan.supp for the one suppressed site.
supp="$(cd "$(dirname "$0")/.." && pwd)/tests/lsan.supp"
export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
build=$1
shift
pass=0
fail=0
failed=()
for t in "$@"; do
    # A shared database starts empty for each executable (api_mariadb in
    # scripts/test.sh), so one file's models or keys never reach another.
    if [ -n "${NOSHOW_TEST_BEFORE_EACH:-}" ]; then
        bash -c "$NOSHOW_TEST_BEFORE_EACH" || { fail=$((fail + 1)); continue; }
    fi
    if NOSHOW_BUILD="$build" "$t" > "$t.log" 2>&1; then
        pass=$((pass + $(grep -c '^\[       OK \]' "$t.log")))
    else
        n=$(grep -c '^\[  FAILED  \]' "$t.log")
        fail=$((fail + (n > 0 ? n : 1)))
        pass=$((pass + $(grep -c '^\[       OK \]' "$t.log")))
        failed+=("$t")
        cat "$t.log"
    fi
done
for t in "${failed[@]}"; do
    echo "unit: FAILED $t (log: $t.log)"
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
