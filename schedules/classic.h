// Classic closed-form schedules: constant, step, multistep, exponential, polynomial, linear
// (PyTorch LinearLR) and cosine annealing. None of them sets momentum.
//
// Every value is computed in closed form from the step, so nothing drifts and resuming at any
// step gives exactly the uninterrupted value. (PyTorch steps most of these in a "chained" form,
// lr_t = f(lr_{t-1}), which accumulates rounding error and depends on whatever group['lr']
// holds: resuming without restoring the optimizer's lr, or with a missing 'initial_lr', gives
// a different or failing schedule.)
//
// `lr` is the base learning rate: one value for every group or one per group. `num_groups`
// = 0 takes the group count from the per-group lists (1 if every argument is a scalar); a
// non-zero value must agree with every list given.
#pragma once

#include <cstdint>
#include <vector>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

// lr_g(s) = lr_g.
class Constant final : public Schedule {
 public:
  explicit Constant(PerGroup lr, size_t num_groups = 0);
  // Constant({0.1, 0.01}): one lr per group (without this, the braces are ambiguous).
  Constant(std::initializer_list<double> lrs) : Constant(PerGroup(lrs)) {}
  std::string describe() const override;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_;
};

// PyTorch StepLR: lr_g(s) = lr_g * gamma^floor(s / step_size). step_size >= 1, gamma > 0.
class StepDecay final : public Schedule {
 public:
  StepDecay(PerGroup lr, int64_t step_size, double gamma = 0.1, size_t num_groups = 0);
  std::string describe() const override;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_;
  int64_t step_size_;
  double gamma_;
};

// PyTorch MultiStepLR: lr_g(s) = lr_g * gamma^(number of milestones <= s). Milestones must be
// >= 1 and strictly increasing (PyTorch also accepts repeats, counting each one).
class MultiStep final : public Schedule {
 public:
  MultiStep(PerGroup lr, std::vector<int64_t> milestones, double gamma = 0.1,
            size_t num_groups = 0);
  std::string describe() const override;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_;
  std::vector<int64_t> milestones_;
  double gamma_;
};

// PyTorch ExponentialLR: lr_g(s) = lr_g * gamma^s. gamma > 0.
class Exponential final : public Schedule {
 public:
  Exponential(PerGroup lr, double gamma, size_t num_groups = 0);
  std::string describe() const override;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_;
  double gamma_;
};

// PyTorch PolynomialLR (1.13+) with an end value:
//   lr_g(s) = (lr_g - end_lr_g) * (1 - min(s, T) / T)^power + end_lr_g.
// end_lr = 0 is PyTorch's schedule. Reaches end_lr at step T = total_steps and holds it.
class Polynomial final : public Schedule {
 public:
  Polynomial(PerGroup lr, int64_t total_steps, double power = 1.0, PerGroup end_lr = 0.0,
             size_t num_groups = 0);
  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return total_; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_, end_lrs_;
  int64_t total_;
  double power_;
};

// PyTorch LinearLR (its closed form): the factor on lr moves linearly from start_factor at
// step 0 to end_factor at step total_iters, then holds:
//   lr_g(s) = lr_g * (start + (end - start) * min(s, total_iters) / total_iters).
// Factors in [0, 1] as in PyTorch; start_factor = 0 is allowed (PyTorch's chained form
// divides by zero there). Use it for warm-up (start < end) or linear decay (start > end).
class Linear final : public Schedule {
 public:
  Linear(PerGroup lr, double start_factor = 1.0 / 3, double end_factor = 1.0,
         int64_t total_iters = 5, size_t num_groups = 0);
  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return total_iters_; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_;
  double start_, end_;
  int64_t total_iters_;
};

// Cosine annealing (PyTorch CosineAnnealingLR's closed form, _get_closed_form_lr):
//   lr_g(s) = eta_min_g + (lr_g - eta_min_g) * (1 + cos(pi * min(s, T) / T)) / 2,  T = t_max.
// Reaches eta_min at step t_max and holds it. (PyTorch keeps following the cosine past T_max,
// so its lr climbs back to the base value by step 2*T_max; use SGDR for restarts.)
class CosineAnnealing final : public Schedule {
 public:
  CosineAnnealing(PerGroup lr, int64_t t_max, PerGroup eta_min = 0.0, size_t num_groups = 0);
  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return t_max_; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> lrs_, eta_mins_;
  int64_t t_max_;
};

}  // namespace cyclone::schedules
