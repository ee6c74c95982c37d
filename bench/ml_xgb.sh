#!/usr/bin/env bash
# ml_xgb.sh: gbdt against Python XGBoost in the same run, same data, same parameters, same
# thread count (THREADS, default 1: the build machine is shared, and OpenMP spin-waits
# distort multi-threaded timings there): training time (in-process libxgboost through
# `ml2chain train --model gbdt`, which also evaluates every round for the training curve, vs xgb.train),
# single-row prediction latency (qmodel integer runtime including input scaling, and the
# float tree walk, vs Booster.predict on a one-row DMatrix) and qmodel file size. Prints a
# markdown table.
#   bench/ml_xgb.sh [TREES] [DEPTH]      (defaults 100, 6)
set -eu
cd "$(dirname "$0")/.."
TREES=${1:-100} DEPTH=${2:-6} ETA=0.3 THREADS=${THREADS:-1}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -Ibuild/gen -o "$work/lat" bench/qmodel_latency.c \
  build/libml2chain.a $(pkg-config --libs libsecp256k1 libcurl jansson sqlite3 libcrypto libpq \
  libmicrohttpd libprotobuf-c) -ldl -lm -lpthread

echo "| dataset | rows (train/test) | ml2chain train s | xgboost train s | ratio | qmodel predict us | float tree us | xgboost predict us | speed-up | qmodel bytes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for ds in breast_cancer diabetes; do
  d=$work/$ds; mkdir -p "$d"
  py=$(XGB_THREADS=$THREADS OMP_NUM_THREADS=$THREADS $PY tests/ml/xgb_ref.py prep $ds "$d" "$TREES" "$DEPTH" $ETA)
  py_train=$(awk '$1 == "train_seconds" { print $2 }' <<<"$py")
  # the booster Python saved is the one timed for prediction below
  g=$(build/ml2chain train --model gbdt --csv "$d/train.csv" --test "$d/test.csv" --target y --trees "$TREES" \
      --depth "$DEPTH" --eta $ETA --threads $THREADS --out "$d/g.qm" --json "$d/g.json")
  our_train=$(awk '$1 == "training" { print $2 }' <<<"$g")
  bytes=$(stat -c %s "$d/g.qm")
  lat=$("$work/lat" "$d/g.qm" "$d/test.csv" y "$d/g.json" 2>/dev/null)
  q_us=$(awk '$1 == "qmodel_us" { print $2 }' <<<"$lat")
  f_us=$(awk '$1 == "float_us" { print $2 }' <<<"$lat")
  py_us=$(XGB_THREADS=$THREADS OMP_NUM_THREADS=$THREADS $PY tests/ml/xgb_ref.py latency "$d" | awk '{ print $2 }')
  ntr=$(($(wc -l <"$d/train.csv") - 1)); nte=$(($(wc -l <"$d/test.csv") - 1))
  awk -v ds=$ds -v ntr=$ntr -v nte=$nte -v a="$our_train" -v b="$py_train" -v q="$q_us" \
      -v f="$f_us" -v p="$py_us" -v by="$bytes" 'BEGIN {
      printf "| %s | %d/%d | %.3f | %.3f | %.2fx | %.2f | %.2f | %.1f | %.0fx | %d |\n",
        ds, ntr, nte, a, b, b / a, q, f, p, p / q, by }'
done
