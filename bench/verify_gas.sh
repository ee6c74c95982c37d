#!/usr/bin/env bash
# Verification gas: what one transaction pays to re-execute a qmodel on chain through
# QModelVerifier.predict(bytes model, int256[] x) (contracts/src/verify/), measured as whole
# transactions (21k + calldata with the EIP-7623 floor + execution) by eth_estimateGas on a
# real anvil (prague rules, block gas limit raised so large models can be measured), for
#   - a 16-32-1 MLP with each hidden activation (target: < 300k gas);
#   - the largest n-n-1 relu MLP and the largest ensemble of depth-6 trees (16 inputs) whose
#     re-execution fits the per-transaction cap of EIP-7825 (16,777,216 gas), by bisection.
# Models come from bench/qmodel_gen.py. Usage: bench/verify_gas.sh (needs scripts/bootstrap.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source tests/lib/anvil.sh
CAST=$root/bin/cast
CAP=16777216
tmp=$(mktemp -d)

scripts/forge.sh build >/dev/null 2>&1 || { echo "verify_gas.sh: forge build failed" >&2; exit 1; }
anvil_start --gas-limit 1000000000 --hardfork prague
trap 'anvil_stop; rm -rf "$tmp"' EXIT
code=$(jq -r .bytecode.object contracts/out/QModelVerifier.sol/QModelVerifier.json)
addr=$("$CAST" send --private-key "$ANVIL_KEY0" --create "$code" --json | jq -r .contractAddress)
sel=$("$CAST" sig "predict(bytes,int256[])")

# gas MODEL_ARGS... -> gas of one predict() transaction on that model (or "revert")
gas() {
  python3 bench/qmodel_gen.py "$@" > "$tmp/model"
  python3 - "$tmp/model" "$sel" "$addr" "$ANVIL_ADDR0" > "$tmp/req" <<'PY'
import json, sys
model = bytes.fromhex(open(sys.argv[1]).read().strip()[2:])
n_in = int.from_bytes(model[10:12], "big")
def w(v): return (v % (1 << 256)).to_bytes(32, "big")
x = [(i % 7 - 3) * 10**18 + 123456789 for i in range(n_in)]
pad = model + b"\0" * (-len(model) % 32)
data = bytes.fromhex(sys.argv[2][2:]) + w(64) + w(64 + 32 + len(pad)) + w(len(model)) + pad + w(n_in) + b"".join(w(v) for v in x)
print(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_estimateGas",
                  "params": [{"from": sys.argv[4], "to": sys.argv[3], "data": "0x" + data.hex()}]}))
PY
  local r
  r=$(curl -s -H 'content-type: application/json' --data-binary @"$tmp/req" "$ETH_RPC_URL")
  if jq -e .result >/dev/null <<<"$r"; then printf '%d\n' "$(jq -r .result <<<"$r")"; else echo revert; fi
}
bytes() { echo $(( ($(wc -c < "$tmp/model") - 3) / 2 )); }

printf '| model | parameters | file bytes | transaction gas |\n|---|---:|---:|---:|\n'
for act in 0 1 2 3; do
  name=(identity relu tanh sigmoid)
  g=$(gas mlp 16 32 1 $act)
  printf '| MLP 16-32-1, %s hidden | %d | %d | %s |\n' "${name[$act]}" $((16 * 32 + 32 + 32 + 1)) "$(bytes)" "$g"
done
g=$(gas mlp 16 32,32 1 1)
printf '| MLP 16-32-32-1, relu | %d | %d | %s |\n' $((16 * 32 + 32 + 32 * 32 + 32 + 32 + 1)) "$(bytes)" "$g"
g=$(gas gbdt 16 100 6)
printf '| 100 trees of depth 6 (127 nodes each), 16 inputs | %d | %d | %s |\n' $((100 * 127 + 1)) "$(bytes)" "$g"

# bisect: largest n with gas(n) <= CAP (gas grows with n)
bisect() {
  local lo=$1 hi=$2 mid g; shift 2
  while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    g=$("$@" "$mid")
    if [ "$g" != revert ] && [ "$g" -le "$CAP" ]; then lo=$mid; else hi=$mid; fi
  done
  echo "$lo"
}
sq() { gas mlp "$1" "$1" 1 1; }
trees() { gas gbdt 16 "$1" 6; }
n=$(bisect 16 400 sq)
g=$(sq "$n")
printf '| **largest n-n-1 relu MLP under the cap: n = %d** | %d | %d | %s |\n' "$n" $((n * n + n + n + 1)) "$(bytes)" "$g"
t=$(bisect 1 3000 trees)
g=$(trees "$t")
printf '| **largest depth-6 tree ensemble under the cap: %d trees** | %d | %d | %s |\n' "$t" $((t * 127 + 1)) "$(bytes)" "$g"
