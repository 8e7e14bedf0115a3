// Precise BatchNorm: re-estimates every BatchNorm's running statistics for the
// current weights, as the plain average over training batches, instead of the
// exponential average that training left behind (which mostly reflects the
// last few dozen batches and the weights they were taken with). The same as
// PyTorch's torch.optim.swa_utils.update_bn; useful after fine-tuning, after
// averaging weights, and before evaluating snapshots.
#pragma once
#include <cstdint>

#include "nn/module.h"
#include "train/data_loader.h"

namespace cyclone::train {

struct PreciseBnOptions {
  int64_t batches = 0;   // training batches to average over (0: one pass over the whole set)
  bool augment = false;  // false: the images as the validation set sees them (no crop, flip or cutout)
};

// Resets the running mean and variance of every BatchNorm in `model` (frozen
// ones included) and sets them to the average of the per-batch statistics over
// `batches` shuffled batches of `like`'s dataset (batch size, normalisation,
// device and seed from `like`). Momentum, frozen flags and the module's
// train/eval mode are restored afterwards, and so are the statistics when the
// pass throws (a shape error, say); no gradients are computed. Returns
// the number of batches used. Throws std::invalid_argument when the model has
// no BatchNorm with running statistics, or `batches` is negative.
int64_t recalibrate_bn(nn::Module& model, const DataLoader& like, PreciseBnOptions options = {});

}  // namespace cyclone::train
