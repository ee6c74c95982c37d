#!/usr/bin/env bash
# `anvil_reorg` under `ml2chain node` (confirmations 2): two requests the node has already
# seen and submitted are orphaned by a reorg 3 blocks deep that re-includes a different
# request instead. The node must notice (stored block hash mismatch), rewind, replace its
# pending fulfilment with a cancel, and serve only the re-included request, exactly once.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-node-reorg.XXXXXX)
trap node_cleanup EXIT
db() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$WORK/node.db" "$1" 2>/dev/null; }

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
rpc evm_setAutomine false

N0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$ANVIL_ADDR0")
# Requests go straight to the coordinator with the collector's rawFulfillInference as the
# callback (what InferenceConsumer._requestInference sends; fee and gas price are 0).
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
req_call() { # FEATURES -> REQ_CALL: the target, signature and arguments of the request
  REQ_CALL=("$COORD" 'request(uint256,bytes,address,bytes4,uint32)' "$MODEL_ID" \
    "$("$CAST" abi-encode 'f(int256[])' "$1")" "$COLL" "$SEL" 100000)
}
req_async() { req_call "$1"; "$CAST" send --async --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" \
  --gas-limit 500000 --nonce "$2" "${REQ_CALL[@]}" >/dev/null; }
req_async '[100000000000000000,200000000000000000]' "$N0"
req_async '[300000000000000000,100000000000000000]' "$((N0 + 1))"
mine 3 # requests in block b; head b+2: the node (2 confirmations) will see block b
OLD_IDS=$(logs_json "$T_REQUESTED" | jq -r '.[].topics[1]')
check_eq "two requests before the reorg" 2 "$(wc -l <<<"$OLD_IDS")"

node_start --confirmations 2
submitted() { [ "$(db 'SELECT count(*) FROM requests WHERE state = 2')" = 2 ]; }
check_until 30 "node submitted both (pending, not mined)" submitted

# Reorg the last 3 blocks; the new block b holds a different request (nonce N0 again).
req_call '[500000000000000000,0]'
RAW=$("$CAST" mktx --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$N0" --gas-limit 500000 \
  "${REQ_CALL[@]}")
rpc anvil_reorg 3 "[[\"$RAW\", 0]]"
NEW_IDS=$(logs_json "$T_REQUESTED" | jq -r '.[].topics[1]')
check_eq "one request after the reorg" 1 "$(wc -l <<<"$NEW_IDS")"
orphaned() { [ "$(db 'SELECT count(*) FROM requests WHERE state = 5')" = 2 ]; }
check_until 30 "node rewinds and orphans the two" orphaned
# the cancel replaces the pending fulfilment: recorded, and in anvil's pool before any mining
cancel_tx() { sqlite3 "$WORK/node.db" 'SELECT lower(hex(hash)) FROM txs WHERE is_cancel = 1' 2>/dev/null | head -1; }
cancel_sent() { local h; h=$(cancel_tx); [ -n "$h" ] && tx_known "0x$h"; }
check_until 30 "node sends a cancel for the pending fulfilment" cancel_sent

miner_start # a block every 0.5 s from here on
one_fulfilled() { [ "$(fulfilled_count)" -ge 1 ]; }
check_until 40 "re-included request fulfilled" one_fulfilled
node_check_scans 4 "node scans 4 more blocks (nothing else may be sent)"
miner_stop
node_stop

FUL=$(logs_json "$T_FULFILLED")
check_eq "exactly one Fulfilled" 1 "$(jq 'length' <<<"$FUL")"
check_eq "it is the re-included request" "$NEW_IDS" "$(jq -r '.[0].topics[1]' <<<"$FUL")"
for id in $OLD_IDS; do
  check_eq "orphaned request $id never served" 0 "$(jq --arg i "$id" '[.[] | select(.topics[1] == $i)] | length' <<<"$FUL")"
done
check_eq "no FulfilmentSkipped" 0 "$(logs_json "$T_SKIPPED" | jq 'length')"
check_ok "log reports the reorg" grep -q "reorg: block" "$WORK/node.log"
check_ok "log reports the cancel" grep -q "cancel" "$WORK/node.log"
exp=$("$M2C" predict --model "$MODELS/lin.qm" --input-abi "$("$CAST" abi-encode 'f(int256[])' '[500000000000000000,0]')" --json | jq -r '.output[0]')
got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$NEW_IDS" | head -1 | tr -d '[]' | awk '{print $1}')
check_eq "re-included request's output" "$exp" "$got"
check_done
