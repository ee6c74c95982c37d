#!/usr/bin/env bash
# Event logs from a real chain: compiles tests/data/abi/Emitter.sol with the project's solc,
# deploys it on anvil, emits events with random values via `cast send`, and decodes the
# receipt's logs with `ml2chain decode-event`. Expected lines come from cast (abi-encode then
# abi-decode of the same values, cast keccak for indexed strings, cast decode-event for
# events without indexed parameters). Also checks the distinct errors on real logs.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
trap anvil_stop EXIT
M=build/ml2chain
CAST=bin/cast
RANDOM=$(( ${M2C_TEST_SEED:-4242} % 32768 ))

bytecode=$(jq -n --rawfile src tests/data/abi/Emitter.sol \
  '{language: "Solidity", sources: {"Emitter.sol": {content: $src}},
    settings: {outputSelection: {"*": {"*": ["evm.bytecode.object"]}}}}' |
  bin/solc --standard-json | jq -r '.contracts["Emitter.sol"].Emitter.evm.bytecode.object')
check_ok "solc compiled Emitter" test -n "$bytecode" -a "$bytecode" != null

anvil_start || exit 1
addr=$($CAST send --json --private-key "$ANVIL_KEY0" --create "0x$bytecode" | jq -r .contractAddress)
check_ok "deployed Emitter" test -n "$addr" -a "$addr" != null

MIXED="event Mixed(address indexed who, uint256 indexed amount, string indexed label, bytes data, int16 delta, string note)"
PLAIN="Plain(uint8 a, string b, uint256[] c)"
ANON="event Anon(bytes32 indexed tag, bool flag) anonymous"

randhex() { local n=$1 s=""; while [ ${#s} -lt $((2 * n)) ]; do s+=$(printf '%04x' $RANDOM); done; echo "${s:0:$((2 * n))}"; }
randword() { local w="" i; for ((i = 0; i < 1 + RANDOM % 8; i++)); do w+=$(printf "\\x$(printf %x $((97 + RANDOM % 26)))"); done; echo "$w"; }

for round in 1 2 3 4; do
  who=0x$(randhex 20)
  amount=$(( RANDOM * RANDOM ))
  [ $round -eq 2 ] && amount=115792089237316195423570985008687907853269984665640564039457584007913129639935
  label="$(randword) $(randword)"
  data=0x$(randhex $((RANDOM % 45)))
  delta=$(( RANDOM % 65536 - 32768 ))
  note="$(randword), \"$(randword)\" é"
  nums="[$RANDOM, $((RANDOM * RANDOM * 1000)), 0]"
  receipt=$($CAST send --json --private-key "$ANVIL_KEY0" "$addr" \
    "fire(address,uint256,string,bytes,int16,string,uint256[])" \
    "$who" "$amount" "$label" "$data" "$delta" "$note" "$nums")
  check_eq "round $round: three logs" 3 "$(jq '.logs | length' <<<"$receipt")"
  topics() { jq -r ".logs[$1].topics | map(\"--topic=\" + .) | .[]" <<<"$receipt"; }
  ldata() { jq -r ".logs[$1].data" <<<"$receipt"; }

  # Mixed: indexed address, uint256 and string (as its hash), then data
  label_hash=$($CAST keccak "$label")
  want=$($CAST abi-decode "f()(address,uint256,bytes32,bytes,int16,string)" \
    "$($CAST abi-encode "f(address,uint256,bytes32,bytes,int16,string)" \
       "$who" "$amount" "$label_hash" "$data" "$delta" "$note")")
  mapfile -t tp < <(topics 0)
  got=$($M decode-event --sig "$MIXED" "${tp[@]}" "$(ldata 0)" 2>&1)
  check_eq "round $round: Mixed" "$want" "$got"
  [ -n "${M2C_VERBOSE:-}" ] && printf "%s\n" "$got" >&2
  got=$($M decode-event --names --sig "$MIXED" "${tp[@]}" "$(ldata 0)" 2>&1 | cut -d: -f1 | tr '\n' ' ')
  check_eq "round $round: Mixed names" "who amount label data delta note " "$got"

  # Plain: no indexed parameters, so cast decode-event can decode it too
  mapfile -t tp < <(topics 1)
  check_eq "round $round: Plain vs cast decode-event" \
    "$($CAST decode-event --sig "$PLAIN" "$(ldata 1)")" \
    "$($M decode-event --sig "$PLAIN" "${tp[@]}" "$(ldata 1)" 2>&1)"

  # Anon: anonymous, its only topic is keccak256(data)
  neg=false; [ $delta -lt 0 ] && neg=true
  mapfile -t tp < <(topics 2)
  check_eq "round $round: Anon" "$($CAST keccak "$data")
$neg" "$($M decode-event --sig "$ANON" "${tp[@]}" "$(ldata 2)" 2>&1)"
done

# Distinct, one-line errors on real logs (the extractor counts these and keeps the log raw).
mapfile -t tp < <(topics 0)
check_fails "another event's topic0" "cannot decode log: abi log: topic0 is not Plain" \
  $M decode-event --sig "$PLAIN" "${tp[@]}" "$(ldata 0)"
check_fails "missing topics" "expects 4 topics, log has 2" \
  $M decode-event --sig "$MIXED" "${tp[@]:0:2}" "$(ldata 0)"
d=$(ldata 0)
check_fails "truncated data" "Mixed data: abi decode: .* offset" \
  $M decode-event --sig "$MIXED" "${tp[@]}" "${d:0:$(( ${#d} - 64 ))}"
check_fails "no topics for an indexed event" "pass the log's topics with --topic" \
  $M decode-event --sig "$MIXED" "$(ldata 0)"
check_done
