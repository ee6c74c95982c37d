#!/usr/bin/env bash
# test_ml_report.sh: `ml2chain train --report` writes one self-contained HTML page: gbdt for
# each task (binary, multiclass, regression), and the mlp, linear and logistic models. Each
# page is rendered by headless chromium (Debian's) into a PNG, and the HTML must reference
# nothing outside itself and carry the sections its task and model call for.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BIN=build/ml2chain
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

render() { # render HTML PNG
  local prof; prof=$(mktemp -d)
  timeout 90 /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$prof" \
    --screenshot="$2" --window-size=1200,2400 "file://$1" >/dev/null 2>&1
  rm -rf "$prof"
}

for ds in breast_cancer wine diabetes; do
  mkdir -p "$work/$ds"
  /usr/bin/python3 tests/ml/xgb_ref.py data $ds "$work/$ds" || fail "$ds: dataset export"
done
# dataset:model pairs; gbdt trains on train.csv and tests on test.csv, the others split
for run in breast_cancer:gbdt wine:gbdt diabetes:gbdt breast_cancer:mlp diabetes:linear wine:logistic; do
  ds=${run%%:*} model=${run#*:}
  d=$work/$ds/$model; mkdir -p "$d"
  if [ $model = gbdt ]; then
    extra=(--test "$work/$ds/test.csv" --trees 30 --depth 4)
  else
    extra=(--quiet)
  fi
  check_ok "$run: train --report" $BIN train --model $model --csv "$work/$ds/train.csv" --target y \
    "${extra[@]}" --out "$d/m.qm" --report "$d/report.html"
  html=$d/report.html
  [ -s "$html" ] || { fail "$run: no report written"; continue; }
  check_eq "$run: no http(s) references" 0 "$(grep -ciE 'https?://' "$html")"
  check_eq "$run: no external src/href" 0 "$(grep -ciE '(src|href)=' "$html")"
  check_eq "$run: no scripts" 0 "$(grep -ci '<script' "$html")"
  sections="Float vs quantized|Model"
  case $model in gbdt | mlp) sections="$sections|Training curve" ;; esac   # rounds / epochs
  [ $model != mlp ] && sections="$sections|Feature importance"     # trees: gain; linear: |coef|
  case $ds in
    breast_cancer) sections="$sections|ROC curve|Precision-recall curve|Confusion matrix" ;;
    wine) sections="$sections|Confusion matrix" ;;
    diabetes) sections="$sections|Predicted vs actual|Residuals" ;;
  esac
  IFS='|' read -ra want <<<"$sections"
  for s in "${want[@]}"; do
    check_eq "$run: section '$s'" 1 "$(grep -c "<h2>$s</h2>" "$html")"
  done
  # the metrics table carries the float and the quantized value of each metric
  check_eq "$run: metric rows" "$([ $ds = breast_cancer ] && echo 4 || echo 3)" \
    "$(grep -oE '<tr><td>[^<]+</td><td>[-0-9.e+]+</td><td>[-0-9.e+]+</td>' "$html" | wc -l)"
  [ $model = mlp ] && check_eq "$run: no importance for mlp" 0 "$(grep -c 'Feature importance' "$html")"
  # chromium is slow to start: render one page per task and the mlp one (the others share
  # every section with these)
  case $run in breast_cancer:gbdt | wine:gbdt | diabetes:gbdt | breast_cancer:mlp) ;; *) continue ;; esac
  render "$html" "$d/report.png"
  size=$(stat -c %s "$d/report.png" 2>/dev/null || echo 0)
  if [ "$size" -gt 50000 ]; then pass; else fail "$run: screenshot missing or blank ($size bytes)"; fi
  # a PNG, 1200 pixels wide
  check_eq "$run: png signature" "89504e47" "$(head -c 4 "$d/report.png" | od -An -tx1 | tr -d ' \n')"
  check_eq "$run: png width" 1200 "$(od -An -tu4 --endian=big -j16 -N4 "$d/report.png" | tr -d ' ')"
done
check_done
