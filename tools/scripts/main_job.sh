#!/usr/bin/env bash
# The README's main job: installs what is needed, builds the `cyclone` tool,
# then runs the LR range test and a short training run (lr chosen by the
# range test, docs/LR_SUGGESTIONS.md) of the small CNN on real Fashion-MNIST: one epoch of
# all 60,000 images, writing CSV logs and plots to out/fashion-mnist/. Uses the GPU when one
# is present.
#   EPOCHS, LIMIT_TRAIN and OUT can be overridden from the environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/install_deps.sh
CUDA_FLAG=-DCYCLONE_CUDA=OFF
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  export PATH=/usr/local/cuda/bin:$PATH
  CUDA_FLAG=-DCYCLONE_CUDA=AUTO
fi
cmake -S . -B build-main -G Ninja -DCMAKE_BUILD_TYPE=Release $CUDA_FLAG -DCYCLONE_BUILD_TESTS=OFF \
  -DCYCLONE_BUILD_BENCH=OFF >/dev/null
cmake --build build-main --target cyclone_cli -j "$(nproc)"
OUT=${OUT:-out/fashion-mnist}
EPOCHS=${EPOCHS:-1}
LIMIT_TRAIN=${LIMIT_TRAIN:-0}  # 0: all 60,000 training images
CYC=build-main/bin/cyclone
$CYC info
echo "== LR range test"
$CYC lr-find --data fashion-mnist --model smallcnn --bs 128 --limit-train "$LIMIT_TRAIN" --out "$OUT/lr_find"
echo "== training with --lr auto (one-cycle)"
$CYC train --data fashion-mnist --model smallcnn --bs 128 --epochs "$EPOCHS" --lr auto --schedule onecycle \
  --limit-train "$LIMIT_TRAIN" --out "$OUT/train" --json
echo
echo "Results:"
echo "  LR range test: $OUT/lr_find/lr_find.png and lr_find.csv"
echo "  training:      $OUT/train/log.csv, loss.png, schedule.png, accuracy.png, model.npz"
