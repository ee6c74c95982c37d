# emitter.sh: sourced by extract tests and benchmarks. Compiles tests/data/extract/Emitter.sol
# with bin/solc (solc-js, standard JSON), deploys it on $ETH_RPC_URL from anvil's first
# account, and drives it: emitter_emit CALLS PER_CALL sends CALLS transactions, each emitting
# PER_CALL events, as JSON-RPC batches (anvil mines one block per transaction).
# Needs: M2C_ROOT, ETH_RPC_URL, ANVIL_ADDR0 (tests/lib/anvil.sh), jq, curl.

emitter_compile() {
  local src=$M2C_ROOT/tests/data/extract/Emitter.sol out
  out=$(jq -n --rawfile s "$src" '{language:"Solidity", sources:{"Emitter.sol":{content:$s}},
        settings:{optimizer:{enabled:true, runs:200},
                  outputSelection:{"*":{"*":["abi","evm.bytecode.object"]}}}}' |
        "$M2C_ROOT/bin/solc" --standard-json) || return 1
  if jq -e '.errors // [] | map(select(.severity == "error")) | length > 0' <<<"$out" >/dev/null; then
    jq -r '.errors[].formattedMessage' <<<"$out" >&2; return 1
  fi
  EMITTER_BIN=0x$(jq -r '.contracts["Emitter.sol"].Emitter.evm.bytecode.object' <<<"$out")
  EMITTER_ABI_JSON=$(jq -c '.contracts["Emitter.sol"].Emitter.abi' <<<"$out")
  export EMITTER_BIN EMITTER_ABI_JSON
}

_rpc() { curl -s -H 'content-type: application/json' --data-binary @- "$ETH_RPC_URL"; }

emitter_deploy() {
  local tx
  tx=$(jq -nc --arg from "$ANVIL_ADDR0" --arg data "$EMITTER_BIN" \
    '{jsonrpc:"2.0",id:1,method:"eth_sendTransaction",params:[{from:$from,data:$data,gas:"0x500000"}]}' |
    _rpc | jq -r .result)
  EMITTER=$(jq -nc --arg h "$tx" '{jsonrpc:"2.0",id:1,method:"eth_getTransactionReceipt",params:[$h]}' |
    _rpc | jq -r .result.contractAddress)
  [ -n "$EMITTER" ] && [ "$EMITTER" != null ] || { echo "emitter deploy failed" >&2; return 1; }
  export EMITTER
}

# emitter_emit CALLS PER_CALL [SEED0]: seeds continue from EMITTER_SEED so values differ.
emitter_emit() {
  local calls=$1 per=$2 i batch sel seed data nonce
  sel=$("$M2C_ROOT/bin/cast" sig 'emitMany(uint256,uint256)')
  nonce=$(jq -nc --arg a "$ANVIL_ADDR0" '{jsonrpc:"2.0",id:1,method:"eth_getTransactionCount",params:[$a,"pending"]}' |
    _rpc | jq -r .result)
  nonce=$((nonce))
  EMITTER_SEED=${EMITTER_SEED:-1}
  batch=$(for ((i = 0; i < calls; i++)); do
    seed=$((EMITTER_SEED + i * per))
    printf '%s%064x%064x\n' "$sel" "$per" "$seed"
  done | jq -R -s -c --arg from "$ANVIL_ADDR0" --arg to "$EMITTER" --argjson n0 "$nonce" \
      --arg gas "$(printf '0x%x' $((per * 3000 + 100000)))" '
      split("\n") | map(select(length > 0)) | to_entries |
      map({jsonrpc:"2.0", id:.key, method:"eth_sendTransaction",
           params:[{from:$from, to:$to, data:.value, gas:$gas,
                    nonce:("0x" + ((.key + $n0) | tostring | tonumber | . as $x |
                      [recurse(if . >= 16 then ./16|floor else empty end)] | map(. % 16) |
                      reverse | map("0123456789abcdef"[.:.+1]) | join("")))}]})')
  local res
  res=$(_rpc <<<"$batch")
  if ! jq -e 'map(select(.error)) | length == 0' <<<"$res" >/dev/null; then
    echo "emitter_emit failed: $(head -c 300 <<<"$res")" >&2; return 1
  fi
  # anvil may leave some in its pool: mine until it is empty
  for ((i = 0; i < 200; i++)); do
    [ "$(jq -nc '{jsonrpc:"2.0",id:1,method:"txpool_status",params:[]}' | _rpc | jq -r .result.pending)" = 0x0 ] && break
    jq -nc '{jsonrpc:"2.0",id:1,method:"evm_mine",params:[]}' | _rpc >/dev/null
  done
  # the pool can be empty before the last block is the head: wait for the last receipt, so a
  # block number read after this call covers every event emitted
  local last
  last=$(jq -r 'max_by(.id) | .result' <<<"$res")
  for ((i = 0; i < 100; i++)); do
    [ "$(jq -nc --arg h "$last" '{jsonrpc:"2.0",id:1,method:"eth_getTransactionReceipt",params:[$h]}' |
      _rpc | jq -r '.result != null')" = true ] && break
    sleep 0.05
  done
  EMITTER_SEED=$((EMITTER_SEED + calls * per))
  export EMITTER_SEED
}
