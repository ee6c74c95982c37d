#!/usr/bin/env bash
# The `make demo` path (scripts/demo.sh) on a smaller population: every step runs, the
# classifier learns (held-out accuracy well above chance), the node answers every request,
# RiskGate decides, and nothing the demo started is left running. Also: a failing step makes
# the demo exit non-zero and still stops what it started.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
OUT=$(mktemp -t m2c-demo-test.XXXXXX)
trap 'rm -f "$OUT"' EXIT

DEMO_BOTS=40 DEMO_USERS=40 DEMO_ROUNDS=12 DEMO_SEED=7 scripts/demo.sh >"$OUT" 2>&1
check_eq "demo exit" "0" "$?"
check_eq "twelve numbered steps" "12" "$(grep -cE '^\[[0-9]+\] ' "$OUT")"
check_eq "Member rows: the whole population" "80" "$(sed -nE 's/.* ([0-9]+) Member rows.*/\1/p' "$OUT")"
ntr=$(sed -nE 's/^ +([0-9]+) Transfer rows.*/\1/p' "$OUT")
check_eq "some hundreds of transfers" "yes" "$([ "${ntr:-0}" -gt 300 ] && echo yes || echo no)"
acc=$(awk '/^ +accuracy/{print $3}' "$OUT")
check_eq "quantized held-out accuracy above 0.8" "yes" "$(awk -v a="${acc:-0}" 'BEGIN{print (a > 0.8) ? "yes" : "no"}')"
check_eq "model registered as id 1" "1" "$(awk '/^ +model id/{print $3}' "$OUT")"
check_eq "two collector outputs, no error code" "2" "$(grep -c 'P(bot) = [0-9.]*  (request .*error code 0)' "$OUT")"
check_eq "six RiskGate decisions" "6" "$(grep -cE 'score [0-9.]+ -> (approved|denied)' "$OUT")"
check_eq "node fulfilled all 8 requests" "1" "$(grep -c 'the node fulfilled 8 requests' "$OUT")"
acts=$(sed -nE 's/.*RiskGate actions performed: ([0-9]+);.*/\1/p' "$OUT")
check_eq "actions = approvals" "$(grep -c 'approved -> act() done' "$OUT")" "$acts"
# anvil (--config-out) and the node (--models, --state) carry the demo's work directory in
# their command lines: none may remain.
W=$(sed -nE 's/^ +node pid [0-9]+, log (.*)\/node\.log$/\1/p' "$OUT")
check_eq "work directory printed" "yes" "$([ -n "$W" ] && echo yes || echo no)"
check_eq "no anvil or node left running" "" "$(pgrep -f -- "${W:-none}/" || true)"
check_eq "work directory removed" "0" "$(grep -c 'logs kept' "$OUT")"

# A failing step: no anvil binary. Non-zero exit, the failure named, nothing left behind.
ANVIL_BIN=/nonexistent/anvil DEMO_BOTS=4 DEMO_USERS=4 DEMO_ROUNDS=2 scripts/demo.sh >"$OUT" 2>&1
rc=$?
check_eq "failing demo exits non-zero" "yes" "$([ $rc -ne 0 ] && echo yes || echo no)"
check_eq "failure named" "1" "$(grep -c 'demo: anvil did not start' "$OUT")"
W=$(sed -nE 's/.*logs kept in (.*)$/\1/p' "$OUT")
check_eq "failed demo keeps its logs" "yes" "$([ -n "$W" ] && [ -d "$W" ] && echo yes || echo no)"
check_eq "nothing left running after the failure" "" "$(pgrep -f -- "${W:-none}/" || true)"
[ -n "$W" ] && rm -rf "$W"
check_done
