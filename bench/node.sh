#!/usr/bin/env bash
# bench/node.sh: `ml2chain node` against a baseline operator written the way the template's
# notebook works (bench/baseline_operator.js: poll a filter, one tx per request), on anvil
# with 1 s blocks and the default 30M block gas limit.
#  (a) steady load: NODE_BENCH_RATE requests per second for NODE_BENCH_SECONDS; p50/p95
#      blocks from the request's block to its fulfilment's block.
#  (b) backlog: NODE_BENCH_BACKLOG requests (default 2000) on chain before the operator
#      starts: seconds from the operator's start until the block holding the last
#      fulfilment is seen (head polled every 50 ms), fulfilments/s, gas per fulfilled request
#      (node batched with its defaults or NODE_BENCH_BATCH, node unbatched, baseline), the
#      block-gas-limit bound for that gas (30M / gas per request per 1 s block), and blocks.
# NODE_BENCH_ONLY=steady|backlog runs one part, =batched only the node's batched drain. Prints figures and ratios; asserts nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
BACKLOG=${NODE_BENCH_BACKLOG:-2000}
RATE=${NODE_BENCH_RATE:-5}
SECS=${NODE_BENCH_SECONDS:-30}
BATCH=${NODE_BENCH_BATCH:-}       # empty: the node's default --batch-size
ROOT_WORK=$(mktemp -d -t m2c-node-bench.XXXXXX)
BASE_PID=
cleanup() { node_kill9; [ -n "$BASE_PID" ] && kill "$BASE_PID" 2>/dev/null; anvil_stop; rm -rf "$ROOT_WORK"; }
trap cleanup EXIT
[ -d node_modules/ethers ] || { echo "bench/node.sh: npm ci first (ethers)"; exit 1; }

fresh() { # NAME: a new anvil and deployment (scenarios run in subshells; each stops its own)
  trap 'node_kill9; [ -n "$BASE_PID" ] && kill "$BASE_PID" 2>/dev/null; anvil_stop' EXIT
  node_kill9; anvil_stop
  anvil_start --block-time 1 || exit 1
  node_setup "$ROOT_WORK/$1" >/dev/null || { echo "setup failed" >&2; exit 1; }
}

# Sends N requests in transactions of 100 without waiting for each (explicit nonces).
backlog() {
  local n=$1 nonce k=0
  nonce=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$ANVIL_ADDR0")
  while [ "$n" -gt 0 ]; do
    local c=$((n > 100 ? 100 : n))
    "$CAST" send --async --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$nonce" \
      --gas-limit 14000000 "$LOAD" 'many(address,uint256,uint256,uint256,uint32)' "$COLL" "$MODEL_ID" \
      "$c" "$k" 100000 >/dev/null
    nonce=$((nonce + 1)); n=$((n - c)); k=$((k + c))
  done
  local want=$1
  have_backlog() { [ "$(requested_count)" -ge "$want" ]; }
  wait_until 300 "the backlog mined" have_backlog || exit 1
}

# Gas used by OP_ADDR's transactions in blocks [from, to].
op_gas() {
  python3 - "$ETH_RPC_URL" "$OP_ADDR" "$1" "$2" <<'PY'
import json, sys, urllib.request
url, op, a, b = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3]), int(sys.argv[4])
body = json.dumps([{"jsonrpc": "2.0", "id": n, "method": "eth_getBlockReceipts", "params": [hex(n)]}
                   for n in range(a, b + 1)]).encode()
r = urllib.request.urlopen(urllib.request.Request(url, body, {"content-type": "application/json"}))
print(sum(int(x["gasUsed"], 16) for resp in json.load(r) for x in (resp.get("result") or [])
          if x["from"].lower() == op))
PY
}

now() { date +%s.%N; }
block() { "$CAST" block-number --rpc-url "$ETH_RPC_URL"; }

# drain_wait N T0 TIMEOUT: polls the head every 50 ms, counting Fulfilled logs block by block,
# until N are on chain. Prints "secs b0 b_last n": secs from T0 (the operator's start) to
# when the block holding the N-th fulfilment was first seen, b0 the head at the first poll.
drain_wait() {
  python3 - "$ETH_RPC_URL" "$COORD" "$T_FULFILLED" "$1" "$2" "$3" <<'PY'
import json, sys, time, urllib.request
url, coord, topic, want, t0, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
def rpc(m, p):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": m, "params": p}).encode()
    return json.load(urllib.request.urlopen(urllib.request.Request(url, body, {"content-type": "application/json"})))["result"]
b0 = last = int(rpc("eth_blockNumber", []), 16)
have = len(rpc("eth_getLogs", [{"address": coord, "fromBlock": "0x0", "toBlock": hex(last), "topics": [topic]}]))
seen = time.time()
while have < want and time.time() - t0 < limit:
    time.sleep(0.05)
    head = int(rpc("eth_blockNumber", []), 16)
    if head <= last:
        continue
    seen = time.time()
    logs = rpc("eth_getLogs", [{"address": coord, "fromBlock": hex(last + 1), "toBlock": hex(head), "topics": [topic]}])
    have += len(logs)
    last = head
print("%.2f %d %d %d" % ((seen if have >= want else time.time()) - t0, b0, last, have))
PY
}

# run_backlog NAME OPERATOR...: prints "secs rate gas_per_req blocks"
run_backlog() {
  local name=$1; shift
  fresh "$name"
  backlog "$BACKLOG"
  local t0
  t0=$(now)
  if [ "${1:-}" = baseline ]; then
    node bench/baseline_operator.js "$ETH_RPC_URL" "$COORD" "$OP_KEY" "$BACKLOG" >"$WORK/baseline.out" 2>&1 &
    BASE_PID=$!
  else
    node_start --confirmations 0 --poll-ms 100 "$@"
  fi
  local secs b0 b1 have
  read -r secs b0 b1 have < <(drain_wait "$BACKLOG" "$t0" "${NODE_BENCH_TIMEOUT:-240}")
  [ "$have" -ge "$BACKLOG" ] || echo "  $name: not drained in ${NODE_BENCH_TIMEOUT:-240} s ($have/$BACKLOG)" >&2
  node_stop
  [ -n "$BASE_PID" ] && { kill "$BASE_PID" 2>/dev/null; wait "$BASE_PID" 2>/dev/null; BASE_PID=; }
  [ -s "$WORK/baseline.out" ] && sed 's/^/  baseline: /' "$WORK/baseline.out" >&2
  local gas
  gas=$(op_gas "$b0" "$b1")
  printf '%.2f %.1f %d %d\n' "$secs" "$(echo "$have / $secs" | bc -l)" "$((gas / BACKLOG))" "$((b1 - b0))"
  anvil_stop # this runs in a subshell: the parent's trap does not know this anvil
}

# run_steady NAME OPERATOR...: prints "p50 p95 n" (blocks from request to fulfilment)
run_steady() {
  local name=$1; shift
  fresh "$name"
  if [ "${1:-}" = baseline ]; then
    node bench/baseline_operator.js "$ETH_RPC_URL" "$COORD" "$OP_KEY" "$((RATE * SECS))" >"$WORK/baseline.out" 2>&1 &
    BASE_PID=$!
  else
    node_start --poll-ms 100 "$@"
  fi
  sleep 2
  local nonce k=0 i
  nonce=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$ANVIL_ADDR0")
  for i in $(seq 1 "$SECS"); do
    "$CAST" send --async --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$nonce" \
      --gas-limit 3000000 "$LOAD" 'many(address,uint256,uint256,uint256,uint32)' "$COLL" "$MODEL_ID" \
      "$RATE" "$k" 100000 >/dev/null
    nonce=$((nonce + 1)); k=$((k + RATE))
    sleep 1
  done
  wait_until 120 "every request fulfilled" all_fulfilled
  node_stop
  [ -n "$BASE_PID" ] && { kill "$BASE_PID" 2>/dev/null; wait "$BASE_PID" 2>/dev/null; BASE_PID=; }
  logs_json "$T_REQUESTED" >"$WORK/req.json"
  logs_json "$T_FULFILLED" >"$WORK/ful.json"
  python3 - "$WORK/req.json" "$WORK/ful.json" <<'PY'
import json, sys
req = {l["topics"][1]: int(l["blockNumber"], 16) for l in json.load(open(sys.argv[1]))}
ful = {l["topics"][1]: int(l["blockNumber"], 16) for l in json.load(open(sys.argv[2]))}
d = sorted(ful[i] - req[i] for i in req if i in ful)
pick = lambda q: d[min(len(d) - 1, int(q * len(d)))] if d else -1
print(pick(0.50), pick(0.95), len(d))
PY
  anvil_stop # this runs in a subshell: the parent's trap does not know this anvil
}

echo "== node benchmark: anvil 1 s blocks, 30M gas; backlog $BACKLOG, steady $RATE req/s for $SECS s"
ONLY=${NODE_BENCH_ONLY:-} # "steady" or "backlog": one part only; "batched": the node's batched drain only
if [ "$ONLY" != backlog ] && [ "$ONLY" != batched ]; then
read -r sn50 sn95 snn < <(run_steady steady-node --confirmations 0)
read -r sn150 sn195 sn1n < <(run_steady steady-node-c1 --confirmations 1)
read -r sb50 sb95 sbn < <(run_steady steady-base baseline)
echo "steady load, blocks from request to fulfilment (p50 / p95, requests):"
echo "  node (confirmations 0):  $sn50 / $sn95  ($snn)"
echo "  node (confirmations 1):  $sn150 / $sn195  ($sn1n)"
echo "  baseline:                $sb50 / $sb95  ($sbn)"
fi
[ "$ONLY" = steady ] && exit 0

read -r nb_s nb_r nb_g nb_b < <(run_backlog backlog-batched ${BATCH:+--batch-size "$BATCH"})
if [ "$ONLY" = batched ]; then # the node's batched drain alone (e.g. a larger backlog)
  printf '%s requests: %.2f s, %.1f/s, %d gas per request, bound %.1f/s, share %.0f%%, %d blocks\n' "$BACKLOG" \
    "$nb_s" "$nb_r" "$nb_g" "$(echo "30000000 / $nb_g" | bc -l)" "$(echo "100 * $nb_r * $nb_g / 30000000" | bc -l)" "$nb_b"
  exit 0
fi
read -r nu_s nu_r nu_g nu_b < <(run_backlog backlog-unbatched --batch-size 1 --max-inflight 64)
read -r bl_s bl_r bl_g bl_b < <(run_backlog backlog-baseline baseline)
bound() { echo "30000000 / $1" | bc -l; } # fulfilments per second at 1 s blocks
echo "backlog of $BACKLOG requests: seconds from the operator's start to the block with the last"
echo "fulfilment, fulfilments/s, gas per request, block-gas bound (req/s), share of bound, blocks used:"
row() { # LABEL SECS RATE GAS BLOCKS
  printf '  %-22s %6.2f s %7.1f/s %7d gas  bound %6.1f/s  %3.0f%%  %d blocks\n' "$1" "$2" "$3" "$4" \
    "$(bound "$4")" "$(echo "100 * $3 / $(bound "$4")" | bc -l)" "$5"
}
row "node batched (${BATCH:-default}):" "$nb_s" "$nb_r" "$nb_g" "$nb_b"
row "node unbatched:" "$nu_s" "$nu_r" "$nu_g" "$nu_b"
row "baseline:" "$bl_s" "$bl_r" "$bl_g" "$bl_b"
printf 'ratios: node batched vs baseline throughput %.1fx; gas per request batched/unbatched %.2f\n' \
  "$(echo "$nb_r / $bl_r" | bc -l)" "$(echo "$nb_g / $nu_g" | bc -l)"
