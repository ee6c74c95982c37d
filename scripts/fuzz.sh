#!/usr/bin/env bash
# Runs each libFuzzer target in DIR for SECONDS on a scratch copy of its committed corpus
# (tests/fuzz/corpus/NAME). Fails on the first crash or sanitizer report.
set -u
dir=$1 secs=${2:-30}
cd "$(dirname "$0")/.."
status=0
for f in "$dir"/fuzz_*; do
  n=$(basename "$f"); name=${n#fuzz_}
  work=$(mktemp -d); mkdir -p "tests/fuzz/corpus/$name"
  cp -r "tests/fuzz/corpus/$name/." "$work/" 2>/dev/null
  echo "== fuzz $name (${secs}s)"
  "$f" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="build/fuzz/crash-$name-" "$work" >"$work.log" 2>&1
  rc=$?
  tail -3 "$work.log"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|runtime error' "$work.log" | head -5
    echo "fuzz $name: FAILED (artifacts in build/fuzz/)"; status=1
  fi
  rm -f "$work.log"
  rm -rf "$work"
done
exit $status
