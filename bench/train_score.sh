#!/usr/bin/env bash
# Training and batch scoring, noshow against the Python reference, in one
# run: runs alternate (C, Python, C, Python, ...), REPS each, medians
# reported with peak RSS from /usr/bin/time. Writes
# bench/results/train_score.md.
#
#   bash bench/train_score.sh            (REPS=3 by default)
#   REPS=5 PEER=/path/to/python-fastapi bash bench/train_score.sh
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-3}
PEER=${PEER:-$(cd .. && pwd)/shared/peers/python-fastapi}
DATA=${DATA:-data/noshow-vitoria-2016-until-may.csv}
PY=/usr/bin/python3
ROOT=$PWD
BIN=$ROOT/build/noshow
WORK=$(mktemp -d /tmp/noshow-bench.XXXXXX)
OUT=bench/results/train_score.md
trap 'rm -rf "$WORK"' EXIT

export OMP_WAIT_POLICY=passive
make -s -j2 >/dev/null

# Kaggle-layout files of N rows: the real rows repeated in order, each
# copy with fresh AppointmentIDs so no two rows are identical.
make_rows() {
    awk -F, -v OFS=, -v n="$1" '
        NR == 1 { print; next }
        { row[m++] = $0 }
        END {
            for (i = 0; i < n; i++) {
                split(row[i % m], f, ",")
                f[2] = 20000000 + i
                line = f[1]
                for (k = 2; k <= 14; k++) line = line "," f[k]
                print line
            }
        }' "$DATA" > "$2"
}
make_rows 110000 "$WORK/rows110k.csv"
make_rows 1000000 "$WORK/rows1m.csv"

# Runs a command under /usr/bin/time; appends "seconds rss_kib" to $1.
timed() {
    local log=$1
    shift
    /usr/bin/time -f "%e %M" -o "$WORK/t" "$@" >/dev/null 2>"$WORK/err" || {
        cat "$WORK/err" >&2
        exit 1
    }
    cat "$WORK/t" >> "$log"
}

c_train() {
    timed "$WORK/c_train" "$BIN" train "$DATA" -o "$WORK/c_model.json" \
        --schema kaggle-noshow --no-history --imbalance oversample \
        --ratio 1 --trees 100 --depth 3 --eta 0.1 --early-stop 0 \
        --calibrate none --test-size 0.25 --seed 42
}

py_train() {
    (cd "$PEER" && timed "$WORK/py_train" env XGB_TREE_METHOD=hist "$PY" \
        train.py "$(realpath "$ROOT/$DATA")" "$WORK/py_art")
}

c_score() {
    timed "$WORK/c_score_$1" "$BIN" predict "$WORK/c_model.json" \
        "$WORK/rows$1.csv" -o "$WORK/c_out_$1.csv"
}

py_score() {
    (cd "$PEER" && timed "$WORK/py_score_$1" "$PY" score.py \
        "$WORK/rows$1.csv" "$WORK/py_out_$1.csv" "$WORK/py_art")
}

for _ in $(seq "$REPS"); do
    c_train
    py_train
done
for n in 110k 1m; do
    for _ in $(seq "$REPS"); do
        c_score "$n"
        py_score "$n"
    done
done

# The default model with patient history: predict reads the file twice
# (history index, then scoring). No Python counterpart.
"$BIN" train "$DATA" -o "$WORK/c_hist.json" --schema kaggle-noshow \
    --test-from 2016-05-21 >/dev/null 2>&1
for _ in $(seq "$REPS"); do
    timed "$WORK/c_hist_1m" "$BIN" predict "$WORK/c_hist.json" \
        "$WORK/rows1m.csv" -o "$WORK/c_hist_out.csv"
done

# Median of column $2 of file $1.
median() {
    sort -g -k"$2","$2" "$1" | awk -v c="$2" '
        { v[NR] = $c }
        END {
            if (NR % 2) m = v[(NR + 1) / 2]
            else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
            print m
        }'
}

row() {
    local name=$1 c=$2 p=$3 rows=$4
    local cs ps cm pm
    cs=$(median "$c" 1)
    ps=$(median "$p" 1)
    cm=$(median "$c" 2)
    pm=$(median "$p" 2)
    awk -v n="$name" -v cs="$cs" -v ps="$ps" -v cm="$cm" -v pm="$pm" \
        -v r="$rows" 'BEGIN {
        if (r > 0)
            printf "| %s | %.2f s (%.0f rows/s) | %.2f s (%.0f rows/s) " \
                   "| %.1fx | %.0f / %.0f MiB |\n", n, cs, r / cs, ps,
                   r / ps, ps / cs, cm / 1024, pm / 1024
        else
            printf "| %s | %.2f s | %.2f s | %.1fx | %.0f / %.0f MiB |\n",
                   n, cs, ps, ps / cs, cm / 1024, pm / 1024
    }'
}

{
    echo "# Training and batch scoring: noshow vs the Python reference"
    echo
    echo "Run: \`bash bench/train_score.sh\` (REPS=$REPS, alternating C and"
    echo "Python, medians), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) vCPUs,"
    echo "OMP_WAIT_POLICY=passive for both, xgboost $($PY -c \
        'import xgboost; print(xgboost.__version__)')."
    echo
    echo "| measurement | noshow | Python reference | speed-up |" \
         "peak RSS noshow / Python |"
    echo "|---|---|---|---|---|"
    row "train, end to end (load to saved model)" "$WORK/c_train" \
        "$WORK/py_train" 0
    row "score 110,000 rows, CSV in and out" "$WORK/c_score_110k" \
        "$WORK/py_score_110k" 110000
    row "score 1,000,000 rows, CSV in and out" "$WORK/c_score_1m" \
        "$WORK/py_score_1m" 1000000
    awk -v s="$(median "$WORK/c_hist_1m" 1)" \
        -v m="$(median "$WORK/c_hist_1m" 2)" 'BEGIN {
        printf "| score 1,000,000 rows with the history model " \
               "(noshow only) | %.2f s (%.0f rows/s) | - | - | " \
               "%.0f MiB |\n", s, 1000000 / s, m / 1024 }'
    echo
    echo "Training: both use hist, 100 trees, depth 3, eta 0.1, random 1:1"
    echo "oversampling of a random 75% training part; the reference via"
    echo "\`XGB_TREE_METHOD=hist python3 train.py\`, noshow via \`noshow"
    echo "train DATA -o M --no-history --imbalance oversample --ratio 1"
    echo "--trees 100 --depth 3 --eta 0.1 --early-stop 0 --calibrate none\`"
    echo "(which also holds out 10% of the training rows for the threshold"
    echo "and computes every test metric and curve). Scoring: \`noshow"
    echo "predict M IN.csv -o OUT.csv\` keeps every input column and adds"
    echo "four; score.py writes three columns. Input files repeat the real"
    echo "rows with fresh AppointmentIDs. The history model (default"
    echo "parameters, patient history on) makes predict read the file"
    echo "twice, working out each patient's history in temporary files"
    echo "between the reads; both models stream in flat memory."
    echo
    echo "Raw runs (seconds, KiB):"
    for f in c_train py_train c_score_110k py_score_110k c_score_1m \
             py_score_1m c_hist_1m; do
        echo "- $f: $(tr '\n' ';' < "$WORK/$f")"
    done
} > "$OUT"
cat "$OUT"
