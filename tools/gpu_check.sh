#!/usr/bin/env bash
# Verifies cyclone on a machine with an NVIDIA GPU (no network needed), in one
# command from the repo root: configure for the native GPU, build, run the CTest
# suite (CUDA included; with .shared/ from tools/stage_shared.sh, also the
# reproduction of the pretrained ResNets on CUDA), the full-data fine-tune on
# CUDA (with .shared/), compute-sanitizer memcheck over the CUDA tests, then
# every bench/bench_* executable and bench/pytorch_resnet20.py (the PyTorch
# peer, when python3 has torch). Each step has a timeout and the run goes on
# past a failing step. Full logs go to $OUT (or ./gpu_check_logs); a summary
# table (step, status, seconds) and the benchmark tables are printed last.
#   tools/gpu_check.sh    env: BUILD_DIR (build-gpu), JOBS (nproc), GPU_CHECK_BUDGET_S (540),
#                         CYCLONE_COMMIT (the commit to report when .git is absent)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
LOG_DIR=${OUT:-$ROOT/gpu_check_logs}
BUILD_DIR=${BUILD_DIR:-build-gpu}
JOBS=${JOBS:-$(nproc)}
BUDGET_S=${GPU_CHECK_BUDGET_S:-540}  # the whole run stays under 9 minutes
mkdir -p "$LOG_DIR" || exit 1
SUMMARY=$LOG_DIR/summary.txt
: >"$SUMMARY"
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then export PATH=/usr/local/cuda/bin:$PATH; fi

# Milliseconds since the epoch (bash 5's EPOCHREALTIME, else date).
now_ms() {
  if [[ -n "${EPOCHREALTIME:-}" ]]; then
    local t=${EPOCHREALTIME//[.,]/}
    echo $((10#$t / 1000))
  else
    echo $(($(date +%s%N) / 1000000))
  fi
}
START_MS=$(now_ms)
STEPS=() STATUSES=() SECONDS_TAKEN=()
say() { echo "$*" | tee -a "$SUMMARY"; }

# run_step NAME CAP_SECONDS LOG CMD...: runs CMD under `timeout` (the smaller of CAP
# and what is left of the budget), appending its output to LOG; records the outcome.
run_step() {
  local name=$1 cap=$2 log=$3 left status rc t0
  shift 3
  left=$((BUDGET_S - ($(now_ms) - START_MS) / 1000))
  if ((left < 15)); then
    record "$name" "skipped(budget)" 0
    return 1
  fi
  ((cap > left)) && cap=$left
  echo "[gpu_check] $name (timeout ${cap}s, log $log)"
  t0=$(now_ms)
  {
    echo "==> $name: $*"
    timeout --kill-after=10 "$cap" "$@"
  } >>"$log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124 | 137) status="timeout(${cap}s)" ;;
    *) status="FAIL(rc=$rc)" ;;
  esac
  record "$name" "$status" "$(($(now_ms) - t0))"
  return "$rc"
}
record() {
  STEPS+=("$1") STATUSES+=("$2")
  SECONDS_TAKEN+=("$(printf '%d.%d' $(($3 / 1000)) $(($3 % 1000 / 100)))")
  echo "[gpu_check] $1: $2"
}

# ---- 0. the machine ----
say "gpu_check: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), logs in $LOG_DIR"
say "$(nvidia-smi -L 2>&1 || echo 'nvidia-smi: not available')"
say "driver: $(nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)"
say "toolkit: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'nvcc not found')"
say "cmake: $(cmake --version 2>/dev/null | head -n1), c++: $(c++ --version 2>/dev/null | head -n1)"
commit=${CYCLONE_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (set CYCLONE_COMMIT)")}
SHARED_ARGS=()
[[ -f .shared/data/cifar10-jpg.tar.gz ]] && SHARED_ARGS=(-DCYCLONE_SHARED_DIR="$ROOT/.shared")
say "commit: $commit; .deps: $([[ -d .deps ]] && echo present || echo absent); .shared: $( ((${#SHARED_ARGS[@]})) && echo present || echo absent); jobs: $JOBS; budget: ${BUDGET_S}s"
[[ -n "${CYCLONE_COMMIT:-}" ]] && export CYCLONE_COMMIT

SANITIZER=$(command -v compute-sanitizer || true)
[[ -z "$SANITIZER" && -x /usr/local/cuda/bin/compute-sanitizer ]] && SANITIZER=/usr/local/cuda/bin/compute-sanitizer
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)

# ---- 1-3. configure and build (keep going past a failing target) ----
run_step configure 150 "$LOG_DIR/configure.log" cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DCYCLONE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native \
  -DCYCLONE_BUILD_TESTS=ON -DCYCLONE_BUILD_BENCH=ON -DCYCLONE_DEPS_DIR="$ROOT/.deps" "${SHARED_ARGS[@]}"
KEEP_GOING=(-k 0)
((${#GENERATOR[@]})) || KEEP_GOING=(-k)
run_step build 300 "$LOG_DIR/build.log" cmake --build "$BUILD_DIR" -j "$JOBS" -- "${KEEP_GOING[@]}"

# ---- 4. the test suite, CUDA included (the CPU's full-data repro and fine-tunes are left to CPU machines) ----
run_step ctest 240 "$LOG_DIR/ctest.log" ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 180 \
  -E '^(finetune_full_resnet20_(cpu|cuda)|repro_full_resnet[0-9]+)$'

# ---- 4b. the full-data fine-tune on CUDA (skips without .shared); its result JSON is kept ----
run_step finetune_full_cuda 200 "$LOG_DIR/finetune_full.log" ctest --test-dir "$BUILD_DIR" -V \
  -R '^finetune_full_resnet20_cuda$' --timeout 190
cp "$BUILD_DIR/tests/finetune/resnet20-full-cuda/finetune.log" "$LOG_DIR/finetune_full_cuda.json" 2>/dev/null || true

# ---- 5. memcheck over the CUDA tests ----
TESTS_BIN=$BUILD_DIR/tests/cyclone_tests
if [[ -z "$SANITIZER" ]]; then
  record memcheck "skipped(no compute-sanitizer)" 0
elif [[ ! -x "$TESTS_BIN" ]]; then
  record memcheck "skipped(no $TESTS_BIN)" 0
else
  run_step memcheck 240 "$LOG_DIR/memcheck.log" "$SANITIZER" --tool memcheck --error-exitcode 1 \
    "$TESTS_BIN" -ts=cuda
fi

# ---- 6. every benchmark; results also go to $LOG_DIR/bench_results.csv ----
benches=()
for b in "$BUILD_DIR"/bench/bench_*; do [[ -f "$b" && -x "$b" ]] && benches+=("$b"); done
((${#benches[@]})) || record bench "skipped(no bench_* in $BUILD_DIR/bench)" 0
for b in "${benches[@]}"; do
  run_step "$(basename "$b")" 180 "$LOG_DIR/bench.log" env OUT="$LOG_DIR" "$b"
done

# ---- 7. the PyTorch peer of bench_resnet20 (same model and batch), when python3 has torch ----
if timeout 60 python3 -c "import torch" >/dev/null 2>&1; then
  run_step pytorch_resnet20 120 "$LOG_DIR/bench.log" env CYCLONE_COMMIT="$commit" python3 bench/pytorch_resnet20.py
else
  record pytorch_resnet20 "skipped(no torch for python3)" 0
fi

# ---- summary ----
total=$(($(now_ms) - START_MS))
failed=0
for st in "${STATUSES[@]}"; do [[ "$st" == ok ]] || failed=1; done
{
  echo
  echo "---- benchmark tables (full output in $LOG_DIR/bench.log) ----"
  grep -E '^(markdown \(|\| |.*FAIL|.*no CUDA device)' "$LOG_DIR/bench.log" 2>/dev/null || echo "(no bench output)"
  echo
  echo "---- full-data fine-tune on CUDA (full output in $LOG_DIR/finetune_full.log) ----"
  ft_lines='^[0-9]+: +(resnet20 fine|  [a-zA-Z]|PASS|FAIL|SKIP)'
  if grep -qE "$ft_lines" "$LOG_DIR/finetune_full.log" 2>/dev/null; then
    grep -E "$ft_lines" "$LOG_DIR/finetune_full.log" | sed 's/^[0-9]*: //'
  else
    echo "(no fine-tune output)"
  fi
  echo
  echo "---- gpu_check summary ----"
  printf '%-22s %-34s %8s\n' step status seconds
  for i in "${!STEPS[@]}"; do
    printf '%-22s %-34s %8s\n' "${STEPS[$i]}" "${STATUSES[$i]}" "${SECONDS_TAKEN[$i]}"
  done
  printf '%-22s %-34s %8s\n' total "$( ((failed)) && echo 'SOME STEPS NOT OK' || echo 'all ok')" \
    "$((total / 1000)).$((total % 1000 / 100))"
} | tee -a "$SUMMARY"
exit "$failed"
