#!/usr/bin/env bash
# Verifies cyclone on a machine with an NVIDIA GPU (no network needed), in one command
# from the repo root, as a plan that fits 9 minutes (540 s): every step has a fixed cap
# (its timeout) and the caps of the default steps sum to 540 s. GPU work comes first:
# configure and build for the native GPU; the CUDA tests (cyclone_tests -ts=cuda, then
# the other `ctest -L cuda` entries not labelled slow, e.g. the reproduction of the
# pretrained ResNets with .shared/ from tools/scripts/stage_shared.sh); compute-sanitizer
# memcheck over the CUDA tests; bench_conv, bench_matmul, bench_memory and
# bench_resnet20; the PyTorch peer bench/pytorch_resnet20.py (its `import torch` probe
# inside its cap). The CPU-only ctest entries run last, with whatever time is left.
# A step whose cap no longer fits in what is left of the budget reads "skipped(budget)";
# only FAIL and timeout statuses make the exit status non-zero. Full logs go to $OUT (or
# ./gpu_check_logs); the benchmark tables and a summary table (step, status,
# seconds) are printed last.
#   tools/scripts/gpu_check.sh [--finetune] [--emulate]
#     --finetune  adds the full-data fine-tune on CUDA (finetune_full_resnet20_cuda, with
#                 .shared/) before the CPU tests; the plan is then over 9 minutes and the
#                 budget grows to fit it unless GPU_CHECK_BUDGET_S is set.
#     --emulate   the same flow without a GPU, nvcc or nvidia-smi: -DCYCLONE_CUDA=EMULATE,
#                 no memcheck (the emulator's own checks stand in), no ctest entries
#                 labelled repro or examples, the cuBLAS/cuDNN benchmarks are not built,
#                 bench_resnet20 runs 1 step at batch 4, no PyTorch. An already-configured BUILD_DIR is
#                 reused with its own settings, e.g. in CI after building it:
#                 BUILD_DIR=build-emu-asan tools/scripts/gpu_check.sh --emulate
#   env: BUILD_DIR (build-gpu; build-gpu-emu with --emulate), JOBS (nproc),
#        GPU_CHECK_BUDGET_S (540), GPU_CHECK_CTEST_EXCLUDE (a ctest -E regex for both ctest steps),
#        GPU_CHECK_CAP_SCALE (1: every cap and the budget times this, for a slower build),
#        CYCLONE_COMMIT (the commit to report when .git is absent)
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FINETUNE=0 EMULATE=0
for arg in "$@"; do
  case $arg in
    --finetune) FINETUNE=1 ;;
    --emulate) EMULATE=1 ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done
LOG_DIR=${OUT:-$ROOT/gpu_check_logs}
if ((EMULATE)); then BUILD_DIR=${BUILD_DIR:-build-gpu-emu}; else BUILD_DIR=${BUILD_DIR:-build-gpu}; fi
JOBS=${JOBS:-$(nproc)}
CTEST_EXCLUDE=${GPU_CHECK_CTEST_EXCLUDE:-}  # a ctest -E regex, e.g. for tests known to be broken
mkdir -p "$LOG_DIR" || exit 1
SUMMARY=$LOG_DIR/summary.txt
: >"$SUMMARY"
for log in configure build cuda_tests ctest_cuda memcheck bench finetune_full ctest_cpu; do : >"$LOG_DIR/$log.log"; done
if ! command -v nvcc >/dev/null && [[ -x /usr/local/cuda/bin/nvcc ]]; then export PATH=/usr/local/cuda/bin:$PATH; fi

# ---- the plan: each step's cap in seconds; the default steps' caps sum to 540 ----
declare -A CAP=(
  [configure]=30 [build]=170 [cuda_tests]=40 [ctest_cuda]=50 [memcheck]=50
  [bench_conv]=25 [bench_matmul]=30 [bench_memory]=15 [bench_resnet20]=30
  [pytorch_resnet20]=40 [finetune_full_cuda]=200 [ctest_cpu]=60
)
# A slower machine or build (e.g. the emulated device under ASan in CI) scales every cap and
# the budget by GPU_CHECK_CAP_SCALE; the plan is still the 9-minute plan, slowed down.
SCALE=${GPU_CHECK_CAP_SCALE:-1}
for step in "${!CAP[@]}"; do CAP[$step]=$((CAP[$step] * SCALE)); done
GPU_BENCHES=(bench_conv bench_matmul bench_memory bench_resnet20)
PLAN=(configure build cuda_tests ctest_cuda)
((EMULATE)) || PLAN+=(memcheck)
PLAN+=("${GPU_BENCHES[@]}")
((EMULATE)) || PLAN+=(pytorch_resnet20)
((FINETUNE)) && PLAN+=(finetune_full_cuda)
PLAN+=(ctest_cpu)
PLAN_S=0
for step in "${PLAN[@]}"; do PLAN_S=$((PLAN_S + CAP[$step])); done
DEFAULT_BUDGET_S=$((540 * SCALE))  # 9 minutes (times the scale)
BUDGET_S=${GPU_CHECK_BUDGET_S:-$DEFAULT_BUDGET_S}
if ((FINETUNE)) && [[ -z "${GPU_CHECK_BUDGET_S:-}" ]] && ((PLAN_S > BUDGET_S)); then BUDGET_S=$PLAN_S; fi

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
left_s() { echo $((BUDGET_S - ($(now_ms) - START_MS) / 1000)); }

# run_step [--skip-rc=RC:REASON] NAME LOG CMD...: runs CMD under `timeout` NAME's cap (for
# ctest_cpu: all that is left of the budget), appending its output to LOG, and records the
# outcome. A step whose cap no longer fits in what is left is skipped(budget), so a timeout
# is always the step's own. Exit code RC, if given, records "skipped(REASON)".
run_step() {
  local skip_rc="" skip_reason="" name log cap left status rc t0
  if [[ "$1" == --skip-rc=* ]]; then
    skip_rc=${1#--skip-rc=} && skip_reason=${skip_rc#*:} && skip_rc=${skip_rc%%:*}
    shift
  fi
  name=$1 log=$2
  shift 2
  cap=${CAP[$name]} left=$(left_s)
  if ((cap > left)); then
    record "$name" "skipped(budget)" 0
    return 0
  fi
  [[ "$name" == ctest_cpu ]] && cap=$left
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
  [[ -n "$skip_rc" && "$rc" == "$skip_rc" ]] && status="skipped($skip_reason)"
  record "$name" "$status" "$(($(now_ms) - t0))"
}
record() {
  STEPS+=("$1") STATUSES+=("$2")
  SECONDS_TAKEN+=("$(printf '%d.%d' $(($3 / 1000)) $(($3 % 1000 / 100)))")
  echo "[gpu_check] $1: $2"
}
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | head -n1; }

# Prints the benchmark tables and the summary table, then exits: non-zero only if a step
# failed or timed out (a skipped step does not count).
finish() {
  local total failed=0 st ft_lines
  total=$(($(now_ms) - START_MS))
  for st in "${STATUSES[@]}"; do [[ "$st" == FAIL* || "$st" == timeout* ]] && failed=1; done
  {
    echo
    echo "---- benchmark tables (full output in $LOG_DIR/bench.log) ----"
    grep -E '^(markdown \(|\| |.*FAIL|.*no CUDA device)' "$LOG_DIR/bench.log" 2>/dev/null || echo "(no bench output)"
    if ((FINETUNE)); then
      echo
      echo "---- full-data fine-tune on CUDA (full output in $LOG_DIR/finetune_full.log) ----"
      ft_lines='^[0-9]+: +(resnet20 fine|  [a-zA-Z]|PASS|FAIL|SKIP)'
      if grep -qE "$ft_lines" "$LOG_DIR/finetune_full.log" 2>/dev/null; then
        grep -E "$ft_lines" "$LOG_DIR/finetune_full.log" | sed 's/^[0-9]*: //'
      else
        echo "(no fine-tune output)"
      fi
    fi
    echo
    echo "---- gpu_check summary ($MODE) ----"
    printf '%-22s %-40s %8s\n' step status seconds
    for i in "${!STEPS[@]}"; do
      printf '%-22s %-40s %8s\n' "${STEPS[$i]}" "${STATUSES[$i]}" "${SECONDS_TAKEN[$i]}"
    done
    printf '%-22s %-40s %8s\n' total "$( ((failed)) && echo 'SOME STEPS FAILED' || echo 'no failures')" \
      "$((total / 1000)).$((total % 1000 / 100))"
  } | tee -a "$SUMMARY"
  exit "$failed"
}

# ---- 0. the machine and the plan ----
MODE=$( ((EMULATE)) && echo "emulated CUDA device" || echo "GPU")
say "gpu_check ($MODE): $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), logs in $LOG_DIR"
if ((EMULATE)); then
  say "device: the emulated CUDA device on the CPU (-DCYCLONE_CUDA=EMULATE); no GPU, nvcc or nvidia-smi needed"
else
  say "$(nvidia-smi -L 2>&1 || echo 'nvidia-smi: not available')"
  say "driver: $(nvidia-smi --query-gpu=driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n1)"
  say "toolkit: $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*' || echo 'nvcc not found')"
fi
say "cmake: $(cmake --version 2>/dev/null | head -n1), c++: $(c++ --version 2>/dev/null | head -n1)"
commit=${CYCLONE_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo "unknown (set CYCLONE_COMMIT)")}
SHARED_ARGS=()
[[ -f .shared/data/cifar10-jpg.tar.gz ]] && SHARED_ARGS=(-DCYCLONE_SHARED_DIR="$ROOT/.shared")
say "commit: $commit; .deps: $([[ -d .deps ]] && echo present || echo absent); .shared: $( ((${#SHARED_ARGS[@]})) && echo present || echo absent); jobs: $JOBS; build: $BUILD_DIR"
[[ -n "${CYCLONE_COMMIT:-}" ]] && export CYCLONE_COMMIT
plan_text=""
for step in "${PLAN[@]}"; do plan_text+=" $step ${CAP[$step]}s,"; done
say "plan:${plan_text%,} = ${PLAN_S}s of caps; budget ${BUDGET_S}s"
if ((PLAN_S > DEFAULT_BUDGET_S)); then
  say "plan is over 9 minutes (${PLAN_S}s > ${DEFAULT_BUDGET_S}s)$( ((FINETUNE)) && echo ' because of --finetune')"
fi
((PLAN_S > BUDGET_S)) && say "budget ${BUDGET_S}s < plan ${PLAN_S}s: the last steps may read skipped(budget)"

# ---- 1-2. configure and build (keep going past a failing target) ----
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
if ((EMULATE)) && [[ -f "$BUILD_DIR/CMakeCache.txt" ]]; then
  # An existing build folder is reused with its own settings (CI builds it first).
  if [[ "$(cache_value CYCLONE_CUDA)" != EMULATE ]]; then
    say "$BUILD_DIR is configured with CYCLONE_CUDA=$(cache_value CYCLONE_CUDA), not EMULATE"
    record configure "FAIL(not an emulated build)" 0
    finish
  fi
  say "reusing $BUILD_DIR as configured ($(cache_value CMAKE_BUILD_TYPE)," \
    "bench: $(cache_value CYCLONE_BUILD_BENCH), sanitize: $(cache_value CYCLONE_SANITIZE)," \
    "emulator access checks: $(cache_value CYCLONE_EMU_ACCESS_CHECKS))"
  run_step configure "$LOG_DIR/configure.log" cmake -S . -B "$BUILD_DIR"
else
  if ((EMULATE)); then
    CUDA_ARGS=(-DCYCLONE_CUDA=EMULATE)
  else
    CUDA_ARGS=(-DCYCLONE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=native)
  fi
  run_step configure "$LOG_DIR/configure.log" cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" \
    -DCMAKE_BUILD_TYPE=Release "${CUDA_ARGS[@]}" -DCYCLONE_BUILD_TESTS=ON -DCYCLONE_BUILD_BENCH=ON \
    -DCYCLONE_DEPS_DIR="$ROOT/.deps" "${SHARED_ARGS[@]}"
fi
KEEP_GOING=(-k 0)
[[ "$(cache_value CMAKE_GENERATOR)" == Ninja ]] || KEEP_GOING=(-k)
run_step build "$LOG_DIR/build.log" cmake --build "$BUILD_DIR" -j "$JOBS" -- "${KEEP_GOING[@]}"

# ---- 3. the CUDA tests: the doctest suite, then the other CUDA entries not labelled slow ----
TESTS_BIN=$BUILD_DIR/tests/cyclone_tests
if [[ -x "$TESTS_BIN" ]]; then
  run_step cuda_tests "$LOG_DIR/cuda_tests.log" "$TESTS_BIN" -ts=cuda --no-intro=true
else
  record cuda_tests "skipped(not built)" 0
fi
# cuda_vs_cpu is the same suite as cuda_tests, just run. With --emulate, the entries that take
# minutes on a CPU (labels repro and examples: real CIFAR-10, whole trainings) are left out.
LABELS_OUT=slow
if ((EMULATE)); then
  LABELS_OUT='slow|repro|examples'
  say "ctest: the entries labelled repro or examples are left out with --emulate (minutes each on a CPU)"
fi
if [[ ! -x "$TESTS_BIN" ]]; then
  record ctest_cuda "skipped(not built)" 0
else
  run_step ctest_cuda "$LOG_DIR/ctest_cuda.log" ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" \
    --timeout "${CAP[ctest_cuda]}" -L cuda -LE "$LABELS_OUT" -E "^cuda_vs_cpu\$${CTEST_EXCLUDE:+|$CTEST_EXCLUDE}"
fi

# ---- 4. memcheck over the CUDA tests ----
SANITIZER=$(command -v compute-sanitizer || true)
[[ -z "$SANITIZER" && -x /usr/local/cuda/bin/compute-sanitizer ]] && SANITIZER=/usr/local/cuda/bin/compute-sanitizer
if ((EMULATE)); then
  say "memcheck: not run on the emulated device; its own checks stand in (races and barriers always," \
    "every load and store when CYCLONE_EMU_ACCESS_CHECKS=ON; here: $(cache_value CYCLONE_EMU_ACCESS_CHECKS))"
  record memcheck "skipped(emulated: own checks)" 0
elif [[ -z "$SANITIZER" ]]; then
  record memcheck "skipped(no compute-sanitizer)" 0
elif [[ ! -x "$TESTS_BIN" ]]; then
  record memcheck "skipped(not built)" 0
else
  run_step memcheck "$LOG_DIR/memcheck.log" "$SANITIZER" --tool memcheck --error-exitcode 1 \
    "$TESTS_BIN" -ts=cuda --no-intro=true
fi

# ---- 5. the GPU benchmarks; results also go to $LOG_DIR/bench_results.csv ----
for name in "${GPU_BENCHES[@]}"; do
  bin=$BUILD_DIR/bench/$name
  if [[ ! -x "$bin" ]]; then
    record "$name" "skipped(not built)" 0
    continue
  fi
  args=()
  ((EMULATE)) && [[ "$name" == bench_resnet20 ]] && args=(1 4)  # 1 step at batch 4: that it runs, not its speed
  run_step "$name" "$LOG_DIR/bench.log" env OUT="$LOG_DIR" "$bin" "${args[@]}"
done

# ---- 6. the PyTorch peer of bench_resnet20 (same model and batch), when python3 has torch ----
if ((EMULATE)); then
  say "pytorch_resnet20: not run with --emulate (the PyTorch peer needs a CUDA device)"
  record pytorch_resnet20 "skipped(emulated)" 0
else
  run_step --skip-rc=77:"no torch for python3" pytorch_resnet20 "$LOG_DIR/bench.log" env CYCLONE_COMMIT="$commit" \
    bash -c 'python3 -c "import torch" >/dev/null 2>&1 || { echo "python3 has no torch"; exit 77; }
             exec python3 bench/pytorch_resnet20.py'
fi

# ---- 7. with --finetune: the full-data fine-tune on CUDA (skips without .shared); its result JSON is kept ----
if ((FINETUNE)); then
  run_step finetune_full_cuda "$LOG_DIR/finetune_full.log" ctest --test-dir "$BUILD_DIR" -V \
    -R '^finetune_full_resnet20_cuda$' --timeout $((CAP[finetune_full_cuda] - 10))
  cp "$BUILD_DIR/tests/finetune/resnet20-full-cuda/finetune.log" "$LOG_DIR/finetune_full_cuda.json" 2>/dev/null || true
fi

# ---- 8. the CPU-only ctest entries, with what is left of the budget ----
if [[ ! -x "$TESTS_BIN" ]]; then
  record ctest_cpu "skipped(not built)" 0
else
  run_step ctest_cpu "$LOG_DIR/ctest_cpu.log" ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" \
    --timeout "$(left_s)" -L cpu -LE "$LABELS_OUT|cuda" ${CTEST_EXCLUDE:+-E "$CTEST_EXCLUDE"}
fi

finish
