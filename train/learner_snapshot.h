// A copy of everything a fit changes in a Learner, to put back later: the model's weights and
// buffers (BN running statistics), the optimizer's state and lrs, the default RNG and the loop
// state. The LR range test puts its trial fit back with one; a benchmark starts each of its
// trial runs from one.
#pragma once

#include "tensor/rng.h"
#include "train/learner.h"

namespace cyclone::train {

class LearnerSnapshot {
 public:
  explicit LearnerSnapshot(Learner& learner);
  // Puts the Learner back as it was when the snapshot was taken (gradients zeroed).
  void restore() const;

 private:
  Learner& learner_;
  nn::NamedTensors model_;
  optim::OptimizerState optimizer_;
  GeneratorState rng_;
  FitState state_;
};

}  // namespace cyclone::train
