#!/usr/bin/env bash
# Fee bumping on anvil with automine off: the node's fulfilment is kept out of blocks by a
# base fee set above anything it can pay (anvil_setNextBlockBaseFeePerGas, doubled for each
# mined block, so even a freshly bumped transaction cannot get in). The node must replace
# it at the same nonce with both fees raised by at least the 10% nodes require, stop at
# --fee-cap-gwei (the last bump lands exactly on the cap; the next is refused and the
# transaction re-sent as it is), and once the base fee drops, the capped replacement is
# mined and every request is fulfilled exactly once.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-node-replace.XXXXXX)
trap node_cleanup EXIT
mine_at() { rpc anvil_setNextBlockBaseFeePerGas "$1" && rpc evm_mine; } # BASE_FEE_WEI
db() { python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])" "$WORK/node.db" "$1" 2>/dev/null; }
GWEI=1000000000
CAP_GWEI=200

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
rpc evm_setAutomine false
N0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$ANVIL_ADDR0")
"$CAST" send --async --rpc-url "$ETH_RPC_URL" --private-key "$USER_KEY" --nonce "$N0" --gas-limit 3000000 \
  "$LOAD" 'many(address,uint256,uint256,uint256,uint32)' "$COLL" "$MODEL_ID" 3 7 100000 >/dev/null
mine_at "$GWEI"
check_eq "three requests on chain" 3 "$(requested_count)"

node_start --confirmations 0 --replace-blocks 2 --fee-cap-gwei "$CAP_GWEI" --poll-ms 200
has_tx() { [ "$(db "SELECT count(*) FROM txs WHERE nonce = 1")" = 1 ]; }
check_until 20 "the node signs a fulfilment at nonce 1" has_tx

# Stall: every block's base fee is twice the last, starting above the first transaction's
# max fee. A replacement priced from block k's fee history (about 1.75 x its base fee plus
# the tip) is still below block k+1's base fee, so nothing the node signs can be mined.
base=$((8 * GWEI))
capped=
sees() { [ "$(db "SELECT max(block) FROM cursor")" -ge "$1" ]; } # BLOCK: the node has scanned it
for _ in $(seq 1 16); do
  mine_at "$base"
  base=$((base * 2))
  b=$("$CAST" block-number --rpc-url "$ETH_RPC_URL")
  wait_until 20 "the node to see block $b" sees "$b" || break
  # A fixed wait on purpose: the node replaces a transaction no sooner than 1 s after it last
  # broadcast it, so blocks that came faster would skip replacements.
  sleep 1.2
  if grep -q "fees at the cap; re-sending as is" "$WORK/node.log"; then capped=1; break; fi
done
check_eq "the cap stops the bumping (logged)" 1 "$capped"
check_eq "nothing fulfilled while stalled" 0 "$(fulfilled_count)"

# Every transaction the node signed for nonce 1, oldest first: max fee, priority fee, hash.
python3 - "$WORK/node.db" >"$WORK/txs" <<'PY'
import sqlite3, sys
for mf, pf, h in sqlite3.connect(sys.argv[1]).execute(
        "SELECT max_fee, prio_fee, hash FROM txs WHERE nonce = 1 ORDER BY sent_time, rowid"):
    print(int.from_bytes(mf, "big"), int.from_bytes(pf, "big"), "0x" + h.hex())
PY
NTX=$(wc -l <"$WORK/txs")
check_eq "replaced at least twice at the same nonce" yes "$([ "$NTX" -ge 3 ] && echo yes)"
check_eq "no other nonce used" 0 "$(db "SELECT count(*) FROM txs WHERE nonce <> 1")"
bad=$(awk -v cap=$((CAP_GWEI * GWEI)) 'NR > 1 && (($1 * 10 < pm * 11) || ($2 * 10 < pp * 11)) { print "tx " NR ": fees " $1 "/" $2 " after " pm "/" pp }
  $1 > cap || $2 > cap { print "tx " NR ": over the cap" } { pm = $1; pp = $2 }' "$WORK/txs")
check_eq "each replacement raises both fees by >= 10%, none over the cap" "" "$bad"
check_eq "the last replacement pays exactly the cap" "$((CAP_GWEI * GWEI))" "$(tail -1 "$WORK/txs" | awk '{print $1}')"
check_eq "an earlier replacement was below the cap (a plain bump)" yes \
  "$(awk -v cap=$((CAP_GWEI * GWEI)) 'NR > 1 && $1 < cap { f = 1 } END { print f ? "yes" : "no" }' "$WORK/txs")"
check_ok "replacements logged" grep -q "nonce 1: replaced with" "$WORK/node.log"

# The base fee drops: the capped replacement is mined; every request fulfilled once.
# anvil refused the capped replacement while the base fee was above its max fee; once the
# base fee drops the node sends it again, and the next block takes it.
mine_at "$GWEI"
check_until 20 "the node re-sends the capped replacement" tx_known "$(tail -1 "$WORK/txs" | awk '{print $3}')"
mine_at "$GWEI"
check_until 20 "every request fulfilled once the base fee drops" all_fulfilled
confirmed() { [ "$(db "SELECT count(*) FROM requests WHERE state = 3")" = 3 ]; }
check_until 10 "the store has the three confirmed" confirmed
node_stop
FUL=$(logs_json "$T_FULFILLED")
check_eq "Fulfilled events (exactly once)" 3 "$(jq 'length' <<<"$FUL")"
check_eq "distinct fulfilled ids" 3 "$(jq '[.[].topics[1]] | unique | length' <<<"$FUL")"
check_eq "no FulfilmentSkipped" 0 "$(logs_json "$T_SKIPPED" | jq 'length')"
check_eq "operator nonce: registerModel + one fulfilment" 2 "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$OP_ADDR")"
# Receipts of every signed version (eth_getTransactionReceipt: null when not mined).
mined=
while read -r _ _ h; do
  st=$(curl -s -X POST -H 'content-type: application/json' "$ETH_RPC_URL" --data \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getTransactionReceipt\",\"params\":[\"$h\"]}" | jq -r '.result.status // empty')
  [ -n "$st" ] && mined="$mined $h:$st"
done <"$WORK/txs"
check_eq "only the capped replacement was mined, successfully" " $(tail -1 "$WORK/txs" | awk '{print $3}'):0x1" "$mined"
check_done
