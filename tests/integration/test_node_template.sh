#!/usr/bin/env bash
# `ml2chain node --interface template` against the template-ABI coordinator
# (TemplateCoordinator + TemplateOutputCollector): text inputs answered with the text
# `ml2chain predict` prints, models named by file name or hash, "error:<code>" for bad
# inputs and unknown models, each request fulfilled once.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/check.sh
source tests/lib/anvil.sh
source tests/lib/solc_compile.sh
source tests/lib/node.sh
WORK=$(mktemp -d -t m2c-node-tmpl.XXXXXX)
trap node_cleanup EXIT

anvil_start --block-time 1 || exit 1
node_setup "$WORK" || { echo "setup failed" >&2; exit 1; }
COORD=$(deploy "$USER_KEY" "$(artifact_bytecode TemplateCoordinator)")
TCOLL=$(deploy "$USER_KEY" "$(artifact_bytecode TemplateOutputCollector)" 'f(address)' "$COORD")
send_tx "$USER_KEY" "$COORD" 'setOperator(address,bool)' "$OP_ADDR" true
T_REQ=$("$M2C" sig-event 'RequestEvent(uint256,address,string,string,address,string)')
T_RESP=$("$M2C" sig-event 'ResponseEvent(uint256,string)')

send_tx "$USER_KEY" "$LOAD" 'manyTemplate(address,string,uint256,uint256,address)' "$COORD" lin 8 3 "$TCOLL"
mk() { send_tx "$USER_KEY" "$COORD" 'makeRequest(string,string,address,string)' "$1" "$2" "$TCOLL" 'setOutput(uint256,string)'; }
mk "$MODEL_HASH" "0.25,-0.5"   # model named by its hash
mk lin.qm "1.5,2"              # by file name with extension
mk lin "abc"                   # junk text -> error:4
mk lin "1,2,3"                 # wrong count -> error:5
mk nosuchmodel "1,2"           # unknown -> error:7
TOTAL=13

node_start --interface template --confirmations 1
done_all() { [ "$(logs_json "$T_RESP" | jq 'length')" -ge "$TOTAL" ]; }
check_until 60 "all $TOTAL template requests answered" done_all
node_check_scans 3 "node scans 3 more blocks (nothing else may be sent)"
node_stop

RESP=$(logs_json "$T_RESP")
check_eq "one ResponseEvent per request" "$TOTAL" "$(jq 'length' <<<"$RESP")"
# (id, model, input) of each request, and the output stored for it.
python3 - "$(logs_json "$T_REQ")" >"$WORK/reqs.txt" <<'PY'
import json, sys
for l in json.loads(sys.argv[1]):
    d = bytes.fromhex(l["data"][2:])
    w = lambda i: int.from_bytes(d[32 * i:32 * i + 32], "big")
    s = lambda off: d[off + 32:off + 32 + int.from_bytes(d[off:off + 32], "big")].decode()
    print(hex(w(0)), s(w(2)), s(w(3)), sep="\t")
PY
check_eq "requests read back" "$TOTAL" "$(wc -l <"$WORK/reqs.txt")"
bad=0
while IFS=$'\t' read -r id model input; do
  case "$model:$input" in
    lin:abc) exp="error:4" ;;
    lin:1,2,3) exp="error:5" ;;
    nosuchmodel:*) exp="error:7" ;;
    *) exp=$("$M2C" predict --model "$MODELS/lin.qm" --input "$input") ;;
  esac
  got=$("$CAST" call --rpc-url "$ETH_RPC_URL" "$TCOLL" 'getOutput(uint256)(string)' "$id" | tr -d '"')
  [ "$exp" = "$got" ] || { bad=$((bad + 1)); echo "  $model '$input': expected '$exp', got '$got'" >&2; }
done <"$WORK/reqs.txt"
check_eq "outputs equal ml2chain predict / error codes" 0 "$bad"
check_eq "every request marked fulfilled" "$TOTAL" "$(while IFS=$'\t' read -r id _ _; do
  "$CAST" call --rpc-url "$ETH_RPC_URL" "$COORD" 'requestStatus(uint256)(bool)' "$id"; done <"$WORK/reqs.txt" | grep -c true)"
check_done
