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
WORK=$(mktemp -d -t m2c-watch-replace.XXXXXX)
W_KEY=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a # anvil account 2
W_ADDR=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
GWEI=1000000000
CAP_GWEI=200
WATCH_PID=
watch_stop() {
  if [ -n "$WATCH_PID" ]; then kill -TERM "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; WATCH_PID=; fi
  return 0
}
cleanup() {
  node_kill9
  if [ -n "$WATCH_PID" ]; then kill -9 "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; fi
  anvil_stop
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
rpc() { "$CAST" rpc --rpc-url "$ETH_RPC_URL" "$@" >/dev/null; }
mine_at() { rpc anvil_setNextBlockBaseFeePerGas "$1" && rpc evm_mine; } # BASE_FEE_WEI
db() { sqlite3 "$WORK/watch.db" "$1" 2>/dev/null; }

anvil_start || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
T_CHALLENGED=$("$M2C" sig-event 'Challenged(uint256,address,address,uint256,uint256,bytes32,bool)')
challenged_count() { logs_json "$T_CHALLENGED" | jq 'length'; }
echo "{\"chainId\":31337,\"coordinator\":\"$COORD\",\"deployBlock\":0}" >"$WORK/deployment.json"
BOND=1000000000000000000
check_ok "model bonded" send_tx "$OP_KEY" "$COORD" 'setVerification(uint256,uint64,uint128)' "$MODEL_ID" 3600 "$BOND"
check_ok "bond posted" send_tx "$OP_KEY" "$COORD" 'postBond(uint256)' "$MODEL_ID" --value "$BOND"
SEL=$("$M2C" sig 'rawFulfillInference(uint256,bytes,uint32)')
check_ok "one request" send_tx "$USER_KEY" "$LOAD" 'raw(address,uint256,bytes,address,bytes4)' "$COORD" \
  "$MODEL_ID" "$("$CAST" abi-encode 'f(int256[])' '[520000000000000000,-700000000000000000]')" "$COLL" "$SEL"

# --- a lie is fulfilled; then blocks are only mined by hand
node_start --confirmations 0 --test-lie-rate 1
one_f() { [ "$(fulfilled_count)" -ge 1 ]; }
check_ok "lying node fulfils it" wait_for 30 one_f
node_stop
rpc evm_setAutomine false
N_W0=$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")
"$M2C" watch --deployment "$WORK/deployment.json" --models "$MODELS" --private-key "$W_KEY" \
  --rpc-url "$ETH_RPC_URL" --state "$WORK/watch.db" --confirmations 0 --poll-ms 200 \
  --replace-blocks 2 --fee-cap-gwei "$CAP_GWEI" >>"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
sent() { [ "$(db 'SELECT count(*) FROM wchallenges WHERE state = 0')" = 1 ]; }
check_ok "watcher records and sends its challenge" wait_for 30 sent

# --- stall: each block's base fee is twice the last, starting above the challenge's max fee.
# A replacement priced from block k's fee history (about 1.75 x its base fee plus the tip) is
# still below block k+1's base fee, so nothing the watcher signs can be mined.
base=$((8 * GWEI))
capped=
for _ in $(seq 1 24); do
  mine_at "$base"
  base=$((base * 2))
  at_cap() { grep -q "fees are at the cap; re-sending as is" "$WORK/watch.log"; }
  if wait_for 2 at_cap; then capped=1; break; fi
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
  "$(db 'SELECT count(*) FROM wchallenges WHERE state = 0') $(db 'SELECT count(*) FROM wchallenges WHERE state = 4')"
check_ok "replacements logged" grep -q "not mined for .* blocks; replaced with" "$WORK/watch.log"

# --- the base fee drops and blocks are mined again: the capped replacement (which anvil
# refused while the base fee was above it) is re-sent, mined, and settles the challenge
mine_at "$GWEI"
rpc evm_setAutomine true
one_c() { [ "$(challenged_count)" -ge 1 ]; }
check_ok "the lie is challenged once the base fee drops" wait_for 20 one_c
settled() { [ "$(db "SELECT count(*) FROM wfulfilments WHERE verdict = 'challenged'")" = 1 ]; }
check_ok "the watcher settles it" wait_for 20 settled
watch_stop
check_eq "challenged exactly once" 1 "$(challenged_count)"
check_eq "the watcher used one nonce" $((N_W0 + 1)) "$("$CAST" nonce --rpc-url "$ETH_RPC_URL" "$W_ADDR")"
MINED=$("$CAST" receipt --rpc-url "$ETH_RPC_URL" "$(logs_json "$T_CHALLENGED" | jq -r '.[0].transactionHash')" --json |
  jq -r '.transactionHash')
check_eq "the mined one is the last replacement" "$(tail -1 "$WORK/txs" | cut -f4)" "$MINED"
check_eq "store: the challenge mined" 1 "$(db 'SELECT count(*) FROM wchallenges WHERE state = 1')"
BOND_NOW=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'bondOf(uint256)(uint256,uint64,bool)' "$MODEL_ID")
check_eq "bond slashed" 0 "$(head -1 <<<"$BOND_NOW" | awk '{print $1}')"
check_done
