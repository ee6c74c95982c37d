#!/usr/bin/env bash
# Chaos for `ml2chain node` on anvil (1 s blocks): NODE_CHAOS_REQUESTS requests (default
# 500) arrive while the node is killed with SIGKILL at random moments (at least 5 times)
# and restarted, and while its RPC endpoint (a TCP proxy) is down for several seconds.
# Afterwards every request must be fulfilled exactly once, none lost, no FulfilmentSkipped,
# no node transaction reverted, and sampled outputs must equal `ml2chain predict`.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
TOTAL=${NODE_CHAOS_REQUESTS:-500}
KILLS=${NODE_CHAOS_KILLS:-6}
WORK=$(mktemp -d -t m2c-node-chaos.XXXXXX)
PROXY_PID=
proxy_up() { # the proxy answers JSON-RPC for anvil
  curl -s -X POST -H 'content-type: application/json' "$NODE_RPC_URL" \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' | jq -e .result
}
proxy_start() {
  python3 tests/lib/tcp_proxy.py "$PPORT" 127.0.0.1 "${ETH_RPC_URL##*:}" &
  PROXY_PID=$!
  check_until 10 "the RPC proxy forwards to anvil" proxy_up
}
proxy_stop() { [ -n "$PROXY_PID" ] && { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }; return 0; }
cleanup() { proxy_stop; node_cleanup; }
trap cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
PPORT=$(free_port)
export NODE_RPC_URL="http://127.0.0.1:$PPORT"
proxy_start

# Requests arrive in chunks of at most 100 per transaction.
SENT=0
send_chunk() { # N
  local n=$1
  [ $((SENT + n)) -gt "$TOTAL" ] && n=$((TOTAL - SENT))
  [ "$n" -le 0 ] && return 0
  request_many "$n" "$SENT" && SENT=$((SENT + n))
}
third=$((TOTAL / 3))
send_chunk $((third > 100 ? 100 : third)); send_chunk $((third > 100 ? third - 100 : 0))

# Kill -9 at random moments, with more requests arriving between restarts.
RANDOM=${NODE_CHAOS_SEED:-42}
per_kill=$(( (TOTAL / 3) / KILLS + 1 ))
for i in $(seq 1 "$KILLS"); do
  node_start --confirmations 1 --batch-size 20
  # A fixed wait on purpose: the kill lands at a random moment (1.0-3.9 s, seeded), whatever
  # the node is doing then.
  sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
  node_kill9
  send_chunk "$per_kill"
done
kill_count=$KILLS

# RPC outage: the proxy goes away for 6 s while requests keep coming, then comes back.
node_start --confirmations 1 --batch-size 20
node_check_scans 1 "node at work before the outage"
proxy_stop
send_chunk 100; send_chunk $((TOTAL - SENT))
sleep 6 # a fixed wait on purpose: the length of the outage
check_ok "node survives the RPC outage" kill -0 "$NODE_PID"
proxy_start
check_eq "all requests sent" "$TOTAL" "$SENT"
check_eq "Requested events" "$TOTAL" "$(requested_count)"
check_until 120 "every request fulfilled after the chaos" all_fulfilled
node_check_scans 3 "node scans 3 more blocks (nothing else may be sent)"
node_stop

FUL=$(logs_json "$T_FULFILLED")
check_eq "kill -9 restarts" "yes" "$([ "$kill_count" -ge 5 ] && echo yes)"
check_eq "Fulfilled events (exactly once)" "$TOTAL" "$(jq 'length' <<<"$FUL")"
check_eq "distinct fulfilled ids" "$TOTAL" "$(jq '[.[].topics[1]] | unique | length' <<<"$FUL")"
REQ=$(logs_json "$T_REQUESTED")
check_eq "fulfilled ids are the requested ids" "" \
  "$(diff <(jq -r '.[].topics[1]' <<<"$REQ" | sort) <(jq -r '.[].topics[1]' <<<"$FUL" | sort))"
check_eq "no FulfilmentSkipped (no repeat was ever sent)" "0" "$(logs_json "$T_SKIPPED" | jq 'length')"
check_ok "log shows the outage" grep -q "step failed" "$WORK/node.log"

# No node transaction reverted: every recorded tx either has a successful receipt or none
# (it was replaced by another tx of the same nonce).
HASHES=$(python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(' '.join('0x' + h.hex() for (h,) in db.execute('SELECT hash FROM txs')))" "$WORK/node.db")
BATCH=$(for h in $HASHES; do printf '{"jsonrpc":"2.0","id":1,"method":"eth_getTransactionReceipt","params":["%s"]}\n' "$h"; done | jq -s -c .)
STAT=$(curl -s -X POST -H 'content-type: application/json' "$ETH_RPC_URL" --data "$BATCH")
check_eq "no reverted node transaction" "0" "$(jq '[.[].result | select(. != null) | select(.status != "0x1")] | length' <<<"$STAT")"
check_eq "node txs mined = nonces used" "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$OP_ADDR")" \
  "$(( $(jq '[.[].result | select(. != null)] | length' <<<"$STAT") + 1 ))" # + registerModel

# Sampled outputs equal ml2chain predict.
bad=0
for id in $(jq -r '.[].topics[1]' <<<"$REQ" | shuf -n 15 --random-source=<(yes)); do
  d=$(jq -r --arg i "$id" '.[] | select(.topics[1] == $i) | .data' <<<"$REQ")
  l=$((16#${d:$((2 + 3 * 64)):64})) # data: callbackWord, terms, offset, then input length and bytes
  input="0x${d:$((2 + 4 * 64)):$((l * 2))}"
  exp=$("$M2C" predict --model "$MODELS/lin.qm" --input-abi "$input" --json | jq -r '.output[0]')
  got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$id" | head -1 | tr -d '[]' | awk '{print $1}')
  [ "$exp" = "$got" ] || { bad=$((bad + 1)); echo "  $id: expected $exp got $got" >&2; }
done
check_eq "sampled outputs equal ml2chain predict" 0 "$bad"
check_done
