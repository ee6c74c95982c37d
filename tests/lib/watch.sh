# watch.sh: sourced by the watcher's integration tests after node.sh (and check.sh): the
# watcher's key, `ml2chain watch` started/stopped/killed in the background beside the node
# on $WORK/deployment.json, bonded models, and requests with two ABI features.
W_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a # anvil account 2
W_ADDR=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
T_CHALLENGED=$("$M2C" sig-event 'Challenged(uint256,address,address,uint256,uint256,bytes32,bool)' 2>/dev/null)
WATCH_PID=

# watch_deployment: writes $WORK/deployment.json for the coordinator node_setup deployed.
watch_deployment() {
  echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0}" >"$WORK/deployment.json"
}
# watch_start [EXTRA ARGS...]: one confirmation, 200 ms polls, state in $WORK/watch.db, log
# appended to $WORK/watch.log.
watch_start() {
  "$M2C" watch --deployment "$WORK/deployment.json" --models "$MODELS" --private-key "$W_KEY" \
    --rpc-url "$ETH_RPC_URL" --state "$WORK/watch.db" --confirmations 1 --poll-ms 200 "$@" \
    >>"$WORK/watch.log" 2>&1 &
  WATCH_PID=$!
}
watch_stop() { # SIGTERM; returns the watcher's exit status
  if [ -n "$WATCH_PID" ]; then kill -TERM "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID"; local rc=$?; WATCH_PID=; return $rc; fi
}
watch_kill9() {
  if [ -n "$WATCH_PID" ]; then kill -9 "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=; fi
  return 0
}
# watch_db SQL: one query on the watcher's store.
watch_db() { sqlite3 "$WORK/watch.db" "$1" 2>/dev/null; }
# watch_check_scans N DESC: check_scans (node.sh) on the watcher's store.
watch_check_scans() { check_scans "$1" "$2" "$WORK/watch.db" 'SELECT block FROM wcursor'; }

# bond_model MODEL_ID [BOND_WEI]: a one-hour challenge window and that minimum bond (default
# 1 ether), posted by the operator.
bond_model() {
  local bond=${2:-1000000000000000000}
  send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$1" 3600 "$bond" &&
    send_tx "$OP_KEY" "$COORD" 'postBond(uint256)' "$1" --value "$bond"
}
# requests MODEL N SEED: N requests with two ABI features (one transaction each), called back
# on the collector.
requests() {
  local k sel
  sel=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
  for ((k = 0; k < $2; k++)); do
    send_tx "$USER_KEY" "$LOAD" 'raw(address,uint256,bytes,address,bytes4)' "$COORD" "$1" \
      "$("$CAST" abi-encode 'f(int256[])' "[$((($3 + k * 7) % 97))0000000000000000,$((($3 + k * 13) % 89 - 40))0000000000000000]")" "$COLL" "$sel" || return 1
  done
}
challenged_count() { logs_json "$T_CHALLENGED" | jq 'length'; }
# lies_fulfilled N [NODE ARGS...]: a check: a node that answers every request wrongly
# (--test-lie-rate 1) runs until N Fulfilled events are on chain, then stops.
lies_fulfilled() {
  local n=$1
  shift
  node_start "$@" --test-lie-rate 1
  n_fulfilled() { [ "$(fulfilled_count)" -ge "$n" ]; }
  check_until 30 "a lying node fulfils $n requests" n_fulfilled
  node_stop
}
