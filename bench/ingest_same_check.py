"""Checks that bench/ingest_pandas.py --same-work does the work of
`noshow clean FILE --features OUT.csv`: same rows, same columns, same
values, compared column by column.

usage: /usr/bin/python3 bench/ingest_same_check.py [DATA.csv ...]

Without arguments: the real file and a generated doctolib file of
100,000 rows (`noshow generate --rows 100000 --seed 1`). For each file,
build/noshow clean and the pandas same-work mode write their features
to a scratch folder, then the two files are compared. Both are read as
text and every feature is compared as a 32-bit float (the C side
writes float32 values, each in its shortest exact form; pandas writes
its own dtypes with to_csv), so "57" and "57.0" agree and any real
difference shows. Missing must be missing on both
sides. appointment_id and label are compared as text. Exit 0 when every
column of every file agrees, 1 otherwise, with one line per column.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def as_float32(col):
    v = pd.to_numeric(col.replace("", np.nan), errors="raise")
    return v.to_numpy(dtype=np.float64).astype(np.float32)


def compare(c_path, p_path):
    c = pd.read_csv(c_path, dtype=str, keep_default_na=False)
    p = pd.read_csv(p_path, dtype=str, keep_default_na=False)
    ok = True
    if list(c.columns) != list(p.columns):
        print(f"columns differ:\n  C:      {list(c.columns)}\n"
              f"  pandas: {list(p.columns)}")
        return False
    if len(c) != len(p):
        print(f"rows differ: C {len(c)}, pandas {len(p)}")
        return False
    print(f"{len(c)} rows, {len(c.columns)} columns")
    for name in c.columns:
        if name in ("appointment_id", "label"):
            diff = (c[name] != p[name]).to_numpy()
        else:
            a, b = as_float32(c[name]), as_float32(p[name])
            diff = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        n = int(diff.sum())
        if n == 0:
            print(f"  same     {name}")
            continue
        ok = False
        i = int(np.argmax(diff))
        print(f"  DIFFERS  {name}: {n} rows, first at data row {i + 1} "
              f"(C '{c[name].iat[i]}', pandas '{p[name].iat[i]}')")
    return ok


def check(data, tmp):
    noshow = os.path.join(ROOT, "build", "noshow")
    here = os.path.dirname(os.path.abspath(__file__))
    c_out = os.path.join(tmp, "c.csv")
    p_out = os.path.join(tmp, "pandas.csv")
    print(f"{data}:")
    subprocess.run([noshow, "clean", data, "--features", c_out],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(here, "ingest_pandas.py"),
                    "--same-work", data, "--out", p_out], check=True,
                   stdout=subprocess.DEVNULL)
    return compare(c_out, p_out)


def main():
    files = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        if not files:
            gen = os.path.join(tmp, "gen100k.csv")
            subprocess.run([os.path.join(ROOT, "build", "noshow"),
                            "generate", "--rows", "100000", "--seed", "1",
                            "-o", gen], check=True,
                           stderr=subprocess.DEVNULL)
            files = [os.path.join(ROOT, "data",
                                  "noshow-vitoria-2016-until-may.csv"), gen]
        ok = all([check(f, tmp) for f in files])
    print("same features" if ok else "features DIFFER")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
