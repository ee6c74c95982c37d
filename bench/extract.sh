#!/usr/bin/env bash
# extract.sh: `make bench` benchmark of `ml2chain extract logs` against a local anvil.
# Emits BENCH_LOGS (default 110000) events of six kinds from tests/data/extract/Emitter.sol,
# then, for the same address filter and block range on the same anvil, times:
#   - cast logs --json (the peer tool), output discarded
#   - the raw limit, eth_getLogs responses fetched with curl and discarded:
#       (a) split exactly as ml2chain split the range (its committed chunks, read back from the
#           output's _m2c_checkpoints), BENCH_CONC requests in flight as ml2chain has workers
#       (b) the whole range in one request
#   - ml2chain extract logs decoding every event into SQLite (fresh output each run)
# ml2chain runs once first (warming anvil and giving its chunks for (a)); then BENCH_REPEAT
# (default 5) interleaved rounds time all four, and each figure is the median of its rounds.
# Reports logs/s, client and anvil CPU, the ratios (of the medians, and round by round), the
# CPU bound, and ml2chain's peak RSS for the whole range and for a shorter one ending at the
# densest block (anvil packs up to ~45 of the 500-event transactions in one block, and a block
# cannot be split, so the peak follows the densest blocks; streaming means it must not grow
# with the length of the range). Prints figures; asserts nothing about time.
set -u
M2C_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$M2C_ROOT"
source tests/lib/anvil.sh
source tests/lib/emitter.sh
N=${BENCH_LOGS:-110000}
PER=500
CONC=${BENCH_CONC:-4}
M2C=$M2C_ROOT/build/ml2chain
T=$(mktemp -d -t m2c-bench-extract.XXXXXX)
trap 'anvil_stop; rm -rf "$T"' EXIT
anvil_start --gas-limit 60000000 >/dev/null || exit 1
emitter_compile && emitter_deploy || exit 1
calls=$(((N + PER - 1) / PER))
while [ "$calls" -gt 0 ]; do
  c=$((calls > 50 ? 50 : calls))
  emitter_emit "$c" "$PER" || exit 1
  calls=$((calls - c))
done
HEAD=$(bin/cast block-number)
echo "$EMITTER_ABI_JSON" >"$T/abi.json"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { print b - a }'; }
# CPU seconds (user + sys) anvil has used so far: the node's share of each measurement
anvil_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$ANVIL_PID/stat"; }
cpu_used() { awk -v a="$1" -v b="$(anvil_cpu)" 'BEGIN { printf "%.2f", b - a }'; }
cpu_of() { awk '{ printf "%.2f", $1 + $2 }' "$1"; } # from /usr/bin/time -f '%U %S'
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
getlogs() { # FROM TO: one eth_getLogs request body
  printf '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x%x","toBlock":"0x%x","address":"%s"}]}\n' "$1" "$2" "$EMITTER"
}
TABLES="Transfer Note Signed Big Anon Flags undecoded_logs"
rows_of() { for t in $TABLES; do sqlite3 "$1" "SELECT count(*) FROM \"$t\""; done | awk '{ s += $1 } END { print s }'; }

# ml2chain, decoded into SQLite: /usr/bin/time gives peak RSS and CPU
run_m2c() { # OUT TO-BLOCK
  rm -f "$1"
  /usr/bin/time -f '%M %U %S' -o "$T/rss" "$M2C" extract logs --address "$EMITTER" --abi "$T/abi.json" \
    --from-block 0 --to-block "$2" --concurrency "$CONC" --out "$1" -q >/dev/null
}

# 1. ml2chain once: warms anvil; its committed chunks are the requests it made (no splits here)
run_m2c "$T/first.sqlite" "$HEAD" || { echo "extract failed"; exit 1; }
sqlite3 "$T/first.sqlite" "SELECT from_block, to_block FROM _m2c_checkpoints ORDER BY from_block" |
  while IFS='|' read -r a b; do getlogs "$a" "$b"; done >"$T/reqs"
nreqs=$(wc -l <"$T/reqs")

# 2-4, in REPEAT interleaved rounds (cast, the two raw fetches, ml2chain): one sample of each
# is at the mercy of the machine's other work (cast alone varied 2.2-3.1 s between runs), so
# each figure is the median of its rounds, and the ratios are also given round by round.
REPEAT=${BENCH_REPEAT:-5}
: >"$T/rounds"
for r in $(seq "$REPEAT"); do
  # cast logs
  t0=$(now); a0=$(anvil_cpu)
  /usr/bin/time -f '%U %S' -o "$T/cast.cpu" bin/cast logs --from-block 0 --to-block "$HEAD" --address "$EMITTER" --json >"$T/cast.json"
  t_cast=$(since "$t0"); an_cast=$(cpu_used "$a0"); cpu_cast=$(cpu_of "$T/cast.cpu")
  # raw curl, ml2chain's requests, as many in flight as it has workers
  t0=$(now); a0=$(anvil_cpu)
  xargs -P "$CONC" -d '\n' -I{} curl -s -o /dev/null -H 'content-type: application/json' --data-binary {} "$ETH_RPC_URL" <"$T/reqs"
  t_raw=$(since "$t0"); an_raw=$(cpu_used "$a0")
  # raw curl, the whole range in one request
  t0=$(now); a0=$(anvil_cpu)
  curl -s -o /dev/null -H 'content-type: application/json' --data-binary "$(getlogs 0 "$HEAD")" "$ETH_RPC_URL"
  t_raw1=$(since "$t0"); an_raw1=$(cpu_used "$a0")
  # ml2chain, into a fresh file
  t0=$(now); a0=$(anvil_cpu)
  run_m2c "$T/full.sqlite" "$HEAD" || { echo "extract failed"; exit 1; }
  t_m2c=$(since "$t0"); an_m2c=$(cpu_used "$a0")
  read -r rss_r u s <"$T/rss"
  echo "$t_cast $cpu_cast $an_cast $t_raw $an_raw $t_raw1 $an_raw1 $t_m2c $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }') $an_m2c $rss_r" >>"$T/rounds"
done
nlogs=$(jq length "$T/cast.json")
rows=$(rows_of "$T/full.sqlite")
med() { # COLUMN: the median of that column of the rounds
  awk -v c="$1" '{ print $c }' "$T/rounds" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
t_cast=$(med 1); cpu_cast=$(med 2); an_cast=$(med 3); t_raw=$(med 4); an_raw=$(med 5)
t_raw1=$(med 6); an_raw1=$(med 7); t_m2c=$(med 8); cpu_m2c=$(med 9); an_m2c=$(med 10)
rss_full=$(awk '$11 > m { m = $11 } END { print m }' "$T/rounds")

# the densest block: the shorter range ends there, so both ranges hold it
read -r dense dense_n < <(jq -r 'group_by(.blockNumber) | map([.[0].blockNumber, length]) | max_by(.[1]) | "\(.[0]) \(.[1])"' "$T/cast.json")
dense=$((dense))
run_m2c "$T/half.sqlite" "$dense" || { echo "extract failed"; exit 1; }
rss_half=$(awk '{ print $1 }' "$T/rss")
half_rows=$(rows_of "$T/half.sqlite")

echo "extract bench: $nlogs logs in $((HEAD + 1)) blocks (anvil, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)), $CONC in flight, median of $REPEAT interleaved rounds"
[ "$rows" = "$nlogs" ] || echo "  WARNING: ml2chain wrote $rows rows, cast read $nlogs logs"
printf '  %-46s %7s %13s %10s %10s\n' "" "wall" "rate" "client CPU" "anvil CPU"
printf '  %-46s %6.2fs %7s log/s %9.2fs %9.2fs\n' "cast logs --json" "$t_cast" "$(rate "$nlogs" "$t_cast")" "$cpu_cast" "$an_cast"
printf '  %-46s %6.2fs %7s log/s %10s %9.2fs\n' "raw eth_getLogs, curl, ml2chain's $nreqs requests" "$t_raw" "$(rate "$nlogs" "$t_raw")" "~0" "$an_raw"
printf '  %-46s %6.2fs %7s log/s %10s %9.2fs\n' "raw eth_getLogs, curl, one request" "$t_raw1" "$(rate "$nlogs" "$t_raw1")" "~0" "$an_raw1"
printf '  %-46s %6.2fs %7s log/s %9.2fs %9.2fs\n' "ml2chain extract logs (decoded -> SQLite)" "$t_m2c" "$(rate "$rows" "$t_m2c")" "$cpu_m2c" "$an_m2c"
awk -v c="$t_cast" -v m="$t_m2c" -v r="$t_raw" -v r1="$t_raw1" 'BEGIN {
  best = r < r1 ? r : r1
  printf "  ml2chain vs cast logs: %.2fx; vs raw fetch: %.0f%% of the split fetch, %.0f%% of the one request, %.0f%% of the faster\n",
    c / m, 100 * r / m, 100 * r1 / m, 100 * best / m }'
awk '{ x = $1 / $8; y = 100 * $4 / $8; printf "%s%.2fx/%.0f%%", (NR > 1 ? ", " : "  rounds (vs cast / % of the split fetch): "), x, y } END { print "" }' "$T/rounds"
# what the cores allow: ml2chain and anvil share them, so the run cannot take less than their
# CPU seconds over the cores (the raw fetch leaves anvil both cores: curl spends none)
awk -v c="$t_cast" -v m="$t_m2c" -v cm="$cpu_m2c" -v am="$an_m2c" -v n="$(nproc)" 'BEGIN {
  floor = (cm + am) / n
  printf "  CPU bound: (client %.2fs + anvil %.2fs) / %d cores = %.2fs, %.0f%% of the measured wall; 3x cast logs needs %.2fs\n",
    cm, am, n, floor, 100 * floor / m, c / 3 }'
echo "  peak RSS: $((rss_half / 1024)) MiB for blocks 0..$dense ($half_rows logs), $((rss_full / 1024)) MiB for 0..$HEAD ($rows logs); densest block $dense: $dense_n logs"
