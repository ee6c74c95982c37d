#!/usr/bin/env bash
# `ml2chain watch` replaces a challenge that is not mined. A lying node answers one request;
# then anvil's automine is turned off and each mined block's base fee is set above anything
# the watcher can pay (anvil_setNextBlockBaseFeePerGas, doubled for each block), so its
# challenge cannot get in. After --replace-blocks blocks the watcher must re-sign it at the
# same nonce with both fees raised by at least the 10% nodes require (recorded before it is
# sent), stop at --fee-cap-gwei (the last replacement pays exactly the cap; then the challenge
# is re-sent as it is), and once the base fee drops the replacement is mined: the lie is
# challenged exactly once, the watcher used one nonce, and its store settles the challenge.
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
check_ok "one request" requests "$MODEL_ID" 1 5

# --- a lie is fulfilled; then blocks are only mined by hand
node_start --confirmations 0 --test-lie-rate 1
one_f() { [ "$(fulfilled_count)" -ge 1 ]; }
check_until 30 "lying node fulfils it" one_f
node_stop
rpc evm_setAutomine false
N_W0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
watch_start --confirmations 0 --replace-blocks 2 --fee-cap-gwei "$CAP_GWEI"
sent() { [ "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 0')" = 1 ] && tx_known "$(watch_db 'SELECT hex(tx_hash) FROM wchallenges WHERE state = 0' | tr A-F a-f | sed 's/^/0x/')"; }
check_until 30 "watcher records and sends its challenge" sent

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
NTX=$(wc -l <"$WORK/txs")
check_eq "replaced at least twice" yes "$([ "$NTX" -ge 3 ] && echo yes)"
check_eq "every replacement at the first one's nonce" 1 "$(cut -f1 "$WORK/txs" | sort -u | wc -l)"
check_eq "recorded hashes are the hashes of the recorded bytes" "" "$(awk -F'\t' '$4 != $5' "$WORK/txs")"
bad=$(awk -F'\t' -v cap=$((CAP_GWEI * GWEI)) 'NR > 1 && (($2 * 10 < pm * 11) || ($3 * 10 < pp * 11)) { print "tx " NR ": fees " $2 "/" $3 " after " pm "/" pp }
  $2 > cap || $3 > cap { print "tx " NR ": over the cap" } { pm = $2; pp = $3 }' "$WORK/txs")
check_eq "each replacement raises both fees by >= 10%, none over the cap" "" "$bad"
check_eq "the last replacement pays exactly the cap" "$((CAP_GWEI * GWEI))" "$(tail -1 "$WORK/txs" | cut -f2)"
check_eq "one open challenge, the others replaced" "1 $((NTX - 1))" \
  "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 0') $(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 4')"
check_ok "replacements logged" grep -q "not mined for .* blocks; replaced with" "$WORK/watch.log"

# --- the base fee drops and blocks are mined again: the capped replacement (which anvil
# refused while the base fee was above it) is re-sent, mined, and settles the challenge
mine_at "$GWEI"
rpc evm_setAutomine true
one_c() { [ "$(challenged_count)" -ge 1 ]; }
check_until 20 "the lie is challenged once the base fee drops" one_c
settled() { [ "$(watch_db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenged'")" = 1 ]; }
check_until 20 "the watcher settles it" settled
watch_stop
check_eq "challenged exactly once" 1 "$(challenged_count)"
check_eq "the watcher used one nonce" $((N_W0 + 1)) "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
MINED=$("$CAST" receipt --rpc-url "$ETH_RPC_URL" "$(logs_json "$T_CHALLENGED" | jq -r '.[0].transactionHash')" --json |
  jq -r '.transactionHash')
check_eq "the mined one is the last replacement" "$(tail -1 "$WORK/txs" | cut -f4)" "$MINED"
check_eq "store: the challenge mined" 1 "$(watch_db 'SELECT count(*) FROM wchallenges WHERE state = 1')"
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_done
