#!/usr/bin/env bash
# Exact reproduction of a pretrained CIFAR ResNet on real CIFAR-10 (a CTest entry; see
# tests/CMakeLists.txt): converts ../shared/models/MODEL-*.th to .npz and .onnx with
# tools/python/convert_weights.py, runs `cyclone eval` on both, and checks the results with
# check_repro.py. Exits 77 (CTest's skip code here) with a notice when the shared folder,
# python3-torch or the cyclone tool is missing.
#
#   run_repro.sh --mode subset|full --model resnet20 --cyclone BIN --pixels BIN --shared DIR --work DIR
#                [--device cpu|cuda]
#
# subset: the first PER_CLASS (default 100) test images of each class, against PyTorch run
#         on the same decoded pixels; full: all 10,000, against ../shared/models/README.md.
# CYCLONE_PYTHON overrides the Python with PyTorch (default /usr/bin/python3, Debian's).
set -euo pipefail

MODE= MODEL= CYCLONE= PIXELS= SHARED= WORK= DEVICE=cpu PER_CLASS=${PER_CLASS:-100}
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=$2 ;;
    --model) MODEL=$2 ;;
    --cyclone) CYCLONE=$2 ;;
    --pixels) PIXELS=$2 ;;
    --shared) SHARED=$2 ;;
    --work) WORK=$2 ;;
    --device) DEVICE=$2 ;;
    *) echo "run_repro.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
for v in MODE MODEL CYCLONE PIXELS SHARED WORK; do
  [ -n "${!v}" ] || { echo "run_repro.sh: missing --${v,,}" >&2; exit 2; }
done
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/shared_inputs.sh"
require_device "$CYCLONE" "$DEVICE"
find_shared_inputs run_repro.sh "$MODEL" "$SHARED" "$CYCLONE"

# Shared by every test of the run (CTest may run them in parallel): the extracted test split,
# the per-class subset and cyclone's decode of it, made once under a lock.
mkdir -p "$WORK"
(
  flock 9
  if [ ! -f "$WORK/.extracted" ]; then
    echo "extracting cifar10-jpg/test from $TARBALL"
    rm -rf "$WORK/cifar10-jpg"
    tar -xzf "$TARBALL" -C "$WORK" cifar10-jpg/test
    touch "$WORK/.extracted"
  fi
  SUBSET=$WORK/subset$PER_CLASS
  if [ ! -f "$SUBSET/.complete" ]; then
    rm -rf "$SUBSET"
    for dir in "$WORK"/cifar10-jpg/test/*/; do
      cls=$(basename "$dir")
      mkdir -p "$SUBSET/test/$cls"
      (cd "$dir" && ls | LC_ALL=C sort | awk -v n="$PER_CLASS" 'NR <= n' | xargs cp -t "$SUBSET/test/$cls")
    done
    "$PIXELS" "$SUBSET/test" "$SUBSET/pixels.npz"
    touch "$SUBSET/.complete"
  fi
) 9>"$WORK/.lock"

RUN=$WORK/$MODEL-$MODE-$DEVICE
rm -rf "$RUN"
mkdir -p "$RUN"
"$PY" "$ROOT/tools/python/convert_weights.py" "$TH" --npz "$RUN/$MODEL.npz" --onnx "$RUN/$MODEL.onnx"

if [ "$MODE" = subset ]; then
  DATA=$WORK/subset$PER_CLASS/test DUMP=$((PER_CLASS * 10)) CHECK_ARGS=(--th "$TH" --pixels "$WORK/subset$PER_CLASS/pixels.npz")
else
  DATA=$WORK/cifar10-jpg/test DUMP=1 CHECK_ARGS=()
fi
RESULTS=()
for fmt in npz onnx; do
  start=$(date +%s%N)
  "$CYCLONE" eval --data "folder:$DATA" --model "$MODEL" --weights "$RUN/$MODEL.$fmt" --normalize imagenet \
    --device "$DEVICE" --json --quiet --out "$RUN" --cache "$WORK/decode_cache" --dump-logits "$DUMP" > "$RUN/eval_$fmt.json"
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "cyclone eval $MODEL $fmt ($MODE, $DEVICE): $((ms / 1000)).$((ms % 1000 / 100)) s"
  RESULTS+=(--result "$fmt=$RUN/eval_$fmt.json")
done
"$PY" "$HERE/check_repro.py" --mode "$MODE" --model "$MODEL" "${CHECK_ARGS[@]}" "${RESULTS[@]}"
