// Closed forms of the classic schedules (see classic.h for the formulas).
#include "schedules/classic.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

Constant::Constant(PerGroup lr, size_t num_groups)
    : Schedule("Constant", num_groups, {{"lr", &lr}}),
      lrs_(expand_positive(lr, "lr")) {}

std::string Constant::describe() const { return "const(lr=" + fmt(lrs_) + ")"; }

Value Constant::value_at(int64_t, size_t group) const { return {lrs_[group], std::nullopt}; }

StepDecay::StepDecay(PerGroup lr, int64_t step_size, double gamma, size_t num_groups)
    : Schedule("StepDecay", num_groups, {{"lr", &lr}}),
      lrs_(expand_positive(lr, "lr")),
      step_size_(step_size),
      gamma_(gamma) {
  detail::require_at_least(step_size, 1, "StepDecay", "step_size");
  detail::require_positive(gamma, "StepDecay", "gamma");
}

std::string StepDecay::describe() const {
  return "step(lr=" + fmt(lrs_) + ", step_size=" + std::to_string(step_size_) +
         ", gamma=" + fmt(gamma_) + ")";
}

Value StepDecay::value_at(int64_t step, size_t group) const {
  return {lrs_[group] * std::pow(gamma_, static_cast<double>(step / step_size_)), std::nullopt};
}

MultiStep::MultiStep(PerGroup lr, std::vector<int64_t> milestones, double gamma,
                     size_t num_groups)
    : Schedule("MultiStep", num_groups, {{"lr", &lr}}),
      lrs_(expand_positive(lr, "lr")),
      milestones_(std::move(milestones)),
      gamma_(gamma) {
  detail::require_positive(gamma, "MultiStep", "gamma");
  for (size_t i = 0; i < milestones_.size(); ++i) {
    detail::require_at_least(milestones_[i], 1, "MultiStep", "milestones");
    if (i > 0 && milestones_[i] <= milestones_[i - 1]) {
      throw std::invalid_argument("MultiStep: milestones must be strictly increasing, got " +
                                  detail::fmt_int_list(milestones_));
    }
  }
}

std::string MultiStep::describe() const {
  return "multistep(lr=" + fmt(lrs_) + ", milestones=" + detail::fmt_int_list(milestones_) +
         ", gamma=" + fmt(gamma_) + ")";
}

Value MultiStep::value_at(int64_t step, size_t group) const {
  auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), step) -
                milestones_.begin();
  return {lrs_[group] * std::pow(gamma_, static_cast<double>(passed)), std::nullopt};
}

Exponential::Exponential(PerGroup lr, double gamma, size_t num_groups)
    : Schedule("Exponential", num_groups, {{"lr", &lr}}),
      lrs_(expand_positive(lr, "lr")),
      gamma_(gamma) {
  detail::require_positive(gamma, "Exponential", "gamma");
}

std::string Exponential::describe() const {
  return "exp(lr=" + fmt(lrs_) + ", gamma=" + fmt(gamma_) + ")";
}

Value Exponential::value_at(int64_t step, size_t group) const {
  return {lrs_[group] * std::pow(gamma_, static_cast<double>(step)), std::nullopt};
}

Polynomial::Polynomial(PerGroup lr, int64_t total_steps, double power, PerGroup end_lr,
                       size_t num_groups)
    : Schedule("Polynomial", num_groups, {{"lr", &lr}, {"end_lr", &end_lr}}),
      lrs_(expand_positive(lr, "lr")),
      end_lrs_(expand_nonnegative(end_lr, "end_lr")),
      total_(total_steps),
      power_(power) {
  detail::require_at_least(total_steps, 1, "Polynomial", "total_steps");
  detail::require_positive(power, "Polynomial", "power");
}

std::string Polynomial::describe() const {
  return "poly(lr=" + fmt(lrs_) + ", total_steps=" + std::to_string(total_) +
         ", power=" + fmt(power_) + ", end_lr=" + fmt(end_lrs_) + ")";
}

Value Polynomial::value_at(int64_t step, size_t group) const {
  double frac = static_cast<double>(std::min(step, total_)) / static_cast<double>(total_);
  double end = end_lrs_[group];
  return {(lrs_[group] - end) * std::pow(1.0 - frac, power_) + end, std::nullopt};
}

Linear::Linear(PerGroup lr, double start_factor, double end_factor, int64_t total_iters,
               size_t num_groups)
    : Schedule("Linear", num_groups, {{"lr", &lr}}),
      lrs_(expand_positive(lr, "lr")),
      start_(start_factor),
      end_(end_factor),
      total_iters_(total_iters) {
  detail::require_in_closed(start_factor, 0.0, 1.0, "Linear", "start_factor");
  detail::require_in_closed(end_factor, 0.0, 1.0, "Linear", "end_factor");
  detail::require_at_least(total_iters, 1, "Linear", "total_iters");
}

std::string Linear::describe() const {
  return "linear(lr=" + fmt(lrs_) + ", start_factor=" + fmt(start_) +
         ", end_factor=" + fmt(end_) + ", total_iters=" + std::to_string(total_iters_) + ")";
}

Value Linear::value_at(int64_t step, size_t group) const {
  // Same operation order as PyTorch's _get_closed_form_lr.
  double factor = start_ + (end_ - start_) * static_cast<double>(std::min(total_iters_, step)) /
                               static_cast<double>(total_iters_);
  return {lrs_[group] * factor, std::nullopt};
}

CosineAnnealing::CosineAnnealing(PerGroup lr, int64_t t_max, PerGroup eta_min,
                                 size_t num_groups)
    : Schedule("CosineAnnealing", num_groups, {{"lr", &lr}, {"eta_min", &eta_min}}),
      lrs_(expand_positive(lr, "lr")),
      eta_mins_(expand_nonnegative(eta_min, "eta_min")),
      t_max_(t_max) {
  detail::require_at_least(t_max, 1, "CosineAnnealing", "t_max");
}

std::string CosineAnnealing::describe() const {
  return "cosine(lr=" + fmt(lrs_) + ", t_max=" + std::to_string(t_max_) +
         ", eta_min=" + fmt(eta_mins_) + ")";
}

Value CosineAnnealing::value_at(int64_t step, size_t group) const {
  double s = static_cast<double>(std::min(step, t_max_));
  double eta_min = eta_mins_[group];
  // Same operation order as PyTorch's _get_closed_form_lr.
  return {eta_min + (lrs_[group] - eta_min) *
                        (1 + std::cos(std::numbers::pi * s / static_cast<double>(t_max_))) / 2,
          std::nullopt};
}

}  // namespace cyclone::schedules
