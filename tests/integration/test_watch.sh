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
source tests/lib/watch.sh
WORK=$(mktemp -d -t m2c-watch.XXXXXX)
MPORT=$(free_port)
trap node_cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
watch_deployment
BOND=1000000000000000000 # 1 ether, bond_model's default
check_ok "model 1 bonded" bond_model "$MODEL_ID"
check_eq "bond posted" "$BOND" "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID" | head -1 | awk '{print $1}')"

check_fails "watch needs --deployment" "deployment is required" "$M2C" watch --models "$MODELS" --private-key "$W_KEY"

watch_start --metrics "127.0.0.1:$MPORT"
# --- a lying node: every output is wrong.
check_ok "3 requests on model 1" requests "$MODEL_ID" 3 11
node_start --confirmations 1 --test-lie-rate 1
three() { [ "$(challenged_count)" -ge 3 ]; }
check_until 45 "each of the 3 lies is challenged" three
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
check_until 30 "honest node fulfils 3 requests" six
ok3() { [ "$(grep -c ': ok (code 0)' "$WORK/watch.log")" -ge 3 ]; }
check_until 15 "watcher judges the 3 honest results ok" ok3
watch_check_scans 2 "watcher scans 2 more blocks (no challenge may be sent)"
node_stop
check_eq "no challenge sent for honest results" "$N_W" "$(pending_nonce "$W_ADDR")"
check_eq "still 3 Challenged events" 3 "$(challenged_count)"

MET=$(curl -s "http://127.0.0.1:$MPORT/metrics")
check_eq "metrics: challenged verdicts" 3 "$(sed -nE 's/^ml2chain_watch_verdicts_total\{verdict="challenged"\} ([0-9]+)$/\1/p' <<<"$MET")"
check_eq "metrics: ok verdicts" 3 "$(sed -nE 's/^ml2chain_watch_verdicts_total\{verdict="ok"\} ([0-9]+)$/\1/p' <<<"$MET")"
check_eq "health" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/health")"

# --- SIGTERM, then a restart on the same state sends nothing.
watch_stop; rc=$?
check_eq "SIGTERM exit status" 0 "$rc"
check_ok "log: stopped cleanly" grep -q "stopped cleanly" "$WORK/watch.log"
watch_start --metrics "127.0.0.1:$MPORT"
watch_check_scans 3 "restarted watcher scans 3 new blocks"
watch_stop
check_eq "restart sends nothing" "$N_W" "$(pending_nonce "$W_ADDR")"
check_eq "private key never logged" 0 "$(grep -c "${W_KEY#0x}" "$WORK/watch.log")"
check_done
