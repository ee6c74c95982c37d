#!/usr/bin/env bash
# test_ml_cli.sh: the model commands end to end: train on CSV and SQLite (random and
# time-ordered splits), model inspect/hash (hash checked with cast keccak), predict in text,
# ABI (inputs built and outputs decoded with cast) and CSV forms, the on-chain error codes of
# bad request inputs, eval, and the errors for bad training data.
set -u
cd "$(dirname "$0")/../.."
export PATH="$PWD/bin:$PATH"
. tests/lib/check.sh
M2C=build/ml2chain
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 tests/ml/sklearn_data.py "$tmp" breast_cancer iris diabetes >/dev/null

# --- train, inspect, hash
check_ok "train logistic on a CSV" $M2C train --csv "$tmp/breast_cancer.csv" --target target \
  --model logistic --out "$tmp/bc.qm"
out=$($M2C model inspect "$tmp/bc.qm")
check_eq "inspect: kind" "kind        logistic" "$(grep '^kind' <<<"$out")"
check_eq "inspect: inputs" "inputs      30 (x 1e18)" "$(grep '^inputs' <<<"$out")"
check_eq "inspect: transform" "transform   sigmoid" "$(grep '^transform' <<<"$out")"
hex=$(/usr/bin/python3 -c 'import sys; print("0x" + open(sys.argv[1], "rb").read().hex())' "$tmp/bc.qm")
check_eq "model hash is keccak-256 of the file (cast keccak)" "$(cast keccak "$hex")" \
  "$($M2C model hash "$tmp/bc.qm")"
check_eq "inspect shows the same hash" "hash        $(cast keccak "$hex")" "$(grep '^hash' <<<"$out")"
cp "$tmp/bc.qm" "$tmp/bad.qm" && printf 'x' >>"$tmp/bad.qm"
check_fails "hash refuses a file with trailing bytes" "trailing bytes" $M2C model hash "$tmp/bad.qm"
head -c 100 "$tmp/bc.qm" >"$tmp/short.qm"
check_fails "truncated model names the offset" "offset [0-9]+: truncated" $M2C model inspect "$tmp/short.qm"

# --- predict: text form, JSON, ABI form through cast
row=$(sed -n 2p "$tmp/breast_cancer.csv" | cut -d, -f1-30)
text=$($M2C predict --model "$tmp/bc.qm" --input "$row")
check_ok "text output is a probability in [0, 1]" /usr/bin/python3 -c \
  "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 <= v <= 1 and len(sys.argv[1]) <= 8 else 1)" "$text"
json=$($M2C predict --model "$tmp/bc.qm" --input "$row" --json)
y=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["output"][0])' "$json")
# the row as int256 in 1e18 fixed point, ABI-encoded by cast
ints=$(/usr/bin/python3 -c '
import sys
from decimal import Decimal
print("[" + ",".join(str(int(Decimal(v) * 10**18)) for v in sys.argv[1].split(",")) + "]")' "$row")
abi=$(cast abi-encode "f(int256[])" "$ints")
outabi=$($M2C predict --model "$tmp/bc.qm" --input-abi "$abi")
check_eq "ABI output decodes (cast) to the JSON output" "[$y]" \
  "$(cast abi-decode "f()(int256[])" "$outabi" | tr -d ' ')"
check_eq "ABI output is abi.encode(int256[]) of it (cast)" "$(cast abi-encode "f(int256[])" "[$y]")" "$outabi"
text2=$(/usr/bin/python3 -c '
import sys
from decimal import Decimal, ROUND_HALF_UP
v = (Decimal(int(sys.argv[1])) / 10**18).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
s = format(v.normalize(), "f")
print("0" if s in ("-0", "0") else s)' "$y")
check_eq "text output is the ABI value rounded to 6 digits" "$text2" "$text"

# --- error codes of bad request inputs (docs/encoding.md)
check_fails "wrong feature count is code 5" "error code 5" $M2C predict --model "$tmp/bc.qm" --input "1,2"
check_fails "junk text is code 4" "junk text at byte 2.*error code 4" $M2C predict --model "$tmp/bc.qm" --input "1,,2"
check_fails "empty input is code 1" "error code 1" $M2C predict --model "$tmp/bc.qm" --input ""
big=$(printf '1%.0s,' $(seq 29))4000000000000000000000000000000000000000
check_fails "out of range is code 6" "error code 6" $M2C predict --model "$tmp/bc.qm" --input "$big"
bad=0x$(printf '%064x%064x%064x' 64 1 5)
check_fails "ABI with offset 64 is code 3" "error code 3" $M2C predict --model "$tmp/bc.qm" --input-abi "$bad"

# --- predict --csv and eval
preds=$($M2C predict --model "$tmp/bc.qm" --csv "$tmp/breast_cancer.csv")
check_eq "predict --csv: one line per row plus a header" 570 "$(wc -l <<<"$preds")"
check_eq "predict --csv: first row equals --input" "$text" "$(sed -n 2p <<<"$preds" | cut -d, -f1)"
acc=$($M2C eval --model "$tmp/bc.qm" --csv "$tmp/breast_cancer.csv" | awk '$1 == "accuracy" {print $2}')
check_ok "eval on all rows: accuracy > 0.95 ($acc)" /usr/bin/python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.95 else 1)" "$acc"

# --- multiclass and regression
check_ok "train mlp multiclass" $M2C train --csv "$tmp/iris.csv" --target target --model mlp \
  --hidden 8 --epochs 50 --out "$tmp/iris.qm" --quiet
out=$($M2C predict --model "$tmp/iris.qm" --input "5.1,3.5,1.4,0.2" --json)
check_eq "iris: three probabilities, label 0" 3,0 "$(/usr/bin/python3 -c '
import json,sys; v=json.loads(sys.argv[1]); print("%d,%d" % (len(v["output"]), v["label"]))' "$out")"
check_ok "train linear regression" $M2C train --csv "$tmp/diabetes.csv" --target target --model linear --out "$tmp/dia.qm"
row=$(sed -n 5p "$tmp/diabetes.csv" | cut -d, -f1-10)
ints=$(/usr/bin/python3 -c '
import sys
from decimal import Decimal
print("[" + ",".join(str(int(Decimal(v) * 10**18)) for v in sys.argv[1].split(",")) + "]")' "$row")
y=$($M2C predict --model "$tmp/dia.qm" --input "$row" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["output"][0])')
outabi=$($M2C predict --model "$tmp/dia.qm" --input-abi "$(cast abi-encode "f(int256[])" "$ints")")
check_eq "regression: ABI output (decoded by cast) equals the text path's value" "[$y]" \
  "$(cast abi-decode "f()(int256[])" "$outabi" | sed 's/ \[[^]]*\]//g' | tr -d ' ')"
check_ok "regression output is a plausible disease score ($y)" /usr/bin/python3 -c \
  "import sys; v=int(sys.argv[1]) / 1e18; sys.exit(0 if 25 < v < 350 and v != int(v) else 1)" "$y"
check_eq "regression has no label" null "$($M2C predict --model "$tmp/dia.qm" --input "0,0,0,0,0,0,0,0,0,0" --json | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["label"]))')"

# --- SQLite: query, table, time-ordered split
/usr/bin/python3 - "$tmp/chain.sqlite" <<'PY'
import random, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE t (block_number INTEGER, gas REAL, value_eth REAL, value_wei TEXT, y INTEGER)")
r = random.Random(7)
for i in range(400):
    gas, val = r.uniform(21000, 300000), r.expovariate(1.0)
    y = 1 if gas / 300000 + val / 3 + r.gauss(0, 0.1) > 0.8 else 0
    db.execute("INSERT INTO t VALUES (?,?,?,?,?)", (17000000 + i, gas, val, str(int(val * 10**18)), y))
db.execute("CREATE TABLE empty (a REAL, y INTEGER)")
db.execute("CREATE TABLE nulls (a REAL, y INTEGER)")
db.executemany("INSERT INTO nulls VALUES (?,?)", [(1.0, 0), (None, 1), (2.0, 1)])
db.commit()
PY
out=$($M2C train --data "$tmp/chain.sqlite" --query 'SELECT gas, value_eth, block_number, y FROM t' \
  --target y --model logistic --split-by block_number --out "$tmp/chain.qm" 2>&1)
check_eq "sqlite query, time-ordered split" "rows      320 train, 80 held out (last by split column)" "$(grep '^rows' <<<"$out")"
check_eq "split key is not a feature" "features    gas value_eth" "$($M2C model inspect "$tmp/chain.qm" | grep '^features')"
out=$($M2C train --data "$tmp/chain.sqlite" --table t --target y --model logistic --out "$tmp/chain2.qm" 2>&1)
check_eq "sqlite table: TEXT column left out with a note" "ml2chain train: note: non-numeric columns left out: value_wei" "$(grep note <<<"$out")"
check_fails "NULL cell is named" "feature column 'a', row 2: NULL" $M2C train --data "$tmp/chain.sqlite" --table nulls --target y --model logistic --out "$tmp/x.qm"
check_fails "empty table" "has no rows" $M2C train --data "$tmp/chain.sqlite" --table empty --target y --model logistic --out "$tmp/x.qm"

# --- bad CSV data
printf 'a,b,y\n1,2,0\n3,x,1\n5,6,1\n' >"$tmp/junk.csv"
check_fails "non-numeric cell: row and column named" "feature column 'b', row 2: not a number \('x'\)" \
  $M2C train --csv "$tmp/junk.csv" --target y --model logistic --out "$tmp/x.qm"
printf 'a,b,y\n1,2,0\n3,nan,1\n5,6,1\n' >"$tmp/nan.csv"
check_fails "NaN cell" "feature column 'b', row 2: NaN/inf" $M2C train --csv "$tmp/nan.csv" --target y --model logistic --out "$tmp/x.qm"
printf 'a,b,y\n1,2,0\n3,inf,1\n' >"$tmp/inf.csv"
check_fails "inf cell" "row 2: NaN/inf" $M2C train --csv "$tmp/inf.csv" --target y --model logistic --out "$tmp/x.qm"
check_fails "missing target names the columns" "no target column 'nope' \(columns: a, b, y\)" \
  $M2C train --csv "$tmp/junk.csv" --target nope --model logistic --out "$tmp/x.qm"
printf 'a,b,y\n' >"$tmp/empty.csv"
check_fails "empty CSV table" "has no rows" $M2C train --csv "$tmp/empty.csv" --target y --model logistic --out "$tmp/x.qm"
printf 'a,c,y\n1,7,0\n2,7,1\n3,7,0\n4,7,1\n5,7,1\n6,7,0\n' >"$tmp/const.csv"
out=$($M2C train --csv "$tmp/const.csv" --target y --model logistic --split 0.3 --out "$tmp/c.qm" 2>&1)
check_eq "constant feature: warning, model still written" "ml2chain train: warning: 1 constant feature(s) in the training rows (std 0, scaled with std 1; they only shift the output)" "$(grep warning <<<"$out")"
printf 'a,y\n1,5\n2,5\n3,5\n' >"$tmp/oneclass.csv"
check_fails "one class only" "needs 2..256 distinct target values" $M2C train --csv "$tmp/oneclass.csv" --target y --model logistic --out "$tmp/x.qm"
check_fails "unknown model kind" "expected linear, logistic or mlp" $M2C train --csv "$tmp/junk.csv" --target y --model forest --out "$tmp/x.qm"
check_ok "--help" $M2C train --help
check_done
