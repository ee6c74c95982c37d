#!/usr/bin/env bash
# test_rpc_anvil.sh: the JSON-RPC client and the chain subcommands against a real anvil,
# cross-checked with cast: chain id, block number, blocks, balances, receipts, raw rpc, and
# one-line errors for an unreachable URL and a server that is not an Ethereum node; call and
# send against a contract compiled at test time (tests/data/rpc/RpcProbe.sol) vs cast.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
M=${M2C_BIN:-build/ml2chain}
CAST=bin/cast
HTML_PID=
cleanup() {
  anvil_stop
  [ -n "$HTML_PID" ] && kill "$HTML_PID" 2>/dev/null && wait "$HTML_PID" 2>/dev/null
  return 0
}
trap cleanup EXIT
anvil_start --chain-id 4242 >/dev/null || exit 1

# check_one_line_error DESC PATTERN CMD...: exit 1, exactly one stderr line matching PATTERN.
check_one_line_error() {
  local d=$1 pat=$2; shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -ne 1 ]; then fail "$d: expected exit 1, got $rc ($err)"; return; fi
  if [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then fail "$d: stderr is not one line: $err"; return; fi
  if grep -qE -- "$pat" <<<"$err"; then pass; else fail "$d: stderr '$err' lacks /$pat/"; fi
}

check_eq "chain-id" "$($CAST chain-id)" "$($M chain-id)"
check_eq "chain-id is the one anvil was given" "4242" "$($M chain-id)"

# Some history: transfers in separate blocks, then a few empty blocks.
for i in 1 2 3; do
  $CAST send --private-key "$ANVIL_KEY0" "$ANVIL_ADDR1" --value "${i}000000000000000" >/dev/null
done
$CAST rpc anvil_mine 4 >/dev/null
check_eq "block-number" "$($CAST block-number)" "$($M block-number)"

for b in 0 1 2 latest; do
  for f in hash parentHash timestamp gasUsed gasLimit baseFeePerGas number; do
    check_eq "block $b $f" "$($CAST block "$b" -f "$f")" "$($M block "$b" -f "$f")"
  done
  check_eq "block $b miner" "$($CAST block "$b" -f miner)" "$($M block "$b" -f miner)"
  check_eq "block $b tx count" "$($CAST block "$b" --json | jq '.transactions | length')" \
    "$($M block "$b" -f transactions)"
done
# Several blocks go out as one JSON-RPC batch.
want=$(for b in 0 1 2 3 4 5 6 7; do $CAST block "$b" -f hash; done)
check_eq "batched block hashes" "$want" "$($M block 0 1 2 3 4 5 6 7 -f hash)"
check_eq "batched block timestamps" "$(for b in 3 1 2; do $CAST block "$b" -f timestamp; done)" \
  "$($M block 3 1 2 -f timestamp)"
check_one_line_error "batched block past the head" "no block 999999" $M block 1 999999 -f hash
check_eq "block --json hash" "$($CAST block 2 -f hash)" "$($M block 2 --json | jq -r .hash)"
check_eq "block --json --full tx from" "$($CAST block 2 --full --json | jq -r '.transactions[0].from')" \
  "$($M block 2 --json --full | jq -r '.transactions[0].from')"

for a in "$ANVIL_ADDR0" "$ANVIL_ADDR1" 0x0000000000000000000000000000000000000001; do
  check_eq "balance $a" "$($CAST balance "$a")" "$($M balance "$a")"
done
check_eq "balance at block 1" "$($CAST balance "$ANVIL_ADDR1" --block 1)" "$($M balance "$ANVIL_ADDR1" --block 1)"

tx=$($CAST send --private-key "$ANVIL_KEY0" "$ANVIL_ADDR1" --value 7 --json | jq -r .transactionHash)
for f in gasUsed blockNumber blockHash transactionHash effectiveGasPrice from to; do
  check_eq "receipt $f" "$($CAST receipt "$tx" "$f")" "$($M receipt "$tx" -f "$f")"
done
check_eq "receipt status" "1" "$($M receipt "$tx" -f status)"
txs=$(for b in 1 2 3; do $CAST block "$b" --json | jq -r '.transactions[0]'; done)
# shellcheck disable=SC2086
check_eq "batched receipts" "$(for t in $txs "$tx"; do $CAST receipt "$t" gasUsed; done)" \
  "$($M receipt $txs "$tx" -f gasUsed)"
check_one_line_error "batched receipts, one unknown" "no receipt" \
  $M receipt "$tx" 0x$(printf '22%.0s' $(seq 32))
check_eq "receipt logs" "0" "$($M receipt "$tx" -f logs)"

check_eq "rpc eth_chainId" "$($CAST rpc eth_chainId)" "$($M rpc eth_chainId)"
check_eq "rpc with params" "$($CAST rpc eth_getBalance "$ANVIL_ADDR1" latest)" \
  "$($M rpc eth_getBalance "$ANVIL_ADDR1" latest)"
check_eq "rpc --raw" "$($CAST rpc eth_getBlockByNumber '["0x1", false]' --raw | jq -r .hash)" \
  "$($M rpc --raw eth_getBlockByNumber '["0x1", false]' | jq -r .hash)"
check_eq "ETH_RPC_URL is honoured" "4242" "$(ETH_RPC_URL=$ETH_RPC_URL $M chain-id)"
check_eq "--rpc-url wins over ETH_RPC_URL" "4242" "$(ETH_RPC_URL=http://127.0.0.1:1 $M chain-id --rpc-url "$ETH_RPC_URL")"

# ---- call / send against a contract compiled now and deployed by ml2chain send --create.
code=$(solc_bytecode tests/data/rpc/RpcProbe.sol RpcProbe) || { fail "solc"; check_done; exit 1; }
out=$($M send --create "$code" "constructor(uint256)" 123456789 --private-key "$ANVIL_KEY0")
check_eq "deploy status" "1 (success)" "$(awk '$1=="status"{print $2" "$3}' <<<"$out")"
probe=$(awk '$1=="contractAddress"{print $2}' <<<"$out")
deploy_tx=$(awk '$1=="transactionHash"{print $2}' <<<"$out")
check_eq "deployed code" "$($CAST code "$probe")" "$($M rpc eth_getCode "$probe" latest | jq -r .)"
check_eq "deploy receipt contractAddress" "$($CAST receipt "$deploy_tx" contractAddress)" "$probe"

for sig in "value()(uint256)" "note()(string)" "both()(uint256,string,address)"; do
  check_eq "call $sig" "$($CAST call "$probe" "$sig")" "$($M call "$probe" "$sig")"
done
check_eq "call with --from" "$($CAST call --from "$ANVIL_ADDR1" "$probe" "both()(uint256,string,address)")" \
  "$($M call --from "$ANVIL_ADDR1" "$probe" "both()(uint256,string,address)")"
for args in "5 7" "-- -5 3" "-- -57896044618658097711785492504343953926634992332820282019728792003956564819968 1"; do
  # shellcheck disable=SC2086
  check_eq "call add $args" "$($CAST call "$probe" "add(int256,int256)(int256)" $args)" \
    "$($M call "$probe" "add(int256,int256)(int256)" $args)"
done
check_eq "call without outputs prints raw data" "$($CAST call "$probe" "value()")" "$($M call "$probe" "value()")"

# An EIP-1559 send, mined, state changed, receipt checked against cast.
nonce0=$($CAST nonce "$ANVIL_ADDR0")
out=$($M send "$probe" "set(uint256,string)" 4242 "from ml2chain" --private-key "$ANVIL_KEY0"); rc=$?
check_eq "send exit" 0 $rc
tx=$(awk '$1=="transactionHash"{print $2}' <<<"$out")
check_eq "send status" "0x1" "$($CAST receipt "$tx" --json | jq -r .status)"
check_eq "send tx type is EIP-1559" "0x2" "$($CAST tx "$tx" --json | jq -r .type)"
check_eq "send from" "$(tr 'A-F' 'a-f' <<<"$ANVIL_ADDR0")" "$($CAST tx "$tx" from | tr 'A-F' 'a-f')"
check_eq "send nonce from the node" "$nonce0" "$($CAST tx "$tx" nonce)"
check_eq "send gasUsed printed" "$($CAST receipt "$tx" gasUsed)" "$(awk '$1=="gasUsed"{print $2}' <<<"$out")"
check_eq "state after send" "4242" "$($M call "$probe" "value()(uint256)")"
deploy_block=$($CAST receipt "$deploy_tx" blockNumber)
check_eq "call at the deploy block" "$($CAST call "$probe" "value()(uint256)" --block "$deploy_block")" \
  "$($M call "$probe" "value()(uint256)" -B "$deploy_block")"
check_eq "call at the deploy block sees the old value" "123456789 [1.234e8]" \
  "$($M call "$probe" "value()(uint256)" -B "$deploy_block")"
check_eq "string after send" '"from ml2chain"' "$($M call "$probe" "note()(string)")"
check_eq "event emitted" "1" "$($M receipt "$tx" -f logs)"
maxfee=$($CAST tx "$tx" --json | jq -r .maxFeePerGas)
basefee=$($CAST block "$($CAST receipt "$tx" blockNumber)" -f baseFeePerGas)
check_eq "max fee covers the base fee" "1" "$(( $(printf '%d' "$maxfee") >= basefee ? 1 : 0 ))"

# The same signed transaction sent twice (as after a lost answer and a retry): the node
# refuses the second ("nonce too low") but it is ours and mined, so send still succeeds.
n=$($CAST nonce "$ANVIL_ADDR1")
fixed=(--nonce "$n" --gas-limit 60000 --gas-price 20gwei --priority-gas-price 1gwei --private-key "$ANVIL_KEY1")
h1=$($M send "$probe" "set(uint256,string)" 9 again "${fixed[@]}" | awk '$1=="transactionHash"{print $2}')
h2=$($M send "$probe" "set(uint256,string)" 9 again "${fixed[@]}" | awk '$1=="transactionHash"{print $2}')
check_eq "first send printed a hash" "1" "$(grep -cE '^0x[0-9a-f]{64}$' <<<"$h1")"
check_eq "resent transaction is recognised" "$h1" "$h2"
check_one_line_error "a different tx with a used nonce is refused" "nonce" \
  $M send "$probe" "set(uint256,string)" 10 again "${fixed[@]}"

# --async prints only the hash; the transaction is mined all the same.
h=$($M send "$probe" "set(uint256,string)" 9 async --async --private-key "$ANVIL_KEY0"); rc=$?
check_eq "async send exit" 0 $rc
check_eq "async send prints one hash" "1" "$(grep -cE '^0x[0-9a-f]{64}$' <<<"$h")"
check_eq "async transaction mined" "0x1" "$($CAST receipt "$h" --json | jq -r .status)"

# A legacy send with a value.
bal0=$($CAST balance "$ANVIL_ADDR1")
out=$($M send "$ANVIL_ADDR1" --value 1gwei --legacy --private-key "$ANVIL_KEY0"); rc=$?
check_eq "legacy send exit" 0 $rc
tx=$(awk '$1=="transactionHash"{print $2}' <<<"$out")
check_eq "legacy tx type" "0x0" "$($CAST tx "$tx" --json | jq -r .type)"
check_eq "legacy value arrived" "$(python3 -c "print($bal0 + 10**9)")" "$($CAST balance "$ANVIL_ADDR1")"

# Reverts: at estimation, and mined (gas limit given) with the reason replayed.
check_one_line_error "revert reason at estimate" "execution reverted: unlucky number" \
  $M send "$probe" "set(uint256,string)" 13 x --private-key "$ANVIL_KEY0"
out=$($M send "$probe" "set(uint256,string)" 13 x --gas-limit 200000 --private-key "$ANVIL_KEY0" 2>/tmp/m2c-send-err.$$); rc=$?
check_eq "mined revert exits 1" 1 $rc
check_eq "mined revert status" "0 (failed)" "$(awk '$1=="status"{print $2" "$3}' <<<"$out")"
check_eq "mined revert reason" "1" "$(grep -c 'reverted: unlucky number' /tmp/m2c-send-err.$$)"
rm -f /tmp/m2c-send-err.$$
check_one_line_error "custom error" "custom error 0xcb362b34" \
  $M send "$probe" "set(uint256,string)" 666 x --private-key "$ANVIL_KEY0"
check_one_line_error "call revert" "execution reverted: unlucky number" $M call "$probe" "set(uint256,string)" 13 x
check_one_line_error "call to empty account" "no contract at" $M call "$ANVIL_ADDR1" "value()(uint256)"
check_one_line_error "wrong arg count" "takes 2 arguments, got 1" $M call "$probe" "add(int256,int256)(int256)" 1
check_one_line_error "send without key" "private-key|keystore" $M send "$probe" "value()"
check_eq "value unchanged by reverts" "9" "$($M call "$probe" "value()(uint256)")"

# Bad input and bad endpoints: one line, exit 1.
check_one_line_error "unknown method" "node error -32601" $M rpc eth_noSuchMethod
check_one_line_error "bad address" "bad address" $M balance 0x1234
check_one_line_error "bad block" "bad block" $M block nonsense
check_one_line_error "unknown receipt" "no receipt" $M receipt 0x$(printf '11%.0s' $(seq 32))
check_one_line_error "unreachable url" "127\.0\.0\.1:1: .*(connect|Connection refused)" \
  $M chain-id --rpc-url http://127.0.0.1:1 --retries 1
check_one_line_error "unreachable url with key in path" "^ml2chain chain-id: .*/\*\*\*" \
  $M chain-id --rpc-url http://127.0.0.1:1/v3/SECRETKEY --retries 0
err=$($M chain-id --rpc-url http://user:pw@127.0.0.1:1/v3/SECRETKEY?k=TOKEN --retries 0 2>&1)
if grep -qE 'SECRETKEY|TOKEN|user:pw' <<<"$err"; then fail "credentials leaked: $err"; else pass; fi
check_one_line_error "not an http url" "expected http:// or https://" $M chain-id --rpc-url ws://127.0.0.1:1

# A web server that answers HTML, not JSON-RPC.
webroot=$(mktemp -d)
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$webroot" >"$webroot.log" 2>&1 &
HTML_PID=$!
check_until 10 "the HTML server prints its port" grep -qE 'port [0-9]+' "$webroot.log"
port=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$webroot.log" | head -1)
check_one_line_error "html server" "http 501 \(text/html" $M chain-id --rpc-url "http://127.0.0.1:$port/"
rm -rf "$webroot" "$webroot.log"

check_done
