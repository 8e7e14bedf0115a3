// The LR range test (Smith 2015, as in fastai's lr_find): train for num_it
// steps while the lr sweeps from start_lr to end_lr, record the smoothed loss,
// stop early on divergence, then restore the model (weights and BN running
// statistics), the optimizer and the RNG exactly, in memory.
#pragma once
#include <string>
#include <vector>

#include "report/plot.h"
#include "schedules/lr_suggest.h"
#include "train/learner.h"

namespace cyclone::train {

struct LrFindOptions {
  double start_lr = 1e-7, end_lr = 10.0;
  int64_t num_it = 100;
  schedules::SweepMode mode = schedules::SweepMode::exponential;
  double beta = 0.98, stop_factor = 4.0;
  // Per-group lr ratios kept during the sweep (the last group sweeps start..end);
  // empty = the optimizer's current ratios.
  std::vector<double> group_ratios;
};

struct LrFindResult {
  std::vector<double> lrs, losses, smoothed;  // per iteration (lr of the last group)
  int64_t num_it = 0;                         // the sweep's planned length
  // Every rule's suggestion (schedules::suggestion_rules() order); empty when fewer than two
  // points were recorded.
  std::vector<schedules::NamedSuggestion> suggestions;
  bool diverged = false;
  int interrupted_by = 0;  // the signal (train/interrupt.h) that cut the sweep short, or 0
  // The suggestion of `rule` (default: the one `--lr auto` takes). Throws std::invalid_argument
  // for an unknown rule, and std::runtime_error when the test gave no suggestions.
  const schedules::Suggestion& suggestion(const std::string& rule = schedules::kDefaultSuggestionRule) const;
  std::string summary() const;
};

LrFindResult lr_find(Learner& learner, const LrFindOptions& options = {});
// The LR finder's picture: the raw losses as points and the smoothed loss as a line over a log
// lr axis, framed to hold the whole smoothed curve and the lowest raw loss, with each
// suggestion a marked point on the curve, its rule and value in the legend; `chosen` (a rule
// name, or empty) is the one the run goes on with, named "(used)".
report::PlotSpec lr_find_plot(const LrFindResult& r, const std::string& chosen = "");
// Writes dir/lr_find.csv (lr, loss, smoothed_loss) and dir/lr_find.png (lr_find_plot).
void write_lr_find(const LrFindResult& r, const std::string& dir, const std::string& chosen = "");

}  // namespace cyclone::train
