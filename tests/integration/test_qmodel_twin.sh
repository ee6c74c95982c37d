#!/usr/bin/env bash
# test_qmodel_twin.sh: differential test of the Solidity qmodel runtime
# (contracts/src/verify/QModelRuntime.sol) against the C runtime, on thousands of models.
#  1. the C generator (build/tests/ml/test_qvectors) emits QMODEL_TWIN_MODELS random models of
#     every kind, transform and activation (default 3000) with 8 inputs each, including int32 /
#     int192 extremes and out-of-range inputs, and as many mutated model files with the C
#     loader's verdict;
#  2. forge replays them through the Solidity twin (QModelVectorsTest with QMODEL_VECTORS):
#     identical q and y for every case, the same range errors, and the same accept/reject
#     verdict (and outputs) for every mutated file.
# Seeds differ from the committed contracts/test/vectors/qmodel.json (QMODEL_TWIN_SEED).
set -u
cd "$(dirname "$0")/../.."
export PATH="$PWD/bin:$PATH"
. tests/lib/check.sh
n=${QMODEL_TWIN_MODELS:-3000}
seed=${QMODEL_TWIN_SEED:-0x7477696e}
dir=build/qvectors
mkdir -p "$dir"
vec="$PWD/$dir/twin.json"
trap 'rm -f "$dir"/twin.*' EXIT

check_ok "generator emits $n models" \
  sh -c "build/tests/ml/test_qvectors --emit --seed $seed --models $n --inputs 8 > $dir/twin.jsonl"
check_ok "generator emits $n mutated models" \
  sh -c "build/tests/ml/test_qvectors --mutants --seed $seed --models $n > $dir/twin.mut.jsonl"
cases=$(grep -o '"x":' "$dir/twin.jsonl" | wc -l)
ranges=$(grep -o '"error":"range"' "$dir/twin.jsonl" | wc -l)
rejected=$(grep -c '"valid":false' "$dir/twin.mut.jsonl")
echo "  $n models, $cases cases ($ranges out-of-range inputs), $n mutants ($rejected rejected by C)"
# parts of 250 models each (forge replays each part in its own call frame)
split -l 250 -d -a 3 "$dir/twin.jsonl" "$dir/twin.part."
split -l 250 -d -a 3 "$dir/twin.mut.jsonl" "$dir/twin.mutpart."
parts=0 conv=0
for f in "$dir"/twin.part.*; do
  i=${f##*.}
  python3 tests/ml/qvectors_abi.py "$dir/twin.mutpart.$i" < "$f" > "$vec.$parts" || conv=1
  parts=$((parts + 1))
done
check_eq "vectors convert to $parts forge files" "$conv" 0

out=$(FOUNDRY_GAS_LIMIT=9223372036854775807 QMODEL_VECTORS="$vec" QMODEL_VECTORS_PARTS=$parts scripts/forge.sh test --match-contract QModelVectorsTest 2>&1)
printf '%s\n' "$out" | grep -E '^\[(PASS|FAIL)' | cut -c1-300 | sed 's/^/  /'
check_ok "Solidity twin: same q and y as C on every case" \
  grep -q '^\[PASS\] test_vectors__solidity_matches_c_runtime_bit_for_bit' <<<"$out"
check_ok "Solidity loader: accepts exactly the files C accepts" \
  grep -q '^\[PASS\] test_vectors__solidity_loader_accepts_exactly_what_c_accepts' <<<"$out"
check_done
