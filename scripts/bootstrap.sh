#!/usr/bin/env bash
# Idempotent set-up: installs the Debian packages ml2chain builds and tests with (as root),
# and the npm tools (anvil, forge, cast, solc, OpenZeppelin) project-locally from the lockfile.
# Nothing is downloaded at run time after this.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config git jq
  libsecp256k1-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 libjansson-dev
  libmicrohttpd-dev libpq-dev postgresql
  libxgboost-dev
  protobuf-c-compiler libprotobuf-c-dev libonnx-dev
  clang libclang-rt-14-dev hyperfine
)
# Reference implementations used only by tests and benchmarks (never by the product).
APT_PACKAGES_TEST=(python3-sklearn python3-xgboost python3-onnx chromium)

missing=()
for p in "${APT_PACKAGES[@]}" "${APT_PACKAGES_TEST[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: missing Debian packages (run as root to install): ${missing[*]}" >&2
    exit 1
  fi
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v npm >/dev/null || { echo 'bootstrap: node and npm (20+) are required' >&2; exit 1; }

# npm tools, pinned by package-lock.json, installed into ./node_modules.
if [ ! -f node_modules/.ml2chain-lock ] || ! cmp -s package-lock.json node_modules/.ml2chain-lock; then
  echo "bootstrap: installing npm tools (anvil, forge, cast, solc)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.ml2chain-lock
fi

mkdir -p bin
for t in anvil forge cast; do
  ln -sf "../node_modules/@foundry-rs/$t-linux-amd64/bin/$t" "bin/$t"
done
ln -sf ../scripts/solc-wrapper bin/solc
for t in anvil forge cast solc; do
  [ -x "bin/$t" ] || { echo "bootstrap: bin/$t is not executable" >&2; exit 1; }
done
echo "bootstrap: ok ($(bin/anvil --version | head -1); $(bin/solc --version | tail -1))"
