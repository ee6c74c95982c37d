#!/usr/bin/env bash
# bench/ml.sh: ml2chain training time and single-prediction latency against scikit-learn on
# the same data in the same run, and model file sizes (docs/benchmarks.md, "ML").
# Datasets: scikit-learn's breast cancer, digits and diabetes, and a synthetic 20000 x 20
# classification set (make_classification) so that training time is not all start-up.
# Training: process CPU time of the fit on each side (ml2chain: "training ... (cpu X s)";
# sklearn: fit() under time.process_time() with BLAS/OpenMP at one thread), the same rows;
# MLPs run the same 50 epochs on both sides (no early stopping), so both do the same work.
# Prediction: ml2chain's runtime on one decoded row and its whole request path (text in,
# text out) vs sklearn's predict/predict_proba on one row (wall time, median of 7 x 200).
set -u
cd "$(dirname "$0")/.."
M2C=build/ml2chain
[ -x $M2C ] || { echo "ml.sh: build first (make all)"; exit 1; }
pkgs="libsecp256k1 libcurl jansson sqlite3 libcrypto libpq libmicrohttpd libprotobuf-c"
mkdir -p build/bench
if [ ! -x build/bench/bench_ml ] || [ bench/bench_ml.c -nt build/bench/bench_ml ] || \
   [ build/libml2chain.a -nt build/bench/bench_ml ]; then
  # shellcheck disable=SC2046
  ${CC:-gcc} -std=c11 -O2 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags $pkgs) -o build/bench/bench_ml \
    bench/bench_ml.c build/libml2chain.a $(pkg-config --libs $pkgs) -ldl -lm -lpthread || exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" <<'PY'
import os, sys
import numpy as np
from sklearn import datasets
out = sys.argv[1]
sets = {
    "breast_cancer": datasets.load_breast_cancer(return_X_y=True),
    "digits": datasets.load_digits(return_X_y=True),
    "diabetes": datasets.load_diabetes(return_X_y=True),
    "synthetic20k": datasets.make_classification(n_samples=20000, n_features=20, n_informative=10, random_state=0),
}
for name, (X, y) in sets.items():
    key = np.random.RandomState(1).permutation(len(y))
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write(",".join("f%d" % i for i in range(X.shape[1])) + ",split_key,target\n")
        for row, k, t in zip(X, key, y):
            f.write(",".join(repr(float(v)) for v in row) + ",%d,%s\n" % (k, repr(float(t))))
PY
printf '%-26s %9s %9s %7s | %9s %9s %9s %7s %7s | %8s\n' case "cpu s" sklearn ratio runtime request sklearn ratio1 ratio2 bytes
run() { # name csv model ref_kind flags...
  local name=$1 csv=$2 model=$3 ref=$4; shift 4
  local out ours ref_out fit pus row lat rt req
  out=$($M2C train --csv "$csv" --target target --model "$model" --split-by split_key --split 0.2 \
        --out "$tmp/$name.qm" --quiet "$@" 2>/dev/null) || { echo "$name: ml2chain train failed"; return 1; }
  ours=$(sed -nE 's/^training .*\(cpu ([0-9.e+-]+) s\).*/\1/p' <<<"$out")
  ref_out=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
            /usr/bin/python3 bench/ml_ref.py "$csv" "$ref" 50)
  fit=$(sed -E 's/.*fit_s=([0-9.]+).*/\1/' <<<"$ref_out")
  pus=$(sed -E 's/.*predict_us=([0-9.]+).*/\1/' <<<"$ref_out")
  row=$(sed -n 2p "$csv" | awk -F, -v OFS=, '{NF -= 2; print}')
  lat=$(build/bench/bench_ml "$tmp/$name.qm" "$row")
  rt=$(awk '$1 == "runtime_ns" {print $2}' <<<"$lat")
  req=$(awk '$1 == "request_ns" {print $2}' <<<"$lat")
  awk -v n="$name" -v o="$ours" -v f="$fit" -v rt="$rt" -v req="$req" -v p="$pus" \
      -v b="$(stat -c %s "$tmp/$name.qm")" 'BEGIN {
    printf "%-26s %9.5f %9.5f %6.1fx | %7.0fns %7.0fns %7.0fus %6.0fx %6.0fx | %8d\n",
      n, o, f, (o > 0 ? f / o : 0), rt, req, p, p * 1000 / rt, p * 1000 / req, b }'
}
run "breast_cancer linear*"   "$tmp/breast_cancer.csv" linear   linear
run "diabetes linear"         "$tmp/diabetes.csv"      linear   linear
run "breast_cancer logistic"  "$tmp/breast_cancer.csv" logistic logistic
run "digits logistic (10 cl)" "$tmp/digits.csv"        logistic logistic
run "synthetic20k logistic"   "$tmp/synthetic20k.csv"  logistic logistic
fixed="--hidden 32 --epochs 50 --validation 0"
run "breast_cancer mlp 32"    "$tmp/breast_cancer.csv" mlp      mlp_clf $fixed
run "digits mlp 32"           "$tmp/digits.csv"        mlp      mlp_clf $fixed
run "diabetes mlp 32"         "$tmp/diabetes.csv"      mlp      mlp_reg $fixed --task regression
run "synthetic20k mlp 32"     "$tmp/synthetic20k.csv"  mlp      mlp_clf $fixed
echo "(* linear regression on 0/1 labels, for the timing only. ratio: sklearn time / ml2chain"
echo "   time. ratio1: sklearn one-row predict / ml2chain runtime on a decoded row; ratio2: the"
echo "   same against ml2chain's whole request path, text input decoded and output encoded.)"
echo
build/bench/bench_ml
