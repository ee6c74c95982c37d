#!/usr/bin/env bash
# test_ml_report.sh: `ml2chain train --model gbdt --report` writes one self-contained HTML page per task
# (binary, multiclass, regression); each is rendered by headless chromium (Debian's) into a
# PNG, and the HTML must reference nothing outside itself and carry the expected sections.
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
  d=$work/$ds; mkdir -p "$d"
  /usr/bin/python3 tests/ml/xgb_ref.py data $ds "$d" || { fail "$ds: dataset export"; continue; }
  check_ok "$ds: gbdt --report" $BIN train --model gbdt --csv "$d/train.csv" --test "$d/test.csv" --target y \
    --trees 30 --depth 4 --out "$d/m.qm" --report "$d/report.html"
  html=$d/report.html
  [ -s "$html" ] || { fail "$ds: no report written"; continue; }
  check_eq "$ds: no http(s) references" 0 "$(grep -ciE 'https?://' "$html")"
  check_eq "$ds: no external src/href" 0 "$(grep -ciE '(src|href)=' "$html")"
  check_eq "$ds: no scripts" 0 "$(grep -ci '<script' "$html")"
  sections="Float vs quantized|Training curve|Feature importance|Model"
  case $ds in
    breast_cancer) sections="$sections|ROC curve|Precision-recall curve|Confusion matrix" ;;
    wine) sections="$sections|Confusion matrix" ;;
    diabetes) sections="$sections|Predicted vs actual|Residuals" ;;
  esac
  IFS='|' read -ra want <<<"$sections"
  for s in "${want[@]}"; do
    check_eq "$ds: section '$s'" 1 "$(grep -c "<h2>$s</h2>" "$html")"
  done
  # the metrics table carries the float and the quantized value of each metric
  check_eq "$ds: metric rows" "$([ $ds = breast_cancer ] && echo 4 || echo 3)" \
    "$(grep -oE '<tr><td>[^<]+</td><td>[-0-9.e+]+</td><td>[-0-9.e+]+</td>' "$html" | wc -l)"
  render "$html" "$d/report.png"
  size=$(stat -c %s "$d/report.png" 2>/dev/null || echo 0)
  if [ "$size" -gt 50000 ]; then pass; else fail "$ds: screenshot missing or blank ($size bytes)"; fi
  # a PNG, 1200 pixels wide
  check_eq "$ds: png signature" "89504e47" "$(head -c 4 "$d/report.png" | od -An -tx1 | tr -d ' \n')"
  check_eq "$ds: png width" 1200 "$(od -An -tu4 --endian=big -j16 -N4 "$d/report.png" | tr -d ' ')"
done
check_done
