#!/usr/bin/env bash
# Unit tests of the web app's modules under node's test runner. Last
# line: "web-unit: N passed, N failed".
cd "$(dirname "$0")/../.."
out=$(node --test tests/web/test_*.mjs 2>&1)
rc=$?
echo "$out" | grep -E '^(not ok|# Subtest)' || true
pass=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p')
fail=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p')
[ "$rc" -eq 0 ] || echo "$out" | grep -A12 '^not ok' | head -40
echo "web-unit: ${pass:-0} passed, ${fail:-1} failed"
exit "$rc"
