#!/usr/bin/env bash
# test_core_vs_cast.sh: differential tests of the core subcommands against Foundry's cast on
# seeded random cases (M2C_TEST_SEED, default 1): keccak of random bytes (0..300) and text,
# checksummed addresses (EIP-55 and EIP-1191), to-dec / to-hex of random 256-bit values,
# to-rlp / from-rlp of random nested structures; then malformed input must fail with a
# one-line error naming the offset. No anvil needed.
set -u
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
M2C=${M2C:-build/ml2chain}
CAST=${CAST:-bin/cast}
SEED=${M2C_TEST_SEED:-1}
ITERS=${M2C_TEST_ITERS:-1}
[ -x "$M2C" ] || { echo "missing $M2C (run make)" >&2; exit 1; }
[ -x "$CAST" ] || { echo "missing $CAST (run scripts/bootstrap.sh)" >&2; exit 1; }

cases=$(mktemp -d)
trap 'rm -rf "$cases"' EXIT

# One case per line: "<command>\t<argument>". Random inputs come from Python's seeded PRNG so
# a failure is reproducible with the printed seed.
python3 - "$SEED" "$ITERS" >"$cases/all" <<'PY'
import random, sys, json
seed, iters = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
out = []
def emit(cmd, arg): out.append(f"{cmd}\t{arg}")
# keccak: byte strings of every interesting length, plus random ones up to 300
lengths = [0, 1, 31, 32, 33, 134, 135, 136, 137, 200, 271, 272, 273, 300]
lengths += [rnd.randint(0, 300) for _ in range(50 * iters)]
for n in lengths:
    b = bytes(rnd.getrandbits(8) for _ in range(n))
    h = b.hex()
    if rnd.random() < 0.3: h = "".join(c.upper() if rnd.random() < 0.5 else c for c in h)
    emit("keccak", "0x" + h)
alphabet = "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789-_.,:;!?'\"()[]{}é€漢😀"
for _ in range(25 * iters):
    n = rnd.randint(1, 150)
    s = "".join(rnd.choice(alphabet) for _ in range(n))
    if s.startswith("0x") or s.startswith("-"): s = "t" + s
    emit("keccak", s)
# addresses: random case in, EIP-55 (and EIP-1191 with a chain id) out
for i in range(40 * iters):
    a = "".join(rnd.choice("0123456789abcdef") for _ in range(40))
    a = "".join(c.upper() if rnd.random() < 0.5 else c for c in a)
    pre = "0x" if rnd.random() < 0.8 else ""
    if i % 4 == 3: emit("to-check-sum-address", f"{pre}{a} {rnd.choice([1, 30, 31, 137, 8453])}")
    else: emit("to-check-sum-address", pre + a)
# numbers: random magnitudes up to 2^256-1, hex in for to-dec, decimal in for to-hex
def rnum():
    r = rnd.random()
    if r < 0.15: return rnd.choice([0, 1, 2**64 - 1, 2**64, 2**128, 2**255 - 1, 2**255, 2**256 - 1])
    return rnd.getrandbits(rnd.randint(1, 256))
for _ in range(40 * iters):
    emit("to-dec", hex(rnum()))
    emit("to-hex", str(rnum()))
for _ in range(10 * iters):
    v = rnd.getrandbits(rnd.randint(1, 255))
    emit("to-dec", "-" + hex(v) if rnd.random() < 0.5 else "-" + str(v))
    emit("to-hex", "-" + str(v))
# RLP: random nested lists of hex strings (lengths around the 55/56 boundary too) and ints
def rval(depth):
    r = rnd.random()
    if depth < 5 and r < 0.3:
        return [rval(depth + 1) for _ in range(rnd.randint(0, 5))]
    if r < 0.45: return rnd.getrandbits(rnd.randint(1, 256))
    n = rnd.choice([0, 1, 1, 2, 20, 55, 56, 57, rnd.randint(0, 300)])
    b = bytes(rnd.getrandbits(8) for _ in range(n))
    if n == 1 and rnd.random() < 0.5: b = bytes([b[0] & 0x7f])
    return "0x" + b.hex()
for _ in range(40 * iters):
    v = [rval(1) for _ in range(rnd.randint(0, 6))] if rnd.random() < 0.85 else rval(5)
    emit("to-rlp", json.dumps(v, separators=(",", ":")))
print("\n".join(out))
PY

# Runs each case through both tools; outputs must agree byte for byte (exit codes too).
run_cases() {
  local cmd arg ours theirs rc1 rc2
  while IFS=$'\t' read -r cmd arg; do
    if [ "$cmd" = to-check-sum-address ]; then
      # shellcheck disable=SC2086 # address and optional chain id
      ours=$("$M2C" "$cmd" $arg 2>/dev/null); rc1=$?
      theirs=$("$CAST" "$cmd" $arg 2>/dev/null); rc2=$?
    else
      ours=$("$M2C" "$cmd" -- "$arg" 2>/dev/null); rc1=$?
      theirs=$("$CAST" "$cmd" -- "$arg" 2>/dev/null); rc2=$?
    fi
    check_eq "$cmd ${arg:0:60} (seed $SEED)" "$rc2:$theirs" "$rc1:$ours"
    # Feed every encoding back: from-rlp must agree with cast and round-trip to-rlp.
    if [ "$cmd" = to-rlp ] && [ $rc2 -eq 0 ]; then
      local dec_ours dec_cast
      dec_ours=$("$M2C" from-rlp "$theirs" 2>&1)
      dec_cast=$("$CAST" from-rlp "$theirs" 2>&1)
      check_eq "from-rlp $theirs (seed $SEED)" "$dec_cast" "$dec_ours"
      check_eq "to-rlp(from-rlp) $theirs" "$theirs" "$("$M2C" to-rlp "$dec_ours" 2>&1)"
    fi
  done
}
run_cases <"$cases/all"

# stdin forms agree with cast too
for input in 'abc' $'abc\n' $'0xabcd\n' '0x'; do
  check_eq "keccak stdin '$input'" "$(printf '%s' "$input" | "$CAST" keccak)" \
    "$(printf '%s' "$input" | "$M2C" keccak)"
done
check_eq "to-dec stdin" "$(echo 0xff | "$CAST" to-dec)" "$(echo 0xff | "$M2C" to-dec)"
check_eq "from-rlp stdin" "$(echo 0xc20102 | "$CAST" from-rlp)" "$(echo 0xc20102 | "$M2C" from-rlp)"

# Malformed input: exit non-zero, one line naming what and where.
one_line_fail() { # DESC PATTERN CMD...: also require exactly one line on stderr
  local d=$1 pat=$2; shift 2
  check_fails "$d" "$pat" "$@"
  local n
  n=$("$@" 2>&1 >/dev/null | wc -l)
  check_eq "$d: one line" 1 "$n"
}
one_line_fail "keccak odd hex" "odd number of digits \(3\) ending at offset 5" "$M2C" keccak 0xabc
one_line_fail "keccak bad digit" "invalid hex digit 'g' at offset 4" "$M2C" keccak 0x12g4
one_line_fail "keccak extra 0x" "invalid hex digit 'x' at offset 3" "$M2C" keccak 0x0x12
one_line_fail "keccak bad stdin hex" "invalid hex digit 'q' at offset 2" \
  bash -c "printf '0xq1\n' | '$M2C' keccak"
one_line_fail "address too short" "expected 20 bytes, got 19" \
  "$M2C" to-check-sum-address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea
one_line_fail "address bad digit" "invalid hex digit 'z' at offset 41" \
  "$M2C" to-check-sum-address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaez
one_line_fail "address odd length" "odd number of digits" \
  "$M2C" to-check-sum-address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae
one_line_fail "address bad chain id" "invalid chain id '3x': bad digit at offset 1" \
  "$M2C" to-check-sum-address 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed 3x
one_line_fail "to-dec missing digits" "no digits after 0x" "$M2C" to-dec 0x
one_line_fail "to-dec bad digit" "invalid digit 'z' at offset 2" "$M2C" to-dec 12z4
one_line_fail "to-dec 2^256" "exceeds 2\^256-1 at offset 77" "$M2C" to-dec \
  115792089237316195423570985008687907853269984665640564039457584007913129639936
one_line_fail "to-hex 2^256 in hex" "exceeds 2\^256-1 at offset 66" "$M2C" to-hex \
  0x10000000000000000000000000000000000000000000000000000000000000000
one_line_fail "to-hex below int256" "below -2\^255" "$M2C" to-hex \
  -57896044618658097711785492504343953926634992332820282019728792003956564819969
one_line_fail "to-rlp bad hex in list" "invalid hex digit 'z' at offset 4" "$M2C" to-rlp '["0xzz"]'
one_line_fail "to-rlp odd hex" "odd number of hex digits \(3\) in data at offset 2" \
  "$M2C" to-rlp '["0xabc"]'
one_line_fail "to-rlp boolean" "cannot contain booleans \(offset 1\)" "$M2C" to-rlp '[true]'
one_line_fail "to-rlp too deep" "nests deeper than 32" "$M2C" to-rlp \
  "$(printf '[%.0s' {1..40})$(printf ']%.0s' {1..40})"
one_line_fail "from-rlp non-canonical" "single byte 0x00 at offset 0" "$M2C" from-rlp 0x8100
one_line_fail "from-rlp long form" "long form for 1 bytes" "$M2C" from-rlp 0xb80180
one_line_fail "from-rlp truncated" "list of 5 bytes at offset 0 runs past end of input" \
  "$M2C" from-rlp 0xc5010203
one_line_fail "from-rlp trailing" "1 trailing bytes after the item at offset 1" \
  "$M2C" from-rlp 0xc0c0
one_line_fail "from-rlp bad hex" "invalid hex digit 'g' at offset 4" "$M2C" from-rlp 0x12g4
one_line_fail "from-rlp odd hex" "odd number of digits" "$M2C" from-rlp 0x123
one_line_fail "unknown option" "unknown option '--bogus'" "$M2C" from-rlp --bogus 0x80

check_done
