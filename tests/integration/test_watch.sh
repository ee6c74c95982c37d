#!/usr/bin/env bash
# `ml2chain watch` on anvil (1 s blocks): a Coordinator with a challenge window and a bonded
# model trained with `ml2chain train`; the node posts wrong outputs (--test-lie-rate 1) and
# the watcher beside it challenges each one: the bond is slashed, the operator barred, the
# consumer ends with the output `ml2chain predict` gives. Then an honest node on a new model
# under the same watcher: no challenge is sent. Also: SIGTERM and a restart that sends nothing.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-watch.XXXXXX)
W_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a # anvil account 2
W_ADDR=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
WATCH_PID=
MPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
watch_start() {
  "$M2C" watch --deployment "$WORK/deployment.json" --models "$MODELS" --private-key "$W_KEY" \
    --rpc-url "$ETH_RPC_URL" --state "$WORK/watch.db" --confirmations 1 --poll-ms 200 \
    --metrics "127.0.0.1:$MPORT" \
    >>"$WORK/watch.log" 2>&1 &
  WATCH_PID=$!
}
watch_stop() {
  if [ -n "$WATCH_PID" ]; then kill -TERM "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID"; local rc=$?; WATCH_PID=; return $rc; fi
}
cleanup() {
  node_kill9
  [ -n "$WATCH_PID" ] && kill -9 "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
  anvil_stop
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
T_CHALLENGED=$("$M2C" sig-event 'Challenged(uint256,address,address,uint256,uint256,bytes32,bool)')
echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0}" >"$WORK/deployment.json"
BOND=1000000000000000000 # 1 ether
bond_model() { # MODEL_ID: one-hour challenge window, 1 ether minimum bond, posted
  send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$1" 3600 "$BOND" &&
    send_tx "$OP_KEY" "$COORD" 'postBond(uint256)' "$1" --value "$BOND"
}
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
requests() { # MODEL N SEED: N requests with two ABI features, called back on the collector
  local k
  for ((k = 0; k < $2; k++)); do
    send_tx "$USER_KEY" "$LOAD" 'raw(address,uint256,bytes,address,bytes4)' "$COORD" "$1" \
      "$("$CAST" abi-encode 'f(int256[])' "[$((($3 + k * 7) % 97))0000000000000000,$((($3 + k * 13) % 89 - 40))0000000000000000]")" "$COLL" "$SEL" || return 1
  done
}
check_ok "model 1 bonded" bond_model "$MODEL_ID"
check_eq "bond posted" "$BOND" "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID" | head -1 | awk '{print $1}')"

check_fails "watch needs --deployment" "deployment is required" "$M2C" watch --models "$MODELS" --private-key "$W_KEY"

watch_start
# --- a lying node: every output is wrong.
check_ok "3 requests on model 1" requests "$MODEL_ID" 3 11
node_start --confirmations 1 --test-lie-rate 1
challenged_count() { logs_json "$T_CHALLENGED" | jq 'length'; }
three() { [ "$(challenged_count)" -ge 3 ]; }
check_ok "each of the 3 lies is challenged" wait_for 45 three
node_stop
check_eq "Challenged events" 3 "$(challenged_count)"
check_eq "challenger is the watcher" 3 "$(logs_json "$T_CHALLENGED" | jq --arg a "$(printf '0x%064s' "${W_ADDR#0x}" | tr ' A-F' '0a-f')" '[.[] | select(.topics[2] == $a)] | length')"
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed to 0" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_eq "operator barred" true "$(tail -1 <<<"$BOND_NOW")"
check_eq "watcher credited half the bond" 500000000000000000 \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'balanceOf(address)(uint256)' "$W_ADDR" | awk '{print $1}')"
check_ok "log: challenge confirmed with slash" grep -q "challenge confirmed, operator slashed 1000000000000000000 wei" "$WORK/watch.log"

# The consumer holds the corrected outputs: each equals `ml2chain predict` on its input.
REQ=$(logs_json "$T_REQUESTED")
bad=0 n=0
while read -r id input; do
  exp=$("$M2C" predict --model "$MODELS/lin.qm" --input-abi "$input" --json | jq -r '.output[0]')
  got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COLL" 'getOutput(uint256)(int256[],uint32)' "$id" | head -1 | tr -d '[]' | awk '{print $1}')
  n=$((n + 1))
  [ "$exp" = "$got" ] || { bad=$((bad + 1)); echo "  request $id: expected $exp, got $got" >&2; }
done < <(jq -r '.[] | "\(.topics[1]) 0x\(.data[2:] | .[192:])"' <<<"$REQ" |
  while read -r id rest; do len=$((16#${rest:2:64})); echo "$id 0x${rest:66:$((len * 2))}"; done)
check_eq "consumer outputs checked" 3 "$n"
check_eq "corrected outputs equal ml2chain predict" 0 "$bad"

# --- an honest node on a newly registered, bonded model: nothing is challenged.
send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' \
  "$MODEL_HASH" "file://models/lin.qm" 0 2 1
MODEL2=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'modelCount()(uint256)')
check_ok "model 2 bonded" bond_model "$MODEL2"
N_W=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
F0=$(fulfilled_count)
check_ok "3 requests on model 2" requests "$MODEL2" 3 12
node_start --confirmations 1
six() { [ "$(fulfilled_count)" -ge $((F0 + 3)) ]; }
check_ok "honest node fulfils 3 requests" wait_for 30 six
ok3() { [ "$(grep -c ': ok (code 0)' "$WORK/watch.log")" -ge 3 ]; }
check_ok "watcher judges the 3 honest results ok" wait_for 15 ok3
sleep 2
node_stop
check_eq "no challenge sent for honest results" "$N_W" "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
check_eq "still 3 Challenged events" 3 "$(challenged_count)"

MET=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check_eq "metrics: challenged verdicts" 3 "$(sed -nE 's/^ml2chain_watch_verdicts_total\{verdict="challenged"\} ([0-9]+)$/\1/p' <<<"$MET")"
check_eq "metrics: ok verdicts" 3 "$(sed -nE 's/^ml2chain_watch_verdicts_total\{verdict="ok"\} ([0-9]+)$/\1/p' <<<"$MET")"
check_eq "health" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/health")"

# --- SIGTERM, then a restart on the same state sends nothing.
watch_stop; rc=$?
check_eq "SIGTERM exit status" 0 "$rc"
check_ok "log: stopped cleanly" grep -q "stopped cleanly" "$WORK/watch.log"
watch_start
sleep 4
watch_stop
check_eq "restart sends nothing" "$N_W" "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
check_eq "private key never logged" 0 "$(grep -c "${W_KEY#0x}" "$WORK/watch.log")"
check_done
