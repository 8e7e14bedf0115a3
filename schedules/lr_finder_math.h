// The arithmetic of the LR range test (Smith 2015; fastai's lr_find), with no model: the lr
// sweep, the smoothed-loss tracker and its stop rule, and the suggestions computed from the
// recorded (lr, smoothed loss) curve.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "schedules/per_group.h"
#include "schedules/schedule.h"

namespace cyclone::schedules {

enum class SweepMode { exponential, linear };

// "exp" | "exponential" | "linear"; throws listing the valid names otherwise.
SweepMode parse_sweep_mode(const std::string& name);

struct SweepOptions {
  double start_lr = 1e-7;  // fastai defaults: 1e-7 -> 10 over 100 iterations
  double end_lr = 10.0;
  int64_t num_it = 100;
  SweepMode mode = SweepMode::exponential;
  // true: position i / (num_it - 1), so the last iteration uses end_lr exactly (as
  // np.geomspace / np.linspace). false: i / num_it, as fastai v2's LRFinder, which stops one
  // step short of end_lr.
  bool include_end = true;
};

// The lr at iteration i in [0, num_it):
//   exponential: start * (end / start)^pos,   linear: start + pos * (end - start).
// Throws std::invalid_argument for bad options (start, end > 0; num_it >= 2) or i out of range.
double sweep_lr(const SweepOptions& options, int64_t i);
std::vector<double> sweep_lrs(const SweepOptions& options);

// The sweep as a Schedule (same lr for every group), so a range test can drive an optimizer
// like any other schedule. Bounded: total_steps() = num_it; past it end_lr's step is held.
class LrSweep final : public Schedule {
 public:
  explicit LrSweep(SweepOptions options, size_t num_groups = 1);
  std::string describe() const override;
  std::optional<int64_t> total_steps() const override { return options_.num_it; }

 protected:
  Value value_at(int64_t step, size_t group) const override;

 private:
  SweepOptions options_;
};

// Exponential moving average of the loss with bias correction (fastai AvgSmoothLoss), and the
// divergence rule of fastai's LRFinder:
//   avg_i = beta * avg_{i-1} + (1 - beta) * loss_i   (avg_{-1} = 0)
//   smoothed_i = avg_i / (1 - beta^(i+1))
// diverged() once smoothed > stop_factor * (best smoothed so far), or once the smoothed loss is
// NaN or infinite (fastai does not stop on NaN: NaN comparisons are false). Assumes losses
// are >= 0, as the "4x the best" rule does.
class SmoothedLoss {
 public:
  explicit SmoothedLoss(double beta = 0.98, double stop_factor = 4.0);

  // Adds one raw loss and returns the new smoothed value.
  double update(double loss);
  double value() const { return smoothed_; }  // NaN before the first update
  double best() const { return best_; }       // +inf before the first finite value
  int64_t count() const { return count_; }
  bool diverged() const;

 private:
  double beta_, stop_factor_;
  double avg_ = 0.0, smoothed_, best_;
  double beta_pow_ = 1.0;
  int64_t count_ = 0;
};

// A suggested learning rate and the index of the curve point it was read from.
struct Suggestion {
  double lr = 0.0;
  size_t index = 0;
};

// Suggestions from a recorded curve (lrs[i], smoothed losses[i]). Every function needs
// lrs.size() == losses.size(), positive finite lrs, and uses only the points before the first
// non-finite loss (at least one point; steepest needs two and strictly increasing lrs).
//
// minimum:  lrs[argmin loss] / 10 (index = argmin; the first of equal minima).
Suggestion suggest_minimum(std::span<const double> lrs, std::span<const double> losses);
// steepest: lrs[argmin g] where g = d loss / d log10(lr) computed like numpy.gradient with
//           coordinates log10(lrs): second-order central differences inside (exact for
//           non-uniform spacing), one-sided at the two ends. (fastai v2's `steep` uses forward
//           differences and takes the left point; fastai v1 used np.gradient on the index.)
Suggestion suggest_steepest(std::span<const double> lrs, std::span<const double> losses);
// valley:   fastai's `valley` rule, exactly: lds[i] = length of the longest strictly
//           decreasing subsequence of losses ending at i (O(n^2) DP); max_end = the first i with
//           the largest lds, max_start = max_end - lds[max_end]; with sections =
//           (max_end - max_start) / 3, idx = max_start + int(sections) + int(sections / 2),
//           i.e. about halfway along the longest valley (fastai's docs say "roughly 2/3
//           through"); lr = lrs[idx].
Suggestion suggest_valley(std::span<const double> lrs, std::span<const double> losses);

// steep:    fastai v2's `steep`: forward differences (loss[i+1] - loss[i]) / (ln lr[i+1] - ln lr[i]),
//           and the left point of the steepest one (index = its argmin). Needs two points and
//           strictly increasing lrs.
Suggestion suggest_steep(std::span<const double> lrs, std::span<const double> losses);
// slide:    fastai's `slide` rule (lr_diff 15, thresh 0.005, adjust_value 1): g = numpy.gradient of
//           the losses over the index (unit spacing); from the right end, a window [l, r] with
//           r - l = lr_diff slides left while |g[r] - g[l]| > thresh; the answer is lrs[l] of
//           the last window that still differed (lrs[n-1-lr_diff] when the first one does not).
//           fastai raises IndexError on curves of lr_diff points or fewer; here they give lrs[0].
Suggestion suggest_slide(std::span<const double> lrs, std::span<const double> losses,
                         int64_t lr_diff = 15, double thresh = 0.005);

// d losses / d log10(lrs), as numpy.gradient(losses, np.log10(lrs)) (edge_order 1). Needs at
// least two points and strictly increasing lrs.
std::vector<double> gradient_wrt_log10_lr(std::span<const double> lrs,
                                          std::span<const double> losses);

// fastai lr_find's preparation of the curve before suggesting: drops the first num_it / 10
// points and the last 5 (as recorder.lrs[num_it//10:-5]), then everything from the first NaN
// loss on. May return empty vectors when the run was short.
std::pair<std::vector<double>, std::vector<double>> trim_for_suggestions(
    std::span<const double> lrs, std::span<const double> losses, int64_t num_it);

}  // namespace cyclone::schedules
