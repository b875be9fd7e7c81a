#!/usr/bin/env bash
# Ingest + clean + features: `noshow clean FILE --features /dev/null`
# against pandas on the same file (bench/ingest_pandas.py), in two
# forms: the same work (the same drops and the same features, history
# included, written with to_csv; bench/ingest_same_check.py shows that
# the values agree) and the Python reference's own minimal work (no
# history, nothing written). The three run side by side, alternating,
# REPS times. Files: the real Vitória file, and generated doctolib files
# of 100,000 and 1,000,000 rows (for throughput and memory growth).
# Prints two tables and writes bench/results/ingest.md.
#
#   bash bench/ingest.sh               # 5 repetitions
#   REPS=1 bash bench/ingest.sh        # quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

REPS=${REPS:-5}
PY=/usr/bin/python3
REAL=data/noshow-vitoria-2016-until-may.csv
OUT=bench/results/ingest.md
# The minimal side runs the reference's own feature code.
export PEER_DIR=${PEER_DIR:-$(peer_dir)}
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

# run SIDE NAME FILE REP: one timed process, one line appended to the
# log. Sides: c, same (pandas, same work), py (pandas, minimal).
run() {
    local side=$1 name=$2 file=$3 rep=$4 a b
    local -a cmd=($PY bench/ingest_pandas.py "$file")
    [ "$side" = same ] && cmd=($PY bench/ingest_pandas.py --same-work "$file")
    [ "$side" = c ] && cmd=(build/noshow clean "$file" --features /dev/null \
                            --json)
    a=$(now_ns)
    /usr/bin/time -f "%M %U %S" -o "$TMP/rss" "${cmd[@]}" > "$TMP/out" \
        2>/dev/null
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
        run same "${NAMES[$i]}" "${FILES[$i]}" "$rep"
        run py "${NAMES[$i]}" "${FILES[$i]}" "$rep"
    done
done
build/noshow clean "$TMP/gen1m.csv" --features /dev/null > "$TMP/c_report"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
stat() { # side name column (4 wall ms, 5 peak RSS kB, 6 CPU ms, 7 work ms)
    awk -v s="$1" -v n="$2" -v c="$3" '$1==s && $2==n {print $c}' \
        "$TMP/log" | median
}

# table SIDE: one line per file, C against that pandas side
table() {
    echo "| file | rows | C wall ms | pandas wall ms | C rows/s" \
         "| pandas rows/s | C/pandas (wall) | C/pandas (CPU)" \
         "| C/pandas (work only) | C peak RSS MiB | pandas peak RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for i in "${!FILES[@]}"; do
        n=${NAMES[$i]}
        rows=$(rows_of "${FILES[$i]}")
        cm=$(stat c "$n" 4); pm=$(stat "$1" "$n" 4)
        cr=$(stat c "$n" 5); pr=$(stat "$1" "$n" 5)
        cc=$(stat c "$n" 6); pc=$(stat "$1" "$n" 6)
        cw=$(stat c "$n" 7); pw=$(stat "$1" "$n" 7)
        awk -v n="$n" -v r="$rows" -v cm="$cm" -v pm="$pm" -v cr="$cr" \
            -v pr="$pr" -v cc="$cc" -v pc="$pc" -v cw="$cw" -v pw="$pw" \
            'BEGIN {
            printf "| %s | %d | %d | %d | %.0f | %.0f | %.1fx | %.1fx " \
                   "| %.1fx | %.1f | %.1f |\n", n, r, cm, pm,
                   r / (cm / 1000), r / (pm / 1000), pm / cm,
                   pc / (cc > 0 ? cc : 1), pw / (cw > 0 ? cw : 1),
                   cr / 1024, pr / 1024 }'
    done
}

# memory SIDE LABEL: peak growth from 100k to 1M generated rows
memory() {
    local c1 c2 p1 p2
    c1=$(stat c gen-100k 5); c2=$(stat c gen-1m 5)
    p1=$(stat "$1" gen-100k 5); p2=$(stat "$1" gen-1m 5)
    awk -v c1="$c1" -v c2="$c2" -v p1="$p1" -v p2="$p2" -v l="$2" 'BEGIN {
        printf "Peak memory, 100k -> 1M generated rows: C %.1f -> %.1f MiB " \
               "(x%.2f), %s %.1f -> %.1f MiB (x%.2f).\n",
               c1/1024, c2/1024, c2/c1, l, p1/1024, p2/1024, p2/p1 }'
}

{
    echo "# Ingest benchmark: noshow clean vs pandas"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "- machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo \
        | cut -d: -f2 | sed 's/^ //'), $(free -m | awk '/Mem:/{print $2}') MiB"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- run: \`REPS=$REPS bash bench/ingest.sh\`"
    echo "- repetitions: $REPS, C, pandas (same work) and pandas (minimal)"
    echo "  alternating; medians shown"
    echo "- load average (1, 5, 15 min) at start: $LOAD_START; at end:" \
         "$(cut -d' ' -f1-3 /proc/loadavg) (the 2 vCPUs are shared)"
    echo "- C: \`noshow clean FILE --features /dev/null --json\` (whole"
    echo "  process): reads the file once, validates every value against"
    echo "  the schema, detects exact duplicates and works out every"
    echo "  patient's history in temporary files, computes every feature"
    echo "  from the clean rows kept and formats it as text"
    echo "- pandas, same work: \`/usr/bin/python3 bench/ingest_pandas.py"
    echo "  --same-work FILE\` (whole process, including ~0.3 s of imports):"
    echo "  the same drops and the same features in vectorised pandas and"
    echo "  numpy (sorts, binary searches and running sums for the history),"
    echo "  written with to_csv to /dev/null. \`bench/ingest_same_check.py\`"
    echo "  compares its features with the C ones column by column: equal"
    echo "  on every column of the real file and of the generated files"
    echo "- pandas, minimal: \`/usr/bin/python3 bench/ingest_pandas.py FILE\`,"
    echo "  the Python reference's own ingest: cleaning, date features and"
    echo "  category codes; no history, nothing formatted or written"
    echo "- work only: the command's own clock against the script's, which"
    echo "  leaves out interpreter start and imports (pandas' best case)"
    echo
    echo "## C against pandas doing the same work"
    echo
    table same
    echo
    memory same "pandas (same work)"
    echo
    echo "## C against the reference's minimal pandas work"
    echo
    echo "Here the C side does more: the history and booking-context"
    echo "features, and text for every feature, which this pandas side"
    echo "leaves out."
    echo
    table py
    echo
    memory py "pandas (minimal)"
    echo
    echo "C report on the 1M-row file:"
    echo '```'
    cat "$TMP/c_report"
    echo '```'
    echo
    echo "Raw runs (side file rep wall_ms peak_rss_kb cpu_ms work_ms;"
    echo "same = pandas same work, py = pandas minimal):"
    echo '```'
    cat "$TMP/log"
    echo '```'
} > "$OUT"
cat "$OUT"
