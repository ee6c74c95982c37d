#!/usr/bin/env bash
# demo.sh (`make demo`): ml2chain end to end on a local chain, in numbered steps
# (docs/demo.md): anvil; deploy; a token economy of bots and ordinary users; extract its
# Transfer logs; per-address features in SQL; train a bot classifier; register it; start the
# operator node; ask for predictions through the OutputCollector and through RiskGate, which
# lets only addresses the model scores as human act. Every process it starts is stopped at
# the end; any failing step stops the demo with a non-zero exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
M2C=$ROOT/build/ml2chain
BOTS=${DEMO_BOTS:-120}
USERS=${DEMO_USERS:-120}
ROUNDS=${DEMO_ROUNDS:-30}
SEED=${DEMO_SEED:-42}
WORK=$(mktemp -d -t m2c-demo.XXXXXX)
NODE_PID=
source tests/lib/anvil.sh
cleanup() {
  local rc=$?
  if [ -n "$NODE_PID" ]; then kill -TERM "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null || true; fi
  anvil_stop
  if [ $rc -ne 0 ]; then
    echo "demo FAILED (exit $rc); logs kept in $WORK" >&2
  elif [ -z "${DEMO_KEEP:-}" ]; then
    rm -rf "$WORK"
  else
    echo "kept $WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

STEP=0
T0=$(date +%s)
step() { STEP=$((STEP + 1)); printf '\n[%d] %s  (+%ds)\n' "$STEP" "$*" "$(($(date +%s) - T0))"; }
say() { printf '    %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

step "build: the C binary and the contracts"
[ -x "$M2C" ] || die "build/ml2chain missing (make all)"
[ -x bin/anvil ] || die "bin/anvil missing (scripts/bootstrap.sh)"
scripts/forge.sh build >"$WORK/forge.log" 2>&1 || { cat "$WORK/forge.log" >&2; die "forge build failed"; }
say "ok: $("$M2C" --help | grep -c '^  ') commands; contracts in contracts/out"

step "a local chain (anvil)"
anvil_start --config-out "$WORK/accounts.json" --gas-limit 60000000 || die "anvil did not start"
key() { jq -r ".private_keys[$1]" "$WORK/accounts.json"; }
addr() { jq -r ".available_accounts[$1]" "$WORK/accounts.json"; }
DEPLOYER_KEY=$(key 0)
OP_KEY=$(key 1)
say "rpc $ETH_RPC_URL; deployer $(addr 0), operator $(addr 1)"

step "deploy Coordinator, OutputCollector, RiskGate (ml2chain deploy)"
DEP=$WORK/deployment.json
"$M2C" deploy --private-key "$DEPLOYER_KEY" --out "$DEP" --risk-model 1 --risk-threshold 0.5 | sed 's/^/    /'
COORD=$(jq -r .coordinator "$DEP")
COLL=$(jq -r .contracts.OutputCollector "$DEP")
GATE=$(jq -r .contracts.RiskGate "$DEP")

step "on-chain activity: $BOTS bots and $USERS users trading an ERC-20 for $ROUNDS rounds"
send() { "$M2C" send --private-key "$DEPLOYER_KEY" "$@" >"$WORK/send.out" || { cat "$WORK/send.out" >&2; die "send $*"; }; }
send --create "$(jq -r .bytecode.object contracts/out/ActivitySim.sol/ActivitySim.json)"
SIM=$(awk '/^contractAddress/{print $2}' "$WORK/send.out")
TOKEN=$(bin/cast call "$SIM" 'token()(address)')
send "$SIM" 'setup(uint256,uint256,uint256)' "$BOTS" "$USERS" "$SEED"
FIRST=$(awk '/^blockNumber/{print $2}' "$WORK/send.out")
for r in $(seq 0 $((ROUNDS - 1))); do
  send "$SIM" 'round(uint256)' "$r" --gas-limit 55000000
done
LAST=$(awk '/^blockNumber/{print $2}' "$WORK/send.out")
say "token $TOKEN (DEMO), simulator $SIM, blocks $FIRST..$LAST"

step "extract the Transfer and Member logs into SQLite (ml2chain extract)"
DB=$WORK/chain.sqlite
"$M2C" extract logs --quiet --address "$TOKEN" --address "$SIM" --from-block "$FIRST" --to-block "$LAST" \
  --event 'Transfer(address indexed from, address indexed to, uint256 value)' \
  --event 'Member(address indexed account, bool bot)' --decimals 18 --out "$DB" >/dev/null
say "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM Transfer') Transfer rows, $(sqlite3 "$DB" 'SELECT COUNT(*) FROM Member') Member rows (ground truth: bot or not)"

step "per-address features with SQL"
sqlite3 "$DB" <<'SQL'
DROP TABLE IF EXISTS features;
CREATE TABLE features AS
WITH t AS (SELECT "from" AS a, "to" AS b, value_f AS v, block_number AS blk FROM Transfer
           WHERE "from" <> '0x0000000000000000000000000000000000000000'),
act AS (SELECT DISTINCT a, blk FROM t),
gaps AS (SELECT a, blk - LAG(blk) OVER (PARTITION BY a ORDER BY blk) AS g FROM act),
gs AS (SELECT a, AVG(g) AS gm, AVG(g * g) - AVG(g) * AVG(g) AS gv FROM gaps
       WHERE g IS NOT NULL GROUP BY a),
s AS (SELECT a, COUNT(*) AS n, COUNT(DISTINCT blk) AS rounds, AVG(v) AS m,
             AVG(v * v) - AVG(v) * AVG(v) AS var, COUNT(DISTINCT b) AS peers FROM t GROUP BY a)
SELECT s.a AS address,
       CAST(s.rounds AS REAL) AS active_rounds,         -- how often it acts
       CAST(s.n AS REAL) / s.rounds AS per_round,       -- transfers each time
       s.m AS mean_amount,                              -- tokens
       s.var / (s.m * s.m) AS amount_cv2,               -- spread of amounts (CV^2)
       CAST(s.peers AS REAL) / s.n AS new_peer_ratio,   -- distinct recipients per transfer
       COALESCE(gs.gm, 99.0) AS mean_gap,               -- blocks between activity
       COALESCE(gs.gv / (gs.gm * gs.gm), 0.0) AS gap_cv2, -- irregularity of the gaps
       m.bot AS bot,
       ROW_NUMBER() OVER (ORDER BY s.a) AS addr_rank    -- for the held-out split only
FROM s JOIN Member m ON m.account = s.a LEFT JOIN gs ON gs.a = s.a;
SQL
FEATURES=active_rounds,per_round,mean_amount,amount_cv2,new_peer_ratio,mean_gap,gap_cv2
say "$(sqlite3 "$DB" 'SELECT COUNT(*) FROM features') addresses x 7 features:"
sqlite3 -header -column "$DB" "SELECT bot, ROUND(AVG(active_rounds),1) AS active_rounds, ROUND(AVG(per_round),2) AS per_round,
  ROUND(AVG(mean_amount),1) AS mean_amount, ROUND(AVG(amount_cv2),3) AS amount_cv2, ROUND(AVG(new_peer_ratio),2) AS new_peer_ratio,
  ROUND(AVG(mean_gap),2) AS mean_gap, ROUND(AVG(gap_cv2),3) AS gap_cv2 FROM features GROUP BY bot" | sed 's/^/      /'

step "train a bot-vs-user classifier (ml2chain train, logistic; the last 25% of addresses held out)"
mkdir -p "$WORK/models"
MODEL=$WORK/models/botscore.qm
"$M2C" train --data "$DB" --table features --target bot --features "$FEATURES" --model logistic \
  --split 0.25 --split-by addr_rank --out "$MODEL" --quiet | sed 's/^/    /'
"$M2C" model inspect "$MODEL" | grep -E '^(kind|inputs|outputs|hash)' | sed 's/^/    /'

step "register the model on the Coordinator (ml2chain model register)"
"$M2C" model register "$MODEL" --uri "file://models/botscore.qm" --fee 0.0001ether \
  --deployment "$DEP" --private-key "$OP_KEY" | sed 's/^/    /'

step "start the operator node (ml2chain node)"
ETH_PRIVATE_KEY=$OP_KEY "$M2C" node --rpc-url "$ETH_RPC_URL" --deployment "$DEP" --models "$WORK/models" \
  --state "$WORK/node.db" --poll-ms 200 --confirmations 0 >"$WORK/node.log" 2>&1 &
NODE_PID=$!
# up once it says it serves the model (it checks the file's hash against the registration)
for _ in $(seq 1 100); do
  grep -q "model 1: served" "$WORK/node.log" 2>/dev/null && break
  kill -0 "$NODE_PID" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.log" >&2; die "the node exited"; }
grep -q "model 1: served" "$WORK/node.log" || { cat "$WORK/node.log" >&2; die "the node does not serve model 1"; }
say "node pid $NODE_PID, log $WORK/node.log"

# feature vector of an address, in training order, as decimal text
fvec() {
  sqlite3 "$DB" "SELECT printf('%.9f,%.9f,%.9f,%.9f,%.9f,%.9f,%.9f', active_rounds, per_round, mean_amount,
    amount_cv2, new_peer_ratio, mean_gap, gap_cv2) FROM features WHERE address = '$1'"
}
pick() { # pick KIND(0|1) N: held-out addresses (the training never saw them)
  sqlite3 "$DB" "SELECT address FROM features WHERE bot = $1 ORDER BY addr_rank DESC LIMIT $2"
}

step "predictions through the OutputCollector (ml2chain request --wait)"
for a in $(pick 1 1) $(pick 0 1); do
  kind=$(sqlite3 "$DB" "SELECT CASE bot WHEN 1 THEN 'bot' ELSE 'user' END FROM features WHERE address='$a'")
  out=$("$M2C" request --model 1 --input "$(fvec "$a")" --deployment "$DEP" --private-key "$DEPLOYER_KEY" --wait --timeout 60)
  say "$a ($kind): P(bot) = $(awk '/^output /{print $2}' <<<"$out")  (request $(awk '/^request id/{print substr($3,1,12)}' <<<"$out")..., error code $(awk '/^error /{print $2}' <<<"$out"))"
done

step "RiskGate: six accounts ask to act; the model scores the address each presents"
QUOTE=$(bin/cast call "$COORD" 'quote(uint256,uint32)(uint256)' 1 60000 | awk '{print $1}')
i=2
declare -a WHO KIND
for a in $(pick 1 3) $(pick 0 3); do
  WHO[$i]=$a
  KIND[$i]=$(sqlite3 "$DB" "SELECT CASE bot WHEN 1 THEN 'bot' ELSE 'user' END FROM features WHERE address='$a'")
  ints=$(fvec "$a" | tr ',' '\n' | while read -r x; do bin/cast to-wei "$x"; done | paste -sd, -)
  "$M2C" send --private-key "$(key $i)" "$GATE" 'requestAssessment(int256[])' "[$ints]" --value "$QUOTE" >/dev/null \
    || die "requestAssessment from account $i"
  i=$((i + 1))
done
say "6 assessments requested (quote $QUOTE wei each); waiting for the node"
for _ in $(seq 1 300); do
  pending=0
  for i in 2 3 4 5 6 7; do
    [ "$(bin/cast call "$GATE" 'decisionOf(address)(uint8)' "$(addr $i)")" = 1 ] && pending=$((pending + 1))
  done
  [ $pending -eq 0 ] && break
  sleep 0.2
done
[ $pending -eq 0 ] || die "$pending assessments still pending after 60 s"
topic=$(bin/cast sig-event 'Assessed(address,uint256,int256,bool,uint32)')
correct=0
for i in 2 3 4 5 6 7; do
  d=$(bin/cast call "$GATE" 'decisionOf(address)(uint8)' "$(addr $i)")
  user_topic=0x000000000000000000000000$(addr $i | cut -c3- | tr 'A-F' 'a-f')
  score=$(bin/cast logs --from-block 0 --address "$GATE" "$topic" "$user_topic" --json | jq -r '.[-1].data' | cut -c3-66)
  score=$(bin/cast to-dec "0x$score")
  p=$(awk -v s="$score" 'BEGIN{printf "%.4f", s/1e18}')
  if [ "$d" = 2 ]; then
    "$M2C" send --private-key "$(key $i)" "$GATE" 'act()' >/dev/null || die "act() from an approved account"
    verdict="approved -> act() done"
    [ "${KIND[$i]}" = user ] && correct=$((correct + 1))
  else
    verdict="denied"
    [ "${KIND[$i]}" = bot ] && correct=$((correct + 1))
  fi
  say "account $i presents ${WHO[$i]} (${KIND[$i]}): score $p -> $verdict"
done
say "RiskGate actions performed: $(bin/cast call "$GATE" 'actions()(uint256)'); decisions matching the ground truth: $correct/6"
FULFILLED=$(bin/cast logs --from-block 0 --address "$COORD" "$(bin/cast sig-event 'Fulfilled(uint256,uint256,bytes32)')" --json | jq length)
say "the node fulfilled $FULFILLED requests"

step "stop everything"
kill -TERM "$NODE_PID"; wait "$NODE_PID" || die "the node did not stop cleanly"
NODE_PID=
anvil_stop
say "done in $(($(date +%s) - T0)) s"
