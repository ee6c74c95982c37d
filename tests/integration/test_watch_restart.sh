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
source tests/lib/watch.sh
WORK=$(mktemp -d -t m2c-watchr.XXXXXX)
trap node_cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
watch_deployment
check_ok "model 1 bonded" bond_model "$MODEL_ID"

# --- lies, fulfilled while no watcher runs
check_ok "2 requests on model 1" requests "$MODEL_ID" 2 5
lies_fulfilled 2 --confirmations 1
# one more block: the fulfilments have a confirmation
LAST_F=$(logs_json "$T_FULFILLED" | jq -r '.[].blockNumber' | while read -r b; do echo $((b)); done | sort -n | tail -1)
confirmed_f() { [ "$("$CAST" block-number --rpc-url "$ETH_RPC_URL")" -gt "$LAST_F" ]; }
check_until 20 "a block on top of the fulfilments" confirmed_f

# --- pause mining; the watcher records and sends its challenges, then dies
rpc evm_setIntervalMining 0
N_W0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
watch_start
two_sent() { [ "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 0')" = 2 ]; }
check_until 30 "watcher records two challenges" two_sent
in_pool() { # both recorded challenges reached anvil's pool
  local h
  for h in $(watch_db 'SELECT lower(hex(tx_hash)) FROM wchallenges'); do tx_known "0x$h" || return 1; done
}
check_until 20 "the recorded challenges reach anvil's pool" in_pool
watch_kill9
check_eq "nothing mined yet" 0 "$(challenged_count)"
check_eq "fulfilments marked challenging" 2 "$(watch_db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenging'")"
rpc anvil_dropAllTransactions
check_eq "the pool lost them" 0 "$("$CAST" rpc --rpc-url "$ETH_RPC_URL" txpool_status | jq -r '.pending' | xargs printf '%d')"

# --- restart: the same bytes go out again, then mining resumes
watch_start
resent() { [ "$(grep -c 'sent again' "$WORK/watch.log")" -ge 2 ]; }
check_until 20 "restarted watcher re-sends the recorded challenges" resent
check_ok "log: resumed from the cursor" grep -q 'resuming after block' "$WORK/watch.log"
rpc evm_setIntervalMining 1
two_c() { [ "$(challenged_count)" -ge 2 ]; }
check_until 30 "both lies challenged" two_c
settled() { [ "$(watch_db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenged'")" = 2 ]; }
check_until 20 "watcher settles both" settled
watch_check_scans 2 "watcher scans 2 more blocks (nothing else may be sent)"
check_eq "each lie challenged exactly once" 2 "$(challenged_count)"
check_eq "one Challenged per request" 2 "$(logs_json "$T_CHALLENGED" | jq '[.[].topics[1]] | unique | length')"
check_eq "watcher used exactly two nonces" $((N_W0 + 2)) "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_eq "slashed once: the watcher got half the bond" 500000000000000000 \
  "$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'balanceOf(address)(uint256)' "$W_ADDR" | awk '{print $1}')"
check_eq "store: two mined challenges" 2 "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 1')"

# --- an honest node on a new model; the watcher is killed while judging
send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' "$MODEL_HASH" "file://models/lin.qm" 0 2 1
MODEL2=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'modelCount()(uint256)')
check_ok "model 2 bonded" bond_model "$MODEL2"
N_W=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
F0=$(fulfilled_count)
check_ok "4 requests on model 2" requests "$MODEL2" 4 21
node_start --confirmations 1
four() { [ "$(fulfilled_count)" -ge $((F0 + 4)) ]; }
check_until 30 "honest node fulfils 4" four
node_stop
one_ok() { [ "$(grep -c ': ok (code 0)' "$WORK/watch.log")" -ge 1 ]; }
check_until 20 "watcher judges an honest result before it is killed" one_ok
watch_kill9
watch_start
all_ok() { [ "$(watch_db "SELECT count(*) FROM wfulfilments WHERE verdict = 'ok'")" = 4 ]; }
check_until 20 "all 4 honest results judged ok across the restart" all_ok
watch_check_scans 2 "watcher scans 2 more blocks (no challenge may be sent)"
watch_kill9
check_eq "no challenge for honest results" "$N_W" "$(pending_nonce "$W_ADDR")"
check_eq "still 2 Challenged events" 2 "$(challenged_count)"
check_eq "honest results judged once each" 4 "$(grep -c ': ok (code 0)' "$WORK/watch.log")"
check_done
