#!/usr/bin/env python3
"""ml_ref.py: the scikit-learn side of bench/ml.sh. Trains the reference model with the
same hyperparameters ml2chain uses, on the same 80% of the rows (the rows whose split_key
is not in the top 20%), and times fit() and a one-row predict() / predict_proba().
Prints: fit_s=... predict_us=... metric=...

Times are process CPU time with BLAS/OpenMP limited to one thread (set by bench/ml.sh), so
both sides are measured the same way on a shared machine. MLPs run exactly EPOCHS epochs on
both sides (no early stopping), so the comparison is of the same work.

Usage: ml_ref.py CSV MODEL(linear|logistic|mlp_clf|mlp_reg) [EPOCHS]
"""
import sys
import time
import warnings

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def main():
    path, kind = sys.argv[1], sys.argv[2]
    data = np.genfromtxt(path, delimiter=",", names=True)
    cols = data.dtype.names
    X = np.column_stack([data[c] for c in cols if c not in ("target", "split_key")])
    y = data["target"]
    key = data["split_key"]
    n_test = int(round(0.2 * len(y)))
    order = np.argsort(key, kind="stable")
    tr, te = order[:-n_test], order[-n_test:]
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    mlp = dict(hidden_layer_sizes=(32,), batch_size=32, learning_rate_init=1e-3, alpha=1e-4,
               max_iter=epochs, early_stopping=False, tol=0.0, n_iter_no_change=10**9,
               shuffle=True, random_state=1)
    est = {
        "linear": lambda: LinearRegression(),
        "logistic": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "mlp_clf": lambda: make_pipeline(StandardScaler(), MLPClassifier(**mlp)),
        "mlp_reg": lambda: TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(**mlp)), transformer=StandardScaler()),
    }[kind]()
    t0 = time.process_time()
    est.fit(X[tr], y[tr])
    fit = time.process_time() - t0
    one = X[te[:1]]
    f = est.predict_proba if kind in ("logistic", "mlp_clf") else est.predict
    f(one)
    times = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(200):
            f(one)
        times.append((time.perf_counter() - t0) / 200)
    pred = est.predict(X[te])
    metric = (np.mean(pred == y[te]) if kind in ("logistic", "mlp_clf")
              else np.sqrt(np.mean((pred - y[te]) ** 2)))
    print("fit_s=%.6f predict_us=%.2f metric=%.4f" % (fit, sorted(times)[3] * 1e6, metric))


if __name__ == "__main__":
    main()
