#!/usr/bin/env python3
"""Reference side of tests/integration/test_ml_xgb.sh and bench/ml_xgb.sh (Python XGBoost,
Debian's python3-xgboost and python3-sklearn; test/bench only, never the product).

  xgb_ref.py data DATASET OUTDIR        train.csv / test.csv (seeded 80/20 split, target y)
  xgb_ref.py prep DATASET OUTDIR N D ETA   both of the above in one process
  xgb_ref.py train DATASET OUTDIR N D ETA
        trains XGBoost on OUTDIR/train.csv with the parameters `ml2chain gbdt` uses, saves
        OUTDIR/model.json, writes OUTDIR/py_pred.csv (probabilities or values on test.csv)
        and prints "metric VALUE" (accuracy or rmse on test.csv) and "train_seconds S"
  xgb_ref.py latency OUTDIR             one-row predict latency of the saved model (us)

DATASET: breast_cancer (binary), wine (3 classes), iris (3 classes), diabetes (regression)."""
import os
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn import datasets
from sklearn.model_selection import train_test_split

TASKS = {"breast_cancer": "binary", "wine": "multi", "iris": "multi", "diabetes": "reg"}


def load(name):
    return getattr(datasets, "load_" + name)(return_X_y=True)


def write(path, x, y):
    with open(path, "w") as f:
        f.write(",".join(f"x{i}" for i in range(x.shape[1])) + ",y\n")
        for row, t in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + repr(float(t)) + "\n")


def read(path):
    a = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return a[:, :-1], a[:, -1]


def params(task, depth, eta, ncls):
    p = {"max_depth": depth, "eta": eta, "lambda": 1.0, "min_child_weight": 1.0,
         "subsample": 1.0, "seed": 1, "tree_method": "hist", "verbosity": 0}
    if os.environ.get("XGB_THREADS"):
        p["nthread"] = int(os.environ["XGB_THREADS"])
    if task == "binary":
        p.update(objective="binary:logistic", eval_metric="logloss")
    elif task == "multi":
        p.update(objective="multi:softprob", eval_metric="mlogloss", num_class=ncls)
    else:
        p.update(objective="reg:squarederror", eval_metric="rmse")
    return p


def main():
    cmd, name, out = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None
    if cmd in ("data", "prep"):
        x, y = load(name)
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=1,
                                              stratify=None if TASKS[name] == "reg" else y)
        write(out + "/train.csv", xtr, ytr)
        write(out + "/test.csv", xte, yte)
    if cmd in ("train", "prep"):
        n, d, eta = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
        task = TASKS[name]
        xtr, ytr = read(out + "/train.csv")
        xte, yte = read(out + "/test.csv")
        ncls = int(max(ytr.max(), yte.max())) + 1
        t0 = time.perf_counter()
        b = xgb.train(params(task, d, eta, ncls), xgb.DMatrix(xtr, label=ytr), num_boost_round=n)
        secs = time.perf_counter() - t0
        b.save_model(out + "/model.json")
        p = b.predict(xgb.DMatrix(xte))
        p = p.reshape(len(xte), -1)
        np.savetxt(out + "/py_pred.csv", p, delimiter=",", fmt="%.9g",
                   header=",".join(f"p{j}" for j in range(p.shape[1])), comments="")
        if task == "reg":
            print("metric", float(np.sqrt(np.mean((p[:, 0] - yte) ** 2))))
        else:
            lab = (p[:, 0] >= 0.5).astype(int) if task == "binary" else p.argmax(axis=1)
            print("metric", float(np.mean(lab == yte)))
        print("train_seconds", secs)
    elif cmd == "latency":
        out = name
        b = xgb.Booster(model_file=out + "/model.json")
        if os.environ.get("XGB_THREADS"):
            b.set_param("nthread", int(os.environ["XGB_THREADS"]))
        x, _ = read(out + "/test.csv")
        row = xgb.DMatrix(x[:1])
        for _ in range(20):
            b.predict(row)
        reps = 300
        t0 = time.perf_counter()
        for _ in range(reps):
            b.predict(xgb.DMatrix(x[:1]))
        print("predict_us", (time.perf_counter() - t0) / reps * 1e6)


main()
