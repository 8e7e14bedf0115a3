#!/usr/bin/env bash
# Fine-tuning the pretrained CIFAR ResNet-20 on real CIFAR-10 JPEGs (a CTest entry; see
# tests/CMakeLists.txt): converts ../shared/models/resnet20-*.th to .npz with
# tools/python/convert_weights.py, runs the whole `cyclone finetune` recipe (freeze + precompute, head,
# unfreeze, layer-group lrs, SGDR with snapshots, TTA) on ../shared/data/cifar10-jpg.tar.gz, and
# checks with check_finetune.py that the accuracy on the validation images rises by at least
# MIN_GAIN points. Exits 77 (CTest's skip code here) with a notice when the shared folder,
# python3-torch, the cyclone tool or (for --device cuda) a CUDA device is missing.
#
#   run_finetune.sh --cyclone BIN --shared DIR --work DIR [--mode subset|full] [--device cpu|cuda]
#
# subset (the default, about a minute on 2 cores): the first TRAIN_PER_CLASS (default 500) train/
#   images and the first VALID_PER_CLASS (default 100) test/ images of each class, in file-name
#   order, with the fixed short settings below; the pretrained weights start near 80% on these
#   JPEGs (a real distribution shift), so there is room to gain.
# tiny (for the emulated CUDA device): 4 train and 2 test images per class, batch 8; the recipe
#   runs on the CPU and then on --device, and the two results must agree (check_finetune.py
#   --same-as): equal accuracies, validation losses within 1e-3.
# full: all 50,000 train and 10,000 test images with the best settings of docs/FINETUNING.md
#   (3 SGDR epochs; about 12 minutes on 2 CPU cores). It requires a gain of MIN_GAIN (default 5)
#   points and reports the issue's target of 88.5% single-model top-1, met or not.
# CYCLONE_PYTHON overrides the Python with PyTorch (default /usr/bin/python3, Debian's).
set -euo pipefail

CYCLONE= SHARED= WORK= MODE=subset DEVICE=cpu
TRAIN_PER_CLASS=${TRAIN_PER_CLASS:-500} VALID_PER_CLASS=${VALID_PER_CLASS:-100}
while [ $# -gt 0 ]; do
  case "$1" in
    --cyclone) CYCLONE=$2 ;;
    --shared) SHARED=$2 ;;
    --work) WORK=$2 ;;
    --mode) MODE=$2 ;;
    --device) DEVICE=$2 ;;
    *) echo "run_finetune.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
for v in CYCLONE SHARED WORK; do
  [ -n "${!v}" ] || { echo "run_finetune.sh: missing --${v,,}" >&2; exit 2; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../repro/shared_inputs.sh"
require_device "$CYCLONE" "$DEVICE"
find_shared_inputs run_finetune.sh resnet20 "$SHARED" "$CYCLONE"
case "$MODE" in
  tiny) MIN_GAIN=-100 TRAIN_PER_CLASS=4 VALID_PER_CLASS=2 ;;
  subset) MIN_GAIN=${MIN_GAIN:-2.0} ;;  # accuracy points; the CPU measures 80.5% -> 83.9% (+3.4)
  full) MIN_GAIN=${MIN_GAIN:-5.0} ;;    # the CPU measures 81.1% -> 88.0-88.3%
  *) echo "run_finetune.sh: --mode must be tiny, subset or full, got '$MODE'" >&2; exit 2 ;;
esac
mkdir -p "$WORK"

# The whole set, extracted once under a lock.
extract_full() {
  SUBSET=$WORK/cifar10-jpg
  (
    flock 9
    if [ ! -f "$SUBSET/.complete" ]; then
      echo "extracting all of $TARBALL"
      rm -rf "$SUBSET" "$WORK/stage"
      mkdir -p "$WORK/stage"
      tar -xzf "$TARBALL" -C "$WORK/stage"
      mv "$WORK/stage/cifar10-jpg" "$SUBSET"
      rm -rf "$WORK/stage"
      touch "$SUBSET/.complete"
    fi
  ) 9>"$WORK/.lock"
}
if [ "$MODE" = full ]; then extract_full; else extract_subset "$WORK" "$TRAIN_PER_CLASS" "$VALID_PER_CLASS"; fi
N_TRAIN=$(find "$SUBSET/train" -name '*.jpg' | wc -l)
N_VALID=$(find "$SUBSET/test" -name '*.jpg' | wc -l)

RUN=$WORK/resnet20-$MODE-$DEVICE
rm -rf "$RUN"
mkdir -p "$RUN"
"$PY" "$ROOT/tools/python/convert_weights.py" "$TH" --npz "$RUN/resnet20.npz"

# folder:DIR with train/ and test/ trains on train/ and validates on test/.
if [ "$MODE" = tiny ]; then
  SETTINGS=(--bs 8 --head-epochs 1 --ratio 2 --lr 0.02 --cycles 1 --cycle-len 1)
  THREADS=${FINETUNE_THREADS:-2} TARGET=()
elif [ "$MODE" = subset ]; then
  # One head epoch on cached features, then one SGDR cycle of one epoch over the whole network,
  # layer-group lrs 2x apart, SGD momentum 0.9. The lr is fixed rather than found: on this small
  # subset a short lr_find lands on 0.003-0.013 and gains only about +1 point, while 0.02 gained
  # +3.4 and +3.7 (seeds 0, 1; 0.01 gave +2.1, 0.03 +2.7 and +2.8).
  SETTINGS=(--bs 64 --head-epochs 1 --ratio 2 --lr 0.02 --cycles 1 --cycle-len 1)
  THREADS=${FINETUNE_THREADS:-2} TARGET=()
else
  # docs/FINETUNING.md's best setting: one head epoch, 5 layer groups 3x apart with the head at
  # 0.2, label smoothing 0.1, SGDR cycles of 1 and 2 epochs (3 epochs in all), batch 128.
  SETTINGS=(--bs 128 --head-epochs 1 --ratio 3 --lr 0.2 --label-smoothing 0.1 --cycles 2 --cycle-len 1 --cycle-mult 2)
  THREADS=${FINETUNE_THREADS:-$(nproc)} TARGET=(--target 88.5)
fi
finetune() {  # finetune DEVICE OUT
  "$CYCLONE" finetune --data "folder:$SUBSET" --model resnet20 --weights "$RUN/resnet20.npz" --normalize imagenet \
    --device "$1" --threads "$THREADS" --seed 0 "${SETTINGS[@]}" \
    --quiet --json --out "$2" --cache "$WORK/decode_cache" | tee "$2/finetune.log" | grep -v '^{'
}
SAME_AS=()
if [ "$MODE" = tiny ]; then
  mkdir -p "$RUN/cpu"
  finetune cpu "$RUN/cpu"
  SAME_AS=(--same-as "$RUN/cpu/finetune.log")
fi
start=$(date +%s%N)
finetune "$DEVICE" "$RUN"
ms=$((($(date +%s%N) - start) / 1000000))
"$PY" "$HERE/check_finetune.py" --result "$RUN/finetune.log" --min-gain "$MIN_GAIN" --seconds "$((ms / 1000))" \
  --train "$N_TRAIN" --valid "$N_VALID" --device "$DEVICE" "${TARGET[@]}" "${SAME_AS[@]}"
