#!/usr/bin/env bash
# test_extract.sh: `ml2chain extract` against a real anvil with a contract emitting tens of
# thousands of events of several kinds (tests/data/extract/Emitter.sol):
#   - decoded rows equal what `cast logs` reports for the same range (raw fields of every log,
#     decoded values checked against `cast abi-decode` on samples, timestamps vs `cast block`)
#   - every sink (SQLite, CSV, JSONL, PostgreSQL when M2C_PG_URL is set) holds the same rows
#   - kill -9 in the middle, re-run: the output equals one clean run, row for row
#   - through a fault-injecting proxy (429, 5xx, truncated JSON, stalls, "more than 10000
#     results") the output is still complete and exact
#   - blocks and transactions (receipt fields) against cast
#   - how a sparse range is cut into chunks: a slow start, and the last chunks shrinking
#   - follow mode survives a reorg (evm_snapshot / evm_revert) and drops orphaned rows
#   - bad input: one-line error, exit 1, nothing written
set -u
M2C_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$M2C_ROOT"
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/emitter.sh
M2C=$M2C_ROOT/build/ml2chain
CAST=$M2C_ROOT/bin/cast
T=$(mktemp -d -t m2c-extract.XXXXXX)
PROXY_PID=
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  anvil_stop
  rm -rf "$T"
}
trap cleanup EXIT

anvil_start || exit 1
emitter_compile || { fail "compile Emitter.sol"; check_done; exit 1; }
emitter_deploy || { fail "deploy Emitter"; check_done; exit 1; }
echo "$EMITTER_ABI_JSON" >"$T/emitter.abi.json"
# 20000 events in 40 transactions of 500
for i in 1 2; do emitter_emit 20 500 || fail "emit"; done
HEAD=$($CAST block-number)
ABI=(--abi "$T/emitter.abi.json")
run_extract() { "$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" -q "$@"; }

# ---- 1. SQLite vs cast logs --------------------------------------------------------------
echo "  [${SECONDS}s] 1. SQLite vs cast logs" | sed -E "s/ -+$//"
check_ok "extract logs into sqlite" run_extract --out "$T/a.sqlite"
Q() { sqlite3 -batch -noheader "$1" "$2"; }
TABLES=(Transfer Note Signed Big Anon Flags undecoded_logs)
raw_union() { # raw columns of every table, one TSV line per log, in chain order
  local db=$1 sql="" t
  for t in "${TABLES[@]}"; do
    sql+="${sql:+ UNION ALL }SELECT block_number, log_index, transaction_hash, transaction_index, block_hash, address, ifnull(topic0,''), ifnull(topic1,''), ifnull(topic2,''), ifnull(topic3,''), data FROM \"$t\""
  done
  sqlite3 -batch -noheader -separator $'\t' "$db" "$sql ORDER BY 1, 2"
}
JQ_HEX='def hex: ltrimstr("0x") | ascii_downcase | explode | map(if . >= 97 then . - 87 else . - 48 end) | reduce .[] as $d (0; . * 16 + $d);'
$CAST logs --from-block 0 --to-block "$HEAD" --address "$EMITTER" --json >"$T/cast.json"
jq -r "$JQ_HEX"' .[] | [(.blockNumber|hex), (.logIndex|hex), .transactionHash, (.transactionIndex|hex), .blockHash, (.address|ascii_downcase), (.topics + ["","","",""])[0:4][], .data] | @tsv' \
  "$T/cast.json" | sort -t $'\t' -k1,1n -k2,2n >"$T/cast.tsv"
raw_union "$T/a.sqlite" >"$T/a.tsv"
check_eq "log count = cast logs" "$(wc -l <"$T/cast.tsv")" "$(wc -l <"$T/a.tsv")"
check_eq "log count is 20000" 20000 "$(wc -l <"$T/a.tsv")"
check_eq "raw rows equal cast logs row for row" "$(md5sum <"$T/cast.tsv")" "$(md5sum <"$T/a.tsv")"
check_eq "a bulk run leaves one file, in rollback-journal mode" "delete" "$(Q "$T/a.sqlite" 'PRAGMA journal_mode'; ls "$T"/a.sqlite-* 2>/dev/null)"
check_eq "every kind decoded (no undecoded logs)" 0 "$(Q "$T/a.sqlite" 'SELECT count(*) FROM undecoded_logs')"
check_eq "anonymous events decoded" 3333 "$(Q "$T/a.sqlite" 'SELECT count(*) FROM Anon')"
check_eq "provenance: chain id" "$($CAST chain-id)" "$(Q "$T/a.sqlite" "SELECT value FROM _m2c_meta WHERE key='chain_id'")"
check_eq "provenance: last block hash" "$($CAST block "$HEAD" --field hash)" \
  "$(Q "$T/a.sqlite" "SELECT value FROM _m2c_meta WHERE key='range_to_hash'")"
check_eq "provenance: first block hash" "$($CAST block 0 --field hash)" \
  "$(Q "$T/a.sqlite" "SELECT value FROM _m2c_meta WHERE key='range_from_hash'")"
check_eq "provenance: rows per table" 3333 "$(Q "$T/a.sqlite" "SELECT value FROM _m2c_meta WHERE key='rows.Transfer'")"
check_eq "provenance: client version" "$($CAST client)" "$(Q "$T/a.sqlite" "SELECT value FROM _m2c_meta WHERE key='client_version'")"
# timestamps of every block with logs
bad=0
while read -r b ts; do
  [ "$($CAST block "$b" --field timestamp)" = "$ts" ] || bad=$((bad + 1))
done < <(sqlite3 -batch -noheader -separator ' ' "$T/a.sqlite" "SELECT DISTINCT block_number, block_timestamp FROM Transfer ORDER BY random() LIMIT 5")
check_eq "block timestamps equal cast block" 0 "$bad"
# decoded values against cast abi-decode on samples of each event
strip() { sed -E 's/ \[[^]]*\]$//'; }
sample_check() { # TABLE TYPES COLUMNS(sql expr list, one output per type)
  local t=$1 types=$2 cols=$3 n=0 bad=0 data ours theirs
  while IFS=$'\t' read -r data ours; do
    theirs=$($CAST abi-decode "f()($types)" "$data" | strip | paste -sd '|')
    [ "$theirs" = "$ours" ] || { bad=$((bad + 1)); echo "  $t: cast '$theirs' vs ours '$ours'" >&2; }
    n=$((n + 1))
  done < <(sqlite3 -batch -noheader -separator $'\t' "$T/a.sqlite" \
    "SELECT data, $cols FROM \"$t\" ORDER BY random() LIMIT 3")
  check_eq "$t: decoded values equal cast abi-decode ($n samples)" 0 "$bad"
}
sample_check Transfer uint256 "value"
sample_check Big "uint256,uint128" "value || '|' || small"
sample_check Signed "int256,int64" "a || '|' || b"
sample_check Anon uint256 "amount"
sample_check Note "string,bytes" "'\"' || replace(text, '\"', '\\\"') || '\"|' || blob"
sample_check Flags "bool,bytes32" "(CASE ok WHEN 1 THEN 'true' ELSE 'false' END) || '|' || tag"
# indexed parameters against the topics, as cast decodes words
bad=0
while IFS=$'\t' read -r t1 from t2 to; do
  [ "$($CAST parse-bytes32-address "$t1" | tr A-F a-f)" = "$from" ] || bad=$((bad + 1))
  [ "$($CAST parse-bytes32-address "$t2" | tr A-F a-f)" = "$to" ] || bad=$((bad + 1))
done < <(sqlite3 -batch -noheader -separator $'\t' "$T/a.sqlite" "SELECT topic1, \"from\", topic2, \"to\" FROM Transfer ORDER BY random() LIMIT 3")
while IFS=$'\t' read -r t1 big; do
  [ "$($CAST to-dec "$t1")" = "$big" ] || bad=$((bad + 1))
done < <(sqlite3 -batch -noheader -separator $'\t' "$T/a.sqlite" "SELECT topic1, big FROM Big ORDER BY random() LIMIT 3")
while IFS=$'\t' read -r t3 c; do
  [ "$($CAST abi-decode 'f()(int8)' "$t3")" = "$c" ] || bad=$((bad + 1))
done < <(sqlite3 -batch -noheader -separator $'\t' "$T/a.sqlite" "SELECT topic1, c FROM Signed ORDER BY random() LIMIT 3")
check_eq "indexed parameters equal cast's reading of the topics" 0 "$bad"
check_eq "uint256 = 2^256-1 kept exact" 1 "$(Q "$T/a.sqlite" "SELECT count(*) > 0 FROM Big WHERE value = '115792089237316195423570985008687907853269984665640564039457584007913129639935'")"
check_eq "model-ready column beside the exact one" 1 "$(Q "$T/a.sqlite" "SELECT count(*) = (SELECT count(*) FROM Transfer) FROM Transfer WHERE typeof(value) = 'text' AND typeof(value_f) = 'real' AND abs(value_f - CAST(value AS REAL)) <= 1e-15 * CAST(value AS REAL)")"
check_ok "extract with --decimals 18" run_extract --out "$T/d.sqlite" --decimals 18
# value = k * 10^18, so the scaled column must be exactly k
check_eq "--decimals scales the model-ready column exactly" 0 "$(Q "$T/d.sqlite" "SELECT count(*) FROM Transfer WHERE value_f != CAST(substr(value, 1, length(value) - 18) AS INTEGER)")"
check_eq "negative int256 exact" 1 "$(Q "$T/a.sqlite" "SELECT count(*) > 0 FROM Signed WHERE a LIKE '-%000000000000000000000000000000' AND b < 0 AND c <= 0")"

# ---- 2. the other sinks hold the same rows -------------------------------------------------
echo "  [${SECONDS}s] 2. the other sinks hold the same rows" | sed -E "s/ -+$//"
check_ok "extract logs into csv" run_extract --out "$T/b.csv"
check_ok "extract logs into jsonl" run_extract --out "$T/c.jsonl"
want=$(Q "$T/a.sqlite" "SELECT block_number, log_index, \"from\", \"to\", value, value_f FROM Transfer ORDER BY 1, 2" | md5sum)
got=$(sqlite3 -batch -noheader ":memory:" ".import --csv $T/b.Transfer.csv t" "SELECT block_number, log_index, \"from\", \"to\", value, CAST(value_f AS REAL) FROM t ORDER BY CAST(block_number AS INT), CAST(log_index AS INT)" | md5sum)
check_eq "csv rows equal sqlite rows" "$want" "$got"
wantn=$(Q "$T/a.sqlite" "SELECT block_number, log_index, text, blob FROM Note ORDER BY 1, 2" | md5sum)
gotn=$(sqlite3 -batch -noheader ":memory:" ".import --csv $T/b.Note.csv t" "SELECT block_number, log_index, text, blob FROM t ORDER BY CAST(block_number AS INT), CAST(log_index AS INT)" | md5sum)
check_eq "csv strings with quotes, commas and UTF-8 round-trip" "$wantn" "$gotn"
got=$(jq -r '[.block_number, .log_index, .from, .to, .value] | map(tostring) | join("|")' "$T/c.Transfer.jsonl" | sort -t'|' -k1,1n -k2,2n | md5sum)
want2=$(Q "$T/a.sqlite" "SELECT block_number, log_index, \"from\", \"to\", value FROM Transfer ORDER BY 1, 2" | md5sum)
check_eq "jsonl rows equal sqlite rows" "$want2" "$got"
check_eq "jsonl model-ready numbers are numbers equal to the exact value" 0 "$(jq -s 'map(select((.value_f | type) != "number" or .value_f != (.value | tonumber))) | length' "$T/c.Transfer.jsonl")"
check_eq "jsonl keeps 256-bit values as exact strings" '"115792089237316195423570985008687907853269984665640564039457584007913129639935"' \
  "$(jq -c 'select(.value == "115792089237316195423570985008687907853269984665640564039457584007913129639935") | .value' "$T/c.Big.jsonl" | head -1)"
check_eq "csv sidecar records provenance" 20000 "$(jq '[.meta | to_entries[] | select(.key | startswith("rows.")) | .value | tonumber] | add' "$T/b.csv.meta.json")"
if [ -n "${M2C_PG_URL:-}" ]; then
  export PGOPTIONS='--client-min-messages=warning' 
  schema=m2c_extract_test_$$
  psql -qAt "$M2C_PG_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
  sep='?'; [[ $M2C_PG_URL == *\?* ]] && sep='&'
  PGU="${M2C_PG_URL}${sep}options=-csearch_path%3D$schema"
  check_ok "extract logs into postgres" run_extract --out "$PGU"
  got=$(psql -qAt "$PGU" -F '|' -c "SELECT block_number, log_index, \"from\", \"to\", value FROM \"Transfer\" ORDER BY 1, 2" | md5sum)
  check_eq "postgres rows equal sqlite rows" "$want2" "$got"
  check_eq "postgres model-ready column equals the exact value" 0 "$(psql -qAt "$PGU" -c "SELECT count(*) FROM \"Transfer\" WHERE value_f IS DISTINCT FROM value::float8")"
  check_eq "postgres keeps exact NUMERIC(78,0)" "numeric" "$(psql -qAt "$PGU" -c "SELECT data_type FROM information_schema.columns WHERE table_schema = '$schema' AND table_name = 'Big' AND column_name = 'value'")"
  check_eq "postgres: rerun adds nothing" 20000 "$(run_extract --out "$PGU" >/dev/null; psql -qAt "$PGU" -c "SELECT (SELECT count(*) FROM \"Transfer\") + (SELECT count(*) FROM \"Note\") + (SELECT count(*) FROM \"Signed\") + (SELECT count(*) FROM \"Big\") + (SELECT count(*) FROM \"Anon\") + (SELECT count(*) FROM \"Flags\")")"
  psql -qAt "$M2C_PG_URL" -c "DROP SCHEMA $schema CASCADE" >/dev/null
else
  echo "  (M2C_PG_URL unset and not root: the PostgreSQL sink is not tested in this run)"
fi

# ---- 3. kill -9 in the middle, re-run: equal to one clean run -----------------------------
echo "  [${SECONDS}s] 3. kill -9 in the middle, re-run: equal to one clean run" | sed -E "s/ -+$//"
dump_sqlite() { local t; for t in "${TABLES[@]}"; do sqlite3 -batch -noheader "$1" "SELECT * FROM \"$t\" ORDER BY block_number, log_index"; done; }
# the tables as SQLite scans them, without ORDER BY: chunks are committed in block order, so
# every table reads back in chain order (what a `SELECT *` into a data frame gets)
scan_sqlite() { local t; for t in "${TABLES[@]}"; do sqlite3 -batch -noheader "$1" "SELECT * FROM \"$t\""; done; }
check_eq "sqlite: tables read back in chain order without ORDER BY" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(scan_sqlite "$T/a.sqlite" | md5sum)"
for kind in sqlite csv jsonl; do
  out=$T/k.$kind
  "$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" -q \
    --out "$out" --chunk-size 1 --concurrency 2 --rps 4 >/dev/null 2>&1 &
  pid=$!
  # Kill as soon as the first rows are committed (the rate cap keeps the run going for
  # seconds), rather than after a fixed sleep that a fast machine outruns.
  count_rows() {
    if [ $kind = sqlite ]; then
      sqlite3 -batch -noheader "$out" "SELECT count(*) FROM \"${TABLES[0]}\"" 2>/dev/null || echo 0
    else
      cat "$T"/k.*."$kind" 2>/dev/null | wc -l
    fi
  }
  rows_or_exited() { [ "$(count_rows)" -gt 0 ] || ! kill -0 "$pid"; }
  wait_until 20 "$kind: the first rows committed" rows_or_exited
  kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if [ $kind = sqlite ]; then
    partial=$(dump_sqlite "$out" | wc -l)
  else
    partial=$(cat "$T"/k.*."$kind" 2>/dev/null | wc -l)
  fi
  if [ "$partial" -gt 0 ] && [ "$partial" -lt 20000 ]; then pass; else fail "$kind: kill -9 did not land mid-run ($partial rows)"; fi
  check_ok "$kind: re-run after kill -9 completes" run_extract --out "$out"
  if [ $kind = sqlite ]; then
    check_eq "$kind: after kill -9 + re-run = one clean run" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$out" | md5sum)"
    check_eq "$kind: after kill -9 + re-run, still in chain order without ORDER BY" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(scan_sqlite "$out" | md5sum)"
  else
    ref=$T/b.csv; [ $kind = jsonl ] && ref=$T/c.jsonl
    a_sum=$(for t in "${TABLES[@]}"; do cat "${ref%.*}.$t.$kind"; done | md5sum)
    b_sum=$(for t in "${TABLES[@]}"; do cat "$T/k.$t.$kind"; done | md5sum)
    check_eq "$kind: after kill -9 + re-run = one clean run, byte for byte" "$a_sum" "$b_sum"
  fi
done
# Ctrl-C: the chunks written so far are committed (a bulk run groups them), the message says
# how far, and the file holds exactly that; the re-run finishes it
out=$T/int.sqlite
"$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" -q \
  --out "$out" --chunk-size 1 --concurrency 2 --rps 4 >/dev/null 2>"$T/int.err" &
pid=$!
some_rows() { [ "$(sqlite3 -batch -noheader "$out" "SELECT count(*) FROM Transfer" 2>/dev/null || echo 0)" -gt 0 ] || ! kill -0 "$pid"; }
wait_until 20 "interrupt: the first rows committed" some_rows
kill -INT "$pid"; wait "$pid"; rc=$?
check_eq "interrupt: exit 130" 130 "$rc"
said=$(sed -nE 's/.*interrupted after ([0-9]+) blocks \(([0-9]+) rows\).*/\1 \2/p' "$T/int.err")
check_eq "interrupt: the message's blocks and rows are what the file holds" "$said" \
  "$(Q "$out" "SELECT (SELECT sum(to_block - from_block + 1) FROM _m2c_checkpoints) || ' ' || ($(for t in "${TABLES[@]}"; do printf '(SELECT count(*) FROM "%s") + ' "$t"; done) 0)")"
check_ok "interrupt: the re-run completes" run_extract --out "$out"
check_eq "interrupt: after the re-run = one clean run" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$out" | md5sum)"

# a bulk run whose next chunk is slow commits what it has written within 200 ms, not when the
# group would end (the next chunk, 1 s on): at 0.5 requests/s the first checkpoint shows up
# alone, seconds before the second
out=$T/slow.sqlite
"$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" -q \
  --out "$out" --chunk-size 1 --concurrency 1 --rps 0.5 >/dev/null 2>&1 &
pid=$!
ckpts() { sqlite3 -batch -noheader "$out" "SELECT count(*) FROM _m2c_checkpoints" 2>/dev/null || echo 0; }
first_ckpt() { [ "$(ckpts)" -gt 0 ] || ! kill -0 "$pid"; }
wait_until 20 "slow run: the first chunk committed" first_ckpt
check_eq "slow run: the first chunk is on disk while the next one is still coming" 1 "$(ckpts)"
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

# a re-run of a complete output does nothing and duplicates nothing
check_eq "re-run of a complete output is a no-op" "nothing to do" "$(run_extract --out "$T/a.sqlite" | grep -o 'nothing to do')"
check_eq "no duplicates after re-runs" 20000 "$(raw_union "$T/a.sqlite" | wc -l)"

# ---- 4. through the fault-injecting proxy ------------------------------------------------
echo "  [${SECONDS}s] 4. through the fault-injecting proxy" | sed -E "s/ -+$//"
coproc PROXY { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --seed 7 --rate 0.35 --max-range 3 --stall-ms 1500; }
PROXY_PID=$PROXY_PID
read -r _ pport <&"${PROXY[0]}"
if run_extract --out "$T/f.sqlite" --rpc-url "http://127.0.0.1:$pport" --timeout 1000 --chunk-size 16 >"$T/f.log" 2>&1; then
  pass
else
  fail "extract through the fault proxy: $(cat "$T/f.log")"
fi
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
check_eq "fault proxy: output complete and exact" "$(md5sum <"$T/a.tsv")" "$(raw_union "$T/f.sqlite" | md5sum)"
check_eq "fault proxy: decoded columns exact" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$T/f.sqlite" | md5sum)"

# a node that does not put blockTimestamp in its logs: timestamps come from block headers
coproc PROXY { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --rate 0 --max-range 1000000 --no-block-timestamp; }
PROXY_PID=$PROXY_PID
read -r _ pport <&"${PROXY[0]}"
check_eq "the proxy strips blockTimestamp" 0 "$(curl -s -H 'content-type: application/json' --data-binary \
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x0\",\"toBlock\":\"0x$(printf %x "$HEAD")\",\"address\":\"$EMITTER\"}]}" \
  "http://127.0.0.1:$pport" | jq '[.result[] | select(has("blockTimestamp"))] | length')"
check_ok "extract logs from a node without blockTimestamp" run_extract --out "$T/nots.sqlite" --rpc-url "http://127.0.0.1:$pport"
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
check_eq "without blockTimestamp: same rows and timestamps (from headers)" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$T/nots.sqlite" | md5sum)"

# a node that repeats a log or sends two out of order: refused (a repeat would be a duplicate
# row), nothing of that chunk stored, and a re-run against a good node completes the output
for how in repeat swap; do
  coproc PROXY { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --rate 0 --max-range 1000000 --mangle-logs "$how"; }
  PROXY_PID=$PROXY_PID
  read -r _ pport <&"${PROXY[0]}"
  err=$(run_extract --out "$T/mangled-$how.sqlite" --rpc-url "http://127.0.0.1:$pport" 2>&1 >/dev/null); rc=$?
  kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
  want="log [0-9]+ of block [0-9]+ $([ "$how" = repeat ] && echo repeats || echo 'comes after') log [0-9]+ of block [0-9]+ \(logs must come in chain order, each once\)$"
  if [ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qE "$want" <<<"$err"; then pass
  else fail "${how}ed log: exit $rc, stderr '$err'"; fi
  check_eq "${how}ed log: no duplicate rows stored" 0 "$(raw_union "$T/mangled-$how.sqlite" | sort | uniq -d | wc -l)"
  check_ok "${how}ed log: re-run against anvil" run_extract --out "$T/mangled-$how.sqlite"
  check_eq "${how}ed log: re-run output equals one clean run" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$T/mangled-$how.sqlite" | md5sum)"
done
# a log marked removed (a reorg while the chunk was read) makes the chunk retry, and the
# removed log is not stored
coproc PROXY { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --rate 0 --max-range 1000000 --mangle-logs removed; }
PROXY_PID=$PROXY_PID
read -r _ pport <&"${PROXY[0]}"
summary=$(run_extract --out "$T/removed.sqlite" --rpc-url "http://127.0.0.1:$pport" 2>&1); rc=$?
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
check_eq "removed log: extract succeeds" 0 "$rc"
check_eq "removed log: the chunk was retried once" "0 splits, 1 retries" "$(grep -oE '[0-9]+ splits, [0-9]+ retries' <<<"$summary")"
check_eq "removed log: output equals one clean run" "$(dump_sqlite "$T/a.sqlite" | md5sum)" "$(dump_sqlite "$T/removed.sqlite" | md5sum)"

# ---- 5. blocks and transactions ----------------------------------------------------------
echo "  [${SECONDS}s] 5. blocks and transactions" | sed -E "s/ -+$//"
check_ok "extract blocks" "$M2C" extract blocks --from-block 0 --to-block "$HEAD" --out "$T/blocks.sqlite" -q
check_eq "one row per block" $((HEAD + 1)) "$(Q "$T/blocks.sqlite" 'SELECT count(*) FROM blocks')"
bad=0
for b in 0 1 $((HEAD / 2)) "$HEAD"; do
  want=$($CAST block "$b" --json | jq -r "$JQ_HEX"' [.hash, .parentHash, (.timestamp|hex), (.gasUsed|hex), (.miner|ascii_downcase), (.transactions|length)] | @tsv')
  got=$(sqlite3 -batch -noheader -separator $'\t' "$T/blocks.sqlite" "SELECT hash, parent_hash, timestamp, gas_used, miner, transaction_count FROM blocks WHERE number = $b")
  [ "$want" = "$got" ] || { bad=$((bad + 1)); echo "  block $b: cast '$want' vs ours '$got'" >&2; }
done
check_eq "blocks equal cast block" 0 "$bad"
# a legacy (type 0) transfer beside the 1559 ones
$CAST send --legacy --private-key "$ANVIL_KEY0" "$ANVIL_ADDR1" --value 12345 >/dev/null
THEAD=$($CAST block-number)
check_ok "extract transactions" "$M2C" extract transactions --from-block 0 --to-block "$THEAD" --out "$T/txs.jsonl" -q
check_eq "one row per transaction (deploy + 40 calls + 1 legacy)" 42 "$(wc -l <"$T/txs.jsonl")"
check_eq "legacy transaction: type 0, gas price, no 1559 fees, value exact" "0 true true 12345" \
  "$(jq -r 'select(.type == 0) | "\(.type) \(.gas_price != null) \(.max_fee_per_gas == null) \(.value)"' "$T/txs.jsonl")"
check_eq "1559 transactions: type 2 with both fee caps" 41 "$(jq -s 'map(select(.type == 2 and .max_fee_per_gas != null and .max_priority_fee_per_gas != null)) | length' "$T/txs.jsonl")"
check_eq "contract creation has contract_address" "$EMITTER" "$(jq -r 'select(.to == null) | .contract_address' "$T/txs.jsonl")"
bad=0
while read -r h; do
  want=$($CAST receipt "$h" --json | jq -r "$JQ_HEX"' [(.status|hex), (.gasUsed|hex), (.effectiveGasPrice|hex|tostring), (.blockNumber|hex)] | map(tostring) | join(" ")')
  got=$(jq -r --arg h "$h" 'select(.hash == $h) | [.status, .gas_used, .effective_gas_price, .block_number] | map(tostring) | join(" ")' "$T/txs.jsonl")
  [ "$want" = "$got" ] || { bad=$((bad + 1)); echo "  tx $h: cast '$want' vs ours '$got'" >&2; }
done < <(jq -r .hash "$T/txs.jsonl" | shuf -n 5 --random-source=<(yes))
check_eq "receipt fields equal cast receipt" 0 "$bad"

# a node with a range limit, over a sparse range: the span grows until the node refuses it,
# then stays under the refused span (one refusal, not one per chunk)
$CAST rpc anvil_mine 0x100 >/dev/null
SHEAD=$($CAST block-number)
coproc PROXY { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --rate 0 --max-range 8; }
PROXY_PID=$PROXY_PID
read -r _ pport <&"${PROXY[0]}"
"$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$SHEAD" --concurrency 1 \
  --chunk-size 512 --rpc-url "http://127.0.0.1:$pport" --out "$T/sparse.sqlite" >"$T/sparse.log" 2>&1
check_eq "range limit over a sparse range: exit 0" 0 "$?"
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
check_eq "range limit: refused once, then never asked again" "1 splits" "$(grep -o '[0-9]* splits' "$T/sparse.log")"
check_eq "range limit: output complete and exact" "$(md5sum <"$T/a.tsv")" "$(raw_union "$T/sparse.sqlite" | md5sum)"
# how the same sparse range is cut with 4 workers (each committed chunk is a checkpoint row):
# slow start, the k-th chunk handed out spans at most 2^(k/4) blocks; and no chunk takes more
# than ceil(left / 8) of the blocks not handed out before it
check_ok "extract the sparse range with 4 workers" run_extract --to-block "$SHEAD" --out "$T/chunks.sqlite"
chunk_faults=$(Q "$T/chunks.sqlite" "SELECT from_block, to_block FROM _m2c_checkpoints ORDER BY from_block" |
  awk -F'|' -v left=$((SHEAD + 1)) '
    { n = $2 - $1 + 1; ramp = 2 ^ int(k / 4); share = int((left + 7) / 8); if (share < 1) share = 1
      if (n > ramp) print "chunk " k " (" $1 ".." $2 "): over the slow start " ramp
      if (n > share) print "chunk " k " (" $1 ".." $2 "): over its share " share " of " left
      left -= n; k++ }
    END { if (k < 16) print "only " k " chunks" }')
check_eq "sparse range: chunks grow by rounds and shrink at the end" "" "$chunk_faults"
check_eq "sparse range with 4 workers: output complete and exact" "$(md5sum <"$T/a.tsv")" "$(raw_union "$T/chunks.sqlite" | md5sum)"

# ---- 6. follow mode across a reorg -------------------------------------------------------
echo "  [${SECONDS}s] 6. follow mode across a reorg" | sed -E "s/ -+$//"
snap=$($CAST rpc evm_snapshot | tr -d '"')
EMITTER_SEED=900000 emitter_emit 3 50
FHEAD=$($CAST block-number)
FOUT=$T/follow.sqlite
"$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --follow --poll-interval 200 --out "$FOUT" -q >"$T/follow.log" 2>&1 &
fpid=$!
followed_to() { [ "$(Q "$FOUT" "SELECT max(to_block) FROM _m2c_checkpoints")" = "$1" ]; } # BLOCK
wait_until 20 "follow to reach block $FHEAD" followed_to "$FHEAD"
check_eq "follow: the output is in WAL mode (readers never wait for it)" wal "$(Q "$FOUT" 'PRAGMA journal_mode')"
check_eq "follow: new blocks extracted" 25 "$(Q "$FOUT" "SELECT count(*) FROM Transfer WHERE block_number > $HEAD")"
$CAST rpc evm_revert "$snap" >/dev/null
EMITTER_SEED=700000 emitter_emit 4 60   # a different, longer chain from the same parent
NEWHEAD=$($CAST block-number)
check_ok "follow: a clean extraction of the final chain" run_extract --out "$T/final.sqlite" --to-block "$NEWHEAD"
FINAL_SUM=$(dump_sqlite "$T/final.sqlite" | md5sum)
# follow has caught up across the reorg when its output equals the clean run
caught_up() { followed_to "$NEWHEAD" && [ "$(dump_sqlite "$FOUT" | md5sum)" = "$FINAL_SUM" ]; }
wait_until 20 "follow to reach block $NEWHEAD with the reorged rows replaced" caught_up
kill -INT "$fpid"; wait "$fpid" 2>/dev/null
check_eq "follow: reorged rows removed, new ones present (equals a clean run)" \
  "$FINAL_SUM" "$(dump_sqlite "$FOUT" | md5sum)"
check_eq "follow: no rows of the orphaned events" 0 "$(Q "$FOUT" "SELECT count(*) FROM Transfer WHERE value = '900000000000000000000000'")"

# ---- 7. bad input: one line, exit 1, nothing written ------------------------------------
echo "  [${SECONDS}s] 7. bad input: one line, exit 1, nothing written" | sed -E "s/ -+$//"
one_line_fail() { # DESC PATTERN ARGS...: exit 1, exactly one stderr line matching PATTERN
  local d=$1 pat=$2 err rc; shift 2
  err=$("$M2C" extract "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -qE -- "$pat" <<<"$err"; then pass
  else fail "$d: exit $rc, stderr '$err'"; fi
}
one_line_fail "unparseable signature" "bad --event" logs --event "Transfer(address indexed from, uint257 x)" --out "$T/n1.sqlite"
one_line_fail "bad address" "bad --address" logs --address 0x1234 --out "$T/n2.sqlite"
one_line_fail "reversed range" "reversed range" logs --from-block 10 --to-block 5 --out "$T/n3.sqlite"
one_line_fail "unreachable RPC" "not a usable Ethereum JSON-RPC endpoint" logs --rpc-url http://127.0.0.1:1 --out "$T/n4.sqlite"
coproc HTML { exec node tests/tools/faultproxy.js "$ETH_RPC_URL" --html; }
PROXY_PID=$HTML_PID
read -r _ hport <&"${HTML[0]}"
one_line_fail "non-Ethereum URL" "not a usable Ethereum JSON-RPC endpoint" logs --rpc-url "http://127.0.0.1:$hport" --out "$T/n5.sqlite"
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=
one_line_fail "bad ABI file" "bad ABI file" logs --abi "$M2C_ROOT/README.md" --out "$T/n6.sqlite"
one_line_fail "beyond the head" "beyond the chain head" logs --to-block 99999999 --out "$T/n7.sqlite"
created=0
for f in n1 n2 n3 n4 n5 n6 n7; do [ -e "$T/$f.sqlite" ] && created=$((created + 1)); done
check_eq "failed runs create no output" 0 "$created"
before=$(md5sum <"$T/a.sqlite")
one_line_fail "existing output with another schema" "holds another dataset" logs --event "Transfer(address indexed from, address indexed to, uint256 value)" --address "$EMITTER" --to-block "$HEAD" --out "$T/a.sqlite"
check_eq "the other dataset is left untouched" "$before" "$(md5sum <"$T/a.sqlite")"
before=$(cat "$T"/b.*csv "$T/b.csv.meta.json" | md5sum)
one_line_fail "existing csv with another schema" "holds another dataset" blocks --to-block "$HEAD" --out "$T/b.csv"
check_eq "the other csv dataset is left untouched" "$before" "$(cat "$T"/b.*csv "$T/b.csv.meta.json" | md5sum)"
echo "not a database" >"$T/foreign.sqlite"
# two writers on one output: the second is refused while the first runs
"$M2C" extract logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" -q --out "$T/lock.sqlite" --chunk-size 1 --rps 10 >/dev/null 2>&1 &
lpid=$!
# the first writer holds its lock on the output (an flock in /proc/locks, read without taking it)
holds_lock() { grep -qE "FLOCK +ADVISORY +WRITE +$lpid " /proc/locks; }
wait_until 20 "the first writer to lock its output" holds_lock
one_line_fail "second writer on the same output" "being written by another ml2chain process" logs --address "$EMITTER" "${ABI[@]}" --from-block 0 --to-block "$HEAD" --out "$T/lock.sqlite"
kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
one_line_fail "foreign file as output" "not an SQLite database|not an ml2chain dataset" blocks --to-block "$HEAD" --out "$T/foreign.sqlite"
check_eq "foreign file untouched" "not a database" "$(cat "$T/foreign.sqlite")"

check_done
