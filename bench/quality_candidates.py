"""Candidate features, recency weights and calibration slices for the
model card, scored on training rows only.

usage: noshow clean DATA.csv --schema kaggle-noshow --features F.csv
       /usr/bin/python3 bench/quality_candidates.py DATA.csv F.csv [params]

With "params" it scores, by the same grouped cross-validation, the
parameter settings the search grid gained past its product instead.

Training rows are the appointments dated before 2016-05-21 (CUT). Two
checks, neither looks at a row dated on or after CUT:
 - cv: 5-fold cross-validation grouped by patient (the selection rule);
 - time: fit on the rows dated before the last training week, score that
   week (the test rows are later than all training rows too; a feature
   that only helps when folds share days shows up here).
XGBoost depth 6, eta 0.05, subsample and colsample 0.8, early stopping
on the latest tenth of each fit's rows. Prints one line per candidate.
"""
import sys

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.optimize import brentq
from sklearn.metrics import average_precision_score, log_loss
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

DATA, FEATS = sys.argv[1], sys.argv[2]
CUT = pd.Timestamp("2016-05-21")
PARAMS_ONLY = len(sys.argv) > 3 and sys.argv[3] == "params"
P = dict(objective="binary:logistic", eval_metric="logloss", max_depth=6,
         eta=0.05, subsample=0.8, colsample_bytree=0.8, tree_method="hist",
         seed=42, nthread=1)

raw = pd.read_csv(DATA, dtype={"PatientId": str})
raw = raw.rename(columns={"AppointmentID": "appointment_id"})
f = pd.read_csv(FEATS)
d = f.merge(raw[["appointment_id", "PatientId", "ScheduledDay",
                 "AppointmentDay", "Neighbourhood"]], on="appointment_id")
d["t"] = pd.to_datetime(d.ScheduledDay).astype("int64") // 10**9
d["day"] = pd.to_datetime(d.AppointmentDay.str[:10])
BASE = [c for c in f.columns if c not in ("appointment_id", "label")]


def before_count(df, keys):
    """Rows sharing keys booked strictly before each row's instant."""
    s = df.sort_values(keys + ["t"])
    return (s.groupby(keys)["t"].rank(method="min") - 1).reindex(df.index)


# Candidates, each known at booking time.
d["day_load"] = before_count(d, ["day"])
d["nb_day_load"] = before_count(d, ["day", "Neighbourhood"])
s = d.sort_values(["PatientId", "t"])
g = s.groupby("PatientId")
tmp = pd.DataFrame({"cl": g["lead_days"].cumsum() - s.lead_days,
                    "cn": g.cumcount(), "pid": s.PatientId, "t": s.t})
for c in ("cl", "cn"):     # ties of instant: only strictly earlier ones
    tmp[c] = tmp.groupby(["pid", "t"])[c].transform("first")
d["hist_mean_lead"] = (tmp.cl / tmp.cn.replace(0, np.nan)).reindex(d.index)
d["age_band"] = (d.age // 10).clip(0, 9)
d["wd_lead"] = d.appt_weekday * 1000 + d.lead_days.clip(0, 999)
d["sms_lead"] = d.sms_received * 1000 + d.lead_days.clip(0, 999)

tr = d[d.day < CUT].reset_index(drop=True)
y = tr.label.values


def nb_rate(fit_rows, rows, m=100.0):
    """Neighbourhood no-show rate of fit_rows, shrunk to the mean."""
    p = y[fit_rows].mean()
    st = pd.DataFrame({"n": tr.Neighbourhood.values[fit_rows],
                       "y": y[fit_rows]}).groupby("n")["y"]
    st = st.agg(["sum", "count"])
    rate = (st["sum"] + m * p) / (st["count"] + m)
    return tr.Neighbourhood.iloc[rows].map(rate).fillna(p).values


def fit(a, cols, use_rate=False, w=None):
    X = tr.loc[a, cols].copy()
    if use_rate:
        X["nb_rate"] = nb_rate(a, a)
    order = np.lexsort((tr.t.values[a], tr.day.values[a]))
    nv = len(a) // 10
    fi, vi = order[:-nv], order[-nv:]
    wf = None if w is None else w[a][fi]
    dfit = xgb.DMatrix(X.iloc[fi], y[a][fi], weight=wf)
    dval = xgb.DMatrix(X.iloc[vi], y[a][vi])
    return xgb.train(P, dfit, 1000, evals=[(dval, "v")],
                     early_stopping_rounds=20, verbose_eval=False)


def predict(bst, a, b, cols, use_rate=False, margin=False):
    X = tr.loc[b, cols].copy()
    if use_rate:
        X["nb_rate"] = nb_rate(a, b)
    return bst.predict(xgb.DMatrix(X), output_margin=margin,
                       iteration_range=(0, bst.best_iteration + 1))


def cv(cols, use_rate=False):
    oof = np.zeros(len(tr))
    for a, b in GroupKFold(n_splits=5).split(tr, y, tr.PatientId):
        oof[b] = predict(fit(a, cols, use_rate), a, b, cols, use_rate)
    return oof, np.arange(len(tr))


def timecheck(cols, use_rate=False, w=None):
    week = tr.day.max() - pd.Timedelta(days=6)
    a = np.where(tr.day < week)[0]
    b = np.where(tr.day >= week)[0]
    return predict(fit(a, cols, use_rate, w), a, b, cols, use_rate), b


def show(name, res):
    p, rows = res
    print("%-34s ROC %.4f PR %.4f LL %.4f mean %.4f obs %.4f" % (
        name, roc_auc_score(y[rows], p), average_precision_score(y[rows], p),
        log_loss(y[rows], p), p.mean(), y[rows].mean()), flush=True)


if PARAMS_ONLY:
    base_p = dict(P)
    for name, upd in [("depth 6, eta 0.05 (reference point)", {}),
                      ("eta 0.02", dict(eta=0.02)),
                      ("depth 8, min_child_weight 20",
                       dict(max_depth=8, min_child_weight=20)),
                      ("depth 8, min_child_weight 20, eta 0.02",
                       dict(max_depth=8, min_child_weight=20, eta=0.02)),
                      ("depth 6, min_child_weight 20",
                       dict(min_child_weight=20))]:
        P.clear()
        P.update(base_p, **upd)
        show("cv   " + name, cv(BASE))
    sys.exit(0)
CANDS = [("the current features", BASE, False),
         ("+ day_load", BASE + ["day_load"], False),
         ("+ nb_day_load", BASE + ["nb_day_load"], False),
         ("+ hist_mean_lead", BASE + ["hist_mean_lead"], False),
         ("+ nb_rate", BASE, True),
         ("+ age_band, wd_lead, sms_lead",
          BASE + ["age_band", "wd_lead", "sms_lead"], False)]
for name, cols, use_rate in CANDS:
    show("cv   " + name, cv(cols, use_rate))
    show("time " + name, timecheck(cols, use_rate))
age = (tr.day.max() - tr.day).dt.days.values.astype(float)
for tau in (7.0, 14.0, 28.0):
    show("time recency weight tau %g days" % tau,
         timecheck(BASE, w=np.exp(-age / tau)))
# Intercept shift measured on the latest 7 or 14 training days by a
# model fitted before them.
for days in (7, 14):
    first = tr.day.max() - pd.Timedelta(days=days - 1)
    a = np.where(tr.day < first)[0]
    b = np.where(tr.day >= first)[0]
    mb = predict(fit(a, BASE), a, b, BASE, margin=True)
    shift = brentq(lambda v: (1 / (1 + np.exp(-(mb - v)))).mean()
                   - y[b].mean(), -3, 3)
    print("slice of the latest %2d days: model before it predicts %.4f, "
          "observed %.4f, intercept shift %.4f" % (
              days, (1 / (1 + np.exp(-mb))).mean(), y[b].mean(), shift),
          flush=True)
