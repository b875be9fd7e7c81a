"""The pandas side of bench/ingest.sh: the Python reference's ingest work.

usage: /usr/bin/python3 bench/ingest_pandas.py FILE.csv

Kaggle file: read_csv + drop_duplicates + age filter + LabelEncoder on
Neighbourhood + the reference's build_features (features.py of the peer,
found through PEER_DIR). Generated doctolib file: the equivalent pandas
cleaning (duplicates, age range, rating range, negative lead) and date
features (lead days, weekday, booking hour, time of day, same day) plus
category codes. Prints "TIMING rows=.. kept=.. work_s=..".
"""
import os
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


def main():
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        header = f.readline()
    t_imports = time.perf_counter() - T0
    t1 = time.perf_counter()
    if "Appointment_Booking_Date" in header:
        n, kept = doctolib(path)
    else:
        n, kept = kaggle(path)
    work = time.perf_counter() - t1
    print(f"TIMING rows={n} kept={kept} work_s={work:.3f} "
          f"imports_s={t_imports:.3f}")


if __name__ == "__main__":
    main()
