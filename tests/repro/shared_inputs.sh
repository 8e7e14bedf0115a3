# Sourced by the scripts that need ../shared (tests/repro/run_repro.sh, tests/finetune/run_finetune.sh,
# bench/run_lr_suggest.sh):
# find_shared_inputs SCRIPT MODEL SHARED CYCLONE sets ROOT (the source tree), PY (the Python with
# PyTorch: CYCLONE_PYTHON, else /usr/bin/python3 (Debian's), else the python3 on PATH when only
# that one has torch), TH (SHARED/models/MODEL-*.th) and TARBALL (SHARED/data/cifar10-jpg.tar.gz).
# It exits 77 (CTest's skip code here) with a notice when the checkpoint, the tarball or PyTorch is
# missing, and 1 when CYCLONE is not built. require_device CYCLONE DEVICE skips (77) a cuda run on
# a machine without a CUDA device or a build without CUDA. extract_subset WORK TRAIN VALID extracts
# the first TRAIN train/ and VALID test/ images of each class from TARBALL into SUBSET, once.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=${CYCLONE_PYTHON:-/usr/bin/python3}
if [ -z "${CYCLONE_PYTHON:-}" ] && ! "$PY" -c "import torch" 2>/dev/null && command -v python3 >/dev/null &&
  python3 -c "import torch" 2>/dev/null; then
  PY=$(command -v python3)
fi

skip() { echo "SKIP: $*"; exit 77; }

find_shared_inputs() {
  local script=$1 model=$2 shared=$3 cyclone=$4
  TH=$(ls "$shared"/models/"$model"-*.th 2>/dev/null | head -n 1 || true)
  TARBALL=$shared/data/cifar10-jpg.tar.gz
  [ -n "$TH" ] || skip "no $shared/models/$model-*.th (the shared folder belongs beside the source tree)"
  [ -f "$TARBALL" ] || skip "no $TARBALL"
  "$PY" -c "import torch, numpy" 2>/dev/null || skip "PyTorch is not importable by $PY (apt-get install python3-torch)"
  [ -x "$cyclone" ] || { echo "$script: $cyclone is not built" >&2; exit 1; }
}

require_device() {
  local cyclone=$1 device=$2 n
  case "$device" in
    cpu) ;;
    cuda)
      [ -x "$cyclone" ] || { echo "$cyclone is not built" >&2; exit 1; }
      n=$("$cyclone" info --json | tail -n 1 | sed -n 's/.*"cuda_devices":\([0-9]*\).*/\1/p')
      [ "$n" -gt 0 ] 2>/dev/null || skip "no CUDA device (cyclone info: cuda_devices=$n)"
      ;;
    *) echo "--device must be cpu or cuda, got '$device'" >&2; exit 2 ;;
  esac
}

extract_subset() {  # extract_subset WORK TRAIN_PER_CLASS VALID_PER_CLASS: sets SUBSET
  local WORK=$1 TRAIN_PER_CLASS=$2 VALID_PER_CLASS=$3
  # The subset, extracted once under a lock: only its files are read out of the tarball.
  SUBSET=$WORK/cifar-subset-$TRAIN_PER_CLASS-$VALID_PER_CLASS
  (
    flock 9
    if [ ! -f "$SUBSET/.complete" ]; then
      echo "extracting $TRAIN_PER_CLASS train and $VALID_PER_CLASS test images per class from $TARBALL"
      rm -rf "$SUBSET"
      mkdir -p "$SUBSET/stage"
      # cifar10-jpg/{train,test}/<class>/NNNN.jpg: keep the first N of each class folder.
      tar -tzf "$TARBALL" | LC_ALL=C sort |
        awk -F/ -v t="$TRAIN_PER_CLASS" -v v="$VALID_PER_CLASS" '
          NF == 4 && $4 ~ /\.jpg$/ {
            n = ++seen[$2 "/" $3]
            if (($2 == "train" && n <= t) || ($2 == "test" && n <= v)) print
          }' > "$SUBSET/files.txt"
      tar -xzf "$TARBALL" -C "$SUBSET/stage" --files-from="$SUBSET/files.txt"
      mv "$SUBSET/stage/cifar10-jpg/train" "$SUBSET/stage/cifar10-jpg/test" "$SUBSET/"
      rm -rf "$SUBSET/stage"
      for split in train:$TRAIN_PER_CLASS test:$VALID_PER_CLASS; do
        for dir in "$SUBSET/${split%%:*}"/*/; do
          n=$(ls "$dir" | wc -l)
          [ "$n" -eq "${split#*:}" ] || { echo "extract_subset: $dir holds $n images, expected ${split#*:}" >&2; exit 1; }
        done
      done
      touch "$SUBSET/.complete"
    fi
  ) 9>"$WORK/.lock"
}
