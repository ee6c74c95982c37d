#!/usr/bin/env bash
# One `ml2chain node` process serving two coordinators on two anvils with different chain ids
# (31337 and 31338, 1 s blocks), from a config file. The deployments land at the same
# addresses on both chains, so nothing keyed by address alone would keep them apart. Checks: every request on each chain fulfilled exactly
# once with the right output; each chain has its own store cursor (at its own head, the
# heads far apart) and its own nonce sequence (both start right after registerModel); after
# one anvil is killed, the other chain's new requests are still served and the node keeps
# running.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
ROOT=$(mktemp -d -t m2c-node-multi.XXXXXX)
A_PID= B_PID=
cleanup() {
  node_kill9
  for p in $A_PID $B_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  work_remove "$ROOT"
}
trap cleanup EXIT

# Two anvils: anvil_start keeps one in ANVIL_PID; each is taken over here.
anvil_start --block-time 1 || exit 1
A_PID=$ANVIL_PID A_URL=$ETH_RPC_URL; rm -f "$ANVIL_LOG"; ANVIL_PID=
anvil_start --block-time 1 --chain-id 31338 || exit 1
B_PID=$ANVIL_PID B_URL=$ETH_RPC_URL; rm -f "$ANVIL_LOG"; ANVIL_PID=

# use_chain A|B: points the tests/lib/node.sh helpers at that chain's anvil and deployment.
use_chain() {
  if [ "$1" = A ]; then ETH_RPC_URL=$A_URL; else ETH_RPC_URL=$B_URL; fi
  # shellcheck disable=SC1090
  source "$ROOT/$1.env"
}
for ch in A B; do
  if [ "$ch" = A ]; then ETH_RPC_URL=$A_URL; else ETH_RPC_URL=$B_URL; fi
  node_setup "$ROOT/$ch" >/dev/null || { echo "setup of chain $ch failed" >&2; exit 1; }
  declare -p COORD COLL LOAD MODEL_ID MODELS WORK MODEL_HASH | sed 's/^declare -x /declare -gx /; s/^declare -- /declare -g /' >"$ROOT/$ch.env"
done
check_eq "chain ids" "31337 31338" "$("$CAST" chain-id --rpc-url "$A_URL") $("$CAST" chain-id --rpc-url "$B_URL")"
use_chain A; COORD_A=$COORD
use_chain B; COORD_B=$COORD
check_eq "same coordinator address on both chains" "$COORD_A" "$COORD_B"
# Chain B runs 200 blocks ahead, so a shared cursor could not sit at both heads.
"$CAST" rpc --rpc-url "$B_URL" anvil_mine 200 >/dev/null

# One models directory for both (each chain trained and registered its own file).
mkdir -p "$ROOT/models"
cp "$ROOT/A/models/lin.qm" "$ROOT/models/a.qm"
cp "$ROOT/B/models/lin.qm" "$ROOT/models/b.qm"
cat >"$ROOT/node.json" <<EOF
{"models": "$ROOT/models", "state": "$ROOT/node.db", "workers": 2,
 "chains": [
  {"rpc": "$A_URL", "coordinator": "$COORD_A", "chainId": 31337, "confirmations": 0, "pollMs": 200},
  {"rpc": "$B_URL", "coordinator": "$COORD_B", "chainId": 31338, "confirmations": 1, "pollMs": 300,
   "batchSize": 7}
 ]}
EOF

use_chain A; request_many 30 100
use_chain B; request_many 20 500
WORK=$ROOT
ETH_PRIVATE_KEY=$OP_KEY "$M2C" node --config "$ROOT/node.json" >>"$ROOT/node.log" 2>&1 &
NODE_PID=$!

use_chain A; check_until 60 "chain 31337: every request fulfilled" all_fulfilled
use_chain B; check_until 60 "chain 31338: every request fulfilled" all_fulfilled
# confirmed CHAIN_ID N: the store has N requests of that chain confirmed
confirmed() { [ "$(sqlite3 "$ROOT/node.db" "SELECT count(*) FROM requests WHERE chain = '$1' AND state = 3" 2>/dev/null)" = "$2" ]; }
# chain_scans CHAIN N: the node scans N blocks of that chain past its head now (nothing else
# may be sent meanwhile)
chain_scans() {
  local id=31337; [ "$1" = B ] && id=31338
  use_chain "$1"
  check_scans "$2" "chain $id: node scans $2 more blocks" "$ROOT/node.db" "SELECT block FROM cursor WHERE chain = '$id'"
}
wait_until 20 "chain 31337: the store to confirm 30 requests" confirmed 31337 30
wait_until 20 "chain 31338: the store to confirm 20 requests" confirmed 31338 20
chain_scans A 2
chain_scans B 2

# exactly_once CHAIN N: N requests, N Fulfilled with the requested ids, no skips, and
# sampled outputs equal to `ml2chain predict`.
exactly_once() {
  use_chain "$1"
  local req ful bad=0 id d l input exp got
  req=$(logs_json "$T_REQUESTED"); ful=$(logs_json "$T_FULFILLED")
  check_eq "chain $1: Requested events" "$2" "$(jq 'length' <<<"$req")"
  check_eq "chain $1: Fulfilled events (exactly once)" "$2" "$(jq 'length' <<<"$ful")"
  check_eq "chain $1: fulfilled ids are the requested ids" "" \
    "$(diff <(jq -r '.[].topics[1]' <<<"$req" | sort) <(jq -r '.[].topics[1]' <<<"$ful" | sort))"
  check_eq "chain $1: no FulfilmentSkipped" 0 "$(logs_json "$T_SKIPPED" | jq 'length')"
  for id in $(jq -r '.[].topics[1]' <<<"$req" | head -4); do
    d=$(jq -r --arg i "$id" '.[] | select(.topics[1] == $i) | .data' <<<"$req")
    l=$((16#${d:$((2 + 3 * 64)):64})) # data: callbackWord, terms, offset, then input length and bytes
    input="0x${d:$((2 + 4 * 64)):$((l * 2))}"
    exp=$("$M2C" predict --model "$MODELS/lin.qm" --input-abi "$input" --json | jq -r '.output[0]')
    got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$id" | head -1 | tr -d '[]' | awk '{print $1}')
    [ "$exp" = "$got" ] || { bad=$((bad + 1)); echo "  chain $1 $id: expected $exp got $got" >&2; }
  done
  check_eq "chain $1: sampled outputs equal ml2chain predict" 0 "$bad"
}
exactly_once A 30
exactly_once B 20

db() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$ROOT/node.db" "$1"; }
# Cursors: one row per chain, each within a few blocks of its own head.
# (cursors read first: the heads only move on after that)
CUR_A=$(db "SELECT block FROM cursor WHERE chain = '31337'"); CUR_B=$(db "SELECT block FROM cursor WHERE chain = '31338'")
HEAD_A=$("$CAST" block-number --rpc-url "$A_URL"); HEAD_B=$("$CAST" block-number --rpc-url "$B_URL")
check_eq "one cursor per chain" 2 "$(db "SELECT count(*) FROM cursor")"
check_eq "chain 31337 cursor at its head (0 confirmations)" yes "$([ $((HEAD_A - CUR_A)) -ge 0 ] && [ $((HEAD_A - CUR_A)) -le 3 ] && echo yes)"
check_eq "chain 31338 cursor at its head (1 confirmation)" yes "$([ $((HEAD_B - CUR_B)) -ge 1 ] && [ $((HEAD_B - CUR_B)) -le 4 ] && echo yes)"
check_eq "cursors far apart (chain B is 200 blocks ahead)" yes "$([ $((CUR_B - CUR_A)) -ge 150 ] && echo yes)"
# Nonces: each chain's sequence starts after registerModel (nonce 0) and matches its chain.
for ch in A B; do
  if [ "$ch" = A ]; then id=31337 url=$A_URL; else id=31338 url=$B_URL; fi
  check_eq "chain $id: first fulfilment nonce" 1 "$(db "SELECT min(nonce) FROM nonces WHERE chain = '$id'")"
  check_eq "chain $id: stored nonces end at the account's nonce" "$("$CAST" nonce --rpc-url "$url" "$OP_ADDR")" \
    "$(( $(db "SELECT max(nonce) FROM nonces WHERE chain = '$id'") + 1 ))"
  check_eq "chain $id: requests confirmed in the store" "$([ $ch = A ] && echo 30 || echo 20)" \
    "$(db "SELECT count(*) FROM requests WHERE chain = '$id' AND state = 3")"
done
# Chain B used batches of at most 7 (its own batchSize), chain A the default.
check_eq "chain 31338 batches of at most 7" yes \
  "$([ "$(db "SELECT max(c) FROM (SELECT count(*) c FROM requests WHERE chain = '31338' GROUP BY nonce)")" -le 7 ] && echo yes)"

# Kill chain B's anvil: chain A keeps being served.
kill -9 "$B_PID"; wait "$B_PID" 2>/dev/null; B_PID=
use_chain A; request_many 12 900
check_until 30 "chain 31337 still served after chain 31338's anvil died" all_fulfilled
check_ok "node still running" kill -0 "$NODE_PID"
check_ok "chain 31338's failures are logged" grep -q "chain=31338 step failed" "$ROOT/node.log"
chain_scans A 2
exactly_once A 42
node_stop
check_ok "stopped cleanly with one chain down" grep -q "stopped cleanly" "$ROOT/node.log"
check_done
