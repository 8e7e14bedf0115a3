// train --resume: the schedule options given on the command line, checked against the schedule
// that the checkpoint keeps.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "train/learner.h"

namespace cyclone::cli {

// Each of --schedule, --lr (a number), --cycle-len, --cycle-mult and --schedule-opts given on
// `train` must describe the checkpoint's schedule: the keys it sets are set as a fresh run
// would set them, over the checkpoint's spec (with the checkpoint's epochs and steps per
// epoch), and a key that changes is an error naming the options, the key and both values.
// Options left out are taken from the checkpoint.
void check_resume_options(const CLI::App& train, const std::string& ckpt, const train::FitRecord& saved);

}  // namespace cyclone::cli
