#!/usr/bin/env bash
# Explanations per second beside the Python reference, in one run:
#   1. the reference's shap_bench.py (Booster.predict(pred_contribs=True))
#      on the first 10,000 rows of the data file, its own model;
#   2. build/bench/explain_bench on the same model file and the very same
#      feature rows (dumped by the reference's own build_features), then
#      the whole noshow explanation with a bundle trained here.
# Both run with OMP_WAIT_POLICY=passive (noshow sets it for itself; see
# src/main.c), alternating, ROUNDS times (default 3); the report gives the
# median over rounds of each side's medians and their range, since the
# shared 2-vCPU host moves batch timings by tens of percent. Writes
# bench/results/explain.md and prints the ratios.
#   bash bench/explain.sh [DATA.csv]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
data=${1:-data/noshow-vitoria-2016-until-may.csv}
peer=$(peer_dir)
py=/usr/bin/python3
export OMP_WAIT_POLICY=passive
out=bench/results/explain.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

make -j2 > /dev/null
make -j2 bench > /dev/null
head -10001 "$data" > "$tmp/first10k.csv"

# The reference's feature rows and contributions, float32, row-major.
PYTHONPATH=$peer $py - "$data" "$peer/artifacts" "$tmp" <<'PY'
import sys
import numpy as np
import pandas as pd
import xgboost as xgb
from features import build_features, load_encoders
csv, art, tmp = sys.argv[1:4]
enc = load_encoders(art + "/encoders.json")
X = build_features(pd.read_csv(csv, nrows=10000),
                   enc["neighbourhood_index"]).to_numpy()
X = np.ascontiguousarray(X, dtype=np.float32)
b = xgb.Booster()
b.load_model(art + "/model.json")
c = b.predict(xgb.DMatrix(X), pred_contribs=True)
X.tofile(tmp + "/X.f32")
np.ascontiguousarray(c, dtype=np.float32).tofile(tmp + "/contrib.f32")
print(X.shape[1])
PY
ncols=$($py -c "import os,sys; print(os.path.getsize(sys.argv[1]) // 40000)" "$tmp/X.f32")

build/noshow train "$data" -o "$tmp/bundle.json" > /dev/null 2>&1

rounds=${ROUNDS:-3}
for round in $(seq "$rounds"); do
    PYTHONPATH=$peer $py "$peer/shap_bench.py" "$data" "$peer/artifacts" \
        | tee -a "$tmp/python.txt"
    build/bench/explain_bench "$peer/artifacts/model.json" "$tmp/X.f32" \
        "$tmp/contrib.f32" "$ncols" "$tmp/bundle.json" \
        "$tmp/first10k.csv" | tee -a "$tmp/c.txt"
done

$py - "$tmp/python.txt" "$tmp/c.txt" "$out" "$data" "$rounds" <<'PY'
import re, sys, datetime, platform, statistics
py_txt, c_txt, out, data, rounds = sys.argv[1:6]
def kv(line):
    return dict(re.findall(r"(\w+)=([^\s]+)", line))
py = [kv(l) for l in open(py_txt) if l.startswith("SHAP")]
c = [(l.split()[1], kv(l)) for l in open(c_txt) if l.startswith("C ")]
spread = {}
def over_rounds(key, vals):
    spread[key] = (min(vals), max(vals))
    return statistics.median(vals)
def pyms(threads, rows):
    vals = [float(r["predict_median_ms"]) + float(r["dmatrix_median_ms"])
            for r in py if r["threads"] == threads and r["rows"] == str(rows)]
    return over_rounds(("py", threads, rows), vals), 0.0
def cms(what, threads, rows):
    vals = [float(r["median_ms"]) for w, r in c if w == what and
            r.get("threads") == threads and r.get("rows") == str(rows)]
    return over_rounds(("c", what, threads, rows), vals)
rows = []
p1, d1 = pyms("nthread=1", 1)
c1 = cms("contribs", "1", 1)
rows.append(("1 row, 1 thread: TreeSHAP (C incl. DMatrix; Python predict + DMatrix)",
             c1, p1 + d1))
pb, db = pyms("default", 10000)
cb = cms("contribs", "all", 10000)
rows.append(("10,000 rows, all threads", cb, pb + db))
pb1, db1 = pyms("nthread=1", 10000)
cb1 = cms("contribs", "1", 10000)
rows.append(("10,000 rows, 1 thread", cb1, pb1 + db1))
er = cms("explain_row", "1", 1)
rec = cms("explain_record_json", "1", 1)
em = cms("explain_matrix", "all", 10000)
check = [r for w, r in c if w == "check"][0]
bundle = [r for w, r in c if w == "bundle"][0]
lines = [
    "# Explanations per second: noshow (C) beside the Python reference",
    "",
    f"Run {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC on {platform.node()}, "
    f"`bash bench/explain.sh {data}`, OMP_WAIT_POLICY=passive for both.",
    "Same model file (the reference's artifacts/model.json, 100 trees of depth 3),",
    "same 10,000 feature rows (the reference's build_features on the first 10,000",
    f"rows). Our contributions match the reference's to {float(check['max_abs_diff_vs_python']):.2g} (largest |difference|).",
    "C: median of 2,000 in-process single-row calls and of 5 batch calls;",
    "Python: shap_bench.py as shipped (201 single-row reps, 5 batch reps),",
    "predict + DMatrix construction. Each side ran " + rounds + " times, alternating;",
    "the tables give the median over those runs, [min-max] beside it.",
    "",
    "| measurement | C median ms | Python median ms | C explanations/s | Python explanations/s | speed-up (Python / C time) |",
    "|---|---|---|---|---|---|",
]
keys = [(("c", "contribs", "1", 1), ("py", "nthread=1", 1)),
        (("c", "contribs", "all", 10000), ("py", "default", 10000)),
        (("c", "contribs", "1", 10000), ("py", "nthread=1", 10000))]
def rng(k):
    lo, hi = spread[k]
    return f"[{lo:.3f}-{hi:.3f}]"
for (name, cm, pm), (kc, kp) in zip(rows, keys):
    n = 10000 if "10,000" in name else 1
    lines.append(f"| {name} | {cm:.4f} {rng(kc)} | {pm:.4f} {rng(kp)} | "
                 f"{n / cm * 1e3:,.0f} | {n / pm * 1e3:,.0f} | {pm / cm:.2f}x |")
lines += [
    "",
    "The whole noshow explanation with a bundle trained by `noshow train` on the",
    f"file (its defaults: {bundle['trees']} trees after early stopping, "
    f"{bundle['features']} features with patient history),",
    "on the first 10,000 rows:",
    "",
    "| measurement | C median ms | explanations/s |",
    "|---|---|---|",
    f"| explain_row: contributions + groups + plain-word reasons, 1 row | {er:.4f} {rng(('c', 'explain_row', '1', 1))} | {1e3 / er:,.0f} |",
    f"| explain_record: raw record -> features -> score -> reasons -> JSON, 1 row | {rec:.4f} {rng(('c', 'explain_record_json', '1', 1))} | {1e3 / rec:,.0f} |",
    f"| explain_matrix: 10,000 rows, all threads | {em:.2f} {rng(('c', 'explain_matrix', 'all', 10000))} | {1e7 / em:,.0f} |",
    "",
    "Both sides call the same libxgboost TreeSHAP; the differences are the",
    "call overhead around it (DMatrix, interpreter) and the thread set-up.",
    "On this shared host a gap under about 1.5x between batch timings cannot",
    "be told from noise (see the reference's notes), so the 10,000-row rows",
    "are a tie; the one-row gain is the Python call overhead.",
    "Raw lines:",
    "",
    "```",
] + [l.rstrip() for l in open(py_txt)] + [l.rstrip() for l in open(c_txt)] + ["```", ""]
open(out, "w").write("\n".join(lines))
for name, cm, pm in rows:
    print(f"ratio {name}: Python/C = {pm / cm:.2f}")
PY
echo "wrote $out"
