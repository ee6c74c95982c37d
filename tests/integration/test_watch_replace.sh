#!/usr/bin/env bash
# `ml2chain watch` replaces challenges that are not mined. A lying node answers two requests;
# then anvil's automine is turned off and each mined block's base fee is set above anything
# the watcher can pay (anvil_setNextBlockBaseFeePerGas, doubled for each block), so its two
# challenges cannot get in. After --replace-blocks blocks the watcher must re-sign each at its
# nonce with both fees raised by at least the 10% nodes require (recorded before it is sent),
# stop at --fee-cap-gwei (the last replacement pays exactly the cap; then a challenge is
# re-sent as it is). Then, with the watcher stopped, one challenge's last replacement and the
# other's first version (a transaction it replaced) are mined: the restarted watcher settles
# both from its records, each lie is challenged exactly once, the watcher used two nonces,
# and the bond is slashed once.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
source tests/lib/watch.sh
WORK=$(mktemp -d -t m2c-watch-replace.XXXXXX)
trap node_cleanup EXIT
GWEI=1000000000
CAP_GWEI=200
mine_at() { rpc anvil_setNextBlockBaseFeePerGas "$1" && rpc evm_mine; } # BASE_FEE_WEI

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
watch_deployment
check_ok "model bonded" bond_model "$MODEL_ID"
check_ok "two requests" requests "$MODEL_ID" 2 5

# --- a lie is fulfilled; then blocks are only mined by hand
lies_fulfilled 2 --confirmations 0
rpc evm_setAutomine false
N_W0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
watch_start --confirmations 0 --replace-blocks 2 --fee-cap-gwei "$CAP_GWEI"
sent() {
  [ "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 0')" = 2 ] || return 1
  local h
  for h in $(watch_db 'SELECT lower(hex(tx_hash)) FROM wchallenges WHERE state = 0'); do tx_known "0x$h" || return 1; done
}
check_until 30 "watcher records and sends its two challenges" sent

# --- stall: each block's base fee is twice the last, starting above the challenge's max fee.
# A replacement priced from block k's fee history (about 1.75 x its base fee plus the tip) is
# still below block k+1's base fee, so nothing the watcher signs can be mined.
base=$((8 * GWEI))
capped=
for _ in $(seq 1 24); do
  mine_at "$base"
  base=$((base * 2))
  at_cap() { grep -q "fees are at the cap; re-sending as is" "$WORK/watch.log"; }
  # the watcher sees the block and, every second block, replaces its challenge
  if wait_until 2 "the fee cap" at_cap 2>/dev/null; then capped=1; break; fi
done
check_eq "the cap stops the replacing (logged)" 1 "$capped"
check_eq "nothing challenged while stalled" 0 "$(challenged_count)"

# Every transaction the watcher signed, oldest first: nonce, max fee, priority fee (decoded
# by cast from the recorded bytes), its hash as recorded and as cast computes it.
sqlite3 "$WORK/watch.db" "SELECT hex(raw), hex(tx_hash) FROM wchallenges ORDER BY rowid" |
  while IFS='|' read -r raw hash; do
    "$CAST" decode-transaction "0x$raw" |
      jq -r --arg h "0x${hash,,}" '(if type == "string" then fromjson else . end) |
        [.nonce, .maxFeePerGas, .maxPriorityFeePerGas, $h, .hash] | @tsv' |
      while IFS=$'\t' read -r n mf pf h1 h2; do printf '%d\t%d\t%d\t%s\t%s\n' "$n" "$mf" "$pf" "$h1" "$h2"; done
  done >"$WORK/txs"
check_eq "two nonces, each replaced at least twice" "2 yes" \
  "$(cut -f1 "$WORK/txs" | sort | uniq -c | awk '{ n++; if ($1 < 3) few = 1 } END { print n, few ? "no" : "yes" }')"
check_eq "recorded hashes are the hashes of the recorded bytes" "" "$(awk -F'\t' '$4 != $5' "$WORK/txs")"
bad=$(awk -F'\t' -v cap=$((CAP_GWEI * GWEI)) '($1 in pm) && (($2 * 10 < pm[$1] * 11) || ($3 * 10 < pp[$1] * 11)) { print "nonce " $1 ": fees " $2 "/" $3 " after " pm[$1] "/" pp[$1] }
  $2 > cap || $3 > cap { print "nonce " $1 ": over the cap" } { pm[$1] = $2; pp[$1] = $3 }' "$WORK/txs")
check_eq "each replacement raises both fees by >= 10%, none over the cap" "" "$bad"
check_eq "each challenge's last replacement pays exactly the cap" "$((CAP_GWEI * GWEI)) $((CAP_GWEI * GWEI))" \
  "$(awk -F'\t' '{ last[$1] = $2 } END { for (n in last) print n, last[n] }' "$WORK/txs" | sort -n | awk '{ printf "%s%s", sep, $2; sep = " " }')"
NTX=$(wc -l <"$WORK/txs")
check_eq "two open challenges, the others replaced" "2 $((NTX - 2))" \
  "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 0') $(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 4')"
check_ok "replacements logged" grep -q "not mined for .* blocks; replaced with" "$WORK/watch.log"

# --- the watcher stops; the pool is emptied; one block mines the first challenge's last
# replacement (its open transaction) and the second's first version (one it replaced)
watch_stop
rpc anvil_dropAllTransactions
N0=$(awk -F'\t' 'NR == 1 { print $1 }' "$WORK/txs")
OPEN0=$(awk -F'\t' -v n="$N0" '$1 == n { h = $4 } END { print h }' "$WORK/txs")
FIRST1=$(awk -F'\t' -v n="$N0" '$1 != n { print $4; exit }' "$WORK/txs")
raw_of() { watch_db "SELECT lower(hex(raw)) FROM wchallenges WHERE lower(hex(tx_hash)) = '${1#0x}'"; }
mine_at "$GWEI"
check_ok "the open replacement of nonce $N0 is accepted again" "$CAST" publish --rpc-url "$ETH_RPC_URL" --async "0x$(raw_of "$OPEN0")"
check_ok "the first version of the next nonce is accepted again" "$CAST" publish --rpc-url "$ETH_RPC_URL" --async "0x$(raw_of "$FIRST1")"
rpc evm_mine
check_eq "both lies challenged" 2 "$(challenged_count)"
MINED=$(logs_json "$T_CHALLENGED" | jq -r '.[].transactionHash' | sort | tr '\n' ' ')
check_eq "the mined ones: an open replacement and a replaced first version" "$(printf '%s\n' "$OPEN0" "$FIRST1" | sort | tr '\n' ' ')" "$MINED"
rpc evm_setAutomine true
watch_start --confirmations 0 --replace-blocks 2 --fee-cap-gwei "$CAP_GWEI"
settled() { [ "$(watch_db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenged'")" = 2 ]; }
check_until 20 "the restarted watcher settles both from its records" settled
watch_stop
check_eq "each lie challenged exactly once" 2 "$(logs_json "$T_CHALLENGED" | jq '[.[].topics[1]] | unique | length')"
check_eq "the watcher used two nonces" $((N_W0 + 2)) "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
check_eq "store: both challenges mined" 2 "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 1')"
check_ok "log: confirmed twice" test "$(grep -c 'challenge confirmed' "$WORK/watch.log")" = 2
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_done
