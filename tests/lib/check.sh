# check.sh: assertions for shell tests. Source it, call the checks, end with `check_done`,
# which prints "<name>: N passed, N failed" and returns non-zero on any failure.
M2C_PASSED=0
M2C_FAILED=0
M2C_TEST_NAME=${M2C_TEST_NAME:-$(basename "$0" .sh)}

pass() { M2C_PASSED=$((M2C_PASSED + 1)); }
fail() { M2C_FAILED=$((M2C_FAILED + 1)); echo "  FAIL: $*" >&2; }

# check_eq DESC EXPECTED ACTUAL
check_eq() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}
# check_ok DESC CMD...: the command must exit 0
check_ok() {
  local d=$1; shift
  if "$@" >/dev/null 2>&1; then pass; else fail "$d: '$*' exited $?"; fi
}
# check_fails DESC PATTERN CMD...: the command must exit non-zero with one line on stderr
# matching PATTERN (grep -E).
check_fails() {
  local d=$1 pat=$2; shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null); rc=$?
  if [ $rc -eq 0 ]; then fail "$d: expected failure, exited 0"; return; fi
  if grep -qE -- "$pat" <<<"$err"; then pass; else fail "$d: stderr '$err' lacks /$pat/"; fi
}

check_done() {
  echo "$M2C_TEST_NAME: $M2C_PASSED passed, $M2C_FAILED failed"
  [ "$M2C_FAILED" -eq 0 ]
}
