#!/usr/bin/env bash
# test_rpc_anvil.sh: the JSON-RPC client and the chain subcommands against a real anvil,
# cross-checked with cast: chain id, block number, blocks, balances, receipts, raw rpc, and
# one-line errors for an unreachable URL and a server that is not an Ethereum node.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
M=build/ml2chain
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
check_eq "receipt logs" "0" "$($M receipt "$tx" -f logs)"

check_eq "rpc eth_chainId" "$($CAST rpc eth_chainId)" "$($M rpc eth_chainId)"
check_eq "rpc with params" "$($CAST rpc eth_getBalance "$ANVIL_ADDR1" latest)" \
  "$($M rpc eth_getBalance "$ANVIL_ADDR1" latest)"
check_eq "rpc --raw" "$($CAST rpc eth_getBlockByNumber '["0x1", false]' --raw | jq -r .hash)" \
  "$($M rpc --raw eth_getBlockByNumber '["0x1", false]' | jq -r .hash)"
check_eq "ETH_RPC_URL is honoured" "4242" "$(ETH_RPC_URL=$ETH_RPC_URL $M chain-id)"
check_eq "--rpc-url wins over ETH_RPC_URL" "4242" "$(ETH_RPC_URL=http://127.0.0.1:1 $M chain-id --rpc-url "$ETH_RPC_URL")"

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
port=
for _ in $(seq 1 100); do
  port=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$webroot.log" | head -1)
  [ -n "$port" ] && break; sleep 0.05
done
check_one_line_error "html server" "http 501 \(text/html" $M chain-id --rpc-url "http://127.0.0.1:$port/"
rm -rf "$webroot" "$webroot.log"

check_done
