#!/usr/bin/env bash
# `anvil_reorg` under `ml2chain watch` (confirmations 1, manual mining): the watcher records a
# request, a reorg 3 blocks deep replaces it with a different one; the watcher notices (stored
# block hash mismatch), rewinds its cursor and store, records the re-included request, and
# when a lying node fulfils it, challenges that one exactly once.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-watch-reorg.XXXXXX)
W_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a # anvil account 2
MINER= WATCH_PID=
miner_stop() { [ -n "$MINER" ] && { kill "$MINER" 2>/dev/null; wait "$MINER" 2>/dev/null; MINER=; }; return 0; }
cleanup() {
  miner_stop
  node_kill9
  [ -n "$WATCH_PID" ] && kill -9 "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
  anvil_stop
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
rpc() { "$CAST" rpc --rpc-url "$ETH_RPC_URL" "$@" >/dev/null; }
mine() { for _ in $(seq 1 "$1"); do rpc evm_mine; done; }
db() { sqlite3 "$WORK/watch.db" "$1" 2>/dev/null; }

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
T_CHALLENGED=$("$M2C" sig-event 'Challenged(uint256,address,address,uint256,uint256,bytes32,bool)')
echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0}" >"$WORK/deployment.json"
send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$MODEL_ID" 3600 1000 &&
  send_tx "$OP_KEY" "$COORD" 'postBond(uint256)' "$MODEL_ID" --value 1000
rpc evm_setAutomine false

N0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$ANVIL_ADDR0")
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
req_call() {
  REQ_CALL=("$COORD" 'request(uint256,bytes,address,bytes4,uint32)' "$MODEL_ID" \
    "$("$CAST" abi-encode 'f(int256[])' "$1")" "$COLL" "$SEL" 100000)
}
req_call '[100000000000000000,200000000000000000]'
"$CAST" send --async --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --gas-limit 500000 --nonce "$N0" \
  "${REQ_CALL[@]}" >/dev/null
mine 3
OLD_ID=$(logs_json "$T_REQUESTED" | jq -r '.[0].topics[1]')

"$M2C" watch --deployment "$WORK/deployment.json" --models "$MODELS" --private-key "$W_KEY" \
  --rpc-url "$ETH_RPC_URL" --state "$WORK/watch.db" --confirmations 1 --poll-ms 200 \
  >>"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
recorded() { [ "$(db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$OLD_ID', 3))")" = 1 ]; }
check_ok "watcher records the request" wait_for 20 recorded

req_call '[500000000000000000,0]'
RAW=$("$CAST" mktx --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$N0" --gas-limit 500000 \
  "${REQ_CALL[@]}")
rpc anvil_reorg 3 "[[\"$RAW\", 0]]"
mine 1
NEW_ID=$(logs_json "$T_REQUESTED" | jq -r '.[0].topics[1]')
check_ok "a different request after the reorg" test "$NEW_ID" != "$OLD_ID"
reorged() { grep -q "reorg: block" "$WORK/watch.log"; }
check_ok "watcher reports the reorg" wait_for 20 reorged
new_recorded() { [ "$(db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$NEW_ID', 3))")" = 1 ]; }
check_ok "watcher records the re-included request" wait_for 20 new_recorded
check_eq "the orphaned request is forgotten" 0 "$(db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$OLD_ID', 3))")"

( while :; do "$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_mine >/dev/null 2>&1; sleep 0.5; done ) &
MINER=$!
node_start --confirmations 1 --test-lie-rate 1
challenged() { [ "$(logs_json "$T_CHALLENGED" | jq 'length')" -ge 1 ]; }
check_ok "the lie about the re-included request is challenged" wait_for 40 challenged
sleep 3
miner_stop
node_stop
check_eq "exactly one Challenged" 1 "$(logs_json "$T_CHALLENGED" | jq 'length')"
check_eq "for the re-included request" "$NEW_ID" "$(logs_json "$T_CHALLENGED" | jq -r '.[0].topics[1]')"
check_eq "store: challenged" challenged "$(db "SELECT verdict FROM wfulfilments WHERE hex(id) = upper(substr('$NEW_ID', 3))")"
check_done
