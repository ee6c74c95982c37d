# node.sh: sourced by the node's integration tests and benchmark. Sets up a Coordinator, an
# OutputCollector and the NodeLoad helper on an anvil started by anvil_start, trains and
# registers a small model, and starts/stops/kills `ml2chain node` in the background.
# Needs tests/lib/anvil.sh, tests/lib/solc_compile.sh and tests/lib/check.sh (wait_until,
# check_until) sourced first.
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

# rpc METHOD [PARAMS...]: one JSON-RPC call to anvil, output discarded; mine N: N blocks.
rpc() { "$CAST" rpc --rpc-url "$ETH_RPC_URL" "$@" >/dev/null; }
mine() { for _ in $(seq 1 "$1"); do rpc evm_mine; done; }
# miner_start: a block every 0.5 s in the background until miner_stop, for tests that mine by
# hand (automine off) and then need the chain to move like a live one. The pace is fixed on
# purpose; tests wait on what the node does, not on the miner.
MINER_PID=
miner_start() {
  ( while :; do "$CAST" rpc --rpc-url "$ETH_RPC_URL" evm_mine >/dev/null 2>&1; sleep 0.5; done ) &
  MINER_PID=$!
}
miner_stop() {
  if [ -n "$MINER_PID" ]; then kill "$MINER_PID" 2>/dev/null; wait "$MINER_PID" 2>/dev/null; MINER_PID=; fi
  return 0
}
# free_port: a TCP port on 127.0.0.1 that is free now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# work_remove DIR: removes a test's work directory, or keeps it (and says where) when KEEP is
# set, to look at the node's log and store after a failure.
work_remove() {
  if [ -n "${KEEP:-}" ]; then echo "kept $1" >&2; else rm -rf "$1"; fi
}
# node_cleanup: the node tests' EXIT trap: stops the miner, the node (kill -9) and the watcher
# when tests/lib/watch.sh is sourced, then anvil, and removes $WORK.
node_cleanup() {
  miner_stop
  node_kill9
  if declare -F watch_kill9 >/dev/null; then watch_kill9; fi
  anvil_stop
  work_remove "$WORK"
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

# fulfilled_count: number of Fulfilled events on the coordinator.
fulfilled_count() { logs_json "$T_FULFILLED" | jq 'length'; }
requested_count() { logs_json "$T_REQUESTED" | jq 'length'; }
all_fulfilled() { [ "$(fulfilled_count)" -ge "$(requested_count)" ]; }

# tx_known HASH: anvil knows the transaction (in its pool or mined).
tx_known() {
  [ "$("$CAST" rpc --rpc-url "$ETH_RPC_URL" eth_getTransactionByHash "$1" 2>/dev/null)" != null ]
}
# pending_nonce ADDR: the account's nonce counting the transactions in anvil's pool.
pending_nonce() { "$CAST" nonce --rpc-url "$ETH_RPC_URL" --block pending "$1"; }

# Quiet windows. "A restart sends nothing" and "nothing else is sent" need the process to
# have looked at new blocks, not a number of seconds to have passed: check_scans waits until
# a node or watcher has recorded in its store a cursor N blocks past the head at the call.
# A node's steps (watch, compute, track, submit, deliver) run one after another, so once its
# cursor passes a block mined after the call, a whole step has run since then.
# cursor_at_least DB QUERY BLOCK: the cursor QUERY reads from SQLite store DB is >= BLOCK.
cursor_at_least() {
  local c
  c=$(sqlite3 "$1" "$2" 2>/dev/null)
  [ -n "$c" ] && [ "$c" -ge "$3" ]
}
# check_scans N DESC DB QUERY: a check that the cursor reaches the current head + N (60 s).
check_scans() {
  local h
  h=$("$CAST" block-number --rpc-url "$ETH_RPC_URL") || { fail "$2: no block number"; return; }
  check_until 60 "$2" cursor_at_least "$3" "$4" $((h + $1))
}
# node_check_scans N DESC: check_scans on the node's store ($WORK/node.db, one chain).
node_check_scans() { check_scans "$1" "$2" "$WORK/node.db" 'SELECT max(block) FROM cursor'; }
