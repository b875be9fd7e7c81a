#!/usr/bin/env bash
# Backtest of the decision rules on the real data: a model trained on the
# appointments before CUT (default 2016-05-21) is applied to the later
# ones; noshow backtest replays the reminder lists (model, longest lead
# time first, random) and the overbooking advice per day and
# neighbourhood. Writes bench/results/backtest.txt and backtest.json;
# docs/decision-support.md quotes them.
#
#   bash bench/backtest.sh
#   CUT=2016-05-16 DATA=other.csv bash bench/backtest.sh
set -euo pipefail
cd "$(dirname "$0")/.."

CUT=${CUT:-2016-05-21}
DATA=${DATA:-data/noshow-vitoria-2016-until-may.csv}
BIN=$PWD/build/noshow
WORK=$(mktemp -d /tmp/noshow-backtest.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

export OMP_WAIT_POLICY=passive
make -s -j2 >/dev/null

# The two halves on the appointment day (column 5, ISO date first).
head -1 "$DATA" > "$WORK/past.csv"
cp "$WORK/past.csv" "$WORK/later.csv"
awk -F, -v cut="$CUT" 'NR > 1 && substr($5, 1, 10) < cut' "$DATA" \
    >> "$WORK/past.csv"
awk -F, -v cut="$CUT" 'NR > 1 && substr($5, 1, 10) >= cut' "$DATA" \
    >> "$WORK/later.csv"

"$BIN" train "$DATA" --test-from "$CUT" -o "$WORK/model.json" \
    --json > "$WORK/train.json"
"$BIN" backtest "$WORK/model.json" "$WORK/later.csv" \
    --history "$WORK/past.csv" > bench/results/backtest.txt
"$BIN" backtest "$WORK/model.json" "$WORK/later.csv" \
    --history "$WORK/past.csv" --json > bench/results/backtest.json
"$BIN" policy "$WORK/model.json" "$WORK/later.csv" \
    --history "$WORK/past.csv" --cost-slot 50 --cost-call 2 \
    --reminder-effect 0.25 >> bench/results/backtest.txt
cat bench/results/backtest.txt
