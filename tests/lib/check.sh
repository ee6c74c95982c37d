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

# wait_until TIMEOUT_S DESC CMD...: runs CMD (output discarded) every 0.1 s until it exits 0,
# then returns 0; after TIMEOUT_S seconds (whole seconds) prints "timed out after TIMEOUT_S s
# waiting for DESC" on stderr and returns 1. Tests wait on a state this way (a store row, a
# log line, an event, a block, a process), never with a bare `sleep`: a fixed sleep fails
# on a slow machine and wastes time on a fast one. The few deliberate fixed waits (a window
# in which nothing may happen, a random kill time) say why in a comment. With M2C_WAIT_TRACE
# set, each wait says on stderr how long it took.
wait_until() {
  m2c_poll_ "$@" && return 0
  echo "  timed out after $1 s waiting for $2" >&2
  return 1
}
# check_until TIMEOUT_S DESC CMD...: wait_until as a check: passes when CMD succeeds in time,
# fails with "DESC: timed out after TIMEOUT_S s" when it does not.
check_until() {
  if m2c_poll_ "$@"; then pass; else fail "$2: timed out after $1 s"; fi
}
m2c_poll_() { # TIMEOUT_S DESC CMD...
  local t=$1 d=$2; shift 2
  local now=${EPOCHREALTIME/./} start end
  start=$now end=$((now + t * 1000000))
  while :; do
    if "$@" >/dev/null 2>&1; then
      [ -z "${M2C_WAIT_TRACE:-}" ] ||
        printf '  waited %d ms for %s\n' $(((${EPOCHREALTIME/./} - start) / 1000)) "$d" >&2
      return 0
    fi
    now=${EPOCHREALTIME/./}
    [ "$now" -lt "$end" ] || return 1
    sleep 0.1
  done
}

check_done() {
  echo "$M2C_TEST_NAME: $M2C_PASSED passed, $M2C_FAILED failed"
  [ "$M2C_FAILED" -eq 0 ]
}
