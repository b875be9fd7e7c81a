#!/usr/bin/env bash
# Source checks that need no compiler: 80 columns, no tabs in C, no banned
# calls (unbounded string functions, unchecked number parsing).
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0

check() {
    local what=$1 out=$2
    if [ -n "$out" ]; then
        echo "lint: $what:"
        echo "$out" | head -n 20 | sed 's/^/    /'
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

files=$(git ls-files -co --exclude-standard -- 'src/*.[ch]' 'tests/*.[ch]' \
    'bench/*.[ch]' 'fuzz/*.[ch]')
check "lines over 80 columns" "$(awk 'length($0) > 80 {
    print FILENAME ":" FNR }' $files)"
check "tab characters in C" "$(grep -n -P '\t' $files)"
check "banned calls" "$(grep -n -E \
    '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atof)\s*\(' \
    $files)"
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
