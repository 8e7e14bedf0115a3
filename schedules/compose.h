// Composite schedules: phases in sequence, linear warm-up into any schedule, and per-group
// multipliers (discriminative learning rates); plus fastai-style slice(lo, hi) group lrs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "schedules/schedule.h"

namespace cyclone::schedules {

// Runs children[0] on steps [0, m_0), children[i] on [m_{i-1}, m_i), the last child from
// m_last on. Each child sees its own step count: children[i] is evaluated at
// step - m_{i-1}, so every phase starts at its own step 0. Milestones: one fewer than the
// children, >= 1, strictly increasing. Every child must have the same number of groups.
// total_steps() = m_last + the last child's total_steps() (unbounded if the last child is).
//
// PyTorch SequentialLR pitfalls avoided here: with a milestone of 0 it runs the first
// scheduler at step 0 and then skips the second one's step 0 (pytorch#185872; we reject
// milestones < 1, since such a child would never run); at each milestone it restarts the child
// with the deprecated step(0), which warns and switches that child to its closed form for one
// step (pytorch#76113); and children built on one optimizer each change its lr as they are
// constructed, so a chained child depends on construction order. Here a child is a pure
// function of its own step.
class Sequential final : public Schedule {
 public:
  Sequential(std::vector<SchedulePtr> children, std::vector<int64_t> milestones);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override;

  // Index of the child in charge of `step`.
  size_t phase_of(int64_t step) const;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<SchedulePtr> children_;
  std::vector<int64_t> milestones_;
};

// Linear warm-up from start_factor * child(0) to child(0) over warmup_steps steps, then the
// child shifted by warmup_steps:
//   s <  W: lr = child.lr(0) * (start_factor + (1 - start_factor) * s / W),
//           momentum = child's momentum at step 0;
//   s >= W: child.at(s - W).
// start_factor in [0, 1]; warmup_steps >= 1. total_steps() = W + the child's total_steps().
class Warmup final : public Schedule {
 public:
  Warmup(SchedulePtr child, int64_t warmup_steps, double start_factor);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override;

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  SchedulePtr child_;
  int64_t warmup_steps_;
  double start_factor_;
};

// Discriminative learning rates on top of any schedule: lr_g = multipliers[g] * child.lr
// (momentum passes through). The child either has multipliers.size() groups, or one group
// that is shared by all of them. Multipliers must be positive.
class GroupScale final : public Schedule {
 public:
  GroupScale(SchedulePtr child, std::vector<double> multipliers);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return child_->total_steps(); }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  SchedulePtr child_;
  std::vector<double> multipliers_;
};

// fastai slice(lo, hi) over n groups: geometric lo * (hi / lo)^(i / (n - 1)), i = 0..n-1, so
// the first group gets lo and the last gets hi ({hi} when n == 1). Needs 0 < lo <= hi.
std::vector<double> lr_slice(double lo, double hi, size_t n);
// fastai slice(hi) over n groups: hi / 10 for every group but the last, which gets hi.
std::vector<double> lr_slice(double hi, size_t n);

}  // namespace cyclone::schedules
