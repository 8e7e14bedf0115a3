// The one-cycle policy (Smith 2018, "Super-Convergence"), matching torch OneCycleLR step for
// step, with a fastai-style preset.
//
// With T = total_steps and p = pct_start, PyTorch's phases end at (fractional) steps
//   two-phase:   e1 = p*T - 1 (lr initial -> max, momentum max -> base),
//                e2 = T - 1   (lr max -> min,     momentum base -> max);
//   three-phase: e1 = p*T - 1, e2 = 2*p*T - 2 (lr max -> initial, momentum base -> max),
//                e3 = T - 1   (lr initial -> min, momentum stays max).
// Step s lies in the first phase i with s <= e_i; with e_{-1} = 0 it is annealed by
// pct = (s - e_{i-1}) / (e_i - e_{i-1}) using cos (end + (start - end) * (1 + cos(pi pct)) / 2)
// or linear interpolation. initial_lr = max_lr / div_factor, min_lr = initial_lr /
// final_div_factor. Momentum is beta1 when the optimizer is Adam.
//
// Past the end: at(s) for s >= T holds the value of step T - 1 (the final min_lr and
// max_momentum). PyTorch raises ValueError once stepped beyond T, and at exactly s = T it
// extrapolates the last phase (pct > 1), which is why we hold instead. A phase of zero length
// (p*T == 1 exactly), where PyTorch divides by zero, yields that phase's end value.
//
// fastai_one_cycle() gives the defaults of fastai's fit_one_cycle: pct_start 0.25 (torch 0.3);
// final lr = max_lr / 1e5 ("div_final"), i.e. final_div_factor = 1e5 / 25 = 4000 here (torch's
// default 1e4 gives max_lr / 2.5e5); momentum 0.95 -> 0.85 -> 0.95 and cos, as in torch.
// One difference remains: fastai places step s at position s / T of the cycle, so its peak is at
// step p*T and its last step stops short of the final value; we keep PyTorch's step positions
// (peak at step p*T - 1, exact final value at step T - 1).
#pragma once

#include <cstdint>
#include <string>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

enum class Anneal { cos, linear };

// "cos" | "linear"; throws std::invalid_argument listing the valid names otherwise.
Anneal parse_anneal(const std::string& name);
std::string to_string(Anneal a);

struct OneCycleOptions {
  PerGroup max_lr = 0.1;
  int64_t total_steps = 0;   // required, >= 1; e.g. epochs * steps_per_epoch
  double pct_start = 0.3;    // in (0, 1); at most 0.5 with three_phase
  Anneal anneal = Anneal::cos;
  double div_factor = 25.0;
  double final_div_factor = 1e4;
  bool three_phase = false;
  bool cycle_momentum = true;
  PerGroup base_momentum = 0.85;  // momentum at the lr peak
  PerGroup max_momentum = 0.95;   // momentum at the start and end
  size_t num_groups = 0;          // 0: from the per-group lists
};

// fastai fit_one_cycle defaults (see above) for the given peak and length.
OneCycleOptions fastai_one_cycle(PerGroup max_lr, int64_t total_steps);

class OneCycle final : public Schedule {
 public:
  explicit OneCycle(OneCycleOptions options);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return total_; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  // One phase: ends at (fractional) step end_step; which of the four levels it moves between.
  enum Level { kInitial, kMax, kMin, kBaseMom, kMaxMom };
  struct Phase {
    double end_step;
    Level lr_from, lr_to, mom_from, mom_to;
  };
  double level(Level l, size_t group) const;
  double anneal(double start, double end, double pct) const;

  std::vector<double> max_lrs_, base_moms_, max_moms_;
  std::vector<Phase> phases_;
  int64_t total_;
  double pct_start_, div_, final_div_;
  Anneal anneal_;
  bool three_phase_, cycle_momentum_;
};

}  // namespace cyclone::schedules
