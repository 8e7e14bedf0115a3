// The Learner's usual callbacks: progress bars, per-epoch lines, the run CSV and
// plots, NaN stop and periodic checkpoints. Internal to train/.
#pragma once
#include <memory>
#include <vector>

#include "train/learner.h"

namespace cyclone::train {

// resuming: continue the run's log.csv (and plots) instead of starting a new one.
std::vector<std::unique_ptr<Callback>> make_builtin_callbacks(Learner& learner, int64_t epochs, bool resuming);

}  // namespace cyclone::train
