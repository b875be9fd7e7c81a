"""Baseline (a) exactly as the reference implementation trains it, on
the model card's time split.

usage: /usr/bin/python3 bench/quality_reference.py DATA.csv [CUT]

The reference (PEER_DIR, default ../shared/peers/python-fastapi beside
the repository):
its 12 features, Neighbourhood through sklearn's LabelEncoder
(alphabetical codes), random 1:1 oversampling, XGBClassifier with 100
trees, depth 3, learning rate 0.1 and the rest default. Its random split
is replaced by the time split, and rows booked after their appointment
day are dropped as noshow's cleaning does. Prints test metrics for five
oversampling seeds (42 first).
"""
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import LabelEncoder
from xgboost import XGBClassifier

sys.path.insert(0, os.environ.get("PEER_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
    "peers", "python-fastapi")))
from features import TARGET_COL, build_features  # noqa: E402
from train import random_oversample  # noqa: E402

CUT = sys.argv[2] if len(sys.argv) > 2 else "2016-05-21"
df = pd.read_csv(sys.argv[1]).drop_duplicates()
df = df[df["Age"] >= 0]
lead = (pd.to_datetime(df.AppointmentDay).dt.normalize()
        - pd.to_datetime(df.ScheduledDay).dt.normalize()).dt.days
df = df[lead >= 0].reset_index(drop=True)
day = df.AppointmentDay.str[:10]
tr, te = df[day < CUT], df[day >= CUT]
index = {n: i for i, n in
         enumerate(LabelEncoder().fit(tr["Neighbourhood"]).classes_)}
Xtr = build_features(tr, index).to_numpy()
ytr = (tr[TARGET_COL] == "Yes").astype(int).to_numpy()
Xte = build_features(te, index).to_numpy()
yte = (te[TARGET_COL] == "Yes").astype(int).to_numpy()
print("train %d rows (rate %.4f), test %d rows (rate %.4f)" % (
    len(ytr), ytr.mean(), len(yte), yte.mean()))
res = []
for seed in (42, 1, 2, 3, 4):
    Xb, yb = random_oversample(Xtr, ytr, seed)
    m = XGBClassifier(n_estimators=100, learning_rate=0.1, max_depth=3)
    p = m.fit(Xb, yb).predict_proba(Xte)[:, 1]
    res.append((roc_auc_score(yte, p), average_precision_score(yte, p)))
    print("seed %2d ROC AUC %.4f PR AUC %.4f Brier %.4f mean %.4f" % (
        seed, res[-1][0], res[-1][1], brier_score_loss(yte, p), p.mean()),
        flush=True)
r = np.array(res)
print("over seeds: ROC AUC %.4f (sd %.4f), PR AUC %.4f (sd %.4f)" % (
    r[:, 0].mean(), r[:, 0].std(), r[:, 1].mean(), r[:, 1].std()))
