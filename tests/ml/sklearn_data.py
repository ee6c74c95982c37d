#!/usr/bin/env python3
"""sklearn_data.py: exports datasets that ship with scikit-learn to CSV (header row,
features then `target`), for the quality tests and benchmarks. Nothing is downloaded.

Usage: sklearn_data.py OUTDIR [NAME...]   (names: breast_cancer wine iris diabetes digits)
"""
import csv
import os
import sys

from sklearn import datasets

LOADERS = {
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
    "diabetes": datasets.load_diabetes,
    "digits": datasets.load_digits,
}


def export(name, outdir):
    d = LOADERS[name]()
    names = [str(n).replace(" ", "_").replace("(", "").replace(")", "").replace("/", "_")
             for n in (d.feature_names if hasattr(d, "feature_names") else
                       ["f%d" % i for i in range(d.data.shape[1])])]
    path = os.path.join(outdir, name + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + ["target"])
        for row, t in zip(d.data, d.target):
            w.writerow([repr(float(v)) for v in row] + [repr(float(t)) if name == "diabetes"
                                                       else str(int(t))])
    return path


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in sys.argv[2:] or LOADERS:
        print(export(name, outdir))


if __name__ == "__main__":
    main()
