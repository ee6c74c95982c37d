#!/usr/bin/env bash
# Runs every unit-test binary under BUILD/tests and the fuzz-corpus replays under
# BUILD/replay; prints each binary's summary and a closing "unit (BUILD): N passed, N failed".
set -u
build=${1:-build}
cd "$(dirname "$0")/.."
passed=0 failed=0
while IFS= read -r t; do
  out=$("$t" 2>&1); rc=$?
  line=$(printf '%s\n' "$out" | grep -E ': [0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -z "$line" ] || [ $rc -ne 0 ]; then printf '%s\n' "$out"; fi
  if [ -n "$line" ]; then
    p=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$line")
    f=$(sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f))
    [ $rc -ne 0 ] && [ "$f" -eq 0 ] && failed=$((failed + 1))
    echo "  $line"
  else
    echo "  $t: crashed or printed no summary (exit $rc)"; failed=$((failed + 1))
  fi
done < <(find "$build/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort)
for r in $(find "$build/replay" -type f -perm -u+x 2>/dev/null | sort); do
  n=$(basename "$r"); corpus=tests/fuzz/corpus/${n#fuzz_}
  if out=$("$r" "$corpus" 2>&1); then
    passed=$((passed + 1)); echo "  replay $n: $(tail -1 <<<"$out")"
  else
    failed=$((failed + 1)); printf '%s\n' "$out" | tail -20; echo "  replay $n: FAILED"
  fi
done
echo "unit ($build): $passed passed, $failed failed"
[ "$failed" -eq 0 ]
