#!/usr/bin/env bash
# Runs bench_lr_suggest (the LR range test's suggestions against a grid search) on its inputs:
# extracts 500 train and 300 test images per class of ../shared/data/cifar10-jpg.tar.gz, converts
# the pretrained ResNet-20 (../shared/models) to .npz, then runs every task. Runs already in
# OUT/runs.csv are not repeated, so an interrupted run continues where it stopped.
#   bench/run_lr_suggest.sh [BUILD_DIR (build)] [OUT (bench-out/lr_suggest)] [bench options...]
# About 40 minutes on 2 CPU cores; docs/LR_SUGGESTIONS.md has the table it writes (OUT/regret.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
OUT=${2:-$ROOT/bench-out/lr_suggest}
shift $(($# > 2 ? 2 : $#))
source "$ROOT/tests/repro/shared_inputs.sh"
find_shared_inputs run_lr_suggest.sh resnet20 "$ROOT/../shared" "$BUILD/bench/bench_lr_suggest"
mkdir -p "$OUT/inputs"
extract_subset "$OUT/inputs" 500 300
[ -f "$OUT/inputs/resnet20.npz" ] || "$PY" "$ROOT/tools/python/convert_weights.py" "$TH" --npz "$OUT/inputs/resnet20.npz"
"$BUILD/bench/bench_lr_suggest" --cifar "$SUBSET" --weights "$OUT/inputs/resnet20.npz" --out "$OUT" "$@"
