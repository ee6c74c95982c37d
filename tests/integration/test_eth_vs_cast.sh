#!/usr/bin/env bash
# test_eth_vs_cast.sh: ml2chain's keys, signatures, transactions and keystores against
# Foundry's cast on seeded random cases:
#   - `mktx` raw signed transactions byte-identical to `cast mktx` (legacy, EIP-1559, EIP-2930,
#     raw calldata or a function signature with arguments)
#   - `decode-transaction` output identical to `cast decode-transaction` on cast's bytes
#   - `wallet sign` signatures identical to `cast wallet sign` (text, hex, --no-hash)
#   - `wallet address` identical to `cast wallet address` for random keys
#   - `wallet verify` accepting cast's signatures and rejecting them for other addresses
#   - keystores each side decrypts from the other (new / import / decrypt-keystore)
#   - an EIP-1559 tx signed by ml2chain, published with `cast publish` to anvil and mined
# M2C_SEED picks the random cases (printed on failure); M2C_CASES scales their number.
set -u
M2C_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$M2C_ROOT/tests/lib/check.sh"
source "$M2C_ROOT/tests/lib/anvil.sh"
M2C=${M2C:-$M2C_ROOT/build/ml2chain}
CAST=$M2C_ROOT/bin/cast
SEED=${M2C_SEED:-ml2chain-eth}
CASES=${M2C_CASES:-12}
TMP=$(mktemp -d)
trap 'anvil_stop; rm -rf "$TMP"' EXIT

# Deterministic pseudo-random hex: rnd_hex TAG NBYTES (NBYTES <= 32).
rnd_hex() { [ "$2" -gt 0 ] && printf '%s/%s' "$SEED" "$1" | sha256sum | cut -c1-$(($2 * 2)); }
# rnd_num TAG MAX: a number in [0, MAX).
rnd_num() { echo $(( 16#$(rnd_hex "$1" 6) % $2 )); }

# A random private key below the curve order (top byte < 0xff is enough).
rnd_key() { local h; h=$(rnd_hex "key/$1" 32); echo "0x7${h:1}"; }

fail_seed() { echo "  (seed: M2C_SEED=$SEED)" >&2; }

# ---- addresses -------------------------------------------------------------------------
for i in $(seq 1 "$CASES"); do
  k=$(rnd_key "addr$i")
  check_eq "wallet address #$i" "$("$CAST" wallet address --private-key "$k")" \
    "$("$M2C" wallet address --private-key "$k")"
done
k=$(rnd_key positional)
check_eq "wallet address positional key" "$("$CAST" wallet address "$k")" "$("$M2C" wallet address "$k")"

# ---- message signatures ----------------------------------------------------------------
for i in $(seq 1 "$CASES"); do
  k=$(rnd_key "sign$i")
  len=$(rnd_num "len$i" 40)
  case $((i % 3)) in
    0) msg="0x$(rnd_hex "msg$i" $((len % 32 + 1)))" ;;                    # hex bytes
    1) msg="message $i: $(rnd_hex "msg$i" $((len % 16)))" ;;              # text
    2) msg=$(printf 'line one %d\nline two' "$i") ;;                      # newline inside
  esac
  want=$("$CAST" wallet sign --private-key "$k" "$msg")
  got=$("$M2C" wallet sign --private-key "$k" "$msg")
  check_eq "wallet sign #$i ($msg)" "$want" "$got"
  addr=$("$CAST" wallet address --private-key "$k")
  check_ok "wallet verify accepts cast's signature #$i" "$M2C" wallet verify --address "$addr" "$msg" "$want"
  check_ok "cast verifies ml2chain's signature #$i" "$CAST" wallet verify --address "$addr" "$msg" "$got"
  check_fails "wallet verify rejects another address #$i" "validation failed.*signature is by" \
    "$M2C" wallet verify --address "$ANVIL_ADDR1" "$msg" "$want"
done
# the same signature with s -> n - s and v flipped: both tools accept it for messages
# (recovery, unlike transaction decoding, does not insist on low s)
sig=$("$CAST" wallet sign --private-key "$ANVIL_KEY0" hello)
hi_s=$(node -e 'const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  console.log((n - BigInt(process.argv[1])).toString(16).padStart(64, "0"))' "0x${sig:66:64}")
v=$((16#${sig:130:2}))
flipped="${sig:0:66}${hi_s}$(printf '%02x' $((55 - v)))"
check_ok "cast verifies a high-s signature" "$CAST" wallet verify --address "$ANVIL_ADDR0" hello "$flipped"
check_ok "wallet verify accepts a high-s signature too" "$M2C" wallet verify --address "$ANVIL_ADDR0" hello "$flipped"
check_fails "high-s signature is not another address's" "validation failed" \
  "$M2C" wallet verify --address "$ANVIL_ADDR1" hello "$flipped"
h="0x$(rnd_hex nohash 32)"
k=$(rnd_key nohash)
check_eq "wallet sign --no-hash" "$("$CAST" wallet sign --no-hash --private-key "$k" "$h")" \
  "$("$M2C" wallet sign --no-hash --private-key "$k" "$h")"
check_eq "wallet sign empty message" "$("$CAST" wallet sign --private-key "$k" "")" \
  "$("$M2C" wallet sign --private-key "$k" "")"

# ---- transactions ----------------------------------------------------------------------
# Random fields; fee values sometimes with units, as a cast user writes them.
amount() {
  case $(rnd_num "unit$1" 4) in
    0) echo "$(rnd_num "amt$1" 1000000)" ;;
    1) echo "$(rnd_num "amt$1" 500)gwei" ;;
    2) echo "0.$(rnd_num "amt$1" 1000)ether" ;;
    3) printf '%d' "0x$(rnd_hex "amt$1" 7)" ;;
  esac
}
for i in $(seq 1 $((CASES * 2))); do
  k=$(rnd_key "tx$i")
  nonce=$(rnd_num "nonce$i" 100000)
  chain=$(( $(rnd_num "chain$i" 3) == 0 ? 1 : $(rnd_num "chainid$i" 2000000) + 1 ))
  gas=$(( 21000 + $(rnd_num "gas$i" 3000000) ))
  to="0x$(rnd_hex "to$i" 20)"
  value=$(amount "value$i")
  dlen=$(rnd_num "dlen$i" 40)
  data=0x
  [ "$dlen" -gt 0 ] && data="0x$(rnd_hex "data$i" $((dlen % 32 + 1)))$(rnd_hex "data2$i" $((dlen / 4)))"
  price=$(( $(rnd_num "price$i" 100000000000) + 1 ))
  common=(--private-key "$k" --nonce "$nonce" --chain "$chain" --gas-limit "$gas" --value "$value")
  if [ $((i % 3)) -eq 0 ]; then
    kind=legacy
    args=("${common[@]}" --legacy --gas-price "$price")
  else
    kind=eip1559
    tip=$(( $(rnd_num "tip$i" "$price") ))
    args=("${common[@]}" --gas-price "$price" --priority-gas-price "$tip")
  fi
  if [ $((i % 4)) -eq 1 ]; then
    al="[{\"address\":\"0x$(rnd_hex "al$i" 20)\",\"storageKeys\":[\"0x$(rnd_hex "sk$i" 32)\"]},{\"address\":\"0x$(rnd_hex "al2$i" 20)\",\"storageKeys\":[]}]"
    args+=(--access-list "$al")
    kind="$kind+access-list"
  fi
  want=$("$CAST" mktx "${args[@]}" "$to" "$data" 2>&1)
  got=$("$M2C" mktx "${args[@]}" "$to" "$data" 2>&1)
  check_eq "mktx #$i $kind" "$want" "$got"
  [ "$want" == "$got" ] || { echo "  args: ${args[*]} $to $data" >&2; fail_seed; }
  # decoding cast's bytes gives cast's own decoding, field for field and in order
  check_eq "decode-transaction #$i $kind" "$("$CAST" decode-transaction "$want" | jq -r . | jq -c .)" \
    "$("$M2C" decode-transaction "$want" | jq -c .)"
done
# EIP-155's example and a pre-EIP-155 legacy tx (v = 27/28, no chain id)
for raw in 0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83 \
  0xf866098504a817c8008252089435353535353535353535353535353535353535358203e8801ba06a73e12902552defe585b92e50b6046d9a5ba7f9b963f7d3eae27767767b4150a0102cc20c2abc7b47bdb958dc7747d3113ceedc98699800c07703f1aa1c3731c3; do
  check_eq "decode-transaction ${raw:0:12}..." "$("$CAST" decode-transaction "$raw" | jq -r . | jq -c .)" \
    "$("$M2C" decode-transaction "$raw" | jq -c .)"
done
check_fails "decode-transaction high s" "EIP-2" "$M2C" decode-transaction \
  0xf86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a098341627668089e51348fccfb4c7ff31c55912f2d2e47ef09652acf665fad3be
check_fails "decode-transaction truncated" "cannot decode transaction" "$M2C" decode-transaction 0x02c0
# calldata from a function signature and arguments, as cast encodes it
i=0
while IFS='|' read -ra call; do
  i=$((i + 1))
  k=$(rnd_key "sigcall$i")
  args=(--private-key "$k" --nonce "$i" --chain 10 --gas-limit 90000 --gas-price 3gwei)
  if [ $((i % 2)) -eq 0 ]; then args+=(--legacy); else args+=(--priority-gas-price 1); fi
  want=$("$CAST" mktx "${args[@]}" "0x$(rnd_hex "sigto$i" 20)" "${call[@]}" 2>&1)
  got=$("$M2C" mktx "${args[@]}" "0x$(rnd_hex "sigto$i" 20)" "${call[@]}" 2>&1)
  check_eq "mktx with signature ${call[0]}" "$want" "$got"
done <<EOF
transfer(address,uint256)|0x$(rnd_hex sigaddr 20)|$(rnd_num sigamt 1000000000)
approve(address,uint256)|$ANVIL_ADDR1|115792089237316195423570985008687907853269984665640564039457584007913129639935
f(string,uint8[],(bool,bytes))|hello world|[1,2,3]|(true,0xdead)
ping()
EOF
# amount grammar: each --value must give cast's transaction, or fail where cast fails
while IFS= read -r v; do
  args=(--private-key "$ANVIL_KEY0" --nonce 0 --chain 1 --gas-limit 21000 --gas-price 1 --priority-gas-price 1 --value "$v")
  want=$("$CAST" mktx "${args[@]}" "$ANVIL_ADDR1" 2>/dev/null)
  got=$("$M2C" mktx "${args[@]}" "$ANVIL_ADDR1" 2>/dev/null)
  verdict=refused; [ -n "$want" ] && verdict=accepted
  check_eq "mktx --value '$v' ($verdict by cast)" "$want" "$got"
done <<'EOF'
1ether
1 ether
1  ether
0.5 ether
00.5ether
1.5e18
1E18
2e3gwei
1e-3ether
1e-18ether
1e-19ether
1e77
1e78
1e0
1e+0
1e-0
1e03
1.5e0
0.1e1
1.0
1.
.5gwei
1.ether
1ETHER
1Gwei
1kwei
1wei 
1 
 1ether
+1
1e
0x
0x1e
0X10
007
115792089237316195423570985008687907853269984665640564039457584007913129639935
115792089237316195423570985008687907853269984665640564039457584007913129639936
EOF
# contract creation, both kinds
k=$(rnd_key create)
for extra in "--legacy --gas-price 7" "--gas-price 9 --priority-gas-price 2"; do
  # shellcheck disable=SC2086
  want=$("$CAST" mktx --private-key "$k" --nonce 4 --chain 31337 --gas-limit 500000 $extra --create 0x6080604052 2>&1)
  # shellcheck disable=SC2086
  got=$("$M2C" mktx --private-key "$k" --nonce 4 --chain 31337 --gas-limit 500000 $extra --create 0x6080604052 2>&1)
  check_eq "mktx --create ($extra)" "$want" "$got"
done

# ---- keystores -------------------------------------------------------------------------
printf 'pass %s\n' "$SEED" >"$TMP/pw"
printf 'not the password\n' >"$TMP/bad"
pw="pass $SEED"
mkdir -p "$TMP/ours" "$TMP/cast"
# ours -> cast
out=$("$M2C" wallet new "$TMP/ours" --password-file "$TMP/pw")
file=$(sed -n 's/^Created new encrypted keystore file: //p' <<<"$out")
addr=$(sed -n 's/^Address: *//p' <<<"$out")
check_eq "wallet new prints no key" "" "$(grep -iE '[0-9a-f]{64}' <<<"$out")"
check_eq "wallet new file mode" "600" "$(stat -c %a "$file")"
check_eq "cast reads ml2chain keystore" "$addr" \
  "$("$CAST" wallet address --keystore "$file" --password-file "$TMP/pw")"
check_eq "ml2chain reads its keystore" "$addr" \
  "$("$M2C" wallet address --keystore "$file" --password-file "$TMP/pw")"
check_eq "decrypt-keystore agrees with cast" \
  "$("$CAST" wallet decrypt-keystore -k "$TMP/ours" "$(basename "$file")" --unsafe-password "$pw")" \
  "$("$M2C" wallet decrypt-keystore -k "$TMP/ours" "$(basename "$file")" --password-file "$TMP/pw")"
k=$(rnd_key import)
"$M2C" wallet import mine --keystore-dir "$TMP/ours" --private-key "$k" --password-file "$TMP/pw" >/dev/null
check_eq "cast decrypts ml2chain import" "mine's private key is: $k" \
  "$("$CAST" wallet decrypt-keystore -k "$TMP/ours" mine --unsafe-password "$pw")"
# cast -> ours
out=$("$CAST" wallet new "$TMP/cast" --unsafe-password "$pw")
cfile=$(sed -n 's/^Created new encrypted keystore file: //p' <<<"$out")
caddr=$(sed -n 's/^Address: *//p' <<<"$out")
check_eq "ml2chain reads cast keystore" "$caddr" \
  "$("$M2C" wallet address --keystore "$cfile" --password-file "$TMP/pw")"
check_eq "ETH_KEYSTORE / ETH_PASSWORD" "$caddr" \
  "$(ETH_KEYSTORE=$cfile ETH_PASSWORD=$TMP/pw "$M2C" wallet address)"
k=$(rnd_key castimport)
"$CAST" wallet import theirs --keystore-dir "$TMP/cast" --private-key "$k" --unsafe-password "$pw" >/dev/null
check_eq "ml2chain decrypts cast import" "theirs's private key is: $k" \
  "$("$M2C" wallet decrypt-keystore -k "$TMP/cast" theirs --password-file "$TMP/pw")"
# signing through a keystore gives the key's signature
check_eq "sign via keystore = sign via key" \
  "$("$CAST" wallet sign --private-key "$k" hello)" \
  "$("$M2C" wallet sign --keystore "$TMP/cast/theirs" --password-file "$TMP/pw" hello)"

# ---- errors: one line, exit 1 ----------------------------------------------------------
check_fails "wrong keystore password" "^ml2chain wallet address: cannot unlock keystore: .*wrong password \(mac mismatch\)$" \
  "$M2C" wallet address --keystore "$cfile" --password-file "$TMP/bad"
check_fails "keystore without password" "no password" "$M2C" wallet address --keystore "$cfile"
check_fails "no key at all" "no key given" env -u ETH_KEYSTORE "$M2C" wallet address
check_fails "short private key" "64 hex digits" "$M2C" wallet address --private-key 0x1234
check_fails "key out of range" "out of range" "$M2C" wallet address \
  --private-key 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141
check_fails "mktx without nonce" "--nonce is required" "$M2C" mktx --private-key "$ANVIL_KEY0" \
  --chain 1 --gas-limit 21000 --gas-price 1 --priority-gas-price 1 "$ANVIL_ADDR1"
check_fails "mktx bad to" "invalid TO address" "$M2C" mktx --private-key "$ANVIL_KEY0" \
  --nonce 0 --chain 1 --gas-limit 21000 --gas-price 1 --priority-gas-price 1 0x1234
check_fails "mktx tip above max fee" "above the max fee" "$M2C" mktx --private-key "$ANVIL_KEY0" \
  --nonce 0 --chain 1 --gas-limit 21000 --gas-price 1 --priority-gas-price 2 "$ANVIL_ADDR1"
check_fails "mktx bad function argument" "cannot parse argument 1" "$M2C" mktx --private-key "$ANVIL_KEY0" \
  --nonce 0 --chain 1 --gas-limit 21000 --gas-price 1 --priority-gas-price 1 "$ANVIL_ADDR1" \
  "transfer(address,uint256)" 0x12 5
check_fails "wallet new refuses existing name" "File exists" \
  "$M2C" wallet new "$TMP/ours" mine --password-file "$TMP/pw"
check_fails "verify bad signature length" "invalid signature" \
  "$M2C" wallet verify --address "$ANVIL_ADDR0" hello 0x1234

# ---- on chain: sign with ml2chain, publish with cast, check the receipt ----------------
if anvil_start; then
  chain=$(timeout 10 "$CAST" chain-id)
  nonce=$(timeout 10 "$CAST" nonce "$ANVIL_ADDR0")
  raw=$("$M2C" mktx --private-key "$ANVIL_KEY0" --nonce "$nonce" --chain "$chain" \
    --gas-limit 50000 --gas-price 10gwei --priority-gas-price 1gwei --value 12345 \
    "$ANVIL_ADDR1" 0xdeadbeef)
  check_eq "raw tx is type 2" "0x02" "${raw:0:4}"
  # cast publish waits for the receipt and prints it
  receipt=$(timeout 30 "$CAST" publish "$raw" 2>&1)
  check_eq "tx hash is keccak(raw)" "$("$CAST" keccak "$raw")" "$(jq -r .transactionHash <<<"$receipt" 2>/dev/null)"
  check_eq "receipt status" "0x1" "$(jq -r .status <<<"$receipt" 2>/dev/null)"
  check_eq "receipt type" "0x2" "$(jq -r .type <<<"$receipt" 2>/dev/null)"
  check_eq "receipt from" "$(tr 'A-F' 'a-f' <<<"$ANVIL_ADDR0")" "$(jq -r .from <<<"$receipt" 2>/dev/null)"
  check_eq "recipient balance" "10000000000000000012345" "$(timeout 10 "$CAST" balance "$ANVIL_ADDR1")"
  # a legacy tx from a keystore, too
  "$M2C" wallet import k0 --keystore-dir "$TMP/ours" --private-key "$ANVIL_KEY0" --password-file "$TMP/pw" >/dev/null
  raw=$("$M2C" mktx --keystore "$TMP/ours/k0" --password-file "$TMP/pw" --nonce $((nonce + 1)) \
    --chain "$chain" --gas-limit 30000 --gas-price 5gwei --legacy --value 1 "$ANVIL_ADDR1")
  receipt=$(timeout 30 "$CAST" publish "$raw" 2>&1)
  check_eq "legacy receipt status" "0x1" "$(jq -r .status <<<"$receipt" 2>/dev/null)"
  check_eq "legacy receipt type" "0x0" "$(jq -r .type <<<"$receipt" 2>/dev/null)"
  anvil_stop
else
  fail "anvil did not start"
fi

check_done
