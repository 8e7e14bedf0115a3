// ULMFiT slanted triangular learning rates (Howard & Ruder 2018, "Universal Language Model
// Fine-tuning for Text Classification", eq. 3): a short linear rise, then a long linear decay.
//
// With T = total_steps, cut = floor(T * cut_frac) and t = the 0-based step:
//   p = t / cut                                        if t < cut
//   p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))     otherwise
//   lr_g(t) = max_lr_g * (1 + p * (ratio - 1)) / ratio
// so the lr starts at max_lr / ratio, peaks at step cut and falls back towards max_lr / ratio
// at step T. p is clamped at 0, so rounding of cut never takes the lr below max_lr / ratio.
// Paper defaults: cut_frac 0.1, ratio 32. Past T - 1 the value of step T - 1 is held.
#pragma once

#include <cstdint>
#include <string>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

struct SlantedTriangularOptions {
  PerGroup max_lr = 0.01;
  int64_t total_steps = 0;  // required; total_steps * cut_frac must be >= 1
  double cut_frac = 0.1;    // in (0, 1)
  double ratio = 32.0;      // >= 1: how much smaller the lowest lr is than max_lr
  size_t num_groups = 0;    // 0: from max_lr
};

class SlantedTriangular final : public Schedule {
 public:
  explicit SlantedTriangular(SlantedTriangularOptions options);

  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return total_; }
  // The step with the highest lr.
  int64_t cut() const { return cut_; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  std::vector<double> max_lrs_;
  int64_t total_, cut_;
  double cut_frac_, ratio_;
};

}  // namespace cyclone::schedules
