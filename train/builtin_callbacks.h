// The Learner's usual callbacks: progress bars, per-epoch lines, the run CSV and
// plots, NaN stop and periodic checkpoints. Internal to train/.
#pragma once
#include <memory>
#include <optional>
#include <vector>

#include "train/learner.h"

namespace cyclone::train {

// resume_from (a fit resumed from a checkpoint): continue the run's log.csv (and plots) from
// that point, dropping the rows the interrupted run wrote after it, instead of starting anew.
std::vector<std::unique_ptr<Callback>> make_builtin_callbacks(Learner& learner, int64_t epochs,
                                                              std::optional<FitPosition> resume_from);

}  // namespace cyclone::train
