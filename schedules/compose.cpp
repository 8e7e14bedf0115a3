// Sequential phases, warm-up and per-group multipliers built on other schedules.
#include "schedules/compose.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "schedules/per_group.h"

namespace cyclone::schedules {

using detail::fmt;

namespace {

void require_child(const SchedulePtr& child, std::string_view where) {
  if (!child) throw std::invalid_argument(std::string(where) + ": child schedule is null");
}

// The child's group count, once it is known to exist.
size_t child_groups(const SchedulePtr& child, std::string_view where) {
  require_child(child, where);
  return child->num_groups();
}

// Checks Sequential's arguments; returns the children's common group count.
size_t sequential_groups(const std::vector<SchedulePtr>& children, const std::vector<int64_t>& milestones) {
  if (children.empty()) throw std::invalid_argument("Sequential: needs at least one schedule");
  if (milestones.size() + 1 != children.size()) {
    throw std::invalid_argument("Sequential: needs one milestone fewer than schedules, got " +
                                std::to_string(children.size()) + " schedules and " +
                                std::to_string(milestones.size()) + " milestones");
  }
  for (size_t i = 0; i < children.size(); ++i) {
    require_child(children[i], "Sequential");
    if (children[i]->num_groups() != children[0]->num_groups()) {
      throw std::invalid_argument(
          "Sequential: group count mismatch: schedule " + std::to_string(i) + " (" +
          children[i]->describe() + ") has " + std::to_string(children[i]->num_groups()) +
          " groups but schedule 0 has " + std::to_string(children[0]->num_groups()));
    }
  }
  for (size_t i = 0; i < milestones.size(); ++i) {
    if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1])) {
      throw std::invalid_argument("Sequential: milestones must be >= 1 and strictly "
                                  "increasing, got " + detail::fmt_int_list(milestones));
    }
  }
  return children[0]->num_groups();
}

}  // namespace

Sequential::Sequential(std::vector<SchedulePtr> children, std::vector<int64_t> milestones)
    : Schedule("Sequential", sequential_groups(children, milestones)),
      children_(std::move(children)),
      milestones_(std::move(milestones)) {}

std::string Sequential::describe() const {
  std::string s = "sequential(";
  for (size_t i = 0; i < children_.size(); ++i) {
    if (i > 0) s += ", @" + std::to_string(milestones_[i - 1]) + ": ";
    s += children_[i]->describe();
  }
  return s + ")";
}

std::optional<int64_t> Sequential::total_steps() const {
  std::optional<int64_t> last = children_.back()->total_steps();
  if (!last) return std::nullopt;
  return (milestones_.empty() ? 0 : milestones_.back()) + *last;
}

size_t Sequential::phase_of(int64_t step) const {
  return static_cast<size_t>(std::upper_bound(milestones_.begin(), milestones_.end(), step) -
                             milestones_.begin());
}

Value Sequential::value_at(int64_t step, size_t group) const {
  size_t i = phase_of(step);
  int64_t offset = i == 0 ? 0 : milestones_[i - 1];
  return children_[i]->at(step - offset, group);
}

Warmup::Warmup(SchedulePtr child, int64_t warmup_steps, double start_factor)
    : Schedule("Warmup", child_groups(child, "Warmup")),
      child_(std::move(child)),
      warmup_steps_(warmup_steps),
      start_factor_(start_factor) {
  detail::require_at_least(warmup_steps, 1, "Warmup", "warmup_steps");
  detail::require_in_closed(start_factor, 0.0, 1.0, "Warmup", "start_factor");
}

std::string Warmup::describe() const {
  return "warmup(steps=" + std::to_string(warmup_steps_) + ", start_factor=" +
         fmt(start_factor_) + ", then " + child_->describe() + ")";
}

std::optional<int64_t> Warmup::total_steps() const {
  std::optional<int64_t> child_total = child_->total_steps();
  if (!child_total) return std::nullopt;
  return warmup_steps_ + *child_total;
}

Value Warmup::value_at(int64_t step, size_t group) const {
  if (step >= warmup_steps_) return child_->at(step - warmup_steps_, group);
  Value v = child_->at(0, group);
  double frac = static_cast<double>(step) / static_cast<double>(warmup_steps_);
  v.lr *= start_factor_ + (1 - start_factor_) * frac;
  return v;
}

GroupScale::GroupScale(SchedulePtr child, std::vector<double> multipliers)
    : Schedule("GroupScale", multipliers.size()), child_(std::move(child)), multipliers_(std::move(multipliers)) {
  require_child(child_, "GroupScale");
  if (multipliers_.empty()) throw std::invalid_argument("GroupScale: multipliers is empty");
  detail::require_all_positive(multipliers_, "GroupScale", "multipliers");
  size_t child_groups = child_->num_groups();
  if (child_groups != 1 && child_groups != multipliers_.size()) {
    throw std::invalid_argument("GroupScale: group count mismatch: " +
                                std::to_string(multipliers_.size()) +
                                " multipliers for a schedule with " +
                                std::to_string(child_groups) + " groups (" +
                                child_->describe() + "); give one multiplier per group, or a "
                                "one-group schedule");
  }
}

std::string GroupScale::describe() const {
  return "group_scale(" + fmt(multipliers_) + ", " + child_->describe() + ")";
}

Value GroupScale::value_at(int64_t step, size_t group) const {
  Value v = child_->at(step, child_->num_groups() == 1 ? 0 : group);
  v.lr *= multipliers_[group];
  return v;
}

std::vector<double> lr_slice(double lo, double hi, size_t n) {
  detail::require_positive(lo, "lr_slice", "lo");
  detail::require_positive(hi, "lr_slice", "hi");
  if (lo > hi) {
    throw std::invalid_argument("lr_slice: lo must be <= hi, got lo " + fmt(lo) + " > hi " +
                                fmt(hi));
  }
  if (n == 0) throw std::invalid_argument("lr_slice: number of groups must be >= 1");
  if (n == 1) return {hi};
  std::vector<double> out(n);
  // fastai even_mults: lo * (hi / lo)^(1 / (n - 1)) ^ i.
  double step = std::pow(hi / lo, 1.0 / static_cast<double>(n - 1));
  for (size_t i = 0; i < n; ++i) out[i] = lo * std::pow(step, static_cast<double>(i));
  out.back() = hi;
  return out;
}

std::vector<double> lr_slice(double hi, size_t n) {
  detail::require_positive(hi, "lr_slice", "hi");
  if (n == 0) throw std::invalid_argument("lr_slice: number of groups must be >= 1");
  std::vector<double> out(n, hi / 10);
  out.back() = hi;
  return out;
}

}  // namespace cyclone::schedules
