// Cyclical learning rates (Smith 2015, "Cyclical Learning Rates for Training Neural Networks"),
// matching torch.optim.lr_scheduler.CyclicLR step for step, with inverse momentum cycling.
//
// With U = step_size_up, D = step_size_down, C = U + D, at step s:
//   cycle = floor(1 + s / C),  x = 1 + s / C - cycle               (position in cycle, [0, 1))
//   h = x / (U / C)  if x <= U / C,  else (x - 1) / (U / C - 1)      (0 -> 1 -> 0 triangle)
//   lr_g = base_lr_g + (max_lr_g - base_lr_g) * h * scale
//   momentum_g = max_momentum_g - (max_momentum_g - base_momentum_g) * h * scale
// where scale = scale_fn(cycle) (scale_mode cycle) or scale_fn(s) (scale_mode iterations):
//   triangular:  1                       (scale_mode cycle)
//   triangular2: 1 / 2^(cycle - 1)       (scale_mode cycle: amplitude halves every cycle)
//   exp_range:   gamma^s                 (scale_mode iterations)
//   custom:      any function, evaluated per cycle or per iteration as scale_mode says.
// Momentum is highest when the lr is lowest. The schedule is unbounded.
//
// Differences from PyTorch: step sizes are whole steps >= 1; max_lr >= base_lr is required; a
// scale_fn must come with mode = custom (PyTorch silently ignores `mode` when scale_fn is
// given, and ignores `scale_mode` for the built-in modes, as we do); the schedule is usable
// with Adam (momentum is then beta1), where PyTorch's CyclicLR refuses optimizers without a
// 'momentum' default.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

enum class ClrMode { triangular, triangular2, exp_range, custom };
enum class ScaleMode { cycle, iterations };

// "triangular" | "triangular2" | "exp_range" (and "custom"); throws std::invalid_argument
// listing the valid names otherwise.
ClrMode parse_clr_mode(const std::string& name);
std::string to_string(ClrMode mode);
// "cycle" | "iterations".
ScaleMode parse_scale_mode(const std::string& name);
std::string to_string(ScaleMode mode);

struct CyclicOptions {
  PerGroup base_lr = 1e-3;   // lower bound of each cycle (lr at steps 0, C, 2C, ...)
  PerGroup max_lr = 6e-3;    // upper bound (reached at step U of each cycle when scale = 1)
  int64_t step_size_up = 2000;
  std::optional<int64_t> step_size_down;  // empty: equal to step_size_up
  ClrMode mode = ClrMode::triangular;
  double gamma = 1.0;  // exp_range only
  // Custom scale, used when mode == custom (required then). Must give values in [0, 1];
  // its argument is the cycle number (1-based) or the step, per scale_mode.
  std::function<double(double)> scale_fn;
  ScaleMode scale_mode = ScaleMode::cycle;  // custom mode only; built-in modes fix it
  bool cycle_momentum = true;
  PerGroup base_momentum = 0.8;  // momentum at the lr peak
  PerGroup max_momentum = 0.9;   // momentum at the lr trough
  size_t num_groups = 0;         // 0: from the per-group lists
};

class Cyclic final : public Schedule {
 public:
  explicit Cyclic(CyclicOptions options);

  std::string describe() const override;

  // Steps in one full cycle (up + down), and the 1-based cycle number of a step.
  int64_t cycle_length() const { return up_ + down_; }
  int64_t cycle_number(int64_t step) const { return 1 + step / cycle_length(); }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  double scale(double cycle, double step) const;

  std::vector<double> base_lrs_, max_lrs_, base_moms_, max_moms_;
  int64_t up_, down_;
  ClrMode mode_;
  double gamma_;
  std::function<double(double)> scale_fn_;
  ScaleMode scale_mode_;
  bool cycle_momentum_;
};

}  // namespace cyclone::schedules
