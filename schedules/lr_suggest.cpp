// The named suggestion rules over a recorded range test (see lr_suggest.h).
#include "schedules/lr_suggest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace cyclone::schedules {

namespace {

// fastai's rules read the smoothed curve after trim_for_suggestions (the first num_it / 10
// points and the last 5 dropped); a curve too short for that is read whole.
template <Suggestion (*Rule)(std::span<const double>, std::span<const double>)>
Suggestion on_trimmed_curve(const LrCurve& c) {
  auto [lrs, losses] = trim_for_suggestions(c.lrs, c.smoothed, c.num_it);
  size_t offset = std::min(static_cast<size_t>(std::max<int64_t>(c.num_it, 0) / 10), c.lrs.size());
  if (lrs.size() < 2) {
    lrs.assign(c.lrs.begin(), c.lrs.end());
    losses.assign(c.smoothed.begin(), c.smoothed.end());
    offset = 0;
  }
  Suggestion s = Rule(lrs, losses);
  s.index += offset;
  return s;
}

// edge; on a sweep that never diverged, which has no edge to read, the geometric mean of
// valley's lr (where the loss falls) and minimum's (a tenth of where it stops falling), at the
// index of the recorded lr nearest to it.
Suggestion edge_or_between(const LrCurve& c) {
  const std::optional<Suggestion> edge = suggest_edge(c.lrs, c.losses, std::max<int64_t>(c.num_it, 0) / 10);
  if (edge) return *edge;
  const double lr = std::sqrt(on_trimmed_curve<suggest_valley>(c).lr * on_trimmed_curve<suggest_minimum>(c).lr);
  size_t nearest = 0;
  for (size_t i = 1; i < c.lrs.size(); ++i) {
    if (std::abs(std::log(c.lrs[i] / lr)) < std::abs(std::log(c.lrs[nearest] / lr))) nearest = i;
  }
  return {lr, nearest};
}

Suggestion slide_default(std::span<const double> lrs, std::span<const double> losses) {
  return suggest_slide(lrs, losses);
}

constexpr SuggestionRule kRules[] = {
    {"minimum", "the lr of the lowest smoothed loss, divided by 10 (fastai's minimum)",
     &on_trimmed_curve<suggest_minimum>},
    {"steepest", "where the smoothed loss falls fastest per decade, central differences (numpy.gradient)",
     &on_trimmed_curve<suggest_steepest>},
    {"steep", "fastai v2's steep: the left point of the steepest forward difference",
     &on_trimmed_curve<suggest_steep>},
    {"valley", "fastai's valley: about halfway along the longest decreasing stretch",
     &on_trimmed_curve<suggest_valley>},
    {"slide", "fastai's slide: where the slope stops changing, read from the right",
     &on_trimmed_curve<slide_default>},
    {"edge", "a tenth of the lr where the raw loss, smoothed without lag, rises to 1.5x its lowest (if it never "
             "does, between valley and minimum)",
     &edge_or_between},
};

}  // namespace

std::vector<double> smooth_both_ways(std::span<const double> losses, double beta) {
  SmoothedLoss forward(beta, 1.0), backward(beta, 1.0);
  const size_t n = losses.size();
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = forward.update(losses[i]) / 2;
  for (size_t i = n; i-- > 0;) out[i] += backward.update(losses[i]) / 2;
  return out;
}

std::optional<Suggestion> suggest_edge(std::span<const double> lrs, std::span<const double> losses, int64_t skip,
                                       double beta, double rise, double divisor) {
  if (lrs.size() != losses.size()) {
    throw std::invalid_argument("suggest_edge: lrs has " + std::to_string(lrs.size()) + " points but losses has " +
                                std::to_string(losses.size()));
  }
  size_t n = 0;
  while (n < losses.size() && std::isfinite(losses[n])) ++n;
  if (n == 0) throw std::invalid_argument("suggest_edge: no finite loss before the first NaN/Inf (or the curve is empty)");
  if (!(rise > 1) || !(divisor > 0)) throw std::invalid_argument("suggest_edge: rise must be > 1 and divisor > 0");
  const std::vector<double> s = smooth_both_ways(losses.first(n), beta);
  double lowest = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    if (static_cast<int64_t>(i) >= skip && s[i] > rise * lowest) return Suggestion{lrs[i] / divisor, i};
    lowest = std::min(lowest, s[i]);
  }
  return std::nullopt;
}

std::span<const SuggestionRule> suggestion_rules() { return kRules; }

const SuggestionRule& suggestion_rule(const std::string& name) {
  std::string names;
  for (const SuggestionRule& r : kRules) {
    if (name == r.name) return r;
    names += names.empty() ? "" : ", ";
    names += r.name;
  }
  throw std::invalid_argument("unknown lr suggestion rule '" + name + "'; the rules are: " + names);
}

bool can_suggest(const LrCurve& c) {
  return c.smoothed.size() >= 2 && std::isfinite(c.smoothed[0]) && std::isfinite(c.smoothed[1]);
}

std::vector<NamedSuggestion> suggest_all(const LrCurve& c) {
  if (c.lrs.size() != c.losses.size() || c.lrs.size() != c.smoothed.size()) {
    throw std::invalid_argument("suggest_all: the curve has " + std::to_string(c.lrs.size()) + " lrs, " +
                                std::to_string(c.losses.size()) + " losses and " +
                                std::to_string(c.smoothed.size()) + " smoothed losses");
  }
  if (!can_suggest(c)) {
    throw std::invalid_argument("suggest_all: the range test recorded fewer than 2 points with a finite loss");
  }
  std::vector<NamedSuggestion> out;
  for (const SuggestionRule& r : kRules) out.push_back({r.name, r.suggest(c)});
  return out;
}

}  // namespace cyclone::schedules
