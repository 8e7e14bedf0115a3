#!/usr/bin/env bash
# `cyclone train` of the small CNN on a Fashion-MNIST subset, once on the CPU and once on
# CUDA (a CTest entry, label cuda): every logged training loss must agree to 1e-4, and the
# final accuracy exactly. Exits 77 (skip) without the dataset or a CUDA device.
#   train_cuda_vs_cpu.sh CYCLONE_BIN WORK_DIR [LIMIT_TRAIN]
set -euo pipefail
CYCLONE=$1 WORK=$2 LIMIT=${3:-256}
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "skipped: Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)"
  exit 77
fi
if ! "$CYCLONE" info --json | grep -q '"cuda_devices": *[1-9]'; then
  echo "skipped: no CUDA device"
  exit 77
fi
rm -rf "$WORK"
for device in cpu cuda; do
  "$CYCLONE" train --data fashion-mnist --model smallcnn --limit-train "$LIMIT" --limit-valid 64 --bs 32 \
    --epochs 1 --lr 0.05 --schedule onecycle --device "$device" --seed 0 --quiet --json \
    --out "$WORK/$device" > "$WORK.$device.json"
done
/usr/bin/python3 - "$WORK" <<'PY'
import csv, json, sys
work = sys.argv[1]
def rows(device):
    with open(f"{work}/{device}/log.csv") as f:
        return [r for r in csv.DictReader(f) if r.get("train_loss") not in (None, "", "nan")]
cpu, cuda = rows("cpu"), rows("cuda")
if len(cpu) != len(cuda) or not cpu:
    sys.exit(f"FAIL: {len(cpu)} CPU rows against {len(cuda)} CUDA rows")
worst = max(abs(float(a["train_loss"]) - float(b["train_loss"])) for a, b in zip(cpu, cuda))
acc = [json.loads(open(f"{work}.{d}.json").read().splitlines()[-1])["final_accuracy"] for d in ("cpu", "cuda")]
print(f"{len(cpu)} training losses; largest CPU-CUDA difference {worst:.2e} (allowed 1e-4); "
      f"accuracy cpu {acc[0]:.4f}, cuda {acc[1]:.4f}")
if worst > 1e-4 or acc[0] != acc[1]:
    sys.exit("FAIL: CUDA does not reproduce the CPU run")
print("PASS")
PY
