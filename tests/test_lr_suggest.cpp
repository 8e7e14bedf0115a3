// Unit tests for the named suggestion rules (schedules/lr_suggest.h): every rule
// on curves with known answers (a typical range test, an early divergence, a plateau, a noisy
// curve), the registry, and that the rule `--lr auto` takes is the one the docs name.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "schedules/lr_suggest.h"

using namespace cyclone::schedules;

namespace {

// The default fastai sweep (1e-7 -> 10, 100 points), both ends included.
std::vector<double> default_sweep() { return sweep_lrs(SweepOptions{}); }

// 40 lrs from 1e-5 to 1, both ends included (numpy.geomspace(1e-5, 1, 40)).
std::vector<double> sweep40() {
  SweepOptions o;
  o.start_lr = 1e-5;
  o.end_lr = 1.0;
  o.num_it = 40;
  return sweep_lrs(o);
}

// Flat at 2.3, a fall of 1.5 centred on 1e-3, and a rise from 1e-1 on.
std::vector<double> typical_curve(const std::vector<double>& lrs) {
  std::vector<double> y;
  for (double lr : lrs) {
    const double x = std::log10(lr);
    y.push_back(2.3 - 1.5 / (1 + std::exp(-4 * (x + 3))) + (x > -1 ? 3 * (x + 1) * (x + 1) : 0));
  }
  return y;
}

// Flat at 1, then rising from 1e-4 on: no lr helps.
std::vector<double> early_divergence(const std::vector<double>& lrs) {
  std::vector<double> y;
  for (double lr : lrs) {
    const double x = std::log10(lr);
    y.push_back(x < -4 ? 1.0 : 1.0 + (x + 4) * (x + 4));
  }
  return y;
}

}  // namespace

TEST_CASE("steep: fastai v2's forward differences, read at the left point") {
  const std::vector<double> lrs = sweep40();
  // Known answers (fastai's formula evaluated on these curves): the steepest forward
  // difference of the typical curve starts at index 15, just past its centre at 1e-3.
  CHECK(suggest_steep(lrs, typical_curve(lrs)).index == 15);
  CHECK(suggest_steep(lrs, typical_curve(lrs)).lr == lrs[15]);
  // A curve that only rises: the first step is the least bad.
  CHECK(suggest_steep(lrs, early_divergence(lrs)).index == 0);
  // Left point against steepest's central differences: the one big drop is between 1 and 2.
  const std::vector<double> four{1e-3, 1e-2, 1e-1, 1.0}, drop{3.0, 2.9, 1.0, 0.95};
  CHECK(suggest_steep(four, drop).index == 1);
  CHECK(suggest_steepest(four, drop).index == 1);  // g = [-0.1, -1, -0.975, -0.05]
  CHECK_THROWS_AS((void)suggest_steep(std::vector<double>{1.0}, std::vector<double>{1.0}), std::invalid_argument);
}

TEST_CASE("slide: fastai's interval slide rule") {
  const std::vector<double> lrs = sweep40();
  // The window of 15 slides left from the end while the slopes at its ends differ.
  CHECK(suggest_slide(lrs, typical_curve(lrs)).index == 9);
  CHECK(suggest_slide(lrs, early_divergence(lrs)).index == 0);
  // A plateau: the first window's slopes agree, so the answer is its left end, n - 1 - 15.
  const std::vector<double> flat(40, 1.0);
  CHECK(suggest_slide(lrs, flat).index == 24);
  // A noisy curve: the slopes never settle, and the window runs off the left end.
  std::vector<double> noisy = typical_curve(lrs);
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += 0.05 * std::sin(7.0 * double(i));
  CHECK(suggest_slide(lrs, noisy).index == 0);
  CHECK(suggest_steep(lrs, noisy).index == 14);
  // Too short for one window (fastai raises IndexError): the first point.
  CHECK(suggest_slide(std::vector<double>(10, 1e-3), std::vector<double>(10, 1.0)).index == 0);
}

TEST_CASE("edge: a tenth of the lr where the loss, smoothed without lag, starts to diverge") {
  // Both ways at beta 0.5 over 1, 2, 3, 4: forward 1, 5/3, 17/7, 49/15; backward 4, 10/3,
  // 18/7, 26/15 (each bias-corrected); their means.
  const std::vector<double> both = smooth_both_ways(std::vector<double>{1, 2, 3, 4}, 0.5);
  REQUIRE(both.size() == 4);
  CHECK(both[0] == doctest::Approx(1.3666666666666667));
  CHECK(both[1] == doctest::Approx(2.119047619047619));
  CHECK(both[2] == doctest::Approx(2.880952380952381));
  CHECK(both[3] == doctest::Approx(3.6333333333333333));

  const std::vector<double> lrs = sweep40();
  // The typical curve bottoms out at 0.8 near 1e-1 and passes 1.5 x 0.8 a little later.
  const std::optional<Suggestion> e = suggest_edge(lrs, typical_curve(lrs), 4);
  REQUIRE(e);
  CHECK(e->index == 36);
  CHECK(e->lr == doctest::Approx(lrs[36] / 10));
  // Rising from 1e-4 on (index 8): 1.5x the flat 1 is passed at index 10.
  CHECK(suggest_edge(lrs, early_divergence(lrs), 4)->index == 10);
  // A plateau never diverges: no edge.
  const std::vector<double> flat(40, 1.0);
  CHECK_FALSE(suggest_edge(lrs, flat, 4));
  // Only the points before the first NaN count: up to index 29 the curve only falls.
  std::vector<double> cut = typical_curve(lrs);
  cut[30] = std::nan("");
  CHECK_FALSE(suggest_edge(lrs, cut, 4));
  // A noisy curve: the noise (+-0.05) is smoothed away, the divergence is not.
  std::vector<double> noisy = typical_curve(lrs);
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += 0.05 * std::sin(7.0 * double(i));
  CHECK(suggest_edge(lrs, noisy, 4)->index == 36);
  // The "edge" rule, on a curve with no edge: the geometric mean of valley and minimum.
  const std::vector<double> full = default_sweep();
  std::vector<double> falling(full.size());
  for (size_t i = 0; i < full.size(); ++i) falling[i] = 2.0 - 0.01 * double(i);
  const std::vector<NamedSuggestion> all = suggest_all({full, falling, falling, 100});
  REQUIRE(all[5].rule == "edge");
  CHECK(all[5].suggestion.lr == doctest::Approx(std::sqrt(all[3].suggestion.lr * all[0].suggestion.lr)));
  // The falling trimmed curve (points 10 to 94): valley at 10 - 1 + 28 + 14 = 51 (lds 85 from
  // max_start -1), lr 10^-2.879; minimum a tenth of its last point's, 10^-0.404; their
  // geometric mean 10^-1.641 lies at 66.3 of the sweep's 1e-7 * 10^(8 i / 99).
  CHECK(all[3].suggestion.index == 51);
  CHECK(all[0].suggestion.index == 94);
  CHECK(all[5].suggestion.index == 66);
  CHECK_THROWS_AS((void)suggest_edge(lrs, std::vector<double>(40, std::nan("")), 4), std::invalid_argument);
  CHECK_THROWS_AS((void)suggest_edge(lrs, flat, 4, 0.9, 1.0), std::invalid_argument);
}

TEST_CASE("minimum, steepest and valley on the same curves: known answers") {
  // Index answers from the formulas (fastai's minimum and valley, numpy.gradient's steepest)
  // on 40 points: the typical curve, an early divergence, a plateau, the noisy curve.
  const std::vector<double> lrs = sweep40();
  const std::vector<double> typical = typical_curve(lrs), rising = early_divergence(lrs), flat(40, 1.0);
  std::vector<double> noisy = typical;
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i] += 0.05 * std::sin(7.0 * double(i));
  CHECK(suggest_minimum(lrs, typical).index == 31);
  CHECK(suggest_steepest(lrs, typical).index == 16);
  CHECK(suggest_valley(lrs, typical).index == 14);
  // Nothing falls: every rule gives the first point.
  CHECK(suggest_minimum(lrs, rising).index == 0);
  CHECK(suggest_steepest(lrs, rising).index == 0);
  CHECK(suggest_valley(lrs, rising).index == 0);
  // A plateau: the first of equal minima, and no valley (a plateau has no steepest point, so
  // steepest's answer there is rounding noise and not checked).
  CHECK(suggest_minimum(lrs, flat).index == 0);
  CHECK(suggest_valley(lrs, flat).index == 0);
  // Noise moves the minimum to a dip and lengthens the valley.
  CHECK(suggest_minimum(lrs, noisy).index == 24);
  CHECK(suggest_steepest(lrs, noisy).index == 15);
  CHECK(suggest_valley(lrs, noisy).index == 19);
}

TEST_CASE("the rule registry: names, order, errors") {
  const auto rules = suggestion_rules();
  REQUIRE(rules.size() >= 5);
  CHECK(std::string(rules[0].name) == "minimum");
  CHECK(std::string(suggestion_rule("valley").name) == "valley");
  CHECK(std::string(suggestion_rule(kDefaultSuggestionRule).name) == kDefaultSuggestionRule);
  try {
    (void)suggestion_rule("best");
    FAIL("no error for an unknown rule");
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    CHECK(what.find("'best'") != std::string::npos);
    for (const SuggestionRule& r : rules) CHECK(what.find(r.name) != std::string::npos);
  }
}

TEST_CASE("suggest_all reads fastai's rules off the trimmed smoothed curve; indices are into the whole curve") {
  const std::vector<double> lrs = default_sweep();
  std::vector<double> smoothed = typical_curve(lrs), raw = smoothed;
  const std::vector<NamedSuggestion> all = suggest_all({lrs, raw, smoothed, 100});
  REQUIRE(all.size() == suggestion_rules().size());
  auto [tl, tloss] = trim_for_suggestions(lrs, smoothed, 100);
  // minimum and edge suggest a tenth of their point's lr, the others the lr of their point.
  for (const NamedSuggestion& s : all) {
    CHECK(s.suggestion.lr == doctest::Approx(lrs[s.suggestion.index] / (s.rule == "minimum" || s.rule == "edge" ? 10 : 1)));
  }
  CHECK(all[0].rule == "minimum");
  CHECK(all[0].suggestion.index == suggest_minimum(tl, tloss).index + 10);
  CHECK(all[0].suggestion.lr == doctest::Approx(suggest_minimum(tl, tloss).lr));
  CHECK(all[3].rule == "valley");
  CHECK(all[3].suggestion.index == suggest_valley(tl, tloss).index + 10);
  CHECK_THROWS_AS((void)suggest_all({std::vector<double>{1e-3}, std::vector<double>{1.0}, std::vector<double>{1.0}, 1}),
                  std::invalid_argument);
}

TEST_CASE("the rule --lr auto takes is the one docs/LR_SUGGESTIONS.md names") {
  std::ifstream f(std::string(CYCLONE_SOURCE_DIR) + "/docs/LR_SUGGESTIONS.md");
  REQUIRE(f.good());
  std::stringstream text;
  text << f.rdbuf();
  const std::string line = std::string("`--lr auto` takes **") + kDefaultSuggestionRule + "**";
  CHECK_MESSAGE(text.str().find(line) != std::string::npos, "docs/LR_SUGGESTIONS.md does not say: " << line);
}
