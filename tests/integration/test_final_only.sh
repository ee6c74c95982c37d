#!/usr/bin/env bash
# Final-only callbacks on anvil (1 s blocks): `ml2chain request --final-only --wait` on a model
# with a 600 s challenge window; the node fulfils without a callback, is killed with -9 after
# the fulfilment, sends nothing while the window is open, the window is passed with
# evm_increaseTime + anvil_mine, the node signs its deliver with mining paused and is killed
# with -9 before it is mined (the pool then dropped), and the restarted node delivers exactly
# once; --wait prints the delivered output, which equals `ml2chain predict`. A further restart
# sends nothing. An ordinary request beside it is called back at fulfilment as before.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-final.XXXXXX)
REQ_PID=
cleanup() {
  [ -n "$REQ_PID" ] && kill -9 "$REQ_PID" 2>/dev/null && wait "$REQ_PID" 2>/dev/null
  node_cleanup
}
trap cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
T_DELIVERED=$("$M2C" sig-event 'Delivered(uint256,address,uint32,bool,bytes)')
DEP=$WORK/deployment.json
echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0,\"contracts\":{\"OutputCollector\":\"$COLL\"}}" >"$DEP"
WINDOW=600
check_ok "model has a ${WINDOW} s window" send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$MODEL_ID" "$WINDOW" 0

check_fails "--gas-limit with bit 31 is refused" "bad --gas-limit" \
  "$M2C" request --deployment "$DEP" --model "$MODEL_ID" --input 1,2 --gas-limit 2147483648 --private-key "$USER_KEY" --rpc-url "$ETH_RPC_URL"

# --- a final-only request, waited for in the background
"$M2C" request --deployment "$DEP" --model "$MODEL_ID" --input 0.75,-0.25 --final-only --wait \
  --timeout 120 --private-key "$USER_KEY" --rpc-url "$ETH_RPC_URL" >"$WORK/req.out" 2>"$WORK/req.err" &
REQ_PID=$!
has_id() { grep -q '^request id' "$WORK/req.out"; }
check_until 20 "request sent" has_id
RID=$(awk '/^request id/{print $3}' "$WORK/req.out")
RID_HEX=$(printf '0x%064s' "$("$CAST" to-base "$RID" 16 | sed 's/^0x//')" | tr ' ' 0)
REQ_LOG=$(logs_json "$T_REQUESTED" | jq -c --arg id "$RID_HEX" '.[] | select(.topics[1] == $id)')
# callbackWord (data word 0) = callback(20 bytes) selector(4) callbackGasLimit(4) 0(4)
GAS_WORD=$(jq -r '.data[2+48:2+56]' <<<"$REQ_LOG")
check_eq "Requested carries FINAL_ONLY | 200000" "$(printf '%08x' $((0x80000000 | 200000)))" "$GAS_WORD"
# and an ordinary request beside it
check_ok "ordinary request" "$M2C" request --deployment "$DEP" --model "$MODEL_ID" --input 0.5,0.5 \
  --private-key "$USER_KEY" --rpc-url "$ETH_RPC_URL"

node_start --confirmations 1
two() { [ "$(fulfilled_count)" -ge 2 ]; }
check_until 30 "both fulfilled" two
# wait until the node has recorded its fulfilment of the final-only request, then kill -9
recorded() { [ "$(sqlite3 "$WORK/node.db" 'SELECT count(*) FROM deliveries' 2>/dev/null)" = 1 ]; }
check_until 20 "node recorded the delivery due" recorded
node_kill9
FUL=$(logs_json "$T_FULFILLED" | jq -c --arg id "$RID_HEX" '.[] | select(.topics[1] == $id)')
# Fulfilled data: outcome (errorCode << 8 | callbackSuccess), outputHash
check_eq "final-only fulfilment ran no callback" 0 "$((16#$(jq -r '.data[64:66]' <<<"$FUL") & 1))"
check_eq "collector not set before the window" false \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'isSet(uint256)(bool)' "$RID")"
check_eq "not final inside the window" false \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'isFinal(uint256,uint256)(bool)' "$RID" "$MODEL_ID")"
ORD=$(logs_json "$T_REQUESTED" | jq -r --arg id "$RID_HEX" '[.[] | select(.topics[1] != $id)][0].topics[1]')
check_eq "ordinary request called back at fulfilment" true \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'isSet(uint256)(bool)' "$ORD")"

# inside the window a restarted node sends nothing (while it scans 3 new blocks)
N_OP=$(pending_nonce "$OP_ADDR")
node_start --confirmations 1
node_check_scans 3 "restarted node scans 3 new blocks inside the window"
node_stop
check_eq "no delivery inside the window" "$N_OP" "$(pending_nonce "$OP_ADDR")"
check_eq "no Delivered event yet" 0 "$(logs_json "$T_DELIVERED" | jq 'length')"

# pass the window
"$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_increaseTime $((WINDOW + 5)) >/dev/null
"$CAST" rpc --rpc-url "$ETH_RPC_URL" anvil_mine 2 >/dev/null
check_eq "final after the window" true \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'isFinal(uint256,uint256)(bool)' "$RID" "$MODEL_ID")"
# the node signs and records its deliver with mining paused, and is killed before it is mined;
# the pool loses it; the restarted node sends the same recorded transaction
"$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_setIntervalMining 0 >/dev/null
node_start --confirmations 1
submitted() { [ "$(sqlite3 "$WORK/node.db" 'SELECT state FROM deliveries' 2>/dev/null)" = 1 ]; }
check_until 20 "node records its deliver transaction" submitted
DELIVER_TX=0x$(sqlite3 "$WORK/node.db" 'SELECT lower(hex(tx_hash)) FROM deliveries')
check_until 20 "the recorded deliver reaches anvil's pool" tx_known "$DELIVER_TX"
node_kill9
"$CAST" rpc --rpc-url "$ETH_RPC_URL" anvil_dropAllTransactions >/dev/null
check_eq "the pool lost it" false "$(tx_known "$DELIVER_TX" && echo true || echo false)"
node_start --confirmations 1
check_until 20 "restarted node sends the recorded deliver again" tx_known "$DELIVER_TX"
"$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_setIntervalMining 1 >/dev/null
delivered() { [ "$(logs_json "$T_DELIVERED" | jq 'length')" -ge 1 ]; }
check_until 30 "restarted node delivers" delivered
wait "$REQ_PID"
check_eq "request --wait exit status" 0 "$?"
REQ_PID=
cat "$WORK/req.err" >&2
store_delivered() { [ "$(sqlite3 "$WORK/node.db" 'SELECT state FROM deliveries' 2>/dev/null)" = 2 ]; }
wait_until 20 "the store to record the delivery" store_delivered
node_check_scans 3 "node scans 3 more blocks after delivering (nothing else may be sent)"
node_stop
check_eq "exactly one Delivered event" 1 "$(logs_json "$T_DELIVERED" | jq 'length')"
DTX=$(logs_json "$T_DELIVERED" | jq -r '.[0].transactionHash')
echo "  deliver transaction (one value to the OutputCollector): $("$CAST" receipt --rpc-url "$ETH_RPC_URL" "$DTX" gasUsed) gas" >&2
check_eq "Delivered is for the request" "$RID_HEX" "$(logs_json "$T_DELIVERED" | jq -r '.[0].topics[1]')"
check_ok "node log: delivered" grep -q "delivered in block" "$WORK/node.log"
check_eq "one deliver transaction sent" 1 "$(grep -c 'deliver sent' "$WORK/node.log")"
check_eq "store: delivered" 2 "$(sqlite3 "$WORK/node.db" 'SELECT state FROM deliveries')"
EXP=$("$M2C" predict --model "$MODELS/lin.qm" --input 0.75,-0.25 --json | jq -r '.output[0]')
EXP_TEXT=$("$M2C" predict --model "$MODELS/lin.qm" --input 0.75,-0.25 --json | jq -r '.text')
check_eq "request --wait prints the delivered output = ml2chain predict" "$EXP_TEXT" "$(awk '/^output /{print $2}' "$WORK/req.out")"
check_ok "request --wait says delivered with callback ok" grep -q '^callback   ok' "$WORK/req.out"
check_eq "collector holds the output" "$EXP" \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$RID" | head -1 | tr -d "[]" | awk "{print \$1}")"

# a further restart sends nothing (while it scans 3 new blocks)
N_OP=$(pending_nonce "$OP_ADDR")
node_start --confirmations 1
node_check_scans 3 "restarted node scans 3 new blocks"
node_stop
check_eq "restart after delivery sends nothing" "$N_OP" "$(pending_nonce "$OP_ADDR")"
check_done
