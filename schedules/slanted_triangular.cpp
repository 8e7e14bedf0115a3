// ULMFiT slanted triangular learning rates (see slanted_triangular.h).
#include "schedules/slanted_triangular.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

SlantedTriangular::SlantedTriangular(SlantedTriangularOptions o)
    : Schedule("SlantedTriangular", o.num_groups, {{"max_lr", &o.max_lr}}),
      max_lrs_(expand_positive(o.max_lr, "max_lr")),
      total_(o.total_steps),
      cut_(0),
      cut_frac_(o.cut_frac),
      ratio_(o.ratio) {
  detail::require_at_least(total_, 1, name(), "total_steps");
  if (!(cut_frac_ > 0 && cut_frac_ < 1)) {
    throw std::invalid_argument("SlantedTriangular: cut_frac must be in (0, 1), got " +
                                fmt(cut_frac_));
  }
  if (!(std::isfinite(ratio_) && ratio_ >= 1)) {
    throw std::invalid_argument("SlantedTriangular: ratio must be >= 1 and finite, got " +
                                fmt(ratio_));
  }
  cut_ = static_cast<int64_t>(std::floor(static_cast<double>(total_) * cut_frac_));
  if (cut_ < 1) {
    throw std::invalid_argument("SlantedTriangular: total_steps * cut_frac must be >= 1 so the "
                                "rise lasts at least one step, got " + std::to_string(total_) +
                                " * " + fmt(cut_frac_));
  }
}

std::string SlantedTriangular::describe() const {
  return "slanted(max_lr=" + fmt(max_lrs_) + ", total_steps=" + std::to_string(total_) +
         ", cut_frac=" + fmt(cut_frac_) + ", ratio=" + fmt(ratio_) + ")";
}

Value SlantedTriangular::value_at(int64_t step, size_t group) const {
  const double t = static_cast<double>(std::min(step, total_ - 1));
  const double cut = static_cast<double>(cut_);
  double p = t < cut ? t / cut : 1 - (t - cut) / (cut * (1 / cut_frac_ - 1));
  p = std::max(p, 0.0);
  return {max_lrs_[group] * (1 + p * (ratio_ - 1)) / ratio_, std::nullopt};
}

}  // namespace cyclone::schedules
