// Cyclical learning rates, computed as torch CyclicLR.get_lr does (see cyclic.h).
#include "schedules/cyclic.h"

#include <cmath>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

ClrMode parse_clr_mode(const std::string& name) {
  if (name == "triangular") return ClrMode::triangular;
  if (name == "triangular2") return ClrMode::triangular2;
  if (name == "exp_range") return ClrMode::exp_range;
  if (name == "custom") return ClrMode::custom;
  throw std::invalid_argument("Cyclic: unknown mode '" + name +
                              "'; valid modes: triangular, triangular2, exp_range, custom");
}

std::string to_string(ClrMode mode) {
  switch (mode) {
    case ClrMode::triangular: return "triangular";
    case ClrMode::triangular2: return "triangular2";
    case ClrMode::exp_range: return "exp_range";
    case ClrMode::custom: return "custom";
  }
  return "?";
}

ScaleMode parse_scale_mode(const std::string& name) {
  if (name == "cycle") return ScaleMode::cycle;
  if (name == "iterations") return ScaleMode::iterations;
  throw std::invalid_argument("Cyclic: unknown scale_mode '" + name +
                              "'; valid scale modes: cycle, iterations");
}

std::string to_string(ScaleMode mode) {
  return mode == ScaleMode::cycle ? "cycle" : "iterations";
}

Cyclic::Cyclic(CyclicOptions o)
    : Schedule("Cyclic", o.num_groups,
               o.cycle_momentum ? std::initializer_list<NamedPerGroup>{{"base_lr", &o.base_lr},
                                                                       {"max_lr", &o.max_lr},
                                                                       {"base_momentum", &o.base_momentum},
                                                                       {"max_momentum", &o.max_momentum}}
                                : std::initializer_list<NamedPerGroup>{{"base_lr", &o.base_lr}, {"max_lr", &o.max_lr}}),
      base_lrs_(expand(o.base_lr, "base_lr")),
      max_lrs_(expand(o.max_lr, "max_lr")),
      up_(o.step_size_up),
      down_(o.step_size_down.value_or(o.step_size_up)),
      mode_(o.mode),
      gamma_(o.gamma),
      scale_fn_(std::move(o.scale_fn)),
      scale_mode_(o.scale_mode),
      cycle_momentum_(o.cycle_momentum) {
  const std::string& w = name();
  detail::require_all_positive(base_lrs_, w, "base_lr");
  detail::require_all_positive(max_lrs_, w, "max_lr");
  for (size_t g = 0; g < num_groups(); ++g) {
    if (max_lrs_[g] < base_lrs_[g]) {
      throw std::invalid_argument("Cyclic: max_lr must be >= base_lr, got max_lr " +
                                  fmt(max_lrs_[g]) + " < base_lr " + fmt(base_lrs_[g]) +
                                  " for group " + std::to_string(g));
    }
  }
  detail::require_at_least(up_, 1, w, "step_size_up");
  detail::require_at_least(down_, 1, w, "step_size_down");
  if (mode_ == ClrMode::exp_range) detail::require_positive(gamma_, w, "gamma");
  if (mode_ == ClrMode::custom && !scale_fn_) {
    throw std::invalid_argument("Cyclic: mode custom needs a scale_fn");
  }
  if (mode_ != ClrMode::custom && scale_fn_) {
    throw std::invalid_argument("Cyclic: scale_fn is given but mode is " + to_string(mode_) +
                                "; set mode = ClrMode::custom to use it");
  }
  if (mode_ == ClrMode::triangular || mode_ == ClrMode::triangular2) {
    scale_mode_ = ScaleMode::cycle;
  } else if (mode_ == ClrMode::exp_range) {
    scale_mode_ = ScaleMode::iterations;
  }
  if (cycle_momentum_) {
    base_moms_ = expand_in_closed(o.base_momentum, 0.0, 1.0, "base_momentum");
    max_moms_ = expand_in_closed(o.max_momentum, 0.0, 1.0, "max_momentum");
  }
}

std::string Cyclic::describe() const {
  std::string s = "clr(base_lr=" + fmt(base_lrs_) + ", max_lr=" + fmt(max_lrs_) +
                  ", step_size_up=" + std::to_string(up_) +
                  ", step_size_down=" + std::to_string(down_) + ", mode=" + to_string(mode_);
  if (mode_ == ClrMode::exp_range) s += ", gamma=" + fmt(gamma_);
  if (mode_ == ClrMode::custom) s += ", scale_mode=" + to_string(scale_mode_);
  if (cycle_momentum_) {
    s += ", base_momentum=" + fmt(base_moms_) + ", max_momentum=" + fmt(max_moms_);
  }
  return s + ")";
}

double Cyclic::scale(double cycle, double step) const {
  double x = scale_mode_ == ScaleMode::cycle ? cycle : step;
  switch (mode_) {
    case ClrMode::triangular: return 1.0;
    case ClrMode::triangular2: return 1 / std::pow(2.0, x - 1);
    case ClrMode::exp_range: return std::pow(gamma_, x);
    case ClrMode::custom: return scale_fn_(x);
  }
  return 1.0;
}

Value Cyclic::value_at(int64_t step, size_t group) const {
  // Same floating-point operations as torch CyclicLR.get_lr.
  const double total = static_cast<double>(up_ + down_);
  const double ratio = static_cast<double>(up_) / total;
  const double s = static_cast<double>(step);
  const double cycle = std::floor(1 + s / total);
  const double x = 1. + s / total - cycle;
  const double h = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
  const double sc = scale(cycle, s);
  Value v;
  v.lr = base_lrs_[group] + (max_lrs_[group] - base_lrs_[group]) * h * sc;
  if (cycle_momentum_) {
    v.momentum = max_moms_[group] - (max_moms_[group] - base_moms_[group]) * h * sc;
  }
  return v;
}

}  // namespace cyclone::schedules
