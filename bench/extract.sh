#!/usr/bin/env bash
# extract.sh: `make bench` benchmark of `ml2chain extract logs` against a local anvil.
# Emits BENCH_LOGS (default 110000) events of six kinds from tests/data/extract/Emitter.sol,
# then, for the same address filter and block range, times:
#   - cast logs --json (the peer tool), output discarded
#   - the raw limit: the same eth_getLogs responses fetched with curl and discarded (one
#     request per chunk of BENCH_CHUNK blocks, BENCH_CONC requests in flight, as ml2chain does)
#   - ml2chain extract logs decoding every event into SQLite (fresh output each run)
# and reports logs/s for each, the ratios, and ml2chain's peak RSS for half and the whole range
# (streaming: it must stay flat). Prints figures; asserts nothing about time.
set -u
M2C_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$M2C_ROOT"
source tests/lib/anvil.sh
source tests/lib/emitter.sh
N=${BENCH_LOGS:-110000}
PER=500
CHUNK=${BENCH_CHUNK:-10}
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
# CPU seconds (user + sys) anvil has used so far: the node's share of each measurement
anvil_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$ANVIL_PID/stat"; }
cpu_of() { awk '{ printf "%.2f", $1 + $2 }' "$1"; } # from /usr/bin/time -f '%U %S' 
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }

# cast logs
t0=$(now); a0=$(anvil_cpu)
/usr/bin/time -f '%U %S' -o "$T/cast.cpu" bin/cast logs --from-block 0 --to-block "$HEAD" --address "$EMITTER" --json >"$T/cast.json"
t_cast=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
an_cast=$(awk -v a="$a0" -v b="$(anvil_cpu)" 'BEGIN { printf "%.2f", b - a }')
nlogs=$(jq length "$T/cast.json")

# raw curl, same chunks and concurrency as ml2chain
seq 0 "$CHUNK" "$HEAD" | while read -r a; do
  b=$((a + CHUNK - 1)); [ $b -gt "$HEAD" ] && b=$HEAD
  printf '{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x%x","toBlock":"0x%x","address":"%s"}]}\n' "$a" "$b" "$EMITTER"
done >"$T/reqs"
t0=$(now); a0=$(anvil_cpu)
xargs -P "$CONC" -d '\n' -I{} curl -s -o /dev/null -H 'content-type: application/json' --data-binary {} "$ETH_RPC_URL" <"$T/reqs"
t_raw=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
an_raw=$(awk -v a="$a0" -v b="$(anvil_cpu)" 'BEGIN { printf "%.2f", b - a }')
# raw curl, the whole range in one request
t0=$(now)
curl -s -o /dev/null -H 'content-type: application/json' --data-binary \
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_getLogs\",\"params\":[{\"fromBlock\":\"0x0\",\"toBlock\":\"$(printf '0x%x' "$HEAD")\",\"address\":\"$EMITTER\"}]}" "$ETH_RPC_URL"
t_raw1=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')

# ml2chain, decoded into SQLite; peak RSS for half and the whole range
run_m2c() { # OUT TO-BLOCK
  /usr/bin/time -f '%M %U %S' -o "$T/rss" "$M2C" extract logs --address "$EMITTER" --abi "$T/abi.json" \
    --from-block 0 --to-block "$2" --concurrency "$CONC" --out "$1" -q >/dev/null
}
t0=$(now); a0=$(anvil_cpu)
run_m2c "$T/full.sqlite" "$HEAD" || { echo "extract failed"; exit 1; }
t_m2c=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
an_m2c=$(awk -v a="$a0" -v b="$(anvil_cpu)" 'BEGIN { printf "%.2f", b - a }')
rss_full=$(awk '{print $1}' "$T/rss")
cpu_m2c=$(awk '{ printf "%.2f", $2 + $3 }' "$T/rss")
rows=$(for t in Transfer Note Signed Big Anon Flags undecoded_logs; do sqlite3 "$T/full.sqlite" "SELECT count(*) FROM \"$t\""; done | awk '{s += $1} END {print s}')
run_m2c "$T/half.sqlite" $((HEAD / 2)) || { echo "extract failed"; exit 1; }
rss_half=$(awk '{print $1}' "$T/rss")
half_rows=$(for t in Transfer Note Signed Big Anon Flags undecoded_logs; do sqlite3 "$T/half.sqlite" "SELECT count(*) FROM \"$t\""; done | awk '{s += $1} END {print s}')

echo "extract bench: $nlogs logs in $((HEAD + 1)) blocks (anvil, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), $CONC in flight"
printf '  %-42s %7s %12s %10s %10s\n' "" "wall" "rate" "client CPU" "anvil CPU"
printf '  %-42s %6.2fs %7s log/s %9.2fs %9.2fs\n' "cast logs --json" "$t_cast" "$(rate "$nlogs" "$t_cast")" "$(cpu_of "$T/cast.cpu")" "$an_cast"
printf '  %-42s %6.2fs %7s log/s %10s %9.2fs\n' "raw eth_getLogs, curl, $CHUNK-block chunks" "$t_raw" "$(rate "$nlogs" "$t_raw")" "-" "$an_raw"
printf '  %-42s %6.2fs %7s log/s %10s %10s\n' "raw eth_getLogs, curl, one request" "$t_raw1" "$(rate "$nlogs" "$t_raw1")" "-" "-"
printf '  %-42s %6.2fs %7s log/s %9.2fs %9.2fs\n' "ml2chain extract logs (decoded -> SQLite)" "$t_m2c" "$(rate "$rows" "$t_m2c")" "$cpu_m2c" "$an_m2c"
best_raw=$(awk -v a="$t_raw" -v b="$t_raw1" 'BEGIN { print (a < b ? a : b) }')
awk -v c="$t_cast" -v m="$t_m2c" -v r="$best_raw" 'BEGIN {
  printf "  ml2chain vs cast logs: %.2fx faster; vs the raw fetch limit: %.0f%% of its rate\n", c / m, 100 * r / m }'
echo "  peak RSS: $((rss_half / 1024)) MiB for $half_rows logs, $((rss_full / 1024)) MiB for $rows logs"
