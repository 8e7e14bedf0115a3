// Base of every learning-rate schedule: a pure function of (global step, parameter group)
// giving the learning rate and, where the schedule cycles it, the momentum (beta1 for Adam).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "schedules/per_group.h"

namespace cyclone::schedules {

// What a schedule gives one parameter group for one optimizer step.
struct Value {
  double lr = 0.0;
  // Momentum for SGD, beta1 for Adam/AdamW. Empty: the schedule leaves momentum alone and the
  // optimizer keeps its own value.
  std::optional<double> momentum;
};

// A schedule is immutable once built: evaluating it never changes it, so resuming training
// needs only the step count, and one object can be shared (SchedulePtr) by many owners,
// threads and composite schedules. Copying a concrete schedule copies a few small vectors.
//
// Steps are 0-based: at(s, g) is the value used by the optimizer step with index s, i.e. the
// value PyTorch's scheduler holds after s calls to scheduler.step().
class Schedule {
 public:
  virtual ~Schedule() = default;

  // Value for group `group` at step `step`. Throws std::invalid_argument if step < 0 and
  // std::out_of_range if group >= num_groups(). Past total_steps() a bounded schedule is still
  // defined: it holds its final value (each schedule's header says which value that is).
  Value at(int64_t step, size_t group) const;

  // Shorthands: the learning rate alone, and the values of every group at one step.
  double lr(int64_t step, size_t group) const { return at(step, group).lr; }
  std::vector<Value> at_all_groups(int64_t step) const;

  // Number of parameter groups the schedule was built for.
  size_t num_groups() const { return num_groups_; }

  // One line naming the schedule and its parameters, e.g. "exp(lr=0.1, gamma=0.9)".
  virtual std::string describe() const = 0;

  // Number of steps the schedule was designed for; std::nullopt when it runs forever.
  virtual std::optional<int64_t> total_steps() const { return std::nullopt; }

 protected:
  // `name` starts every argument error ("OneCycle: max_lr ..."). The group count is
  // `num_groups` as given, or resolved from the requested count and the per-group arguments
  // that have lists (resolve_num_groups in schedules/per_group.h).
  Schedule(std::string name, size_t num_groups) : name_(std::move(name)), num_groups_(num_groups) {}
  Schedule(std::string name, size_t requested, std::initializer_list<NamedPerGroup> lists)
      : Schedule(name, resolve_num_groups(name, requested, lists)) {}

  // The schedule itself. Called by at() with 0 <= step and group < num_groups().
  virtual Value value_at(int64_t step, size_t group) const = 0;

  // A per-group argument as num_groups() values, optionally checked; errors name the schedule
  // and `key`, e.g. "SGDR: lr must be > 0".
  std::vector<double> expand(const PerGroup& v, std::string_view key) const;
  std::vector<double> expand_positive(const PerGroup& v, std::string_view key) const;
  std::vector<double> expand_nonnegative(const PerGroup& v, std::string_view key) const;
  std::vector<double> expand_in_closed(const PerGroup& v, double lo, double hi, std::string_view key) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  size_t num_groups_;
};

using SchedulePtr = std::shared_ptr<const Schedule>;

}  // namespace cyclone::schedules
