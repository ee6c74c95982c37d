#!/usr/bin/env bash
# rpc_logs.sh: eth_getLogs throughput of the rpc client against anvil, vs the raw limit
# (curl fetching the same request and discarding it). Emits LOGS events (default 100000)
# from tests/data/rpc/RpcProbe.sol, then times REPS (default 5) rounds of each.
# usage: bench/rpc_logs.sh [LOGS] [REPS]
set -eu
cd "$(dirname "$0")/.."
export M2C_ROOT=$PWD
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
LOGS=${1:-100000} REPS=${2:-5}
PKGS="libsecp256k1 libcurl jansson sqlite3 libcrypto libpq libmicrohttpd libprotobuf-c"
make -s -j2 lib
mkdir -p build/bench
cc -std=c11 -O2 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags $PKGS) -o build/bench/rpc_logs \
  bench/rpc_logs.c build/libml2chain.a $(pkg-config --libs $PKGS) -ldl -lm -lpthread
trap anvil_stop EXIT
anvil_start >/dev/null
code=$(solc_bytecode tests/data/rpc/RpcProbe.sol RpcProbe)
addr=$(bin/cast send --private-key "$ANVIL_KEY0" --create "$code" "constructor(uint256)" 0 --json | jq -r .contractAddress)
per=10000 left=$LOGS
while [ "$left" -gt 0 ]; do
  k=$((left < per ? left : per))
  bin/cast send --private-key "$ANVIL_KEY0" --gas-limit 29000000 "$addr" "burst(uint256)" "$k" >/dev/null
  left=$((left - k))
done
req=$(jq -cn --arg a "$addr" '{jsonrpc:"2.0",id:1,method:"eth_getLogs",params:[{address:$a,fromBlock:"0x0",toBlock:"latest"}]}')
t0=$(date +%s%N)
for _ in $(seq "$REPS"); do
  curl -s -H 'Content-Type: application/json' --data "$req" -o /dev/null "$ETH_RPC_URL"
done
t1=$(date +%s%N)
curl_ms=$(( (t1 - t0) / 1000000 / REPS ))
echo "curl raw fetch  $(printf '%8s' "$curl_ms") ms  $(( LOGS * 1000 / (curl_ms > 0 ? curl_ms : 1) )) logs/s"
build/bench/rpc_logs "$ETH_RPC_URL" "$addr" "$REPS"
