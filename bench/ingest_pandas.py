"""The pandas side of bench/ingest.sh, in two modes.

usage: /usr/bin/python3 bench/ingest_pandas.py [--same-work] FILE.csv
                                               [--out OUT.csv]

Minimal (default), the Python reference's own ingest work. Kaggle file:
read_csv + drop_duplicates + age filter + LabelEncoder on Neighbourhood
+ the reference's build_features (features.py of the peer, found
through PEER_DIR). Generated doctolib file: the equivalent pandas
cleaning (duplicates, age range, rating range, negative lead) and date
features (lead days, weekday, booking hour, time of day, same day) plus
category codes. No patient history, nothing written.

--same-work: what `noshow clean FILE --features OUT.csv` does, in
vectorised pandas and numpy: the schema's drops (duplicate rows, empty
cells, values that do not parse, out of range, negative lead, unknown
outcome), every feature of docs/features.md in the same order
(columns, category codes by falling frequency, calendar features, the
ten patient-history and booking-context features under the same
leak-free rules) and the result written with to_csv to OUT (default
/dev/null). bench/ingest_same_check.py compares it with the C output
column by column.

Prints "TIMING rows=.. kept=.. work_s=..".
"""
import os
import re
import sys
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PEER_DIR = os.environ.get("PEER_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers",
    "python-fastapi"))
sys.path.insert(0, PEER_DIR)

DOCTOLIB_CATS = ["Hospital_Area", "Specialty", "Facility_Type",
                 "Type_of_Care", "Social_Status", "Weather_Conditions",
                 "Gender"]


def kaggle(path):
    from sklearn.preprocessing import LabelEncoder
    from features import build_features

    df = pd.read_csv(path)
    n = len(df)
    df = df.drop_duplicates()
    df = df[df["Age"] >= 0].reset_index(drop=True)
    enc = LabelEncoder().fit(df["Neighbourhood"])
    index = {name: i for i, name in enumerate(enc.classes_)}
    X = build_features(df, index).to_numpy()
    y = (df["No-show"] == "Yes").to_numpy(dtype=np.int32)
    return n, len(X) + 0 * int(y.sum())


def doctolib(path):
    df = pd.read_csv(path)
    n = len(df)
    df = df.drop_duplicates()
    df = df[(df["Age"] >= 0) & (df["Age"] <= 115)]
    df = df[df["Hospital_Rating"].between(1, 5)]
    booked = pd.to_datetime(df["Appointment_Booking_Date"],
                            format="%Y-%m-%d %H:%M:%S")
    appt = pd.to_datetime(df["Appointment_Date"], format="%Y-%m-%d")
    lead = (appt - booked.dt.normalize()).dt.days
    df = df[lead >= 0]
    booked = booked[lead >= 0]
    appt = appt[lead >= 0]
    out = pd.DataFrame(index=df.index)
    out["lead_days"] = lead[lead >= 0]
    out["appt_weekday"] = appt.dt.dayofweek
    out["booking_hour"] = booked.dt.hour
    out["booking_weekday"] = booked.dt.dayofweek
    t = pd.to_datetime(df["Appointment_Time"], format="%H:%M")
    out["appt_time"] = t.dt.hour * 3600 + t.dt.minute * 60
    out["same_day"] = (out["lead_days"] == 0).astype(np.int8)
    for col in DOCTOLIB_CATS:
        out[col] = pd.factorize(df[col], sort=True)[0]
    for col in df.columns:
        if col not in DOCTOLIB_CATS and df[col].dtype != object:
            out[col] = df[col]
    X = out.astype(np.float32).to_numpy()
    return n, len(X)


# === Same work as noshow clean --features ===

# The built-in schemas (`noshow schema show NAME`): column, role and, for
# numbers, (integer, min, max). Roles: pid patient, aid appointment id,
# booked, date, time, bin, num, cat, target, ignore.
SCHEMAS = {
    "kaggle-noshow": {
        # ISO 8601 with a zone: pandas' fast path (an explicit format
        # with a literal Z goes through strptime, ten times slower).
        "booked_fmt": None,
        "date_fmt": None,
        "target": ("Yes", "No"),
        "cols": [
            ("PatientId", "pid"), ("AppointmentID", "aid"),
            ("Gender", "cat"), ("ScheduledDay", "booked"),
            ("AppointmentDay", "date"),
            ("Age", "num", (True, 0, 115)), ("Neighbourhood", "cat"),
            ("Scholarship", "bin"), ("Hipertension", "bin"),
            ("Diabetes", "bin"), ("Alcoholism", "bin"),
            ("Handcap", "num", (True, 0, 4)), ("SMS_received", "bin"),
            ("No-show", "target"),
        ],
    },
    "doctolib": {
        "booked_fmt": "%Y-%m-%d %H:%M:%S",
        "date_fmt": "%Y-%m-%d",
        "target": ("1", "0"),
        "cols": [
            ("Patient_Id", "pid"), ("Appointment_Id", "aid"),
            ("Appointment_Booking_Date", "booked"),
            ("Appointment_Date", "date"), ("Appointment_Time", "time"),
            ("Scholarship", "bin"), ("Hypertension", "bin"),
            ("Diabetes", "bin"), ("Alcoholism", "bin"),
            ("Disability", "bin"),
            ("Days_Between_Scheduling_and_Appointment", "ignore"),
            ("Hospital_Area", "cat"), ("Specialty", "cat"),
            ("Facility_Type", "cat"), ("Type_of_Care", "cat"),
            ("Social_Status", "cat"), ("Weather_Conditions", "cat"),
            ("Gender", "cat"), ("Distance_km", "num", (False, 0, None)),
            ("Previously_Treated", "bin"),
            ("Age", "num", (True, 0, 115)), ("SMS_Received", "bin"),
            ("Consultations_Last_12_Months", "num", (True, 0, None)),
            ("Waiting_Time_Minutes", "num", (False, 0, None)),
            ("Hospital_Rating", "num", (True, 1, 5)),
            ("Average_Fee", "num", (False, 0, None)),
            ("Appointment_Status", "target"),
        ],
    },
}

DAY = 86400
HIST = ["hist_prior_appts", "hist_prior_noshows", "hist_noshow_rate",
        "hist_days_since_last", "hist_held_appts", "hist_bookings_30d",
        "hist_days_since_booking", "hist_bookings_today", "hist_prev_lead",
        "hist_same_day_appts"]


def snake(name):
    return "_".join(re.findall(r"[A-Za-z0-9]+", name)).lower()


def role_of(schema, role):
    return next(c[0] for c in schema["cols"] if c[1] == role)


def epoch_s(col, fmt):
    """Seconds since 1970 (UTC as written); NaT -> a mask of bad rows."""
    t = pd.to_datetime(col, format=fmt, errors="coerce")
    bad = t.isna().to_numpy()
    return t.values.view("i8") // 10**9, bad


def binary(col):
    if col.dtype != object:
        v = col.to_numpy(dtype=np.float64)
        return v, ~np.isin(v, (0.0, 1.0))
    m = col.str.strip().str.lower().map({"1": 1.0, "yes": 1.0, "true": 1.0,
                                         "0": 0.0, "no": 0.0, "false": 0.0})
    v = m.to_numpy(dtype=np.float64)
    return v, np.isnan(v)


def numeric(col, spec):
    integer, lo, hi = spec
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(v) | (integer & (v != np.floor(v)))
    out = np.zeros(len(v), dtype=bool)
    if lo is not None:
        out |= v < lo
    if hi is not None:
        out |= v > hi
    return v, bad, out & ~bad


def outcome(col, pos_neg):
    pos, neg = pos_neg
    if col.dtype != object:
        v = col.to_numpy(dtype=np.float64)
        lab = np.where(v == float(pos), 1, np.where(v == float(neg), 0, -1))
    else:
        lab = col.map({pos: 1, neg: 0})
        if lab.isna().any():
            lab = lab.fillna(col.str.lower().map({pos.lower(): 1,
                                                  neg.lower(): 0}))
        lab = lab.fillna(-1).to_numpy(dtype=np.int64)
    return lab


def category_codes(col):
    """Codes by falling frequency, ties by byte order; missing -> NaN."""
    codes, uniq = pd.factorize(col)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniq))
    order = sorted(range(len(uniq)),
                   key=lambda i: (-counts[i], str(uniq[i]).encode()))
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    coded = rank[np.maximum(codes, 0)]
    return coded if (codes >= 0).all() else np.where(codes >= 0, coded,
                                                     np.nan)


def clean(df, schema):
    """Drops rows as noshow clean does; returns the kept frame and typed
    columns (epoch seconds, days, label, numbers)."""
    df = df[~df.duplicated()]
    df = df[df.notna().all(axis=1)]
    bad = np.zeros(len(df), dtype=bool)
    out = np.zeros(len(df), dtype=bool)
    typed = {}
    for c in schema["cols"]:
        name, role = c[0], c[1]
        if role == "bin":
            typed[name], b = binary(df[name])
            bad |= b
        elif role == "num":
            typed[name], b, o = numeric(df[name], c[2])
            bad |= b
            out |= o
        elif role == "booked":
            typed["t"], b = epoch_s(df[name], schema["booked_fmt"])
            bad |= b
        elif role == "date":
            s, b = epoch_s(df[name], schema["date_fmt"])
            typed["appt_day"] = s // DAY
            bad |= b
        elif role == "time":
            s, b = epoch_s(df[name], "%H:%M")
            typed["appt_time"] = s % DAY
            bad |= b
        elif role == "target":
            typed["label"] = outcome(df[name], schema["target"])
            bad |= typed["label"] < 0
    neg = (typed["appt_day"] < typed["t"] // DAY) & ~bad & ~out
    keep = ~(bad | out | neg)
    return df[keep], {k: v[keep] for k, v in typed.items()}


def run_starts(new_run):
    """For each position of a sorted array, the first position of its run
    (new_run[i]: position i starts one)."""
    idx = np.arange(len(new_run))
    return np.maximum.accumulate(np.where(new_run, idx, 0))


def history(pat, t, appt_day, label):
    """The ten history features of docs/features.md for every row, from
    sorts and binary searches over all rows at once."""
    n = len(t)
    day = t // DAY
    gstart = np.concatenate(([0], np.cumsum(np.bincount(pat))))[pat]
    # Bookings by patient, then instant, then day (ties of instant: the
    # later day last). Keys pack the patient above the instant.
    tbase = t.min() - 31 * DAY
    assert (t.max() - tbase) < 2**34 and pat.max() < 2**29
    hi = pat.astype(np.int64) << 34
    ob = np.lexsort((appt_day, t, pat))
    kb = (hi | (t - tbase))[ob]
    before_t = np.searchsorted(kb, hi | (t - tbase)) - gstart
    old = np.searchsorted(kb, hi | (t - 30 * DAY + 1 - tbase)) - gstart
    today = np.searchsorted(kb, hi | (day * DAY - tbase)) - gstart
    has_prev = before_t > 0
    prev = ob[np.maximum(gstart + before_t - 1, 0)]
    since_booking = np.where(has_prev, (t - t[prev]) / DAY, np.nan)
    prev_lead = np.where(has_prev, appt_day[prev] - day[prev], np.nan)

    # Appointments by patient, then day, with running outcome counts.
    dbase = min(day.min(), appt_day.min())
    hd = pat.astype(np.int64) << 32
    od = np.argsort(hd | (appt_day - dbase), kind="stable")
    kd = (hd | (appt_day - dbase))[od]
    pos = np.searchsorted(kd, hd | (day - dbase))
    known_s = label[od] >= 0
    ck = np.concatenate(([0], np.cumsum(known_s)))
    cm = np.concatenate(([0], np.cumsum(label[od] == 1)))
    known = ck[pos] - ck[gstart]
    missed = cm[pos] - cm[gstart]
    last = np.maximum.accumulate(np.where(known_s, kd, -1))
    last_day = (last[np.maximum(pos - 1, 0)] & 0xFFFFFFFF) + dbase
    seen = known > 0

    # Earlier bookings for the same appointment day: rows sorted by
    # (patient, day, instant); a row's count is where its run of equal
    # instants starts, less where its (patient, day) group starts.
    oa = np.lexsort((t, appt_day, pat))
    ka = (hd | (appt_day - dbase))[oa]
    ta = t[oa]
    new_group = np.concatenate(([True], ka[1:] != ka[:-1]))
    new_run = new_group | np.concatenate(([True], ta[1:] != ta[:-1]))
    same_day = np.empty(n, dtype=np.int64)
    same_day[oa] = run_starts(new_run) - run_starts(new_group)

    return {
        "hist_prior_appts": known,
        "hist_prior_noshows": np.where(seen, missed, 0),
        "hist_noshow_rate": np.where(seen, missed / np.maximum(known, 1),
                                     np.nan),
        "hist_days_since_last": np.where(seen, day - last_day, np.nan),
        "hist_held_appts": np.maximum(before_t - (pos - gstart), 0),
        "hist_bookings_30d": before_t - old,
        "hist_days_since_booking": since_booking,
        "hist_bookings_today": before_t - today,
        "hist_prev_lead": prev_lead,
        "hist_same_day_appts": same_day,
    }


def same_work(path, out_path):
    with open(path, encoding="utf-8") as f:
        header = f.readline()
    name = "doctolib" if "Appointment_Booking_Date" in header \
        else "kaggle-noshow"
    schema = SCHEMAS[name]
    texts = [c[0] for c in schema["cols"] if c[1] in ("pid", "aid", "cat")]
    # Identifiers and categories are text, as in the C reader; only an
    # empty cell is missing (not "NA" or "null").
    df = pd.read_csv(path, dtype={c: str for c in texts},
                     keep_default_na=False, na_values=[""])
    n = len(df)
    df, typed = clean(df, schema)
    t, appt_day = typed["t"], typed["appt_day"]

    out = {"appointment_id": df[role_of(schema, "aid")].to_numpy(),
           "label": typed["label"]}
    # Whole numbers as integers, so that to_csv writes "57", not "57.0"
    # (as the C side does, and faster).
    for c in schema["cols"]:
        if c[1] == "bin" or (c[1] == "num" and c[2][0]):
            out[snake(c[0])] = typed[c[0]].astype(np.int64)
        elif c[1] == "num":
            out[snake(c[0])] = typed[c[0]]
        elif c[1] == "cat":
            out[snake(c[0])] = category_codes(df[c[0]])
    day = t // DAY
    out["lead_days"] = appt_day - day
    out["appt_weekday"] = (appt_day + 3) % 7
    out["booking_hour"] = (t % DAY) // 3600
    out["booking_weekday"] = (day + 3) % 7
    out["same_day"] = (appt_day == day).astype(np.int64)
    if "appt_time" in typed:
        out["appt_time"] = typed["appt_time"]
    pat = pd.factorize(df[role_of(schema, "pid")])[0]
    out.update(history(pat, t, appt_day, typed["label"]))
    pd.DataFrame(out).to_csv(out_path, index=False)
    return n, len(df)


def main():
    args = sys.argv[1:]
    same = "--same-work" in args
    out_path = "/dev/null"
    if "--out" in args:
        out_path = args[args.index("--out") + 1]
        del args[args.index("--out"):args.index("--out") + 2]
    path = [a for a in args if a != "--same-work"][0]
    with open(path, encoding="utf-8") as f:
        header = f.readline()
    t_imports = time.perf_counter() - T0
    t1 = time.perf_counter()
    if same:
        n, kept = same_work(path, out_path)
    elif "Appointment_Booking_Date" in header:
        n, kept = doctolib(path)
    else:
        n, kept = kaggle(path)
    work = time.perf_counter() - t1
    print(f"TIMING rows={n} kept={kept} work_s={work:.3f} "
          f"imports_s={t_imports:.3f}")


if __name__ == "__main__":
    main()
