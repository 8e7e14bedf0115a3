#!/usr/bin/env bash
# The README's test command: installs dependencies, builds cyclone (with the
# CUDA backend whenever nvcc is present, so every .cu file is compiled even on
# machines without a GPU), fuzzes the parsers, then tools/scripts/run_sanitizers.sh: a
# clang build with ASan+UBSan and the emulated CUDA device, which runs the CPU
# suite and every CUDA test (none skipped), and gpu_check.sh --emulate. Last,
# the whole CTest suite of the first build (its CUDA tests too where a GPU is
# present; without one they ran on the emulated device).
#   CYCLONE_SANITIZERS=0 skips the sanitizer and emulated pass; BUILD_DIR picks the build folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install_deps.sh
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
# The CPU suite and every CUDA test (on the emulated device) under ASan + UBSan.
if [[ "${CYCLONE_SANITIZERS:-1}" == "1" ]]; then
  start=$(date +%s)
  bash tools/scripts/run_sanitizers.sh
  echo "sanitizer and emulated CUDA pass: $(($(date +%s) - start)) s"
fi
# The whole suite of the first build. Without a GPU its CUDA tests would only print a
# skip notice: they ran on the emulated device above instead.
if nvidia-smi -L >/dev/null 2>&1; then
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" -LE slow
else
  echo "no GPU: the CUDA tests of $BUILD_DIR are left out here; they ran on the emulated device"
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" -LE 'slow|cuda'
fi
