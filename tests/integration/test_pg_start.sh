#!/usr/bin/env bash
# scripts/pg-start.sh after the local PostgreSQL cluster was killed uncleanly (kill -9 of the
# postmaster leaves a stale pid file and socket lock, and its backends take a moment to die):
# it must start the cluster again and print the URL and nothing else on stdout (pg_ctlcluster's
# "Removed stale pid file." goes to stderr, where `M2C_PG_URL=$(scripts/pg-start.sh)` does not
# capture it), the URL must connect, and a call on the running cluster prints the same URL.
# It kills the machine's cluster, so it runs only where M2C_TEST_PG_RESTART=1: .ci/run sets it.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
if [ "${M2C_TEST_PG_RESTART:-}" != 1 ]; then
  echo "  not run: it kills the local PostgreSQL cluster (M2C_TEST_PG_RESTART=1 runs it)"
  check_done
  exit
fi
WORK=$(mktemp -d -t m2c-pg-start.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

URL=$(scripts/pg-start.sh 2>/dev/null)
check_ok "the cluster runs and pg-start prints a postgres:// URL" grep -q '^postgres://' <<<"$URL"
PGDATA_DIR=$(pg_lsclusters -h | awk '$4 == "online" { print $6; exit }')
PID=$(head -1 "$PGDATA_DIR/postmaster.pid")
kill -9 "$PID"
gone() { ! kill -0 "$PID" 2>/dev/null; }
check_until 10 "the postmaster is gone" gone
check_ok "its pid file is left behind" test -f "$PGDATA_DIR/postmaster.pid"

OUT=$(scripts/pg-start.sh 2>"$WORK/err")
check_eq "pg-start after kill -9: exit 0" 0 "$?"
check_eq "stdout is the URL and nothing else" "$URL" "$OUT"
check_eq "the URL connects" 1 "$(psql "$OUT" -qAtc 'SELECT 1' 2>&1)"
check_eq "a call on the running cluster prints the same URL" "$URL" "$(scripts/pg-start.sh 2>/dev/null)"
check_done
