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
source tests/lib/watch.sh
WORK=$(mktemp -d -t m2c-watch-reorg.XXXXXX)
trap node_cleanup EXIT

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
watch_deployment
bond_model "$MODEL_ID" 1000
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

watch_start
recorded() { [ "$(watch_db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$OLD_ID', 3))")" = 1 ]; }
check_until 20 "watcher records the request" recorded

req_call '[500000000000000000,0]'
RAW=$("$CAST" mktx --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$N0" --gas-limit 500000 \
  "${REQ_CALL[@]}")
rpc anvil_reorg 3 "[[\"$RAW\", 0]]"
mine 1
NEW_ID=$(logs_json "$T_REQUESTED" | jq -r '.[0].topics[1]')
check_ok "a different request after the reorg" test "$NEW_ID" != "$OLD_ID"
reorged() { grep -q "reorg: block" "$WORK/watch.log"; }
check_until 20 "watcher reports the reorg" reorged
new_recorded() { [ "$(watch_db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$NEW_ID', 3))")" = 1 ]; }
check_until 20 "watcher records the re-included request" new_recorded
check_eq "the orphaned request is forgotten" 0 "$(watch_db "SELECT count(*) FROM wrequests WHERE hex(id) = upper(substr('$OLD_ID', 3))")"

miner_start # a block every 0.5 s from here on
node_start --confirmations 1 --test-lie-rate 1
challenged() { [ "$(logs_json "$T_CHALLENGED" | jq 'length')" -ge 1 ]; }
check_until 40 "the lie about the re-included request is challenged" challenged
settled() { [ "$(watch_db "SELECT verdict FROM wfulfilments WHERE hex(id) = upper(substr('$NEW_ID', 3))")" = challenged ]; }
wait_until 20 "the watcher to record the challenge mined" settled
watch_check_scans 4 "watcher scans 4 more blocks (nothing else may be sent)"
miner_stop
node_stop
check_eq "exactly one Challenged" 1 "$(logs_json "$T_CHALLENGED" | jq 'length')"
check_eq "for the re-included request" "$NEW_ID" "$(logs_json "$T_CHALLENGED" | jq -r '.[0].topics[1]')"
check_eq "store: challenged" challenged "$(watch_db "SELECT verdict FROM wfulfilments WHERE hex(id) = upper(substr('$NEW_ID', 3))")"
check_done
