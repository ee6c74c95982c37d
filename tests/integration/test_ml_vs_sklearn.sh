#!/usr/bin/env bash
# test_ml_vs_sklearn.sh: held-out quality of `ml2chain train` against scikit-learn on
# breast cancer, wine, iris and diabetes (shipped with Debian's python3-sklearn), on
# identical splits: accuracy within 1 point / RMSE within 2% of the reference, quantized
# within 0.5 point of float (tests/ml/vs_sklearn.py has the details).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
while IFS= read -r line; do
  echo "  $line"
  case $line in
    ok\ *) pass ;;
    *) fail "$line" ;;
  esac
done < <(/usr/bin/python3 tests/ml/vs_sklearn.py build/ml2chain "$tmp" 2>&1)
[ $((M2C_PASSED + M2C_FAILED)) -ge 8 ] || fail "expected 8 cases, got $((M2C_PASSED + M2C_FAILED))"
check_done
