// Unit tests for the LR range test arithmetic: sweep, smoothed loss and stop rule, and the
// minimum / steepest / valley suggestions on synthetic curves with known answers.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "schedules/lr_finder_math.h"

using namespace cyclone::schedules;

namespace {

// The default fastai sweep (1e-7 -> 10, 100 points), both ends included.
std::vector<double> default_sweep() { return sweep_lrs(SweepOptions{}); }

std::vector<double> exp_sweep(double start, double end, int64_t n) {
  SweepOptions o;
  o.start_lr = start;
  o.end_lr = end;
  o.num_it = n;
  return sweep_lrs(o);
}

}  // namespace

TEST_CASE("LR sweep: exponential and linear, with and without the end point") {
  SweepOptions o;  // 1e-7 -> 10 over 100 iterations
  CHECK(sweep_lr(o, 0) == doctest::Approx(1e-7));
  CHECK(sweep_lr(o, 99) == doctest::Approx(10.0));
  CHECK(sweep_lr(o, 33) == doctest::Approx(1e-7 * std::pow(1e8, 33.0 / 99)));
  o.include_end = false;  // fastai v2 positions: i / num_it
  CHECK(sweep_lr(o, 50) == doctest::Approx(1e-3));
  CHECK(sweep_lr(o, 99) == doctest::Approx(1e-7 * std::pow(1e8, 0.99)));

  SweepOptions lin;
  lin.start_lr = 0.1;
  lin.end_lr = 1.1;
  lin.num_it = 11;
  lin.mode = SweepMode::linear;
  CHECK(sweep_lr(lin, 5) == doctest::Approx(0.6));
  CHECK(sweep_lr(lin, 10) == doctest::Approx(1.1));
  CHECK(parse_sweep_mode("exp") == SweepMode::exponential);
  CHECK_THROWS_AS(parse_sweep_mode("log"), std::invalid_argument);

  std::vector<double> all = default_sweep();
  REQUIRE(all.size() == 100);
  for (size_t i = 1; i < all.size(); ++i) {
    CHECK(all[i] / all[i - 1] == doctest::Approx(all[1] / all[0]));
  }

  CHECK_THROWS_AS((void)sweep_lr(SweepOptions{}, 100), std::invalid_argument);
  SweepOptions bad;
  bad.num_it = 1;
  CHECK_THROWS_AS((void)sweep_lrs(bad), std::invalid_argument);
  bad = SweepOptions{};
  bad.start_lr = 0;
  CHECK_THROWS_AS((void)sweep_lrs(bad), std::invalid_argument);
}

TEST_CASE("LrSweep drives an optimizer like any schedule and holds end_lr afterwards") {
  LrSweep s(SweepOptions{}, 2);
  CHECK(s.num_groups() == 2);
  CHECK(s.total_steps() == 100);
  CHECK(s.lr(0, 1) == doctest::Approx(1e-7));
  CHECK(s.lr(99, 0) == doctest::Approx(10.0));
  CHECK(s.lr(500, 0) == s.lr(99, 0));
  CHECK_FALSE(s.at(3, 0).momentum.has_value());
}

TEST_CASE("SmoothedLoss: bias-corrected EMA") {
  SmoothedLoss sl;  // beta 0.98
  CHECK(std::isnan(sl.value()));
  CHECK_FALSE(sl.diverged());
  CHECK(sl.update(1.0) == doctest::Approx(1.0));  // bias correction: the first value is exact
  CHECK(sl.update(2.0) == doctest::Approx(1.5050505050505034).epsilon(1e-12));
  CHECK(sl.update(0.5) == doctest::Approx(1.16324309617739).epsilon(1e-12));
  CHECK(sl.count() == 3);
  CHECK(sl.best() == doctest::Approx(1.0));

  SmoothedLoss constant;
  for (int i = 0; i < 50; ++i) CHECK(constant.update(2.5) == doctest::Approx(2.5).epsilon(1e-12));
  CHECK_THROWS_AS(SmoothedLoss(1.0), std::invalid_argument);
}

TEST_CASE("SmoothedLoss stop rule: 4x the best, or NaN/Inf") {
  SmoothedLoss raw(0.0);  // beta 0: the smoothed loss is the loss itself
  raw.update(1.0);
  raw.update(0.5);
  raw.update(1.9);
  CHECK_FALSE(raw.diverged());  // 1.9 < 4 * 0.5
  raw.update(2.1);
  CHECK(raw.diverged());

  SmoothedLoss nan_loss;
  nan_loss.update(1.0);
  nan_loss.update(std::numeric_limits<double>::quiet_NaN());
  CHECK(nan_loss.diverged());
  SmoothedLoss inf_loss;
  inf_loss.update(std::numeric_limits<double>::infinity());
  CHECK(inf_loss.diverged());

  SmoothedLoss custom(0.0, 2.0);
  custom.update(1.0);
  custom.update(2.5);
  CHECK(custom.diverged());
}

TEST_CASE("suggest_minimum: lr at the lowest loss, divided by 10") {
  std::vector<double> lrs = default_sweep();
  std::vector<double> losses(lrs.size());
  for (size_t i = 0; i < lrs.size(); ++i) losses[i] = std::pow(static_cast<double>(i) - 30.0, 2);
  Suggestion s = suggest_minimum(lrs, losses);
  CHECK(s.index == 30);
  CHECK(s.lr == doctest::Approx(lrs[30] / 10));
  // Points from the first NaN on are ignored.
  losses[10] = std::numeric_limits<double>::quiet_NaN();
  CHECK(suggest_minimum(lrs, losses).index == 9);
}

TEST_CASE("suggest_steepest: most negative d loss / d log10(lr)") {
  std::vector<double> lrs = default_sweep();
  double x40 = std::log10(lrs[40]);
  std::vector<double> losses(lrs.size());
  for (size_t i = 0; i < lrs.size(); ++i) losses[i] = 2 - std::tanh(3 * (std::log10(lrs[i]) - x40));
  Suggestion s = suggest_steepest(lrs, losses);
  CHECK(s.index == 40);
  CHECK(s.lr == lrs[40]);

  // numpy.gradient([1, 4, 9, 25], log10([1, 10, 1000, 10000])) on non-uniform spacing.
  std::vector<double> g = gradient_wrt_log10_lr(std::vector<double>{1, 10, 1000, 10000},
                                                std::vector<double>{1, 4, 9, 25});
  REQUIRE(g.size() == 4);
  CHECK(g[0] == doctest::Approx(3.0));
  CHECK(g[1] == doctest::Approx(2.8333333333333335));
  CHECK(g[2] == doctest::Approx(11.499999999999996));
  CHECK(g[3] == doctest::Approx(16.0));
  CHECK_THROWS_AS((void)gradient_wrt_log10_lr(std::vector<double>{1, 1},
                                              std::vector<double>{1, 2}),
                  std::invalid_argument);
}

TEST_CASE("suggest_valley: fastai's longest-valley rule") {
  // 10 flat points, 20 strictly decreasing, then rising: the longest decreasing subsequence
  // ends at index 29 with length 21, so max_start = 8, sections = 7, idx = 8 + 7 + 3 = 18.
  std::vector<double> losses;
  for (int i = 0; i < 10; ++i) losses.push_back(1.0);
  for (int k = 1; k <= 20; ++k) losses.push_back(1.0 - 0.05 * k);
  for (int k = 0; k < 10; ++k) losses.push_back(0.3 * k);
  std::vector<double> lrs = exp_sweep(1e-6, 1.0, 40);
  Suggestion v = suggest_valley(lrs, losses);
  CHECK(v.index == 18);
  CHECK(v.lr == lrs[18]);

  // The valley is a subsequence, not a contiguous run: small bumps do not break it.
  std::vector<double> bumpy = {5, 4, 4.5, 3, 3.5, 2, 2.5, 1, 6, 7};
  std::vector<double> ten = exp_sweep(1e-4, 1.0, 10);
  CHECK(suggest_valley(ten, bumpy).index == 3);  // max_end 7, lds 5, max_start 2
  // A two-point curve: fastai's idx is -1, i.e. Python's last element.
  CHECK(suggest_valley(std::vector<double>{1e-3, 1e-2}, std::vector<double>{2, 1}).index == 1);
  // A curve that only rises after its second point: the valley is points 0-1 (idx -1, which
  // fastai reads as the last, diverged point); the suggestion is the valley's end, point 1.
  const std::vector<double> rising_lrs{1e-4, 1e-3, 1e-2, 1e-1, 1, 10}, rising{2.3, 2.2, 2.4, 3, 9, 1e6};
  CHECK(suggest_valley(rising_lrs, rising).index == 1);
  CHECK_THROWS_AS((void)suggest_valley(std::vector<double>{1e-3}, std::vector<double>{}),
                  std::invalid_argument);
}

TEST_CASE("suggest_lrs and fastai's trimming") {
  std::vector<double> lrs = default_sweep();
  std::vector<double> losses(lrs.size());
  // A typical range-test curve: flat, a steep fall around 1e-3, a minimum near 1e-1, divergence.
  for (size_t i = 0; i < lrs.size(); ++i) {
    double x = std::log10(lrs[i]);
    losses[i] = 2.3 - 1.5 / (1 + std::exp(-4 * (x + 3))) + (x > -1 ? 3 * (x + 1) * (x + 1) : 0);
  }
  auto [tl, tloss] = trim_for_suggestions(lrs, losses, 100);
  REQUIRE(tl.size() == 85);  // [100 // 10, 100 - 5)
  CHECK(tl[0] == lrs[10]);
  const Suggestion steepest = suggest_steepest(tl, tloss), minimum = suggest_minimum(tl, tloss),
                   valley = suggest_valley(tl, tloss);
  CHECK(std::log10(steepest.lr) == doctest::Approx(-3).epsilon(0.05));
  CHECK(std::log10(minimum.lr * 10) == doctest::Approx(-1).epsilon(0.1));
  // The trimmed curve falls strictly from its first point to its minimum (index 64), so the
  // valley has lds 65 and max_start -1: idx = -1 + int(65 / 3) + int(65 / 6) = 30.
  CHECK(minimum.index == 64);
  CHECK(valley.index == 30);
  CHECK(valley.lr == tl[30]);

  losses[60] = std::numeric_limits<double>::quiet_NaN();
  CHECK(trim_for_suggestions(lrs, losses, 100).first.size() == 50);
  CHECK(trim_for_suggestions(std::vector<double>(12, 1.0), std::vector<double>(12, 1.0), 100)
            .first.empty());
}
