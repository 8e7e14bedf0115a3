// Schedules from text, for the command line and config files: the one place that knows each
// schedule's name and option keys. Text becomes a typed ScheduleSpec (schedules/spec.h):
//   parse_schedule_spec("sgdr lr=0.05 cycle_len=1 steps_per_epoch=391 cycle_mult=2")
//   parse_schedule("onecycle max_lr=0.1 total_steps=1000")     // make_schedule(parse_schedule_spec(...))
// and a training run's defaults for a schedule name, which options text may then override:
//   ScheduleSpec s = spec_for_fit("onecycle", {.lr = 0.1, .epochs = 5, .steps_per_epoch = 391});
//   apply_schedule_options(s, "pct_start=0.25 preset=fastai");
//
// Values: numbers ("0.1", "1e-3"), integers, booleans (true/false/1/0/yes/no), words (modes),
// lists as comma-separated numbers ("milestones=30,60,90", "lr=1e-4,1e-3,1e-2": one lr per
// group), and two fastai-style slices for per-group lrs: "lr=1e-5..1e-3" (slice(lo, hi):
// geometric from lo to hi) and "lr=..1e-3" (slice(hi): hi/10 for all groups but the last);
// slices need num_groups. Unknown names, unknown option keys, missing required keys and
// malformed values throw std::invalid_argument listing what is valid.
//
// Names and keys (* = required; [fit: ...] = what spec_for_fit sets):
//   const     lr*                                              [fit: lr]
//   step      lr* step_size* gamma(0.1)                        [fit: step_size = total/3]
//   multistep lr* milestones* gamma(0.1)                       [fit: milestones at 1/2 and 3/4]
//   exp       lr* gamma*                                       [fit: gamma = 0.01^(1/total)]
//   poly      lr* total_steps* power(1) end_lr(0)
//   linear    lr* start_factor(1/3) end_factor(1) total_iters(5)
//   cosine    lr* t_max*                                       [fit: t_max = total]
//   clr       base_lr* max_lr* step_size_up(2000) step_size_down(=up)
//             mode(triangular|triangular2|exp_range) gamma(1) cycle_momentum(true)
//             base_momentum(0.8) max_momentum(0.9)             [fit: base_lr = lr/4, max_lr = lr,
//                                                               step_size_up = half a cycle]
//   sgdr      lr* cycle_len* cycle_mult(1) eta_min(0) num_cycles(unbounded)
//             steps_per_epoch (when given, cycle_len is in epochs and may be fractional)
//                                                              [fit: cycle_len in epochs]
//   onecycle  preset(torch|fastai) max_lr* total_steps* pct_start(0.3) anneal(cos|linear)
//             div_factor(25) final_div_factor(1e4) three_phase(false) cycle_momentum(true)
//             base_momentum(0.85) max_momentum(0.95)   [preset=fastai changes the defaults]
//   slanted   max_lr* total_steps* cut_frac(0.1) ratio(32)
// The fit sets the peak (lr or max_lr) to FitShape::lr and total_steps to epochs * steps per
// epoch wherever the schedule has them. Every name also takes num_groups (0: from the lists)
// and warmup_steps / warmup_start_factor (default 0), which wrap the schedule in a Warmup.
// Checkpoints store a spec under these same keys (schedules/stored.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "schedules/schedule.h"
#include "schedules/spec.h"

namespace cyclone::schedules {

// "name key=value ..." (whitespace separated): the first word is the name. Throws on an entry
// without '=', an empty or repeated key, and everything listed above.
ScheduleSpec parse_schedule_spec(const std::string& text);
SchedulePtr parse_schedule(const std::string& text);

// The shape of a training run, from which spec_for_fit fills a schedule's required values.
struct FitShape {
  double lr = 0.0;              // the peak learning rate
  int64_t epochs = 1;
  int64_t steps_per_epoch = 1;
  double cycle_len = 1;         // sgdr and clr: the (first) cycle, in epochs
  int64_t cycle_mult = 1;       // sgdr
  // A linear warm-up over the fit's first steps (0: none). It is part of the fit: the schedule
  // after it gets the steps that are left, so that it still ends with the training.
  int64_t warmup_steps = 0;
};
ScheduleSpec spec_for_fit(const std::string& name, const FitShape& fit);

// Sets the keys given in "key=value ..." on `spec`, leaving the rest as they are.
void apply_schedule_options(ScheduleSpec& spec, const std::string& text);

// A fit's schedule from its name, shape and options text: spec_for_fit, then the options,
// where a warmup_steps in the text is taken into the shape (the warm-up counts towards the
// fit's steps; see FitShape::warmup_steps).
ScheduleSpec fit_schedule(const std::string& name, FitShape fit, const std::string& options);

// The peak lr that spec_for_fit set from FitShape::lr: the spec's lr (or max_lr) when it holds
// one value for all groups; empty when it holds one per group.
std::optional<double> fit_lr(const ScheduleSpec& spec);

// Valid names, in the order listed above.
std::vector<std::string> schedule_names();

}  // namespace cyclone::schedules
