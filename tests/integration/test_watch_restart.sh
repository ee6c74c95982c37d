#!/usr/bin/env bash
# `ml2chain watch` is restart-safe (anvil, 1 s blocks, mining paused at will):
#   - a lying node answers two requests; with mining paused the watcher records and sends its
#     two challenges, is killed with -9 before they are mined, and the pending transactions
#     are dropped from anvil's pool; the restarted watcher resumes from its cursor and sends
#     the same recorded bytes again: each lie is challenged exactly once, the bond is slashed
#     once, and the watcher used exactly two nonces;
#   - an honest node on a new model under the same watcher, killed with -9 while judging and
#     restarted: every result judged ok, nothing sent.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-watchr.XXXXXX)
W_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a # anvil account 2
W_ADDR=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
WATCH_PID=
watch_start() {
  "$M2C" watch --deployment "$WORK/deployment.json" --models "$MODELS" --private-key "$W_KEY" \
    --rpc-url "$ETH_RPC_URL" --state "$WORK/watch.db" --confirmations 1 --poll-ms 200 \
    >>"$WORK/watch.log" 2>&1 &
  WATCH_PID=$!
}
watch_kill9() {
  if [ -n "$WATCH_PID" ]; then kill -9 "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=; fi
  return 0
}
cleanup() {
  node_kill9
  watch_kill9
  anvil_stop
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
rpc() { "$CAST" rpc --rpc-url "$ETH_RPC_URL" "$@" >/dev/null; }
db() { sqlite3 "$WORK/watch.db" "$1" 2>/dev/null; }

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
T_CHALLENGED=$("$M2C" sig-event 'Challenged(uint256,address,address,uint256,uint256,bytes32,bool)')
echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0}" >"$WORK/deployment.json"
BOND=1000000000000000000
bond_model() {
  send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$1" 3600 "$BOND" &&
    send_tx "$OP_KEY" "$COORD" 'postBond(uint256)' "$1" --value "$BOND"
}
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
requests() { # MODEL N SEED
  local k
  for ((k = 0; k < $2; k++)); do
    send_tx "$USER_KEY" "$LOAD" 'raw(address,uint256,bytes,address,bytes4)' "$COORD" "$1" \
      "$("$CAST" abi-encode 'f(int256[])' "[$((($3 + k * 7) % 97))0000000000000000,$((($3 + k * 13) % 89 - 40))0000000000000000]")" "$COLL" "$SEL" || return 1
  done
}
challenged_count() { logs_json "$T_CHALLENGED" | jq 'length'; }
check_ok "model 1 bonded" bond_model "$MODEL_ID"

# --- lies, fulfilled while no watcher runs
check_ok "2 requests on model 1" requests "$MODEL_ID" 2 5
node_start --confirmations 1 --test-lie-rate 1
two_f() { [ "$(fulfilled_count)" -ge 2 ]; }
check_ok "lying node fulfils both" wait_for 30 two_f
node_stop
sleep 2 # one more block: the fulfilments have a confirmation

# --- pause mining; the watcher records and sends its challenges, then dies
rpc evm_setIntervalMining 0
N_W0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
watch_start
two_sent() { [ "$(db 'SELECT count(*) FROM wchallenges WHERE state = 0')" = 2 ]; }
check_ok "watcher records two challenges" wait_for 30 two_sent
sleep 0.5
watch_kill9
check_eq "nothing mined yet" 0 "$(challenged_count)"
check_eq "fulfilments marked challenging" 2 "$(db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenging'")"
rpc anvil_dropAllTransactions
check_eq "the pool lost them" 0 "$("$CAST" rpc --rpc-url "$ETH_RPC_URL" txpool_status | jq -r '.pending' | xargs printf '%d')"

# --- restart: the same bytes go out again, then mining resumes
watch_start
resent() { [ "$(grep -c 'sent again' "$WORK/watch.log")" -ge 2 ]; }
check_ok "restarted watcher re-sends the recorded challenges" wait_for 20 resent
check_ok "log: resumed from the cursor" grep -q 'resuming after block' "$WORK/watch.log"
rpc evm_setIntervalMining 1
two_c() { [ "$(challenged_count)" -ge 2 ]; }
check_ok "both lies challenged" wait_for 30 two_c
settled() { [ "$(db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenged'")" = 2 ]; }
check_ok "watcher settles both" wait_for 20 settled
sleep 2
check_eq "each lie challenged exactly once" 2 "$(challenged_count)"
check_eq "one Challenged per request" 2 "$(logs_json "$T_CHALLENGED" | jq '[.[].topics[1]] | unique | length')"
check_eq "watcher used exactly two nonces" $((N_W0 + 2)) "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_eq "slashed once: the watcher got half the bond" 500000000000000000 \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'balanceOf(address)(uint256)' "$W_ADDR" | awk '{print $1}')"
check_eq "store: two mined challenges" 2 "$(db 'SELECT count(*) FROM wchallenges WHERE state = 1')"

# --- an honest node on a new model; the watcher is killed while judging
send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' "$MODEL_HASH" "file://models/lin.qm" 0 2 1
MODEL2=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'modelCount()(uint256)')
check_ok "model 2 bonded" bond_model "$MODEL2"
N_W=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
F0=$(fulfilled_count)
check_ok "4 requests on model 2" requests "$MODEL2" 4 21
node_start --confirmations 1
four() { [ "$(fulfilled_count)" -ge $((F0 + 4)) ]; }
check_ok "honest node fulfils 4" wait_for 30 four
node_stop
one_ok() { [ "$(grep -c ': ok (code 0)' "$WORK/watch.log")" -ge 1 ]; }
wait_for 20 one_ok
watch_kill9
watch_start
all_ok() { [ "$(db "SELECT count(*) FROM wfulfilments WHERE verdict = 'ok'")" = 4 ]; }
check_ok "all 4 honest results judged ok across the restart" wait_for 20 all_ok
sleep 2
watch_kill9
check_eq "no challenge for honest results" "$N_W" "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
check_eq "still 2 Challenged events" 2 "$(challenged_count)"
check_eq "honest results judged once each" 4 "$(grep -c ': ok (code 0)' "$WORK/watch.log")"
check_done
