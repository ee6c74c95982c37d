#!/usr/bin/env bash
# Differential test of the ABI codec against Foundry's cast on randomised type signatures and
# values (tests/integration/gen_abi_cases.awk): abi-encode, abi-decode, calldata,
# decode-calldata (our `abi decode --input`), sig, sig-event and decode-event must print the
# same bytes and the same text. M2C_ABI_CASES sets the number of cases, M2C_TEST_SEED the seed.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
M=build/ml2chain
CAST=bin/cast
cases=${M2C_ABI_CASES:-70}
seed=$(( ${M2C_TEST_SEED:-20260501} % 2147483647 ))

# same DESC CMD1... -- CMD2...: both commands succeed with identical stdout, or both fail.
same() {
  local d=$1; shift
  local a=() b=()
  while [ "$1" != "--" ]; do a+=("$1"); shift; done
  shift; b=("$@")
  local oa ob ra rb
  oa=$("${a[@]}" 2>/dev/null); ra=$?
  ob=$("${b[@]}" 2>&1); rb=$?
  if [ $ra -ne 0 ] && [ $rb -ne 0 ]; then pass; return; fi
  if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
    fail "$d: cast exit $ra, ml2chain exit $rb: $ob"; return
  fi
  check_eq "$d" "$oa" "$ob"
}

i=0 encoded=0
while IFS=$'\037' read -r -a parts; do
  i=$((i + 1))
  types=${parts[0]}
  args=("${parts[@]:1}")
  sig="f($types)"
  tag="case $i f($types)"
  enc=$($CAST abi-encode "$sig" "${args[@]}" 2>/dev/null) || enc=""
  [ -n "$enc" ] && encoded=$((encoded + 1))
  same "$tag abi-encode" $CAST abi-encode "$sig" "${args[@]}" -- $M abi encode "$sig" "${args[@]}"
  [ -n "$enc" ] || continue
  same "$tag abi-decode" $CAST abi-decode "f()($types)" "$enc" -- $M abi decode "f()($types)" "$enc"
  same "$tag sig" $CAST sig "fn$i($types)" -- $M sig "fn$i($types)"
  cd_hex=$($CAST calldata "fn$i($types)" "${args[@]}")
  same "$tag calldata" $CAST calldata "fn$i($types)" "${args[@]}" -- \
    $M calldata "fn$i($types)" "${args[@]}"
  same "$tag decode-calldata" $CAST decode-calldata "fn$i($types)" "$cd_hex" -- \
    $M abi decode --input "fn$i($types)" "$cd_hex"
  # events: a random subset of the parameters indexed, with names
  # split the types at top-level commas (tuples hold commas too)
  ev="Ev$i("; n=0; depth=0; cur=""
  for (( k = 0; k < ${#types}; k++ )); do
    ch=${types:k:1}
    [ "$ch" = "(" ] && depth=$((depth + 1)); [ "$ch" = ")" ] && depth=$((depth - 1))
    if [ "$ch" = "," ] && [ $depth -eq 0 ]; then
      [ $n -gt 0 ] && ev+=", "
      if [ $((RANDOM % 2)) -eq 0 ] && [ $n -lt 3 ]; then ev+="$cur indexed p$n"; else ev+="$cur p$n"; fi
      n=$((n + 1)); cur=""
    else cur+=$ch; fi
  done
  [ $n -gt 0 ] && ev+=", "
  ev+="$cur p$n)"
  same "$tag sig-event" $CAST sig-event "$ev" -- $M sig-event "$ev"
  same "$tag decode-event" $CAST decode-event --sig "Ev$i($types)" "$enc" -- \
    $M decode-event --sig "Ev$i($types)" "$enc"
done < <(awk -v seed="$seed" -v n="$cases" -f tests/integration/gen_abi_cases.awk)

# The generator makes valid values: nearly all cases must have been compared, not skipped.
check_ok "cases encoded by cast: $encoded of $i" test $((encoded * 100)) -ge $((i * 95))

# Values both tools refuse, with a one-line error from ours.
check_fails "uint8 256" "does not fit uint8" $M abi encode "f(uint8)" 256
check_fails "int8 128" "does not fit int8" $M abi encode "f(int8)" 128
check_fails "bad bool" "true or false" $M abi encode "f(bool)" 1
check_fails "bytes2 length" "bytes2 needs 2 bytes" $M abi encode "f(bytes2)" 0x12
check_fails "fixed array length" "needs 2 elements" $M abi encode "f(uint8[2])" "[1,2,3]"
check_fails "argument count" "expected 2 arguments, got 1" $M abi encode "f(uint8,bool)" 1
check_fails "bad signature" "cannot parse signature" $M sig "f(uint7)"
check_fails "short data" "cannot decode data: .*needs 32 bytes" $M abi decode "f()(uint256)" 0x00
check_fails "selector mismatch" "selector 0x12345678 is not" \
  $M abi decode --input "f(uint256)" 0x12345678
check_fails "dirty uint8" "non-zero padding" $M abi decode "f()(uint8)" \
  0x0000000000000000000000000000000000000000000000000000000000000101
# cast reads that word whole; --lenient prints what cast prints
check_eq "lenient uint8" "$($CAST abi-decode "f()(uint8)" 0x0000000000000000000000000000000000000000000000000000000000000101)" \
  "$($M abi decode --lenient "f()(uint8)" 0x0000000000000000000000000000000000000000000000000000000000000101)"
check_done
