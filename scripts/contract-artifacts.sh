#!/usr/bin/env bash
# Builds the contracts (offline, solc-js) and exports what `ml2chain deploy` and other tools
# need, one pair per deployable contract: DIR/<Contract>.abi.json (the ABI) and
# DIR/<Contract>.bin (creation bytecode, hex without 0x). DIR defaults to build/contracts.
# Usage: scripts/contract-artifacts.sh [DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build/contracts}
"$root/scripts/forge.sh" build >/dev/null 2>&1 || {
  echo "contract-artifacts: forge build failed (run scripts/forge.sh build)" >&2; exit 1; }
mkdir -p "$dir"
for pair in Coordinator:Coordinator OutputCollector:OutputCollector RiskGate:RiskGate \
            TemplateCoordinator:TemplateCoordinator TemplateOutputCollector:TemplateOutputCollector; do
  file=${pair%%:*} name=${pair##*:}
  art="$root/contracts/out/$file.sol/$name.json"
  [ -f "$art" ] || { echo "contract-artifacts: missing $art" >&2; exit 1; }
  jq '.abi' "$art" >"$dir/$name.abi.json"
  jq -r '.bytecode.object' "$art" | sed 's/^0x//' >"$dir/$name.bin"
  [ -s "$dir/$name.bin" ] || { echo "contract-artifacts: empty bytecode for $name" >&2; exit 1; }
done
echo "contract-artifacts: wrote $(ls "$dir" | wc -l) files to $dir"
