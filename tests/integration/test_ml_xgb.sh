#!/usr/bin/env bash
# test_ml_xgb.sh: XGBoost import and gbdt training against Python XGBoost (Debian's
# python3-xgboost) on scikit-learn datasets: breast cancer (binary), wine and iris
# (multiclass), diabetes (regression). Same 80/20 split for both sides.
#   1. a model trained in Python and saved with save_model("model.json"), imported with
#      `ml2chain model import`: quantized predictions on the held-out rows equal XGBoost's within
#      2e-3 for probabilities (1e-3 + 1e-5 |y| for regression), same accuracy within 0.5 point;
#   2. `ml2chain train --model gbdt` with the same parameters: held-out accuracy within 1 point, RMSE
#      within 2% of Python XGBoost's.
# Plus the error paths of the import command.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BIN=build/ml2chain
PY=/usr/bin/python3
REF=tests/ml/xgb_ref.py
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TREES=60 DEPTH=4 ETA=0.3

# max_abs_diff A.csv B.csv NCOLS: largest |a - b| over the first NCOLS columns (headers skipped)
max_abs_diff() {
  paste -d, "$1" "$2" | awk -F, -v k="$3" -v off="$4" 'NR > 1 {
      for (j = 1; j <= k; j++) { d = $j - $(j + off); if (d < 0) d = -d; if (d > m) m = d } }
      END { printf "%.9g\n", m + 0 }'
}
# accuracy PRED.csv TEST.csv NCOLS: labels from the first NCOLS columns vs the last column of TEST
accuracy() {
  paste -d, "$1" "$2" | awk -F, -v k="$3" 'NR > 1 { best = 1;
      if (k == 1) lab = ($1 >= 0.5) ? 1 : 0;
      else { for (j = 2; j <= k; j++) if ($j > $best) best = j; lab = best - 1 }
      n++; if (lab == $NF) c++ } END { printf "%.6f\n", c / n }'
}
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'; }

for ds in breast_cancer wine iris diabetes; do
  d=$work/$ds; mkdir -p "$d"
  out=$($PY $REF prep $ds "$d" $TREES $DEPTH $ETA) || { fail "$ds: python xgboost"; continue; }
  py_metric=$(awk '$1 == "metric" { print $2 }' <<<"$out")
  k=$(head -1 "$d/py_pred.csv" | awk -F, '{ print NF }')
  TREES_EXPECTED=$((TREES * k))   # multi:softprob: one tree per class per round

  # 1. import the Python model
  check_ok "$ds: import" $BIN model import "$d/model.json" --out "$d/m.qm" --compare "$d/test.csv" \
    --target y --predictions "$d/pred.csv"
  diff=$(max_abs_diff "$d/pred.csv" "$d/py_pred.csv" "$k" $((2 * k)))
  if [ "$ds" = diabetes ]; then
    tol=$(awk 'NR > 1 { y = $NF < 0 ? -$NF : $NF; if (y > m) m = y } END { print 1e-3 + 1e-5 * m }' \
      FS=, "$d/test.csv")
  else
    tol=2e-3
  fi
  if within "$diff" 0 "$tol"; then pass; else fail "$ds: import: max |quantized - xgboost| $diff > $tol"; fi
  echo "  $ds: imported model, max |quantized - python xgboost| = $diff (tolerance $tol)"
  # the request path: `ml2chain predict` parses the decimal text of each row exactly
  feat=$(head -1 "$d/test.csv" | tr ',' '\n' | grep -v '^y$' | paste -sd,)
  if $BIN predict --model "$d/m.qm" --csv "$d/test.csv" --features "$feat" >"$d/pp.csv"; then
    pdiff=$(max_abs_diff "$d/pp.csv" "$d/py_pred.csv" "$k" $((k + 1)))
    if within "$pdiff" 0 "$tol"; then pass; else fail "$ds: predict --csv: max |y - xgboost| $pdiff > $tol"; fi
  else
    fail "$ds: ml2chain predict --csv failed"
  fi
  check_eq "$ds: inspect shows the trees" "gbdt $TREES_EXPECTED" \
    "$($BIN model inspect "$d/m.qm" | awk '$1 == "kind" { k = $2 } $1 == "trees" { t = $2 } END { print k, t }')"
  check_eq "$ds: model hash is cast keccak of the file" \
    "$(bin/cast keccak "0x$(od -An -tx1 -v "$d/m.qm" | tr -d ' \n')")" "$($BIN model hash "$d/m.qm")"
  if [ "$ds" != diabetes ]; then
    acc=$(accuracy "$d/pred.csv" "$d/test.csv" "$k")
    if within "$acc" "$py_metric" 0.005; then pass; else
      fail "$ds: import: accuracy $acc vs xgboost $py_metric"; fi
  fi

  # 2. train in-process with the same parameters and split
  g=$($BIN train --model gbdt --csv "$d/train.csv" --test "$d/test.csv" --target y --trees $TREES \
      --depth $DEPTH --eta $ETA --out "$d/g.qm") || { fail "$ds: ml2chain train --model gbdt failed"; continue; }
  if [ "$ds" = diabetes ]; then
    ours=$(awk '$1 == "rmse" { print $3 }' <<<"$g")   # quantized column
    if awk -v a="$ours" -v b="$py_metric" 'BEGIN { exit !(a <= b * 1.02) }'; then pass; else
      fail "$ds: gbdt rmse $ours vs xgboost $py_metric (> 2%)"; fi
  else
    ours=$(awk '$1 == "accuracy" { print $3 }' <<<"$g")
    if within "$ours" "$py_metric" 0.01; then pass; else
      fail "$ds: gbdt accuracy $ours vs xgboost $py_metric (> 1 point)"; fi
  fi
  m=accuracy; [ "$ds" = diabetes ] && m=rmse
  echo "  $ds: ml2chain train --model gbdt: held-out $m $ours (quantized) vs python xgboost $py_metric"
done

# Error paths: each a one-line error naming the problem, nothing written.
bc=$work/breast_cancer
head -c 2000 "$bc/model.json" >"$work/trunc.json"
check_fails "truncated json" "cannot import model: .*trunc.json: xgboost: not valid json" $BIN model import "$work/trunc.json" --out "$work/x.qm"
check_eq "no qmodel written for a bad import" "no" "$([ -e "$work/x.qm" ] && echo yes || echo no)"
sed 's/binary:logistic/count:poisson/' "$bc/model.json" >"$work/pois.json"
check_fails "unsupported objective" "objective \"count:poisson\" is not supported" $BIN model import "$work/pois.json" --out "$work/x.qm"
check_fails "unsupported onnx ops" "unsupported operators: Conv, MaxPool" $BIN model import tests/data/onnx/conv.onnx --out "$work/x.qm"
head -c 500 tests/data/onnx/mlp8_sigmoid.onnx >"$work/trunc.onnx"
check_fails "truncated onnx" "cannot import model: .*trunc.onnx: onnx: " $BIN model import "$work/trunc.onnx" --out "$work/x.qm"
check_fails "missing file" "cannot import .*nope.json" $BIN model import "$work/nope.json" --format xgboost
check_fails "calibration width" "feature columns, the model takes 30" $BIN model import "$bc/model.json" --out "$work/x.qm" --calibration tests/data/onnx/mlp8_sigmoid.inputs.csv
check_fails "gbdt unknown target" "no target column 'nope'" $BIN train --model gbdt --csv "$bc/train.csv" --target nope
# The ONNX path end to end through the command: PyTorch's outputs within tolerance.
check_ok "onnx import with calibration" $BIN model import tests/data/onnx/mlp4_softmax.onnx --out "$work/o.qm" \
  --calibration tests/data/onnx/mlp4_softmax.inputs.csv --compare tests/data/onnx/mlp4_softmax.inputs.csv \
  --predictions "$work/o.csv"
diff=$(max_abs_diff "$work/o.csv" tests/data/onnx/mlp4_softmax.outputs.csv 3 6)
if within "$diff" 0 2e-3; then pass; else fail "onnx import: max |quantized - pytorch| $diff"; fi
check_done
