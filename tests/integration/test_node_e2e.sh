#!/usr/bin/env bash
# End to end on anvil (1 s blocks): Coordinator + OutputCollector deployed from forge's
# artifacts, a model trained with `ml2chain train` and registered, requests sent, then
# `ml2chain node` serves them. Checks every output against `ml2chain predict`, error codes
# for bad inputs, unknown and mismatched models, exactly-once fulfilment, metrics, health,
# a clean SIGTERM, no secrets in logs, and an idempotent restart.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-node-e2e.XXXXXX)
trap node_cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')

# --- requests: 12 normal ones through the collector, then edge cases straight to the
# coordinator via NodeLoad.raw (callback: the collector).
request_many 12 5
raw() { send_tx "$USER_KEY" "$LOAD" 'raw(address,uint256,bytes,address,bytes4)' "$COORD" "$1" "$2" "$COLL" "$SEL"; }
raw "$MODEL_ID" 0x00ff                                       # not decodable -> 3
raw "$MODEL_ID" "0x$(printf 'abc' | xxd -p)"                 # junk text -> 4
raw "$MODEL_ID" "0x$(printf '1,2,3' | xxd -p)"               # feature count -> 5
raw "$MODEL_ID" 0x                                           # empty -> 1
BIG=$("$CAST" abi-encode 'f(int256[])' "[$(seq -s, 1 400)]") # 12.9 kB, 400 values -> 5
raw "$MODEL_ID" "$BIG"
raw "$MODEL_ID" "0x$(printf '0.5,0.25' | xxd -p)"            # text form, answered as text
# A request over the coordinator's input cap (MAX_INPUT_BYTES = 131136, docs/coordinator.md)
# is refused on chain, before any node.
MAX_IN=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'MAX_INPUT_BYTES()(uint256)' | awk '{print $1}')
check_eq "coordinator input cap" 131136 "$MAX_IN"
check_fails "coordinator refuses an input 1 byte over the cap" "InputTooLarge|revert" \
  "$CAST" send --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" "$LOAD" \
  'filled(address,uint256,uint256,address,bytes4)' "$COORD" "$MODEL_ID" "$((MAX_IN + 1))" "$COLL" "$SEL"

# A model registered to us with no file (unknown -> 7), one whose file does not match its
# hash (-> 7, logged as a mismatch), and another operator's model (ignored).
send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' \
  0x1111111111111111111111111111111111111111111111111111111111111111 "ipfs://nothing" 0 2 1
MISSING_ID=$((MODEL_ID + 1))
printf 'not the registered bytes' >"$MODELS/bad.qm"
send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' \
  0x2222222222222222222222222222222222222222222222222222222222222222 "file://models/bad.qm" 0 2 1
MISMATCH_ID=$((MODEL_ID + 2))
send_tx "$USER_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' \
  "$MODEL_HASH" "file://models/lin.qm" 0 2 1
OTHER_ID=$((MODEL_ID + 3))
raw "$MISSING_ID" "$("$CAST" abi-encode 'f(int256[])' '[1,2]')"
raw "$MISMATCH_ID" "$("$CAST" abi-encode 'f(int256[])' '[1,2]')"
raw "$OTHER_ID" "$("$CAST" abi-encode 'f(int256[])' '[1,2]')"
OURS=20 # 12 + 6 edge cases + missing + mismatch
# A request to a retired model: the CLI names the Coordinator's custom error and its value
# (anvil's message carries the raw revert bytes as \u0000 escapes).
send_tx "$USER_KEY" "$COORD" 'retireModel(uint256)' "$OTHER_ID"
check_fails "request to a retired model names ModelNotActive(id)" \
  "execution reverted: ModelNotActive\\($OTHER_ID\\)\$" \
  "$M2C" request --model "$OTHER_ID" --input 0.1,0.2 --coordinator "$COORD" --callback "$COLL" \
  --private-key "$USER_KEY" --rpc-url "$ETH_RPC_URL"

# --- bad configurations fail with one line before touching anything.
check_fails "no coordinator" "no coordinator" env -u ML2CHAIN_COORDINATOR "$M2C" node --rpc-url "$ETH_RPC_URL" --models "$MODELS" --private-key "$OP_KEY"
echo '{"chains":[{"rpc":"http://x","coordinatr":"0x00"}]}' >"$WORK/bad.json"
check_fails "config typo names the key" "chains\[0\]\.coordinatr: unknown key" "$M2C" node --config "$WORK/bad.json" --models "$MODELS"
check_fails "wrong chain id refused" "chain id is 31337, the config says 5" "$M2C" node \
  --deployment <(echo "{\"chainId\":5,\"coordinator\":\"$COORD\",\"deployBlock\":0}") \
  --rpc-url "$ETH_RPC_URL" --models "$MODELS" --private-key "$OP_KEY" --state "$WORK/x.db"

# --- run the node.
PORT=$(free_port)
node_start --confirmations 1 --batch-size 5 --metrics-addr "127.0.0.1:$PORT" --log-format json
ours_done() { [ "$(fulfilled_count)" -ge "$OURS" ]; }
check_until 60 "node fulfils all $OURS requests" ours_done
node_check_scans 3 "node scans 3 more blocks (nothing else may be sent)"

# Exactly once: one Fulfilled per request id, no skipped items.
FUL=$(logs_json "$T_FULFILLED")
check_eq "Fulfilled events" "$OURS" "$(jq 'length' <<<"$FUL")"
check_eq "distinct fulfilled ids" "$OURS" "$(jq '[.[].topics[1]] | unique | length' <<<"$FUL")"
check_eq "no FulfilmentSkipped" "0" "$(logs_json "$T_SKIPPED" | jq 'length')"

# Outputs: every collector request checked against `ml2chain predict`.
REQ=$(logs_json "$T_REQUESTED")
bad=0 n=0
while read -r id model input; do
  [ "$((model))" = "$MODEL_ID" ] || continue
  case "$input" in 0x0000000000000000000000000000000000000000000000000000000000000020*) ;; *) continue ;; esac
  [ ${#input} -gt 1000 ] && continue
  exp=$("$M2C" predict --model "$MODELS/lin.qm" --input-abi "$input" --json | jq -r '.output[0]')
  got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$id" | head -1 | tr -d '[]' | awk '{print $1}')
  n=$((n + 1))
  [ "$exp" = "$got" ] || { bad=$((bad + 1)); echo "  request $id: expected $exp, got $got" >&2; }
done < <(jq -r '.[] | "\(.topics[1]) \(.topics[2]) 0x\(.data[2:] | .[192:])"' <<<"$REQ" |
  while read -r id model rest; do
    # data (callbackWord, terms, input) after the 3 head words: length word then bytes
    len=$((16#${rest:2:64})); echo "$id $model 0x${rest:66:$((len * 2))}"
  done)
check_eq "collector outputs checked" "12" "$n"
check_eq "outputs equal ml2chain predict" "0" "$bad"

# Error codes as seen by the consumer (the collector stores them).
code_of() { # INPUT_HEX MODEL -> error code stored for the request with that input
  local id
  id=$(jq -r --arg m "$(printf '0x%064x' "$2")" --arg h "$("$CAST" keccak "$1")" \
    '.[] | select(.topics[2] == $m) | .topics[1]' <<<"$REQ" | while read -r i; do
      d=$(jq -r --arg i "$i" '.[] | select(.topics[1] == $i) | .data' <<<"$REQ")
      l=$((16#${d:$((2 + 3 * 64)):64})); [ "$("$CAST" keccak "0x${d:$((2 + 4 * 64)):$((l * 2))}")" = "$("$CAST" keccak "$1")" ] && echo "$i"
    done | head -1)
  "$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$id" | tail -1
}
check_eq "not decodable -> 3" 3 "$(code_of 0x00ff "$MODEL_ID")"
check_eq "junk text -> 4" 4 "$(code_of "0x$(printf 'abc' | xxd -p)" "$MODEL_ID")"
check_eq "wrong feature count -> 5" 5 "$(code_of "0x$(printf '1,2,3' | xxd -p)" "$MODEL_ID")"
check_eq "empty -> 1" 1 "$(code_of 0x "$MODEL_ID")"
check_eq "400 values -> 5" 5 "$(code_of "$BIG" "$MODEL_ID")"
check_eq "missing model -> 7" 7 "$(code_of "$("$CAST" abi-encode 'f(int256[])' '[1,2]')" "$MISSING_ID")"
check_eq "mismatched model -> 7" 7 "$(code_of "$("$CAST" abi-encode 'f(int256[])' '[1,2]')" "$MISMATCH_ID")"
# Text input: the Fulfilled event's outputHash is keccak of the text `ml2chain predict` prints.
TXT_EXP=$("$M2C" predict --model "$MODELS/lin.qm" --input '0.5,0.25')
TXT_ID=$(jq -r --arg m "$(printf '0x%064x' "$MODEL_ID")" '.[] | select(.topics[2] == $m) | select(.data | contains("302e352c302e3235")) | .topics[1]' <<<"$REQ")
check_eq "text answer hash" "$("$CAST" keccak "$TXT_EXP")" \
  "$(jq -r --arg i "$TXT_ID" '.[] | select(.topics[1] == $i) | .data[-64:]' <<<"$FUL" | sed 's/^/0x/')"
OTHER_TOPIC=$(printf '0x%064x' "$OTHER_ID")
check_eq "another operator's model is not served" "0" \
  "$(jq --arg i "$(jq -r --arg m "$OTHER_TOPIC" '.[] | select(.topics[2] == $m) | .topics[1]' <<<"$REQ")" '[.[] | select(.topics[1] == $i)] | length' <<<"$FUL")"

# Logs: models reported at start; JSON lines with request ids; no secrets.
check_ok "log: model served" grep -q "model $MODEL_ID: served" "$WORK/node.log"
check_ok "log: model missing" grep -q "model $MISSING_ID: missing" "$WORK/node.log"
check_ok "log: hash mismatch" grep -q "model $MISMATCH_ID: hash mismatch" "$WORK/node.log"
check_ok "log lines are JSON" jq -e . "$WORK/node.log"
check_ok "log lines carry request ids" grep -q '"request":"0x' "$WORK/node.log"
check_eq "private key never logged" 0 "$(grep -c "${OP_KEY#0x}" "$WORK/node.log")"

# Metrics and health.
MET=$(curl -s "http://127.0.0.1:$PORT/metrics")
check_eq "metrics: fulfilled with output (12 + the text one)" "13" \
  "$(sed -nE 's/^ml2chain_requests_fulfilled_total\{chain="31337",model="'"$MODEL_ID"'",code="0"\} ([0-9]+)$/\1/p' <<<"$MET")"
check_ok "metrics: latency histogram" grep -q '^ml2chain_fulfilment_latency_blocks_bucket' <<<"$MET"
check_ok "metrics: wallet balance" grep -q '^ml2chain_wallet_balance_ether' <<<"$MET"
check_ok "metrics: head lag" grep -q '^ml2chain_head_lag_blocks' <<<"$MET"
check_eq "health" "200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/health")"

# SIGTERM: clean exit.
kill -TERM "$NODE_PID"
rc=0; wait "$NODE_PID" || rc=$?
NODE_PID=
check_eq "SIGTERM exit status" 0 "$rc"
check_ok "log: stopped cleanly" grep -q "stopped cleanly" "$WORK/node.log"

# Restart on the same state: nothing is sent again (while it scans 3 new blocks).
N0=$(pending_nonce "$OP_ADDR")
node_start --confirmations 1
node_check_scans 3 "restarted node scans 3 new blocks"
node_stop
check_eq "restart sends nothing" "$N0" "$(pending_nonce "$OP_ADDR")"
check_eq "still one Fulfilled per request" "$OURS" "$(fulfilled_count)"
check_done
