// SGDR cycle arithmetic (in exact integers) and the cosine within a cycle (see sgdr.h).
#include "schedules/sgdr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

[[noreturn]] void overflow(int64_t k) {
  throw std::overflow_error("SGDR: cycle " + std::to_string(k) +
                            " lies beyond the int64 step range");
}

}  // namespace

int64_t cycle_len_from_epochs(double epochs, int64_t steps_per_epoch) {
  detail::require_positive(epochs, "cycle_len_from_epochs", "epochs");
  detail::require_at_least(steps_per_epoch, 1, "cycle_len_from_epochs", "steps_per_epoch");
  double steps = std::round(epochs * static_cast<double>(steps_per_epoch));
  if (steps < 1 || steps > 9e18) {
    throw std::invalid_argument("cycle_len_from_epochs: " + fmt(epochs) + " epochs of " +
                                std::to_string(steps_per_epoch) +
                                " steps round to " + fmt(steps) + " steps; need at least 1");
  }
  return static_cast<int64_t>(steps);
}

SGDR::SGDR(SGDROptions o)
    : Schedule("SGDR", o.num_groups, {{"lr", &o.lr}, {"eta_min", &o.eta_min}}),
      lrs_(expand(o.lr, "lr")),
      eta_mins_(expand(o.eta_min, "eta_min")),
      cycle_len_(o.cycle_len),
      cycle_mult_(o.cycle_mult),
      num_cycles_(o.num_cycles) {
  detail::require_all_positive(lrs_, "SGDR", "lr");
  detail::require_all_nonnegative(eta_mins_, "SGDR", "eta_min");
  detail::require_at_least(cycle_len_, 1, "SGDR", "cycle_len (T_0)");
  detail::require_at_least(cycle_mult_, 1, "SGDR", "cycle_mult (T_mult)");
  if (num_cycles_) {
    detail::require_at_least(*num_cycles_, 1, "SGDR", "num_cycles");
    (void)cycle_start(*num_cycles_);  // throws now if the schedule cannot be represented
  }
}

std::string SGDR::describe() const {
  std::string s = "sgdr(lr=" + fmt(lrs_) + ", cycle_len=" + std::to_string(cycle_len_) +
                  ", cycle_mult=" + std::to_string(cycle_mult_) +
                  ", eta_min=" + fmt(eta_mins_);
  if (num_cycles_) s += ", num_cycles=" + std::to_string(*num_cycles_);
  return s + ")";
}

std::optional<int64_t> SGDR::total_steps() const {
  if (!num_cycles_) return std::nullopt;
  return steps_for_cycles(*num_cycles_);
}

int64_t SGDR::cycle_length(int64_t k) const {
  if (k < 0) {
    throw std::invalid_argument("SGDR: cycle index must be >= 0, got " + std::to_string(k));
  }
  int64_t len = cycle_len_;
  for (int64_t i = 0; i < k && cycle_mult_ > 1; ++i) {
    if (len > kMax / cycle_mult_) overflow(k);
    len *= cycle_mult_;
  }
  return len;
}

int64_t SGDR::cycle_start(int64_t k) const {
  if (k < 0) {
    throw std::invalid_argument("SGDR: cycle index must be >= 0, got " + std::to_string(k));
  }
  if (cycle_mult_ == 1) {
    if (k > kMax / cycle_len_) overflow(k);
    return k * cycle_len_;
  }
  int64_t start = 0, len = cycle_len_;
  for (int64_t i = 0; i < k; ++i) {
    if (start > kMax - len) overflow(k);
    start += len;
    if (i + 1 < k) {
      if (len > kMax / cycle_mult_) overflow(k);
      len *= cycle_mult_;
    }
  }
  return start;
}

CyclePosition SGDR::position(int64_t step) const {
  if (step < 0) throw std::invalid_argument("SGDR: step must be >= 0, got " + std::to_string(step));
  CyclePosition p;
  if (cycle_mult_ == 1) {
    p.index = step / cycle_len_;
    p.start = p.index * cycle_len_;
    p.length = cycle_len_;
  } else {
    p.length = cycle_len_;
    // Cycles at least double in length, so this loop runs O(log(step)) times.
    while (step - p.start >= p.length) {
      p.start += p.length;
      p.length = p.length > kMax / cycle_mult_ ? kMax : p.length * cycle_mult_;
      ++p.index;
    }
  }
  p.offset = step - p.start;
  return p;
}

bool SGDR::is_cycle_end(int64_t step) const {
  CyclePosition p = position(step);
  return p.offset == p.length - 1;
}

Value SGDR::value_at(int64_t step, size_t group) const {
  if (num_cycles_) step = std::min(step, steps_for_cycles(*num_cycles_) - 1);
  CyclePosition p = position(step);
  double eta_min = eta_mins_[group];
  // Same operation order as torch CosineAnnealingWarmRestarts.get_lr.
  double cosine = 1 + std::cos(std::numbers::pi * static_cast<double>(p.offset) /
                               static_cast<double>(p.length));
  return {eta_min + (lrs_[group] - eta_min) * cosine / 2, std::nullopt};
}

}  // namespace cyclone::schedules
