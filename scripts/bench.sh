#!/usr/bin/env bash
# Runs every benchmark (`make bench`): each bench/bench_*.c is compiled against
# build/libml2chain.a (built by `make all`) and run; each bench/*.sh is run as is.
# Benchmarks print their figures; nothing here asserts on timing.
set -u
cd "$(dirname "$0")/.."
pkgs="libsecp256k1 libcurl jansson sqlite3 libcrypto libpq libmicrohttpd libprotobuf-c"
mkdir -p build/bench
status=0
for src in bench/bench_*.c; do
  [ -e "$src" ] || continue
  n=$(basename "$src" .c)
  echo "== $n"
  # shellcheck disable=SC2046 # pkg-config output is a list of flags
  if ! ${CC:-gcc} -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Ibuild/gen \
      $(pkg-config --cflags $pkgs) -o "build/bench/$n" "$src" build/libml2chain.a \
      $(pkg-config --libs $pkgs) -ldl -lm -lpthread; then
    echo "$n: build failed"; status=1; continue
  fi
  "build/bench/$n" || status=1
done
for sh in bench/*.sh; do
  [ -e "$sh" ] || continue
  echo "== $(basename "$sh" .sh)"
  bash "$sh" || status=1
done
exit $status
