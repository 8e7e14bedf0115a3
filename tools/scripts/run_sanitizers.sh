#!/usr/bin/env bash
# Builds cyclone with clang, AddressSanitizer + UndefinedBehaviorSanitizer and the
# emulated CUDA device (-DCYCLONE_CUDA=EMULATE, with every kernel load and store
# checked), then runs, all under the sanitizers:
#   1. every CPU doctest case;
#   2. every CTest entry labelled cuda on the emulated device: the CUDA = CPU suite,
#      the emulator's own suite, the reproduction, fine-tune and training tests
#      (emulator-sized); none may skip;
#   3. tools/scripts/gpu_check.sh --emulate on the same build, to prove the GPU script's flow.
# Any sanitizer report, failure or skip fails the run.
#   env: BUILD_DIR (build-asan), JOBS (nproc), CYCLONE_GPU_CHECK (1; 0 skips step 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build-asan}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCYCLONE_CUDA=EMULATE \
  -DCYCLONE_SANITIZE=address,undefined -DCMAKE_CXX_FLAGS="-O1 -fno-sanitize-recover=all"
cmake --build "$BUILD_DIR" -j "$JOBS"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== every CPU doctest case under ASan + UBSan"
"$BUILD_DIR"/tests/cyclone_tests --test-suite-exclude=cuda,emulator,slow --no-intro=true

echo "== every CUDA test on the emulated device (ctest -L cuda), under ASan + UBSan"
log=$BUILD_DIR/ctest_cuda.log
start=$(date +%s)
ctest --test-dir "$BUILD_DIR" -L cuda -LE slow --output-on-failure -j "$JOBS" --timeout 1500 | tee "$log"
if grep -qE '\*\*\*Skipped|Not Run' "$log"; then
  echo "run_sanitizers: a CUDA test skipped on the emulated device (see above); every one must run" >&2
  exit 1
fi
echo "emulated CUDA tests took $(($(date +%s) - start)) s"

if [[ "${CYCLONE_GPU_CHECK:-1}" == "1" ]]; then
  # The same build (so its configure and build steps take seconds); ASan makes every step
  # several times slower than the 9-minute plan assumes. The Fashion-MNIST test just ran.
  echo "== tools/scripts/gpu_check.sh --emulate on $BUILD_DIR"
  OUT=$BUILD_DIR/gpu_check_logs BUILD_DIR=$BUILD_DIR GPU_CHECK_CAP_SCALE=6 \
    GPU_CHECK_CTEST_EXCLUDE='^train_fashion_mnist_cuda_vs_cpu$' bash tools/scripts/gpu_check.sh --emulate
fi
