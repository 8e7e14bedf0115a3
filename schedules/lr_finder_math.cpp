// LR range test arithmetic: sweep, smoothed loss and suggestions (see lr_finder_math.h).
#include "schedules/lr_finder_math.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cyclone::schedules {

using detail::fmt;

namespace {

void validate_sweep(const SweepOptions& o) {
  detail::require_positive(o.start_lr, "LR sweep", "start_lr");
  detail::require_positive(o.end_lr, "LR sweep", "end_lr");
  detail::require_at_least(o.num_it, 2, "LR sweep", "num_it");
}

// Number of leading points usable for suggestions: up to the first non-finite loss.
size_t usable_points(std::span<const double> lrs, std::span<const double> losses,
                     const char* who) {
  if (lrs.size() != losses.size()) {
    throw std::invalid_argument(std::string(who) + ": lrs has " + std::to_string(lrs.size()) +
                                " points but losses has " + std::to_string(losses.size()));
  }
  size_t n = 0;
  while (n < losses.size() && std::isfinite(losses[n])) ++n;
  if (n == 0) {
    throw std::invalid_argument(std::string(who) + ": no finite loss before the first "
                                "NaN/Inf (or the curve is empty)");
  }
  for (size_t i = 0; i < n; ++i) detail::require_positive(lrs[i], who, "lrs");
  return n;
}

}  // namespace

SweepMode parse_sweep_mode(const std::string& name) {
  if (name == "exp" || name == "exponential") return SweepMode::exponential;
  if (name == "linear") return SweepMode::linear;
  throw std::invalid_argument("LR sweep: unknown mode '" + name +
                              "'; valid modes: exp (exponential), linear");
}

double sweep_lr(const SweepOptions& o, int64_t i) {
  validate_sweep(o);
  if (i < 0 || i >= o.num_it) {
    throw std::invalid_argument("LR sweep: iteration " + std::to_string(i) +
                                " out of range [0, " + std::to_string(o.num_it) + ")");
  }
  double denom = static_cast<double>(o.include_end ? o.num_it - 1 : o.num_it);
  double pos = static_cast<double>(i) / denom;
  if (o.mode == SweepMode::linear) return o.start_lr + pos * (o.end_lr - o.start_lr);
  return o.start_lr * std::pow(o.end_lr / o.start_lr, pos);
}

std::vector<double> sweep_lrs(const SweepOptions& o) {
  validate_sweep(o);
  std::vector<double> out(static_cast<size_t>(o.num_it));
  for (int64_t i = 0; i < o.num_it; ++i) out[static_cast<size_t>(i)] = sweep_lr(o, i);
  return out;
}

LrSweep::LrSweep(SweepOptions options, size_t num_groups)
    : Schedule("LrSweep", num_groups), options_(options) {
  validate_sweep(options_);
  if (num_groups == 0) throw std::invalid_argument("LrSweep: num_groups must be >= 1");
}

std::string LrSweep::describe() const {
  return std::string("lr_sweep(start_lr=") + fmt(options_.start_lr) + ", end_lr=" +
         fmt(options_.end_lr) + ", num_it=" + std::to_string(options_.num_it) + ", mode=" +
         (options_.mode == SweepMode::linear ? "linear" : "exp") + ")";
}

Value LrSweep::value_at(int64_t step, size_t) const {
  return {sweep_lr(options_, std::min(step, options_.num_it - 1)), std::nullopt};
}

SmoothedLoss::SmoothedLoss(double beta, double stop_factor)
    : beta_(beta),
      stop_factor_(stop_factor),
      smoothed_(std::numeric_limits<double>::quiet_NaN()),
      best_(std::numeric_limits<double>::infinity()) {
  if (!(beta >= 0 && beta < 1)) {
    throw std::invalid_argument("SmoothedLoss: beta must be in [0, 1), got " + fmt(beta));
  }
  detail::require_positive(stop_factor, "SmoothedLoss", "stop_factor");
}

double SmoothedLoss::update(double loss) {
  avg_ = beta_ * avg_ + (1 - beta_) * loss;
  beta_pow_ *= beta_;
  ++count_;
  smoothed_ = avg_ / (1 - beta_pow_);
  if (smoothed_ < best_) best_ = smoothed_;
  return smoothed_;
}

bool SmoothedLoss::diverged() const {
  if (count_ == 0) return false;
  if (!std::isfinite(smoothed_)) return true;
  return smoothed_ > stop_factor_ * best_;
}

Suggestion suggest_minimum(std::span<const double> lrs, std::span<const double> losses) {
  size_t n = usable_points(lrs, losses, "suggest_minimum");
  size_t best = 0;
  for (size_t i = 1; i < n; ++i) {
    if (losses[i] < losses[best]) best = i;
  }
  return {lrs[best] / 10, best};
}

std::vector<double> gradient_wrt_log10_lr(std::span<const double> lrs,
                                          std::span<const double> losses) {
  size_t n = usable_points(lrs, losses, "gradient_wrt_log10_lr");
  if (n < 2) throw std::invalid_argument("gradient_wrt_log10_lr: needs at least 2 points");
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) {
    x[i] = std::log10(lrs[i]);
    if (i > 0 && !(x[i] > x[i - 1])) {
      throw std::invalid_argument("gradient_wrt_log10_lr: lrs must be strictly increasing, "
                                  "got lrs[" + std::to_string(i - 1) + "] = " +
                                  fmt(lrs[i - 1]) + ", lrs[" + std::to_string(i) + "] = " +
                                  fmt(lrs[i]));
    }
  }
  std::vector<double> g(n);
  g[0] = (losses[1] - losses[0]) / (x[1] - x[0]);
  g[n - 1] = (losses[n - 1] - losses[n - 2]) / (x[n - 1] - x[n - 2]);
  for (size_t i = 1; i + 1 < n; ++i) {
    // numpy.gradient's second-order formula for non-uniform spacing.
    double h1 = x[i] - x[i - 1], h2 = x[i + 1] - x[i];
    double a = -h2 / (h1 * (h1 + h2));
    double b = (h2 - h1) / (h1 * h2);
    double c = h1 / (h2 * (h1 + h2));
    g[i] = a * losses[i - 1] + b * losses[i] + c * losses[i + 1];
  }
  return g;
}

Suggestion suggest_steepest(std::span<const double> lrs, std::span<const double> losses) {
  std::vector<double> g = gradient_wrt_log10_lr(lrs, losses);
  size_t best = static_cast<size_t>(std::min_element(g.begin(), g.end()) - g.begin());
  return {lrs[best], best};
}

Suggestion suggest_valley(std::span<const double> lrs, std::span<const double> losses) {
  size_t n = usable_points(lrs, losses, "suggest_valley");
  std::vector<int64_t> lds(n, 1);
  int64_t max_start = 0;
  size_t max_end = 0;
  // Transcribed from fastai's valley(): the max_end update sits inside the inner loop, and
  // max_start may be -1 when the valley starts at index 0.
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = static_cast<int64_t>(max_end) - lds[max_end];
      }
    }
  }
  double sections = static_cast<double>(static_cast<int64_t>(max_end) - max_start) / 3;
  int64_t idx = max_start + static_cast<int64_t>(sections) + static_cast<int64_t>(sections / 2);
  // A valley of two points from index 0 gives idx -1, which fastai reads Python-style as the
  // last point: the diverged end of a curve that only rises after its second point. Here it is
  // the valley's end instead (the same point when the curve has just two).
  if (idx < 0) idx = static_cast<int64_t>(max_end);
  return {lrs[static_cast<size_t>(idx)], static_cast<size_t>(idx)};
}

Suggestion suggest_steep(std::span<const double> lrs, std::span<const double> losses) {
  const size_t n = usable_points(lrs, losses, "suggest_steep");
  if (n < 2) throw std::invalid_argument("suggest_steep: needs at least 2 points");
  size_t best = 0;
  double best_slope = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < n; ++i) {
    const double dx = std::log(lrs[i + 1]) - std::log(lrs[i]);
    if (!(dx > 0)) throw std::invalid_argument("suggest_steep: lrs must be strictly increasing");
    const double slope = (losses[i + 1] - losses[i]) / dx;
    if (slope < best_slope) {
      best_slope = slope;
      best = i;
    }
  }
  return {lrs[best], best};
}

Suggestion suggest_slide(std::span<const double> lrs, std::span<const double> losses, int64_t lr_diff,
                         double thresh) {
  const auto n = static_cast<int64_t>(usable_points(lrs, losses, "suggest_slide"));
  detail::require_at_least(lr_diff, 1, "suggest_slide", "lr_diff");
  if (n <= lr_diff) return {lrs[0], 0};
  // numpy.gradient with unit spacing: central differences inside, one-sided at the ends.
  std::vector<double> g(static_cast<size_t>(n), 0.0);
  if (n >= 2) {
    g[0] = losses[1] - losses[0];
    g[size_t(n - 1)] = losses[size_t(n - 1)] - losses[size_t(n - 2)];
    for (int64_t i = 1; i + 1 < n; ++i) g[size_t(i)] = (losses[size_t(i + 1)] - losses[size_t(i - 1)]) / 2;
  }
  int64_t r = n - 1, l = r - lr_diff;
  int64_t pick = l;
  while (l >= 0 && std::abs(g[size_t(r)] - g[size_t(l)]) > thresh) {
    pick = l;
    --r;
    --l;
  }
  return {lrs[size_t(pick)], size_t(pick)};
}

std::pair<std::vector<double>, std::vector<double>> trim_for_suggestions(
    std::span<const double> lrs, std::span<const double> losses, int64_t num_it) {
  if (lrs.size() != losses.size()) {
    throw std::invalid_argument("trim_for_suggestions: lrs has " + std::to_string(lrs.size()) +
                                " points but losses has " + std::to_string(losses.size()));
  }
  if (num_it < 0) {
    throw std::invalid_argument("trim_for_suggestions: num_it must be >= 0, got " +
                                std::to_string(num_it));
  }
  size_t begin = std::min(static_cast<size_t>(num_it / 10), lrs.size());
  size_t end = lrs.size() >= 5 ? lrs.size() - 5 : 0;
  std::pair<std::vector<double>, std::vector<double>> out;
  for (size_t i = begin; i < end && !std::isnan(losses[i]); ++i) {
    out.first.push_back(lrs[i]);
    out.second.push_back(losses[i]);
  }
  return out;
}

}  // namespace cyclone::schedules
