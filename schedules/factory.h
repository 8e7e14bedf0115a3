// Builds schedules by name from text options, for the command line and config files:
//   make_schedule("onecycle", ScheduleOptions::parse("max_lr=0.1 total_steps=1000"))
//   parse_schedule("sgdr lr=0.05 cycle_len=1 steps_per_epoch=391 cycle_mult=2")
//
// Values: numbers ("0.1", "1e-3"), integers, booleans (true/false/1/0/yes/no), words (modes),
// lists as comma-separated numbers ("milestones=30,60,90", "lr=1e-4,1e-3,1e-2": one lr per
// group), and two fastai-style slices for per-group lrs: "lr=1e-5..1e-3" (slice(lo, hi):
// geometric from lo to hi) and "lr=..1e-3" (slice(hi): hi/10 for all groups but the last);
// slices need num_groups. Unknown names, unknown option keys, missing required keys and
// malformed values throw std::invalid_argument listing what is valid.
//
// Names and keys (* = required):
//   const     lr*
//   step      lr* step_size* gamma(0.1)
//   multistep lr* milestones* gamma(0.1)
//   exp       lr* gamma*
//   poly      lr* total_steps* power(1) end_lr(0)
//   linear    lr* start_factor(1/3) end_factor(1) total_iters(5)
//   cosine    lr* t_max* eta_min(0)
//   clr       base_lr* max_lr* step_size_up(2000) step_size_down(=up)
//             mode(triangular|triangular2|exp_range) gamma(1) cycle_momentum(true)
//             base_momentum(0.8) max_momentum(0.9)
//   sgdr      lr* cycle_len* cycle_mult(1) eta_min(0) num_cycles(unbounded)
//             steps_per_epoch (when given, cycle_len is in epochs and may be fractional)
//   onecycle  max_lr* total_steps* preset(torch|fastai) pct_start(0.3) anneal(cos|linear)
//             div_factor(25) final_div_factor(1e4) three_phase(false) cycle_momentum(true)
//             base_momentum(0.85) max_momentum(0.95)   [preset=fastai changes the defaults]
//   slanted   max_lr* total_steps* cut_frac(0.1) ratio(32)
// Every name also takes num_groups (0: from the lists) and warmup_steps / warmup_start_factor
// (default 0), which wrap the schedule in a Warmup.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "schedules/schedule.h"

namespace cyclone::schedules {

class ScheduleOptions {
 public:
  ScheduleOptions() = default;
  ScheduleOptions(std::initializer_list<std::pair<const std::string, std::string>> entries)
      : entries_(entries) {}

  // "key=value key=value ..." (whitespace separated). Throws on an entry without '=' or an
  // empty or repeated key.
  static ScheduleOptions parse(const std::string& text);

  void set(const std::string& key, std::string value) { entries_[key] = std::move(value); }
  bool has(const std::string& key) const { return entries_.count(key) > 0; }
  const std::map<std::string, std::string>& entries() const { return entries_; }

 private:
  std::map<std::string, std::string> entries_;
};

SchedulePtr make_schedule(const std::string& name, const ScheduleOptions& options);

// "name key=value ...": the first word is the name, the rest are options.
SchedulePtr parse_schedule(const std::string& spec);

// Valid names, in the order listed above.
std::vector<std::string> schedule_names();

}  // namespace cyclone::schedules
