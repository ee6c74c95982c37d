# node.sh: sourced by the node's integration tests and benchmark. Sets up a Coordinator, an
# OutputCollector and the NodeLoad helper on an anvil started by anvil_start, trains and
# registers a small model, and starts/stops/kills `ml2chain node` in the background.
# Needs tests/lib/anvil.sh and tests/lib/solc_compile.sh sourced first.
M2C_ROOT=${M2C_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
M2C=${M2C:-$M2C_ROOT/build/ml2chain}
CAST=${CAST:-$M2C_ROOT/bin/cast}
OP_KEY=$ANVIL_KEY1   # the operator (node) key
OP_ADDR=$ANVIL_ADDR1
USER_KEY=$ANVIL_KEY0 # the requester

# artifact_bytecode NAME: creation bytecode from forge's contracts/out.
artifact_bytecode() {
  jq -r '.bytecode.object' "$M2C_ROOT/contracts/out/$1.sol/$1.json"
}

# deploy KEY BYTECODE [CTOR_SIG ARGS...]: prints the new contract's address.
deploy() {
  local key=$1 code=$2; shift 2
  if [ $# -gt 0 ]; then
    local sig=$1; shift
    code="$code$("$CAST" abi-encode "$sig" "$@" | cut -c3-)"
  fi
  "$CAST" send --rpc-url "$ETH_RPC_URL" --private-key "$key" --create "$code" --json |
    jq -r '.contractAddress'
}

send_tx() { # KEY TO SIG ARGS...
  local key=$1; shift
  "$CAST" send --rpc-url "$ETH_RPC_URL" --private-key "$key" "$@" --json >/dev/null
}

# node_setup DIR: deploys everything, trains a linear model into DIR/models/lin.qm and
# registers it. Exports COORD, COLL, LOAD, MODEL_ID, MODELS, WORK.
node_setup() {
  WORK=$1
  MODELS=$WORK/models
  mkdir -p "$MODELS"
  (cd "$M2C_ROOT" && scripts/forge.sh build >/dev/null 2>&1) || { echo "forge build failed" >&2; return 1; }
  # y = 2 a - b + 0.5, a little noise-free data: exact enough for a linear model.
  python3 - "$WORK/train.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("a,b,y\n")
    for _ in range(200):
        a, b = random.uniform(0, 1), random.uniform(-0.4, 0.5)
        f.write(f"{a:.6f},{b:.6f},{2*a - b + 0.5:.6f}\n")
PY
  "$M2C" train --csv "$WORK/train.csv" --target y --model linear --out "$MODELS/lin.qm" --quiet \
    >/dev/null || return 1
  rm -f "$MODELS/lin.qm.json"
  MODEL_HASH=$("$M2C" model hash "$MODELS/lin.qm")
  COORD=$(deploy "$USER_KEY" "$(artifact_bytecode Coordinator)" 'f(uint64)' 3600)
  COLL=$(deploy "$USER_KEY" "$(artifact_bytecode OutputCollector)" 'f(address)' "$COORD")
  source "$M2C_ROOT/tests/lib/solc_compile.sh"
  LOAD=$(deploy "$USER_KEY" "$(solc_bytecode "$M2C_ROOT/tests/integration/NodeLoad.sol" NodeLoad)")
  send_tx "$OP_KEY" "$COORD" 'registerModel(bytes32,string,uint256,uint32,uint32)' \
    "$MODEL_HASH" "file://models/lin.qm" 0 2 1 || return 1
  MODEL_ID=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'modelCount()(uint256)')
  export COORD COLL LOAD MODEL_ID MODELS WORK MODEL_HASH
}

# request_many N SEED: N collector requests in one transaction.
request_many() {
  send_tx "$USER_KEY" "$LOAD" 'many(address,uint256,uint256,uint256,uint32)' "$COLL" "$MODEL_ID" \
    "$1" "$2" 100000 --gas-limit 29000000
}

NODE_PID=
# node_start [EXTRA ARGS...]: starts the node in the background, log appended to $WORK/node.log.
node_start() {
  ETH_PRIVATE_KEY=$OP_KEY "$M2C" node --rpc-url "${NODE_RPC_URL:-$ETH_RPC_URL}" --coordinator "$COORD" \
    --models "$MODELS" --state "$WORK/node.db" --poll-ms 200 "$@" >>"$WORK/node.log" 2>&1 &
  NODE_PID=$!
}
node_stop() { # graceful
  if [ -n "$NODE_PID" ]; then kill -TERM "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null; NODE_PID=; fi
  return 0
}
node_kill9() {
  if [ -n "$NODE_PID" ]; then kill -9 "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null; NODE_PID=; fi
  return 0
}

# Topics of the coordinator's events.
T_REQUESTED=$("$M2C" sig-event 'Requested(uint256,uint256,address,bytes32,uint256,bytes)' 2>/dev/null)
T_FULFILLED=$("$M2C" sig-event 'Fulfilled(uint256,uint256,bytes32)' 2>/dev/null)
T_SKIPPED=$("$M2C" sig-event 'FulfilmentSkipped(uint256,uint8)' 2>/dev/null)

# logs_json TOPIC0: every log of the coordinator with that topic, as JSON.
logs_json() {
  curl -s -X POST -H 'content-type: application/json' "$ETH_RPC_URL" --data \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"address\":\"$COORD\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$1\"]}]}" |
    jq -c '.result'
}

# wait_for SECONDS CMD...: polls CMD every 0.5 s until it succeeds; fails after SECONDS.
wait_for() {
  local t=$1; shift
  local end=$((SECONDS + t))
  while [ $SECONDS -lt $end ]; do
    "$@" && return 0
    sleep 0.5
  done
  return 1
}

# fulfilled_count: number of Fulfilled events on the coordinator.
fulfilled_count() { logs_json "$T_FULFILLED" | jq 'length'; }
requested_count() { logs_json "$T_REQUESTED" | jq 'length'; }
all_fulfilled() { [ "$(fulfilled_count)" -ge "$(requested_count)" ]; }
