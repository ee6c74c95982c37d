#!/usr/bin/env bash
# `ml2chain deploy`, `model register|set-fee|retire` and `request [--wait]` against anvil,
# checked with cast: every deployed address has code, the wiring (constructor arguments) is
# what the deployment file says, the model id comes from ModelRegistered, the Requested
# event carries the request's fields, and --wait prints what `ml2chain predict` computes once
# `ml2chain node` has served the request. Bad input fails with one line and exit 1.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
M2C=${M2C:-$PWD/build/ml2chain}
CAST=$PWD/bin/cast
WORK=$(mktemp -d -t m2c-deploy.XXXXXX)
NODE_PID=
cleanup() {
  [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
  anvil_stop
  rm -rf "$WORK"
}
trap cleanup EXIT

scripts/forge.sh build >/dev/null 2>&1 || { echo "forge build failed" >&2; exit 1; }
anvil_start || exit 1
OP_KEY=$ANVIL_KEY1
OP_ADDR=$ANVIL_ADDR1
DEP=$WORK/deployments/local.json

# --- bad input first: nothing deployed, one line, exit 1.
check_fails "unreachable rpc" "^ml2chain deploy: .*(connect|refused|reach)" \
  "$M2C" deploy --rpc-url http://127.0.0.1:1 --private-key "$ANVIL_KEY0" --out "$WORK/x.json" --retries 0
check_fails "malformed key" "^ml2chain deploy: .*key" \
  "$M2C" deploy --private-key 0x1234 --out "$WORK/x.json"
check_fails "unfunded key" "^ml2chain deploy: deploy Coordinator: .*(fund|balance)" \
  "$M2C" deploy --private-key 0x0000000000000000000000000000000000000000000000000000000000000001 --out "$WORK/x.json"
check_fails "missing artifacts" "^ml2chain deploy: missing artifact $WORK/none/Coordinator.sol/Coordinator.json" \
  "$M2C" deploy --private-key "$ANVIL_KEY0" --artifacts "$WORK/none" --out "$WORK/x.json"
check_fails "bad threshold" "^ml2chain deploy: bad --risk-threshold" \
  "$M2C" deploy --private-key "$ANVIL_KEY0" --risk-threshold 0.5x --out "$WORK/x.json"
check_eq "no deployment file after failures" "no" "$([ -e "$WORK/x.json" ] && echo yes || echo no)"
check_eq "nothing was deployed" "0" "$("$CAST" nonce "$ANVIL_ADDR0")"

# --- deploy everything.
check_fails "template operator without --template" "^ml2chain deploy: --template-operator needs --template" \
  "$M2C" deploy --private-key "$ANVIL_KEY0" --template-operator "$OP_ADDR" --out "$WORK/x.json"
check_ok "deploy" "$M2C" deploy --private-key "$ANVIL_KEY0" --out "$DEP" --template \
  --template-operator "$OP_ADDR" --risk-threshold 0.25 --request-timeout 600
j() { jq -r "$1" "$DEP"; }
check_eq "chainId" "31337" "$(j .chainId)"
check_eq "deployer" "$ANVIL_ADDR0" "$(j .deployer)"
check_eq "deployBlock is the first deployment's block" "1" "$(j .deployBlock)"
COORD=$(j .coordinator)
check_eq "coordinator is contracts.Coordinator" "$COORD" "$(j .contracts.Coordinator)"
for c in Coordinator OutputCollector RiskGate TemplateCoordinator TemplateOutputCollector; do
  a=$(j ".contracts.$c")
  code=$("$CAST" code "$a")
  check_eq "$c has code" "yes" "$([ ${#code} -gt 100 ] && echo yes || echo no)"
  want=$("$CAST" keccak "$(jq -r .bytecode.object "contracts/out/$c.sol/$c.json")")
  check_eq "$c artifact hash" "$want" "$(j ".artifacts.$c")"
done
COLL=$(j .contracts.OutputCollector)
GATE=$(j .contracts.RiskGate)
lc() { tr 'A-F' 'a-f' <<<"$1"; }
check_eq "collector's coordinator" "$(lc "$COORD")" "$(lc "$("$CAST" call "$COLL" 'coordinator()(address)')")"
check_eq "RiskGate's coordinator" "$(lc "$COORD")" "$(lc "$("$CAST" call "$GATE" 'coordinator()(address)')")"
check_eq "RiskGate's model" "1" "$("$CAST" call "$GATE" 'modelId()(uint256)')"
check_eq "RiskGate's threshold (1e18 fixed point)" "250000000000000000 [2.5e17]" "$("$CAST" call "$GATE" 'threshold()(int256)')"
check_eq "request timeout" "600" "$("$CAST" call "$COORD" 'requestTimeout()(uint64)')"
check_eq "template operator allowed" "true" "$("$CAST" call "$(j .contracts.TemplateCoordinator)" 'isOperator(address)(bool)' "$OP_ADDR")"
check_eq "others not allowed" "false" "$("$CAST" call "$(j .contracts.TemplateCoordinator)" 'isOperator(address)(bool)' "$ANVIL_ADDR0")"
check_eq "template collector's coordinator" "$(lc "$(j .contracts.TemplateCoordinator)")" \
  "$(lc "$("$CAST" call "$(j .contracts.TemplateOutputCollector)" 'coordinator()(address)')")"

# --- a model: y = 2a - b + 0.5 (linear), registered by the operator.
python3 - "$WORK/train.csv" <<'PY'
import random, sys
random.seed(11)
with open(sys.argv[1], "w") as f:
    f.write("a,b,y\n")
    for _ in range(200):
        a, b = random.uniform(0, 1), random.uniform(-0.4, 0.5)
        f.write(f"{a:.6f},{b:.6f},{2*a - b + 0.5:.6f}\n")
PY
mkdir -p "$WORK/models"
"$M2C" train --csv "$WORK/train.csv" --target y --model linear --out "$WORK/models/lin.qm" --quiet >/dev/null
rm -f "$WORK/models/lin.qm.json"
HASH=$("$M2C" model hash "$WORK/models/lin.qm")
check_fails "register needs a coordinator" "^ml2chain model: register needs --deployment" \
  "$M2C" model register "$WORK/models/lin.qm" --uri file://lin.qm --private-key "$OP_KEY"
check_fails "register of a non-model" "^ml2chain model: cannot load the model" \
  "$M2C" model register "$WORK/train.csv" --uri x --deployment "$DEP" --private-key "$OP_KEY"
check_fails "register with a fee above the cap reverts with the error's name and value" \
  "^ml2chain model: register: execution reverted: FeeTooHigh\\(1000000000000000000000000000 \\[1e27\\]\\)$" \
  "$M2C" model register "$WORK/models/lin.qm" --uri x --fee 1000000000ether --deployment "$DEP" --private-key "$OP_KEY"
out=$("$M2C" model register "$WORK/models/lin.qm" --uri file://models/lin.qm --fee 0.001ether \
  --deployment "$DEP" --private-key "$OP_KEY")
check_eq "register exit" "0" "$?"
check_eq "model id printed" "1" "$(awk '/^model id/{print $3}' <<<"$out")"
check_eq "hash printed" "$HASH" "$(awk '/^hash/{print $2}' <<<"$out")"
m=$("$CAST" call "$COORD" 'getModel(uint256)((address,uint88,bool,bytes32,uint32,uint32,uint64,uint128,string))' 1)
check_eq "on-chain model" "($OP_ADDR, 1000000000000000 [1e15], true, $HASH, 2, 1, 0, 0, \"file://models/lin.qm\")" "$m"
out=$("$M2C" model register "$WORK/models/lin.qm" --uri file://again --coordinator "$COORD" --private-key "$OP_KEY")
check_eq "second model id" "2" "$(awk '/^model id/{print $3}' <<<"$out")"
check_ok "set-fee" "$M2C" model set-fee 2 7gwei --deployment "$DEP" --private-key "$OP_KEY"
check_eq "fee changed" "7000000000" "$("$CAST" call "$COORD" 'getModel(uint256)((address,uint88,bool,bytes32,uint32,uint32,uint64,uint128,string))' 2 | awk -F', ' '{print $2}' | cut -d' ' -f1)"
check_fails "set-fee by another account" "execution reverted" \
  "$M2C" model set-fee 2 1 --deployment "$DEP" --private-key "$ANVIL_KEY0"
check_ok "retire" "$M2C" model retire 2 --deployment "$DEP" --private-key "$OP_KEY"
check_eq "retired" "false" "$("$CAST" call "$COORD" 'getModel(uint256)((address,uint88,bool,bytes32,uint32,uint32,uint64,uint128,string))' 2 | awk -F', ' '{print $3}')"

# --- a request: the Requested event carries what we asked for.
check_fails "request to a retired model" "^ml2chain request: quote: " \
  "$M2C" request --model 2 --input 1,2 --deployment "$DEP" --private-key "$ANVIL_KEY0"
check_fails "bad input value" '^ml2chain request: bad --input value 2 "1x"' \
  "$M2C" request --model 1 --input 0.5,1x --deployment "$DEP" --private-key "$ANVIL_KEY0"
check_fails "both inputs" "^ml2chain request: give one of --input and --input-abi" \
  "$M2C" request --model 1 --input 1 --input-abi 0x00 --deployment "$DEP" --private-key "$ANVIL_KEY0"
out=$("$M2C" request --model 1 --input 0.52,-0.25 --deployment "$DEP" --private-key "$ANVIL_KEY0")
check_eq "request exit" "0" "$?"
RID=$(awk '/^request id/{print $3}' <<<"$out")
TX=$(awk '/^tx/{print $2}' <<<"$out")
QUOTE=$("$CAST" call "$COORD" 'quote(uint256,uint32)(uint256)' 1 200000 | awk '{print $1}')
check_eq "paid the quote" "$QUOTE" "$(awk '/^paid/{print $2}' <<<"$out")"
check_eq "request is pending" "1" "$("$CAST" call "$COORD" 'requestState(uint256)(uint8)' "$RID")"
topic0=$("$CAST" sig-event 'Requested(uint256,uint256,address,bytes32,uint256,bytes)')
log=$("$CAST" receipt "$TX" --json | jq -c --arg t "$topic0" '.logs[] | select(.topics[0]==$t)')
check_eq "Requested.requestId" "$RID" "$("$CAST" to-dec "$(jq -r '.topics[1]' <<<"$log")")"
check_eq "Requested.modelId" "1" "$("$CAST" to-dec "$(jq -r '.topics[2]' <<<"$log")")"
check_eq "Requested.requester" "$(lc "$ANVIL_ADDR0")" "$(lc "$("$CAST" parse-bytes32-address "$(jq -r '.topics[3]' <<<"$log")")")"
# data = (bytes32 callbackWord, uint256 terms, bytes input): callbackWord = callback(20 bytes)
# selector(4) gasLimit(4) 0(4), terms = deadline(8) payment(24) (docs/coordinator.md)
mapfile -t fields < <("$CAST" abi-decode --input 'f(bytes32,uint256,bytes)' "$(jq -r .data <<<"$log")" | cut -d' ' -f1)
want_in=$("$CAST" abi-encode 'f(int256[])' '[520000000000000000,-250000000000000000]')
cbw=${fields[0]#0x} terms=$("$CAST" to-hex "${fields[1]}" | sed 's/^0x//')
terms=$(printf '%064s' "$terms" | tr ' ' 0)
f_cb=0x${cbw:0:40} f_sel=0x${cbw:40:8} f_gas=$((16#${cbw:48:8})) f_pay=$("$CAST" to-dec "0x${terms:16:48}") f_in=${fields[2]}
check_eq "Requested.callbackWord low bytes are zero" 00000000 "${cbw:56:8}"
check_eq "Requested.callback is the collector" "$(lc "$COLL")" "$(lc "$f_cb")"
check_eq "Requested.selector" "$("$CAST" sig 'rawFulfillInference(uint256,bytes,uint32)')" "$f_sel"
check_eq "Requested.callbackGasLimit" "200000" "$f_gas"
check_eq "Requested.payment" "$QUOTE" "$f_pay"
check_eq "Requested.input is abi.encode(int256[]) in 1e18" "$want_in" "$f_in"

# --- --wait without a node times out with one line.
check_fails "wait times out" "no Fulfilled event for the request within 2 s" \
  "$M2C" request --model 1 --input 0.1,0.2 --deployment "$DEP" --private-key "$ANVIL_KEY0" --wait --timeout 2

# --- with the node serving, --wait prints the model's output.
ETH_PRIVATE_KEY=$OP_KEY "$M2C" node --rpc-url "$ETH_RPC_URL" --deployment "$DEP" \
  --models "$WORK/models" --state "$WORK/node.db" --poll-ms 200 --confirmations 0 >"$WORK/node.log" 2>&1 &
NODE_PID=$!
out=$("$M2C" request --model 1 --input 0.52,-0.25 --deployment "$DEP" --private-key "$ANVIL_KEY0" --wait --timeout 40)
check_eq "request --wait exit" "0" "$?"
want=$("$M2C" predict --model "$WORK/models/lin.qm" --input 0.52,-0.25)
got=$(awk '/^output /{print $2}' <<<"$out")
check_eq "--wait output = ml2chain predict" "$want" "$got"
check_eq "--wait: callback ok" "ok" "$(awk '/^callback/{print $2}' <<<"$out")"
check_eq "--wait: no error code" "0" "$(awk '/^error /{print $2}' <<<"$out")"
check_eq "expected value 2a-b+0.5" "1.79" "$(printf '%.2f' "$got")"
kill "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null; NODE_PID=

# --- the operator takes its pay: the model's earnings collected, the balance withdrawn.
C=$(jq -r .coordinator "$DEP")
earned=$("$CAST" call "$C" 'earnings(uint256)(uint256)' 1 | awk '{print $1}')
opbal=$("$CAST" call "$C" 'balanceOf(address)(uint256)' "$OP_ADDR" | awk '{print $1}')
check_eq "model 1 earned from the served requests" "1" "$((earned > 0))"
SINK=0x000000000000000000000000000000000000bEEF
out=$("$M2C" model withdraw 1 --to "$SINK" --deployment "$DEP" --private-key "$OP_KEY")
check_eq "withdraw exit" "0" "$?"
check_eq "withdraw reports both transactions" "2" "$(grep -cE '^(collected|withdrew) +[0-9]+ wei: transaction 0x[0-9a-f]{64}' <<<"$out")"
check_eq "the destination got earnings + balance" "$((earned + opbal))" "$("$CAST" balance "$SINK")"
check_eq "earnings collected" "0" "$("$CAST" call "$C" 'earnings(uint256)(uint256)' 1)"
check_eq "balance withdrawn" "0" "$("$CAST" call "$C" 'balanceOf(address)(uint256)' "$OP_ADDR")"
check_fails "a second withdraw has nothing to take" "^ml2chain model: withdraw: nothing to withdraw" \
  "$M2C" model withdraw 1 --deployment "$DEP" --private-key "$OP_KEY"
check_fails "--to only with withdraw" "^ml2chain model: --to applies to withdraw only" \
  "$M2C" model retire 1 --to "$SINK" --deployment "$DEP" --private-key "$OP_KEY"

# --- devnet: starts, answers, stops on SIGTERM with exit 0 and takes anvil with it.
"$M2C" devnet --port 0 >"$WORK/devnet.out" 2>&1 &
DV=$!
check_until 20 "devnet prints its RPC URL" grep -q '^export ETH_RPC_URL' "$WORK/devnet.out"
DV_URL=$(sed -n 's/^export ETH_RPC_URL=//p' "$WORK/devnet.out")
DV_ANVIL=$(sed -nE 's/.*\(anvil pid ([0-9]+)\).*/\1/p' "$WORK/devnet.out")
check_eq "devnet chain id" "31337" "$("$CAST" chain-id --rpc-url "$DV_URL")"
check_eq "devnet lists the first account" "1" "$(grep -c "(0) $ANVIL_ADDR0  key $ANVIL_KEY0" "$WORK/devnet.out")"
check_eq "devnet account 0 is funded" "10000000000000000000000" "$("$CAST" balance --rpc-url "$DV_URL" "$(sed -nE 's/^  \(0\) (0x[0-9a-fA-F]{40}).*/\1/p' "$WORK/devnet.out")")"
kill -TERM "$DV"; wait "$DV"
check_eq "devnet exits 0 on SIGTERM" "0" "$?"
check_eq "devnet stopped anvil" "gone" "$(kill -0 "$DV_ANVIL" 2>/dev/null && echo alive || echo gone)"
check_fails "devnet port in use" "^ml2chain devnet: anvil .* exited with status" \
  "$M2C" devnet --port "${ETH_RPC_URL##*:}"
check_fails "devnet without anvil" "^ml2chain devnet: anvil \(/nonexistent/anvil\) exited with status 127" \
  "$M2C" devnet --port 0 --anvil /nonexistent/anvil
check_fails "devnet bad block time" "^ml2chain devnet: bad --block-time" "$M2C" devnet --block-time 0
# Whole-number flags of every command take decimal digits only, within the flag's range; the
# error names the flag, the value and the range, before anything runs.
bad_uint() { # FLAG VALUE RANGE CMD...: CMD FLAG VALUE is refused with "bad FLAG "VALUE": expected RANGE"
  local flag=$1 v=$2 range=$3 vre; shift 3
  vre=$(printf '%s' "$v" | sed 's/[][\.*^$+?(){}|]/\\&/g') # the value, as a regular expression
  check_fails "$1 $flag '$v' refused" "^ml2chain $1: bad $flag \"$vre\": expected $range\$" \
    "$M2C" "$@" "$flag" "$v"
}
bad_uint --timeout 5s '1\.\.2592000 seconds' deploy
bad_uint --timeout +5 '1\.\.2592000 seconds' request
bad_uint --timeout ' 7' '1\.\.2592000 seconds' send
bad_uint --port 65536 '0\.\.65535' devnet
bad_uint --concurrency 4x '1\.\.64' extract logs
bad_uint --timeout 99999999999999999999 '1\.\.3600000 ms' extract logs
bad_uint --decimals '' '0\.\.77' extract logs
bad_uint --epochs 10x '1\.\.1000000' train
bad_uint --seed -1 '0\.\.18446744073709551615' train
bad_uint --patience 1.5 '1\.\.1000000 epochs' train
bad_uint --poll-ms 5ms '0\.\.600000 ms' node
bad_uint --confirmations 1e3 '0\.\.1000 blocks' watch
bad_uint --replace-blocks 0 '1\.\.10000 blocks' watch
# When devnet's parent dies, devnet and its anvil go too.
bash -c "\"$M2C\" devnet --port 0 >\"$WORK/devnet2.out\" 2>&1 & wait" &
SH=$!
check_until 20 "second devnet prints its RPC URL" grep -q '^export ETH_RPC_URL' "$WORK/devnet2.out"
DV_ANVIL=$(sed -nE 's/.*\(anvil pid ([0-9]+)\).*/\1/p' "$WORK/devnet2.out")
kill -KILL "$SH"; wait "$SH" 2>/dev/null
gone() { [ -n "$1" ] && ! kill -0 "$1"; } # PID: the process has exited
check_until 10 "anvil gone after devnet's parent was killed" gone "$DV_ANVIL"

check_done
