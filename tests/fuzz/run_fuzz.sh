#!/usr/bin/env bash
# Builds the io fuzz targets (clang, libFuzzer + AddressSanitizer + UBSan) and runs each for a
# bounded time, seeded with the fixtures in tests/fixtures/io.
#   usage: tests/fuzz/run_fuzz.sh [SECONDS | -max_total_time=SECONDS] [more libFuzzer flags...]
# Needs clang++ and its runtime (Debian: apt-get install clang libclang-rt-14-dev) and zlib.
# Builds into $FUZZ_BUILD_DIR (default build-fuzz/); crashing inputs are saved there as crash-*.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
time_flag="-max_total_time=30"
if [[ $# -gt 0 ]]; then
  case "$1" in
    -max_total_time=*) time_flag="$1" ;;
    *[!0-9]* | "") echo "run_fuzz.sh: expected seconds or -max_total_time=N, got '$1'" >&2; exit 2 ;;
    *) time_flag="-max_total_time=$1" ;;
  esac
  shift
fi
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cxx=${FUZZ_CXX:-clang++}
mkdir -p "$build"

for target in npz onnx; do
  echo "== building fuzz_$target"
  "$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root" "$root"/io/*.cpp "$root/tests/fuzz/fuzz_$target.cpp" -lz -o "$build/fuzz_$target"
done

fixtures="$root/tests/fixtures/io"
mkdir -p "$build/corpus_npz" "$build/corpus_onnx"
cp "$fixtures"/*.npz "$fixtures"/*.npy "$build/corpus_npz/"
cp "$fixtures"/*.onnx "$build/corpus_onnx/"

status=0
for target in npz onnx; do
  echo "== running fuzz_$target ($time_flag)"
  if ! "$build/fuzz_$target" "$time_flag" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
      -dict="$root/tests/fuzz/$target.dict" -artifact_prefix="$build/crash-$target-" "$@" \
      "$build/corpus_$target"; then
    echo "== fuzz_$target FAILED; reproduce with: $build/fuzz_$target $build/crash-$target-*" >&2
    status=1
  fi
done
exit $status
