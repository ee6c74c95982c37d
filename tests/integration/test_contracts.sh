#!/usr/bin/env bash
# test_contracts.sh: the contracts on a real anvil, driven with cast as a node and a user
# would: deploy from the exported artifacts, register a model, request through the
# OutputCollector, rebuild the request from the Requested log alone, fulfil, and check the
# stored output, commitment, payment, single-fulfilment, operator-only, failing callbacks,
# insufficient callback gas, timeouts/refunds/withdrawals, and the fixed template.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
CAST=${CAST:-bin/cast}
[ -x "$CAST" ] || { echo "missing $CAST (run scripts/bootstrap.sh)" >&2; exit 1; }

art=$(mktemp -d)
cleanup() { anvil_stop; rm -rf "$art"; }
trap cleanup EXIT
scripts/contract-artifacts.sh "$art" >/dev/null || { echo "artifact export failed" >&2; exit 1; }
anvil_start || exit 1

USER_KEY=$ANVIL_KEY0 USER=$ANVIL_ADDR0
OP_KEY=$ANVIL_KEY1 OP=$ANVIL_ADDR1
REQ_T="(uint256,uint256,address,address,bytes4,uint32,uint64,uint256,bytes32)"
TIMEOUT=60

deploy() { # NAME [CTOR_SIG ARGS...]
  local name=$1 args=""; shift
  if [ $# -gt 0 ]; then args=$("$CAST" abi-encode "$@"); args=${args#0x}; fi
  "$CAST" send --json --private-key "$USER_KEY" --create "0x$(cat "$art/$name.bin")$args" | jq -r .contractAddress
}
send() { # KEY TO SIG ARGS... : sets LAST (receipt JSON); returns 0 iff status 1
  local key=$1; shift
  LAST=$("$CAST" send --json --private-key "$key" "$@" 2>"$art/err") || return 1
  [ "$(jq -r .status <<<"$LAST")" = "0x1" ]
}
# fails_with DESC ERROR_SIG KEY TO SIG ARGS...: the call must revert with that custom error
fails_with() {
  local d=$1 sig=$2; shift 2
  local sel
  sel=$("$CAST" sig "$sig")
  if send "$@"; then fail "$d: succeeded"; return; fi
  if grep -q "custom error $sel" "$art/err"; then pass; else fail "$d: expected $sig, got $(head -c 300 "$art/err")"; fi
}
# rebuild_request: REQ from the Requested log in LAST, as a node does (no other call)
rebuild_request() {
  local topic log dec
  topic=$("$CAST" sig-event "Requested(uint256,uint256,address,bytes32,uint256,bytes)")
  log=$(jq -c "[.logs[] | select(.topics[0] == \"$topic\")][0]" <<<"$LAST")
  # data = (bytes32 callbackWord, uint256 terms, bytes input), read as raw words:
  # callbackWord = callback(20 bytes) selector(4) gasLimit(4) 0(4); terms = deadline(8) payment(24)
  local d
  d=$(jq -r .data <<<"$log" | cut -c3-)
  mapfile -t dec < <("$CAST" abi-decode --input "f(bytes32,uint256,bytes)" "0x$d")
  REQ_ID=$(jq -r '.topics[1]' <<<"$log")
  PAYMENT=$("$CAST" to-dec "0x${d:80:48}")
  REQ="($REQ_ID,$(jq -r '.topics[2]' <<<"$log"),0x$(jq -r '.topics[3]' <<<"$log" | cut -c27-),0x${d:0:40},0x${d:40:8},$((16#${d:48:8})),$((16#${d:64:16})),$PAYMENT,$("$CAST" keccak "${dec[2]}"))"
}
call() { "$CAST" call "$@" | awk '{print $1}'; }
# callback_ok: the callbackSuccess bit (0 or 1) of the Fulfilled log in LAST, whose data is
# (outcome = errorCode << 8 | callbackSuccess, outputHash)
callback_ok() {
  local t
  t=$("$CAST" sig-event "Fulfilled(uint256,uint256,bytes32)")
  echo $((16#$(jq -r "[.logs[] | select(.topics[0] == \"$t\")][0].data" <<<"$LAST" | cut -c65-66) & 1))
}
# A node fulfils in a later block than the request, so a later second; anvil's automine may
# reuse a timestamp, so the clock is moved on (a fulfilment in its request's second keeps the
# slot; see docs/coordinator.md).
later() { "$CAST" rpc evm_increaseTime 12 >/dev/null; }

COORD=$(deploy Coordinator "constructor(uint64)" $TIMEOUT)
COLL=$(deploy OutputCollector "constructor(address)" "$COORD")
check_eq "coordinator deployed" 42 $(( $("$CAST" codesize "$COORD") > 0 ? 42 : 0 ))

HASH=$("$CAST" keccak "integration model")
check_ok "register model" send "$OP_KEY" "$COORD" "registerModel(bytes32,string,uint256,uint32,uint32)" "$HASH" "file://m.qm" 1000 4 1
check_ok "set gas price" send "$OP_KEY" "$COORD" "setCallbackGasPrice(uint256,uint256)" 1 3
check_eq "model operator" "$(echo "$OP" | tr A-F a-f)" "$("$CAST" call "$COORD" "getModel(uint256)((address,uint88,bool,bytes32,uint32,uint32,uint64,uint128,string))" 1 | cut -d, -f1 | tr -d '(' | tr A-F a-f)"
check_eq "quote" $((1000 + 60000 * 3)) "$(call "$COORD" "quote(uint256,uint32)(uint256)" 1 60000)"

# A user requests with the collector as callback, overpaying: the excess comes straight back.
INPUT=$("$CAST" abi-encode "f(int256[])" "[520000000000000000,1300000000000000000,-700000000000000000,2250000000000000000]")
user_before=$("$CAST" balance "$USER")
check_ok "request, collector as callback" send "$USER_KEY" "$COORD" "request(uint256,bytes,address,bytes4,uint32)" 1 "$INPUT" "$COLL" 0x3d014e10 60000 --value 1000000
rebuild_request
check_eq "payment is the quote" $((1000 + 60000 * 3)) "$PAYMENT"
fee_paid=$(python3 -c "print(int('$(jq -r .gasUsed <<<"$LAST")', 16) * int('$(jq -r .effectiveGasPrice <<<"$LAST")', 16))")
check_eq "excess refunded to the user" "$(python3 -c "print($user_before - $PAYMENT - $fee_paid)")" "$("$CAST" balance "$USER")"
check_eq "coordinator escrows the quote" "$PAYMENT" "$("$CAST" balance "$COORD")"
check_eq "pending" 1 "$(call "$COORD" "requestState(uint256)(uint8)" "$REQ_ID")"
check_eq "slot is the commitment" "$(call "$COORD" "requestCommitment($REQ_T)(bytes32)" "$REQ")" \
  "$(call "$COORD" "commitmentOf(uint256)(bytes32)" "$REQ_ID")"

OUTPUT=$("$CAST" abi-encode "f(int256[])" "[873100000000000000]")
fails_with "stranger cannot fulfil" "NotModelOperator(uint256,address)" "$USER_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0
BAD_REQ=$(sed -E "s/,$PAYMENT,/,$((PAYMENT + 1)),/" <<<"$REQ")
fails_with "tampered payment" "RequestMismatch(uint256)" "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$BAD_REQ" "$OUTPUT" 0
later
check_ok "operator fulfils" send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0
topic=$("$CAST" sig-event "Fulfilled(uint256,uint256,bytes32)")
check_eq "Fulfilled carries the output hash" "$("$CAST" keccak "$OUTPUT")" \
  "0x$(jq -r "[.logs[] | select(.topics[0] == \"$topic\")][0].data" <<<"$LAST" | cut -c67-130)"
check_eq "Fulfilled: request id topic only" 2 "$(jq "[.logs[] | select(.topics[0] == \"$topic\")][0].topics | length" <<<"$LAST")"
check_eq "collector stored the value" "873100000000000000" "$("$CAST" call "$COLL" "getOutput(uint256)(int256[],uint32)" "$REQ_ID" | head -1 | tr -d '[' | awk '{print $1}')"
check_eq "callback success in Fulfilled" 1 "$(callback_ok)"
check_eq "slot cleared (no challenge window)" 0x0000000000000000000000000000000000000000000000000000000000000000 \
  "$(call "$COORD" "commitmentOf(uint256)(bytes32)" "$REQ_ID")"
check_eq "reads None once cleared" 0 "$(call "$COORD" "requestState(uint256)(uint8)" "$REQ_ID")"
check_eq "operator paid (model earnings)" "$PAYMENT" "$(call "$COORD" "earnings(uint256)(uint256)" 1)"
fails_with "second fulfilment" "UnknownRequest(uint256)" "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0

# A callback that fails (the coordinator itself, unknown selector) never blocks fulfilment.
PRICE=$(call "$COORD" "quote(uint256,uint32)(uint256)" 1 50000)
check_ok "request with a failing callback" send "$USER_KEY" "$COORD" "request(uint256,bytes,address,bytes4,uint32)" 1 0x "$COORD" 0xdeadbeef 50000 --value "$PRICE"
rebuild_request
later
check_ok "fulfilment succeeds anyway" send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" 0x 1
check_eq "callback failure recorded in Fulfilled" 0 "$(callback_ok)"
check_eq "error code in Fulfilled's outcome" 00000001 \
  "$(jq -r "[.logs[] | select(.topics[0] == \"$topic\")][0].data" <<<"$LAST" | cut -c57-64)"

# Too little gas for the callback: the transaction fails and the request stays pending.
PRICE=$(call "$COORD" "quote(uint256,uint32)(uint256)" 1 1000000)
check_ok "request with a 1M-gas callback" send "$USER_KEY" "$COORD" "request(uint256,bytes,address,bytes4,uint32)" 1 0x "$COLL" 0x3d014e10 1000000 --value "$PRICE"
rebuild_request
if send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0 --gas-limit 600000; then
  fail "short-gas fulfilment succeeded"; else pass; fi
check_eq "still pending after short-gas attempt" 1 "$(call "$COORD" "requestState(uint256)(uint8)" "$REQ_ID")"
est=$("$CAST" estimate --from "$OP" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0)
check_eq "estimate within callbackGasLimit*64/63 + 50k + calldata" 1 $(( est > 1000000 && est < 1000000 * 64 / 63 + 50000 + 10000 ? 1 : 0 ))
check_ok "fulfilment at the estimate" send "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0 --gas-limit "$est"
check_eq "served at the estimate" 1 "$(callback_ok)"

# Timeout: cancel only after the deadline, then withdraw the refund.
PRICE=$(call "$COORD" "quote(uint256,uint32)(uint256)" 1 0)
check_ok "request without callback" send "$USER_KEY" "$COORD" "request(uint256,bytes,address,bytes4,uint32)" 1 0x1234 0x0000000000000000000000000000000000000000 0x00000000 0 --value "$PRICE"
rebuild_request
fails_with "cancel before deadline" "DeadlineNotReached(uint256,uint64)" "$USER_KEY" "$COORD" "cancel($REQ_T)" "$REQ"
"$CAST" rpc evm_increaseTime $((TIMEOUT + 1)) >/dev/null && "$CAST" rpc evm_mine >/dev/null
fails_with "stranger cannot cancel" "NotRequester(uint256,address)" "$OP_KEY" "$COORD" "cancel($REQ_T)" "$REQ"
check_ok "requester cancels" send "$USER_KEY" "$COORD" "cancel($REQ_T)" "$REQ"
check_eq "refund credited" "$PRICE" "$(call "$COORD" "balanceOf(address)(uint256)" "$USER")"
fails_with "fulfil after cancel" "RequestIsCancelled(uint256)" "$OP_KEY" "$COORD" "fulfill($REQ_T,bytes,uint32)" "$REQ" "$OUTPUT" 0
SINK=0x000000000000000000000000000000000000bEEF
check_ok "withdraw refund" send "$USER_KEY" "$COORD" "withdraw(address)" "$SINK"
check_eq "refund arrived" "$PRICE" "$("$CAST" balance "$SINK")"
op_earned=$(call "$COORD" "earnings(uint256)(uint256)" 1)
check_ok "earnings collected to the operator's balance" send "$USER_KEY" "$COORD" "collect(uint256)" 1
check_eq "operator balance" "$op_earned" "$(call "$COORD" "balanceOf(address)(uint256)" "$OP")"
op_bal=$(call "$COORD" "balanceOf(address)(uint256)" "$OP")
check_ok "operator withdraws" send "$OP_KEY" "$COORD" "withdraw(address)" "$SINK"
check_eq "earnings arrived" $((PRICE + op_bal)) "$("$CAST" balance "$SINK")"
check_eq "coordinator empty (nothing pending)" 0 "$("$CAST" balance "$COORD")"

# The fixed template: same ABI as the original, operators only, once.
TC=$(deploy TemplateCoordinator)
TCOLL=$(deploy TemplateOutputCollector "constructor(address)" "$TC")
check_ok "makeRequest" send "$USER_KEY" "$TC" "makeRequest(string,string,address,string)" "risk-model-v1" "0.52,1.3,-0.7,2.25" "$TCOLL" "setOutput(uint256,string)"
TID=$(jq -r '.logs[0].data' <<<"$LAST" | cut -c1-66)
fails_with "template: non-operator" "NotOperator(address)" "$OP_KEY" "$TC" "fulfillRequest(uint256,string)" "$TID" "0.8731"
check_ok "template: set operator" send "$USER_KEY" "$TC" "setOperator(address,bool)" "$OP" true
check_ok "template: fulfil" send "$OP_KEY" "$TC" "fulfillRequest(uint256,string)" "$TID" "0.8731"
check_eq "template: collector output" '"0.8731"' "$("$CAST" call "$TCOLL" "getOutput(uint256)(string)" "$TID")"
fails_with "template: once" "AlreadyFulfilled(uint256)" "$OP_KEY" "$TC" "fulfillRequest(uint256,string)" "$TID" "0.9"

check_done
