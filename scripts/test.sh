#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. C unit tests and fuzz-corpus replays (build/)
#   2. the same under AddressSanitizer + UBSan (build/san/)
#   3. forge tests of contracts/ (compiled offline with solc-js)
#   4. integration and differential tests in tests/integration/, each against its own anvil
# Ends with "TOTAL: N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
jobs=$(nproc 2>/dev/null || echo 2)
total_p=0 total_f=0

# The PostgreSQL sink is tested against a real server: the one M2C_PG_URL names, or else the
# local cluster, which scripts/pg-start.sh starts when this runs as root.
if [ -z "${M2C_PG_URL:-}" ] && [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null; then
  M2C_PG_URL=$(scripts/pg-start.sh) || M2C_PG_URL=
fi
if [ -n "${M2C_PG_URL:-}" ] && [[ $M2C_PG_URL != postgres://* && $M2C_PG_URL != postgresql://* ]]; then
  echo "M2C_PG_URL is not a postgres:// URL: '$M2C_PG_URL'"; exit 2
fi
export M2C_PG_URL=${M2C_PG_URL:-}

# run_suite LABEL CMD...: runs CMD, shows its output, adds up every "N passed, N failed"
# line it prints; a non-zero exit with no reported failure counts as one failure.
run_suite() {
  local label=$1; shift
  local out rc p=0 f=0 line
  out=$("$@" 2>&1); rc=$?
  while IFS= read -r line; do
    if [[ $line =~ ^[^[:space:]].*:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      p=$((p + BASH_REMATCH[1])); f=$((f + BASH_REMATCH[2]))
    fi
  done <<<"$out"
  printf '%s\n' "$out" | grep -vE '^\s*$' | tail -n "${M2C_TEST_TAIL:-400}"
  if [ $rc -ne 0 ] && [ $f -eq 0 ]; then f=1; echo "$label: exited $rc"; fi
  total_p=$((total_p + p)); total_f=$((total_f + f))
}

echo "== build"
run_suite build make -s -j"$jobs" all tests
echo "== unit"
run_suite unit scripts/run-unit.sh build
echo "== unit under -fsanitize=address,undefined"
run_suite build-san make -s -j"$jobs" SAN=1 tests cli
run_suite unit-san scripts/run-unit.sh build/san

if [ -f contracts/foundry.toml ]; then
  echo "== forge test"
  forge_suite() {
    local out rc p f
    out=$(scripts/forge.sh test 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E 'Suite result|\[FAIL|Error' | head -80
    p=$(grep -oE '[0-9]+ tests? passed' <<<"$out" | awk '{s+=$1} END {print s+0}')
    f=$(grep -oE '[0-9]+ failed' <<<"$out" | awk '{s+=$1} END {print s+0}')
    echo "forge: $p passed, $f failed"
    return $rc
  }
  run_suite forge forge_suite
fi

echo "== integration (anvil)"
for t in tests/integration/test_*.sh; do
  [ -e "$t" ] || continue
  run_suite "$(basename "$t" .sh)" bash "$t"
done

echo "TOTAL: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
