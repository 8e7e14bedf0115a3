// The rules that read a learning rate off an LR range test's curve, by name: fastai's
// (minimum, steep, valley, slide), cyclone's steepest, and the rule `--lr auto` takes, which
// bench/bench_lr_suggest.cpp chose by its regret against a grid search (docs/LR_SUGGESTIONS.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "schedules/lr_finder_math.h"

namespace cyclone::schedules {

// edge: a tenth of the lr where the loss starts to diverge. The raw losses (up to the first
// non-finite one) are smoothed without lag: the mean of a bias-corrected EMA run forward and
// one run backward (SmoothedLoss's formula, beta 0.9 each way). The divergence point is the
// first one from index `skip` on whose smoothed loss exceeds `rise` times the lowest smoothed
// loss before it; the suggestion is its lr / divisor. Empty when no point does: the sweep
// never diverged, so the curve has no edge to read; the "edge" rule then takes the geometric
// mean of valley's and minimum's lrs.
std::optional<Suggestion> suggest_edge(std::span<const double> lrs, std::span<const double> losses, int64_t skip,
                                       double beta = 0.9, double rise = 1.5, double divisor = 10);
// The zero-lag smoothing suggest_edge uses: (forward EMA + backward EMA) / 2, each bias-corrected.
std::vector<double> smooth_both_ways(std::span<const double> losses, double beta);

// One range test as recorded: every iteration's lr, raw loss and smoothed loss (SmoothedLoss),
// and the sweep's planned length (fastai's trimming drops num_it / 10 points at the start).
struct LrCurve {
  std::span<const double> lrs, losses, smoothed;
  int64_t num_it = 0;
};

struct SuggestionRule {
  const char* name;
  const char* summary;  // one line, for --help and the docs
  Suggestion (*suggest)(const LrCurve& curve);
};

// Every rule, in the order reports list them.
std::span<const SuggestionRule> suggestion_rules();
// The rule of that name; throws std::invalid_argument listing the names otherwise.
const SuggestionRule& suggestion_rule(const std::string& name);
// The rule `--lr auto` and LrFindResult::suggestion() take.
inline constexpr const char* kDefaultSuggestionRule = "edge";

// A rule's answer on one curve. Suggestion::index is into the whole recorded curve.
struct NamedSuggestion {
  std::string rule;
  Suggestion suggestion;
};
// Whether the curve can be read at all: its first two points have a finite smoothed loss.
bool can_suggest(const LrCurve& curve);
// Every rule's answer, in suggestion_rules() order. Needs can_suggest(curve) and spans of one
// length; throws std::invalid_argument otherwise.
std::vector<NamedSuggestion> suggest_all(const LrCurve& curve);

}  // namespace cyclone::schedules
