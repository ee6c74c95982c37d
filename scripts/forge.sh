#!/usr/bin/env bash
# forge in contracts/, offline, compiling with solc-js through scripts/solc-wrapper.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/contracts"
exec "$root/bin/forge" "$@" --offline --use "$root/bin/solc"
