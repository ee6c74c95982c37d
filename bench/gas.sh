#!/usr/bin/env bash
# Contracts gas: whole transactions (21k base + calldata + execution) sent to a real anvil
# with cast and read from the receipts' gasUsed, for
#   - the Coordinator: request (4-feature input, abi.encode(int256[]) in 1e18 fixed point)
#     + fulfil (1-value output) + the OutputCollector's callback, single and in a batch of 20;
#   - the original naive template (contracts/bench/NaiveTemplate.sol) and the fixed template
#     (contracts/src/template/), with text input "0.52,1.3,-0.7,2.25" and output "0.8731".
# Prints a table with ratios. Usage: bench/gas.sh (from anywhere); needs scripts/bootstrap.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source tests/lib/anvil.sh
CAST=$root/bin/cast
OUT=$root/contracts/out
BATCH=${BATCH:-20}

scripts/forge.sh build >/dev/null 2>&1 || { echo "gas.sh: forge build failed" >&2; exit 1; }
anvil_start
trap anvil_stop EXIT
USER_KEY=$ANVIL_KEY0
OP_KEY=$ANVIL_KEY1
OP_ADDR=$ANVIL_ADDR1

bytecode() { jq -r .bytecode.object "$OUT/$1.sol/$2.json"; }
# deploy FILE CONTRACT [CTOR_SIG ARGS...] -> address
deploy() {
  local file=$1 name=$2 code args=""
  shift 2
  code=$(bytecode "$file" "$name")
  if [ $# -gt 0 ]; then args=$("$CAST" abi-encode "$@"); args=${args#0x}; fi
  "$CAST" send --json --private-key "$USER_KEY" --create "$code$args" | jq -r .contractAddress
}
# send KEY TO SIG ARGS... -> sets G to gasUsed (decimal) and LAST to the receipt (JSON)
send() {
  local key=$1; shift
  LAST=$("$CAST" send --json --private-key "$key" "$@")
  [ "$(jq -r .status <<<"$LAST")" = "0x1" ] || { echo "gas.sh: transaction failed: $*" >&2; exit 1; }
  G=$(printf '%d' "$(jq -r .gasUsed <<<"$LAST")")
}

COORD=$(deploy Coordinator Coordinator "constructor(uint64)" 3600)
COLL=$(deploy OutputCollector OutputCollector "constructor(address)" "$COORD")
send "$OP_KEY" "$COORD" "registerModel(bytes32,string,uint256,uint32,uint32)" \
  "$("$CAST" keccak "bench model")" "ipfs://bench" 1000000000000000 4 1
send "$OP_KEY" "$COORD" "setCallbackGasPrice(uint256,uint256)" 1 1000000000
CB_GAS=60000
SEL=$("$CAST" sig "rawFulfillInference(uint256,bytes,uint32)")
PRICE=$("$CAST" call "$COORD" "quote(uint256,uint32)(uint256)" 1 $CB_GAS | awk '{print $1}')
INPUT=$("$CAST" abi-encode "f(int256[])" "[520000000000000000,1300000000000000000,-700000000000000000,2250000000000000000]")
OUTPUT=$("$CAST" abi-encode "f(int256[])" "[873100000000000000]")
REQ_T="(uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32)"

# request: sets G, and REQ to the fields rebuilt from the Requested event (as a node does)
request() {
  local log data dec
  send "$USER_KEY" "$COORD" "request(uint256,bytes,address,bytes4,uint32)" 1 "${1:-$INPUT}" "$COLL" "$SEL" $CB_GAS \
    --value "$PRICE"
  log=$(jq -c "[.logs[] | select((.address|ascii_downcase) == (\"$COORD\"|ascii_downcase))][0]" <<<"$LAST")
  data=$(jq -r .data <<<"$log")
  # data = (bytes32 callbackWord, uint256 terms, bytes input); callbackWord = callback(20 bytes)
  # selector(4) gasLimit(4) 0(4), terms = deadline(8) payment(24) (docs/coordinator.md)
  mapfile -t dec < <("$CAST" abi-decode --input "f(bytes32,uint256,bytes)" "$data")
  local id model requester d=${data#0x}
  id=$(jq -r '.topics[1]' <<<"$log")
  model=$(printf '%d' "$(jq -r '.topics[2]' <<<"$log")")
  requester=0x$(jq -r '.topics[3]' <<<"$log" | cut -c27-)
  REQ="($id,$model,$requester,0x${d:0:40},0x${d:40:8},$((16#${d:48:8})),$((16#${d:64:16})),$("$CAST" to-dec "0x${d:80:48}"),$("$CAST" keccak "${dec[2]}"))"
  REQ_ID=$id
}

# On a chain a node fulfils in a later block, so a later second (12 s on mainnet); anvil's
# automine may give consecutive blocks the same timestamp, so the clock is moved on before
# each fulfilment (a fulfilment in its request's second keeps the slot, docs/coordinator.md).
later() { "$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_increaseTime 12 >/dev/null; }

# Warm-up: one request and fulfilment first, so that the measured ones are not the model's
# first (the model's earnings are then non-zero, as in steady operation). (A request with the
# same fields in the same second would get a re-hashed id, docs/coordinator.md.)
request "$("$CAST" abi-encode "f(int256[])" "[1,2,3,4]")"
later
send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0

request; g_req=$G
later
send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0; g_ful=$G
# Fulfilled data: outcome (errorCode << 8 | callbackSuccess), outputHash
ok=$(jq -r '[.logs[] | select(.topics[0] == "'"$("$CAST" sig-event "Fulfilled(uint256,uint256,bytes32)")"'")][0].data' <<<"$LAST" | cut -c 65-66)
[ "$((16#$ok))" = 1 ] || { echo "gas.sh: callback did not succeed" >&2; exit 1; }
echo "gas.sh: request slot after the fulfilment: $("$CAST" call "$COORD" "commitmentOf(uint256)(bytes32)" "$REQ_ID")" >&2
stored=$("$CAST" call "$COLL" "getOutput(uint256)(int256[],uint32)" "$REQ_ID" | head -1)
[ "$stored" = "[873100000000000000 [8.731e17]]" ] || { echo "gas.sh: collector holds '$stored'" >&2; exit 1; }

# Batch of $BATCH
items=()
for i in $(seq "$BATCH"); do
  request "$("$CAST" abi-encode "f(int256[])" "[520000000000000000,1300000000000000000,-700000000000000000,$i]")"
  items+=("($REQ,$OUTPUT,0)")
done
list=$(IFS=,; echo "[${items[*]}]")
later
send "$OP_KEY" "$COORD" "fulfillBatch(($REQ_T,bytes,uint32)[])" "$list"; g_batch=$G
served=$(jq '[.logs[] | select(.topics[0] == "'"$("$CAST" sig-event "Fulfilled(uint256,uint256,bytes32)")"'")] | length' <<<"$LAST")
[ "$served" = "$BATCH" ] || { echo "gas.sh: batch served $served of $BATCH" >&2; exit 1; }

# The naive template and the fixed template, same input/output as text; sets T_REQ, T_FUL
template() {
  local file=$1 coord=$2 coll=$3 model=$4 id
  send "$USER_KEY" "$coord" "makeRequest(string,string,address,string)" "$model" "0.52,1.3,-0.7,2.25" \
    "$coll" "setOutput(uint256,string)"; T_REQ=$G
  id=$(jq -r '[.logs[]][0].data' <<<"$LAST" | cut -c1-66)
  send "$OP_KEY" "$coord" "fulfillRequest(uint256,string)" "$id" "0.8731"; T_FUL=$G
  [ "$("$CAST" call "$coll" "getOutput(uint256)(string)" "$id")" = '"0.8731"' ] || {
    echo "gas.sh: $file collector did not store the output" >&2; exit 1; }
}
NAIVE=$(deploy NaiveTemplate NaiveCoordinator)
NAIVE_COLL=$(deploy NaiveTemplate NaiveOutputCollector "constructor(address)" "$NAIVE")
# (a warm-up with another model name: the same strings in the same second give the same
# requestId, which the naive template would silently overwrite and the fixed one refuses)
template naive "$NAIVE" "$NAIVE_COLL" warm-up
template naive "$NAIVE" "$NAIVE_COLL" risk-model-v1; n_req=$T_REQ n_ful=$T_FUL
FIXED=$(deploy TemplateCoordinator TemplateCoordinator)
FIXED_COLL=$(deploy TemplateOutputCollector TemplateOutputCollector "constructor(address)" "$FIXED")
send "$USER_KEY" "$FIXED" "setOperator(address,bool)" "$OP_ADDR" true
template fixed "$FIXED" "$FIXED_COLL" warm-up
template fixed "$FIXED" "$FIXED_COLL" risk-model-v1; f_req=$T_REQ f_ful=$T_FUL

n_tot=$((n_req + n_ful))
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
per=$((g_batch / BATCH))
printf 'Contracts gas (anvil %s, whole transactions, receipts gasUsed)\n\n' "$("$root/bin/anvil" --version | head -1 | awk '{print $3}')"
printf '| %-44s | %9s | %9s | %9s | %s |\n' "contract" "request" "fulfil" "total" "vs naive template"
printf '|%s|%s|%s|%s|%s|\n' "----------------------------------------------" "-----------" "-----------" "-----------" "-------------------"
printf '| %-44s | %9d | %9d | %9d | %s |\n' "naive template (NaiveCoordinator)" "$n_req" "$n_ful" "$n_tot" "100.0%"
printf '| %-44s | %9d | %9d | %9d | %s |\n' "fixed template (TemplateCoordinator)" "$f_req" "$f_ful" $((f_req + f_ful)) "$(pct $((f_req + f_ful)) $n_tot)"
printf '| %-44s | %9d | %9d | %9d | %s |\n' "Coordinator + OutputCollector" "$g_req" "$g_ful" $((g_req + g_ful)) "$(pct $((g_req + g_ful)) $n_tot)"
printf '| %-44s | %9d | %9d | %9d | %s |\n' "Coordinator, fulfilBatch($BATCH), per item" "$g_req" "$per" $((g_req + per)) "$(pct $((g_req + per)) $n_tot)"
printf '\nbatch of %d: %d gas in all, %d per fulfilment = %s of a single fulfilment\n' \
  "$BATCH" "$g_batch" "$per" "$(pct "$per" "$g_ful")"
