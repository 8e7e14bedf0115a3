#!/usr/bin/env bash
# Copies what the reproduction and fine-tuning tests read from ../shared (the CIFAR-10 JPEG
# tarball and the pretrained ResNet checkpoints, with their READMEs) into the ignored folder
# .shared/, so a machine that gets only this checkout (a lent GPU machine: carry .shared along
# with .deps) can run them; tools/scripts/gpu_check.sh uses .shared when it is there. About 26 MB.
#   tools/scripts/stage_shared.sh [SHARED_DIR]    (default: ../shared beside the checkout)
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=${1:-../shared}
DEST=.shared
for f in data/cifar10-jpg.tar.gz data/README.md models/README.md; do
  [[ -f "$SRC/$f" ]] || { echo "stage_shared: no $SRC/$f" >&2; exit 1; }
done
ls "$SRC"/models/resnet*-*.th >/dev/null 2>&1 || { echo "stage_shared: no $SRC/models/resnet*-*.th" >&2; exit 1; }
rm -rf "$DEST"
mkdir -p "$DEST/data" "$DEST/models"
cp "$SRC/data/cifar10-jpg.tar.gz" "$SRC/data/README.md" "$DEST/data/"
cp "$SRC"/models/resnet*-*.th "$SRC/models/README.md" "$DEST/models/"
chmod -R u+w "$DEST"
echo "stage_shared: $(du -sh "$DEST" | cut -f1) in $DEST (carry it with .deps)"
