# anvil.sh: sourced by tests, benchmarks and the demo. anvil_start starts a local anvil on a
# free port (extra args are passed through) and exports ANVIL_PID and ETH_RPC_URL;
# anvil_stop stops it. Callers set `trap anvil_stop EXIT` so it never outlives them.
M2C_ROOT=${M2C_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ANVIL_BIN=${ANVIL_BIN:-$M2C_ROOT/bin/anvil}
# anvil's first default account (the well-known test mnemonic); never a real key.
ANVIL_KEY0=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
ANVIL_ADDR0=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
ANVIL_KEY1=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
ANVIL_ADDR1=0x70997970C51812dc3A010C7d01b50e0d17dc79C8

anvil_start() {
  local log
  log=$(mktemp -t m2c-anvil.XXXXXX)
  "$ANVIL_BIN" --port 0 "$@" >"$log" 2>&1 &
  ANVIL_PID=$!
  ANVIL_LOG=$log
  local i port=""
  for i in $(seq 1 200); do
    port=$(sed -nE 's/^Listening on 127\.0\.0\.1:([0-9]+).*/\1/p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$ANVIL_PID" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "anvil did not start:" >&2; cat "$log" >&2
    anvil_stop; return 1
  fi
  export ANVIL_PID ANVIL_LOG ETH_RPC_URL="http://127.0.0.1:$port"
}

anvil_stop() {
  if [ -n "${ANVIL_PID:-}" ]; then
    kill "$ANVIL_PID" 2>/dev/null && wait "$ANVIL_PID" 2>/dev/null
    ANVIL_PID=
  fi
  [ -n "${ANVIL_LOG:-}" ] && rm -f "$ANVIL_LOG"
  return 0
}
