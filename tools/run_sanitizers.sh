#!/usr/bin/env bash
# Builds the CPU backend and tests with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs the CPU suite; any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCYCLONE_CUDA=OFF \
  -DCYCLONE_SANITIZE=address,undefined -DCYCLONE_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="-O1 -fno-sanitize-recover=all"
cmake --build build-asan -j "$JOBS" --target cyclone_tests
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Every CPU doctest case (the CUDA suite is skipped in this CPU-only build).
build-asan/tests/cyclone_tests --test-suite-exclude=cuda,slow --no-intro=true
