#!/usr/bin/env bash
# Ingest + clean + features: `noshow clean FILE --features /dev/null`
# against the Python reference's pandas work on the same file
# (bench/ingest_pandas.py), side by side in one run, alternating, REPS
# times. Files: the real Vitória file, and generated doctolib files of
# 100,000 and 1,000,000 rows (for throughput and memory growth).
# Prints a table and writes bench/results/ingest.md.
#
#   bash bench/ingest.sh               # 5 repetitions
#   REPS=1 bash bench/ingest.sh        # quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-5}
PY=/usr/bin/python3
REAL=data/noshow-vitoria-2016-until-may.csv
OUT=bench/results/ingest.md
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

command -v /usr/bin/time >/dev/null || {
    echo "bench: /usr/bin/time is missing (bash scripts/setup.sh)" >&2
    exit 1
}
make -j2 build/noshow >/dev/null
build/noshow generate --rows 100000 --seed 1 -o "$TMP/gen100k.csv" 2>/dev/null
build/noshow generate --rows 1000000 --seed 1 -o "$TMP/gen1m.csv" 2>/dev/null

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
FILES=("$REAL" "$TMP/gen100k.csv" "$TMP/gen1m.csv")
NAMES=(real-84k gen-100k gen-1m)
now_ns() { date +%s%N; }

# run SIDE NAME FILE REP: one timed process, one line appended to the log
run() {
    local side=$1 name=$2 file=$3 rep=$4 a b
    a=$(now_ns)
    if [ "$side" = c ]; then
        /usr/bin/time -f "%M %U %S" -o "$TMP/rss" \
            build/noshow clean "$file" --features /dev/null --json \
            > "$TMP/out" 2>/dev/null
    else
        /usr/bin/time -f "%M %U %S" -o "$TMP/rss" $PY bench/ingest_pandas.py \
            "$file" > "$TMP/out"
    fi
    b=$(now_ns)
    # The work alone, without interpreter start and imports: the
    # command's own clock ("seconds") or the script's TIMING work_s.
    work=$(grep -o -E '"seconds":[0-9.e-]+|work_s=[0-9.]+' "$TMP/out" \
        | grep -o -E '[0-9.e-]+$')
    # side file rep wall_ms peak_rss_kb cpu_ms (user + system) work_ms
    tail -1 "$TMP/rss" | awk -v s="$side" -v n="$name" -v r="$rep" \
        -v w=$(( (b - a) / 1000000 )) -v k="$work" \
        '{ printf "%s %s %s %d %d %d %d\n", s, n, r, w, $1,
               ($2 + $3) * 1000, k * 1000 }' >> "$TMP/log"
}

rows_of() { echo $(( $(wc -l < "$1") - 1 )); }

for rep in $(seq "$REPS"); do
    for i in "${!FILES[@]}"; do
        run c "${NAMES[$i]}" "${FILES[$i]}" "$rep"
        run py "${NAMES[$i]}" "${FILES[$i]}" "$rep"
    done
done
build/noshow clean "$TMP/gen1m.csv" --features /dev/null > "$TMP/c_report"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
stat() { # side name column (4 wall ms, 5 peak RSS kB, 6 CPU ms, 7 work ms)
    awk -v s="$1" -v n="$2" -v c="$3" '$1==s && $2==n {print $c}' \
        "$TMP/log" | median
}

{
    echo "# Ingest benchmark: noshow clean vs pandas"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo \
        | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/Mem:/{print $2}') MiB"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- run: \`REPS=$REPS bash bench/ingest.sh\`"
    echo "- repetitions: $REPS, C and pandas alternating; medians shown"
    echo "- load average (1, 5, 15 min) at start: $LOAD_START; at end:" \
         "$(cut -d' ' -f1-3 /proc/loadavg) (the 2 vCPUs are shared)"
    echo "- C: \`noshow clean FILE --features /dev/null --json\` (whole process)"
    echo "- pandas: \`/usr/bin/python3 bench/ingest_pandas.py FILE\` (whole"
    echo "  process, including ~0.2 s of imports)"
    echo "- work only: the command's own clock against the script's, which"
    echo "  leaves out interpreter start and imports (pandas' best case)"
    echo
    echo "The C side does more work: it reads the file twice, detects exact"
    echo "duplicates with 128-bit row hashes, validates every value against the"
    echo "schema, builds the patient-history index and computes the history and"
    echo "booking-context features for every row, and formats every feature as"
    echo "text. The pandas side computes no history features and formats"
    echo "nothing."
    echo
    echo "| file | rows | C wall ms | pandas wall ms | C rows/s | pandas rows/s | C/pandas (wall) | C/pandas (CPU) | C/pandas (work only) | C peak RSS MiB | pandas peak RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for i in "${!FILES[@]}"; do
        n=${NAMES[$i]}
        rows=$(rows_of "${FILES[$i]}")
        cm=$(stat c "$n" 4); pm=$(stat py "$n" 4)
        cr=$(stat c "$n" 5); pr=$(stat py "$n" 5)
        cc=$(stat c "$n" 6); pc=$(stat py "$n" 6)
        cw=$(stat c "$n" 7); pw=$(stat py "$n" 7)
        awk -v n="$n" -v r="$rows" -v cm="$cm" -v pm="$pm" -v cr="$cr" \
            -v pr="$pr" -v cc="$cc" -v pc="$pc" -v cw="$cw" -v pw="$pw" \
            'BEGIN {
            printf "| %s | %d | %d | %d | %.0f | %.0f | %.1fx | %.1fx " \
                   "| %.1fx | %.1f | %.1f |\n", n, r, cm, pm,
                   r / (cm / 1000), r / (pm / 1000), pm / cm,
                   pc / (cc > 0 ? cc : 1), pw / (cw > 0 ? cw : 1),
                   cr / 1024, pr / 1024 }'
    done
    echo
    c1=$(stat c gen-100k 5); c2=$(stat c gen-1m 5)
    p1=$(stat py gen-100k 5); p2=$(stat py gen-1m 5)
    awk -v c1="$c1" -v c2="$c2" -v p1="$p1" -v p2="$p2" 'BEGIN {
        printf "Peak memory, 100k -> 1M generated rows: C %.1f -> %.1f MiB " \
               "(x%.2f), pandas %.1f -> %.1f MiB (x%.2f).\n",
               c1/1024, c2/1024, c2/c1, p1/1024, p2/1024, p2/p1 }'
    echo
    echo "C report on the 1M-row file:"
    echo '```'
    cat "$TMP/c_report"
    echo '```'
    echo
    echo "Raw runs (side file rep wall_ms peak_rss_kb cpu_ms work_ms):"
    echo '```'
    cat "$TMP/log"
    echo '```'
} > "$OUT"
cat "$OUT"
