#!/usr/bin/env bash
# The README's test command: installs dependencies, builds cyclone (with the
# CUDA backend whenever nvcc is present, so every .cu file is compiled even on
# machines without a GPU), and runs the whole CTest suite. CUDA tests skip with
# a notice when no GPU is present. Then the CPU suite again under ASan+UBSan.
#   CYCLONE_SANITIZERS=0 skips the sanitizer pass; BUILD_DIR picks the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
if [[ -x /usr/local/cuda/bin/nvcc ]]; then export PATH=/usr/local/cuda/bin:$PATH; fi
JOBS=${JOBS:-$(nproc)}
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$BUILD_DIR" -j "$JOBS"
# Short, bounded fuzzing of the npz and ONNX parsers (libFuzzer + ASan/UBSan).
if [[ "${CYCLONE_FUZZ_SECONDS:-15}" != "0" ]]; then
  mkdir -p "$BUILD_DIR"
  if bash tests/fuzz/run_fuzz.sh "${CYCLONE_FUZZ_SECONDS:-15}" >"$BUILD_DIR/fuzz.log" 2>&1; then
    grep -E "^(== |Done )" "$BUILD_DIR/fuzz.log" || true
  else
    tail -n 40 "$BUILD_DIR/fuzz.log"
    echo "fuzzing found a problem; full log: $BUILD_DIR/fuzz.log" >&2
    exit 1
  fi
fi
# The CPU suite under AddressSanitizer + UndefinedBehaviorSanitizer.
if [[ "${CYCLONE_SANITIZERS:-1}" == "1" ]]; then
  bash tools/run_sanitizers.sh
fi
# The whole suite (CUDA tests print a skip notice where no GPU is present).
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" -LE slow
