# Sourced by the tests that need ../shared (tests/repro/run_repro.sh, tests/finetune/run_finetune.sh):
# find_shared_inputs SCRIPT MODEL SHARED CYCLONE sets ROOT (the source tree), PY (the Python with
# PyTorch: CYCLONE_PYTHON, else /usr/bin/python3 (Debian's), else the python3 on PATH when only
# that one has torch), TH (SHARED/models/MODEL-*.th) and TARBALL (SHARED/data/cifar10-jpg.tar.gz).
# It exits 77 (CTest's skip code here) with a notice when the checkpoint, the tarball or PyTorch is
# missing, and 1 when CYCLONE is not built. require_device CYCLONE DEVICE skips (77) a cuda run on
# a machine without a CUDA device or a build without CUDA.
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
