// train --resume: the schedule and optimizer options given on the command line, checked
// against the schedule and the optimizer state that the checkpoint keeps.
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

// Before a fresh run (or a --replan) does anything: the schedule options of `train` must make
// a valid schedule, and none may be one the schedule ignores or another option already sets:
// --cycle-len/--cycle-mult where the schedule has no cycles, --momentum where it cycles the
// momentum, an lr key in --schedule-opts (--lr sets it). Each error names the option.
void check_fit_options(const CLI::App& train);

// --epochs on train --resume, other than the checkpoint's: allowed where the schedule does not
// depend on the epochs (sgdr, const, ...: training further continues it), an error naming
// --replan where it does (onecycle, cosine, ...: its plan ends at the checkpoint's epochs).
void check_resume_epochs(const CLI::App& train, const std::string& ckpt, const train::FitRecord& saved,
                         int64_t step);

// Each of --wd, --momentum and --nesterov given on `train --resume` must equal the value the
// checkpoint's optimizer state holds (`fresh`: the state the options built, `loaded`: the
// checkpoint's), or it is an error naming both; --momentum is an error where the schedule sets
// the momentum (`schedule_sets_momentum`).
void check_resume_optimizer(const CLI::App& train, const std::string& ckpt, const optim::OptimizerState& fresh,
                            const optim::OptimizerState& loaded, bool schedule_sets_momentum);

}  // namespace cyclone::cli
