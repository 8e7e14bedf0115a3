// Precise BatchNorm (see precise_bn.h). With the statistics reset and the
// momentum of batch k set to 1/k, the update running = (1 - m) running + m stat
// leaves running equal to the mean of the k batch statistics:
//   r_k = (1 - 1/k) r_{k-1} + (1/k) s_k = ((k - 1) r_{k-1} + s_k) / k.
#include "train/precise_bn.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/node.h"
#include "nn/layers.h"
#include "train/train_step.h"

namespace cyclone::train {

int64_t recalibrate_bn(nn::Module& model, const DataLoader& like, PreciseBnOptions options) {
  if (options.batches < 0) {
    throw std::invalid_argument("recalibrate_bn: batches must be >= 0 (0: all), got " +
                                std::to_string(options.batches));
  }
  struct Saved {
    nn::BatchNorm* bn;
    double momentum;
    bool frozen;
    Tensor mean, var, batches;  // the statistics before, put back if the pass fails
  };
  std::vector<Saved> bns;
  for (auto& [name, m] : model.named_modules()) {
    if (auto* bn = dynamic_cast<nn::BatchNorm*>(m); bn && bn->running_mean.defined()) {
      bns.push_back({bn, bn->momentum, bn->frozen_stats, bn->running_mean.clone(), bn->running_var.clone(),
                     bn->num_batches_tracked.defined() ? bn->num_batches_tracked.clone() : Tensor()});
    }
  }
  if (bns.empty()) throw std::invalid_argument("recalibrate_bn: the model has no BatchNorm with running statistics");

  LoaderOptions o = like.options();
  o.shuffle = true;
  if (!options.augment) o.augment = o.augment.unaugmented();
  DataLoader loader(like.shared_dataset(), o);
  const int64_t total = options.batches == 0 ? loader.num_batches() : std::min(options.batches, loader.num_batches());

  const bool was_training = model.is_training();
  NoGradGuard no_grad;
  for (Saved& s : bns) {
    s.bn->running_mean.fill_(0.0);
    s.bn->running_var.fill_(1.0);
    if (s.bn->num_batches_tracked.defined()) s.bn->num_batches_tracked.fill_(0.0);
    s.bn->frozen_stats = false;
  }
  model.train();
  // Momentum, frozen flags and mode always come back; the statistics only when the pass failed.
  auto restore = [&](bool statistics) {
    for (Saved& s : bns) {
      s.bn->momentum = s.momentum;
      s.bn->frozen_stats = s.frozen;
      if (!statistics) continue;
      s.bn->running_mean.copy_(s.mean);
      s.bn->running_var.copy_(s.var);
      if (s.batches.defined()) s.bn->num_batches_tracked.copy_(s.batches);
    }
    model.train(was_training);
  };
  TrainStep forward_pass;  // forward only: the BatchNorm layers update their statistics
  forward_pass.forward = [&model](const Tensor& x) { return model.forward(x); };
  forward_pass.parts = StepParts::forward_only;
  int64_t used = 0;
  try {
    loader.start_epoch(0);
    while (used < total) {
      auto b = loader.next();
      if (!b) break;
      ++used;
      for (Saved& s : bns) s.bn->momentum = 1.0 / static_cast<double>(used);
      train_step(forward_pass, b->x, Tensor());
    }
  } catch (...) {
    restore(true);
    throw;
  }
  restore(false);
  return used;
}

}  // namespace cyclone::train
