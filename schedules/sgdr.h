// SGDR: cosine annealing with warm restarts (Loshchilov & Hutter 2017), stepped per
// iteration, matching torch CosineAnnealingWarmRestarts stepped once per batch.
//
// Cycle k (0-based) has length T_k = cycle_len * cycle_mult^k steps and starts at
// S_k = cycle_len * (cycle_mult^k - 1) / (cycle_mult - 1)   (k * cycle_len when cycle_mult = 1).
// At step s in cycle k, with t = s - S_k:
//   lr_g(s) = eta_min_g + (lr_g - eta_min_g) * (1 + cos(pi * t / T_k)) / 2
// so every cycle starts at lr_g and its last step sits just above eta_min (eta_min itself would
// be reached at t = T_k, which is already the next cycle's first step).
//
// The cycle structure is public so that callers (snapshot ensembles, checkpointing) can act at
// cycle ends: position(s), cycle_start(k), cycle_length(k), is_cycle_end(s),
// steps_for_cycles(n). With num_cycles set the schedule is bounded: total_steps() =
// steps_for_cycles(num_cycles), and past it the schedule holds the value of its last step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

struct SGDROptions {
  PerGroup lr = 0.1;               // eta_max: value at the start of every cycle
  int64_t cycle_len = 1;           // T_0 in steps; see cycle_len_from_epochs
  int64_t cycle_mult = 1;          // T_mult: integer >= 1
  PerGroup eta_min = 0.0;
  std::optional<int64_t> num_cycles;  // empty: unbounded
  size_t num_groups = 0;              // 0: from the per-group lists
};

// Where a step sits in the cycle structure.
struct CyclePosition {
  int64_t index = 0;   // cycle number, 0-based
  int64_t start = 0;   // first step of the cycle
  int64_t length = 0;  // steps in the cycle
  int64_t offset = 0;  // step - start, in [0, length)
};

// T_0 in steps for a cycle of `epochs` epochs (fractional epochs allowed, e.g. 0.5) of
// `steps_per_epoch` steps each, rounded to the nearest step. Throws if the result is < 1.
int64_t cycle_len_from_epochs(double epochs, int64_t steps_per_epoch);

class SGDR final : public Schedule {
 public:
  explicit SGDR(SGDROptions options);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override;

  CyclePosition position(int64_t step) const;
  int64_t cycle_index(int64_t step) const { return position(step).index; }
  // First step and length of cycle k (k >= 0). Throw std::overflow_error past int64 range.
  int64_t cycle_start(int64_t k) const;
  int64_t cycle_length(int64_t k) const;
  // True at the last step of a cycle: the step after which a snapshot should be taken.
  bool is_cycle_end(int64_t step) const;
  // Steps needed to run n complete cycles (= cycle_start(n)).
  int64_t steps_for_cycles(int64_t n) const { return cycle_start(n); }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_, eta_mins_;
  int64_t cycle_len_, cycle_mult_;
  std::optional<int64_t> num_cycles_;
};

}  // namespace cyclone::schedules
