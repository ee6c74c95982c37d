#!/usr/bin/env python3
"""vs_sklearn.py: held-out quality of `ml2chain train` against scikit-learn on datasets that
ship with scikit-learn, on identical splits.

For each dataset and each of SEEDS splits, a CSV is written with an extra column
`split_key` holding a seeded random permutation; `ml2chain train --split-by split_key
--split 0.2` holds out the rows with the largest keys, and the reference model is trained
and scored on exactly the same rows. Metrics are averaged over the splits (a test set of 36
rows makes one split's accuracy move in steps of 2.8 points). Criteria (issue 5):
  classification: float accuracy >= reference - 1 point; |quantized - float| <= 0.5 point
  regression:     float RMSE <= reference * 1.02;      |quantized - float| <= 0.5% of float
Prints one line per case: "ok|FAIL <case>: ..." and exits non-zero on any failure.

Usage: vs_sklearn.py ML2CHAIN_BINARY WORKDIR
"""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
SEEDS = [1, 2, 3, 4, 5]
CASES = [  # dataset, our model, extra flags, reference factory, task
    ("breast_cancer", "logistic", [], lambda s: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=5000)), "clf"),
    ("breast_cancer", "mlp", ["--hidden", "32"], lambda s: make_pipeline(
        StandardScaler(), MLPClassifier((32,), max_iter=1000, random_state=s)), "clf"),
    ("wine", "logistic", [], lambda s: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=5000)), "clf"),
    ("wine", "mlp", ["--hidden", "32"], lambda s: make_pipeline(
        StandardScaler(), MLPClassifier((32,), max_iter=1000, random_state=s)), "clf"),
    ("iris", "logistic", [], lambda s: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=5000)), "clf"),
    ("iris", "mlp", ["--hidden", "32", "--activation", "tanh"], lambda s: make_pipeline(
        StandardScaler(), MLPClassifier((32,), activation="tanh", max_iter=2000,
                                        random_state=s)), "clf"),
    ("diabetes", "linear", [], lambda s: LinearRegression(), "reg"),
    ("diabetes", "mlp", ["--hidden", "32"], lambda s: TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor((32,), max_iter=2000, random_state=s)),
        transformer=StandardScaler()), "reg"),
]
LOADERS = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine,
           "iris": datasets.load_iris, "diabetes": datasets.load_diabetes}


def write_csv(path, X, y, key, reg):
    with open(path, "w") as f:
        f.write(",".join(["f%d" % i for i in range(X.shape[1])] + ["split_key", "target"]) + "\n")
        for row, k, t in zip(X, key, y):
            f.write(",".join(repr(float(v)) for v in row) + ",%d,%s\n" %
                    (k, repr(float(t)) if reg else str(int(t))))


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    failed = 0
    for name, model, flags, ref, task in CASES:
        d = LOADERS[name]()
        X, y = d.data, d.target
        ours_f, ours_q, theirs = [], [], []
        for seed in SEEDS:
            key = np.random.RandomState(seed).permutation(len(y))
            csv = os.path.join(work, "%s-%d.csv" % (name, seed))
            write_csv(csv, X, y, key, task == "reg")
            out = os.path.join(work, "%s-%s-%d.qm" % (name, model, seed))
            r = subprocess.run([binary, "train", "--csv", csv, "--target", "target", "--model",
                                model, "--split-by", "split_key", "--split", "0.2", "--seed",
                                str(seed), "--out", out, "--quiet"] + flags,
                               capture_output=True, text=True)
            if r.returncode != 0:
                print("FAIL %s/%s: ml2chain train exited %d: %s" %
                      (name, model, r.returncode, r.stderr.strip()))
                failed += 1
                break
            m = json.load(open(out + ".json"))["test_metrics"]
            # the same rows: the last 20% by key (ml2chain rounds n*0.2 to nearest)
            n_test = int(round(0.2 * len(y)))
            order = np.argsort(key, kind="stable")
            tr, te = order[:-n_test], order[-n_test:]
            est = ref(seed).fit(X[tr], y[tr])
            pred = est.predict(X[te])
            if task == "clf":
                ours_f.append(m["float"]["accuracy"])
                ours_q.append(m["quantized"]["accuracy"])
                theirs.append(accuracy_score(y[te], pred))
            else:
                ours_f.append(m["float"]["rmse"])
                ours_q.append(m["quantized"]["rmse"])
                theirs.append(mean_squared_error(y[te], pred) ** 0.5)
        else:
            f, q, t = np.mean(ours_f), np.mean(ours_q), np.mean(theirs)
            if task == "clf":
                ok = f >= t - 0.01 and abs(q - f) <= 0.005
                desc = "accuracy float %.4f quantized %.4f sklearn %.4f" % (f, q, t)
            else:
                ok = f <= t * 1.02 and abs(q - f) <= 0.005 * f
                desc = "rmse float %.3f quantized %.3f sklearn %.3f" % (f, q, t)
            print("%s %s/%s: %s (mean of %d splits)" %
                  ("ok" if ok else "FAIL", name, model, desc, len(SEEDS)))
            failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
