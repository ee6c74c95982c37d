#!/usr/bin/env bash
# determinism.sh: builds the qmodel runtime and the vector generator (tests/ml/test_qvectors.c)
# with gcc at -O0, -O2 and -O3, with clang -O2 when clang is installed, and with
# -fsanitize=address,undefined, then checks that all of them emit byte-identical vector files
# (docs/qmodel.md section 10). Usage: tests/ml/determinism.sh [MODELS] [INPUTS] [OUTDIR]
# Prints "determinism: N passed, N failed" (sourcing tests/lib/check.sh).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
M2C_TEST_NAME=determinism
models=${1:-1000} inputs=${2:-8} out=${3:-$(mktemp -d)}
mkdir -p "$out"
srcs="tests/ml/test_qvectors.c src/ml/qmodel.c src/ml/q256.c src/core/err.c src/core/buf.c
      src/core/hex.c src/core/keccak.c src/core/u256.c"
flags="-std=c11 -D_GNU_SOURCE -Iinclude -Itests -Wall -Wextra -Werror"
builds=("gcc -O0" "gcc -O2" "gcc -O3" "gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all")
command -v clang >/dev/null && builds+=("clang -O2" "clang -O3 -march=native")
ref=
for b in "${builds[@]}"; do
  name=$(tr -c 'a-zA-Z0-9\n' '_' <<<"$b")
  # shellcheck disable=SC2086
  if ! $b $flags -o "$out/gen_$name" $srcs -lm 2>"$out/$name.log"; then
    fail "build with '$b': $(head -3 "$out/$name.log")"; continue
  fi
  if ! "$out/gen_$name" --emit --models "$models" --inputs "$inputs" >"$out/$name.jsonl"; then
    fail "run of '$b'"; continue
  fi
  if [ -z "$ref" ]; then ref=$out/$name.jsonl; pass; continue; fi
  if cmp -s "$ref" "$out/$name.jsonl"; then pass; else fail "'$b' output differs from the first build"; fi
done
lines=$(wc -l <"${ref:-/dev/null}")
check_eq "vector file has one line per model" "$models" "$lines"
echo "vectors: $ref ($(wc -c <"${ref:-/dev/null}") bytes)"
check_done
