// The LR range test (see lr_finder.h): an ordinary fit on a separate epoch stream
// of the training loader, driven by the lr sweep as its schedule, with one callback
// that records the smoothed loss and stops on divergence. Everything the fit
// changes is put back by a guard, also when it throws.
#include "train/lr_finder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "report/csv_log.h"
#include "report/plot.h"
#include "report/progress.h"
#include "schedules/compose.h"
#include "train/learner_snapshot.h"

namespace cyclone::train {

namespace {

constexpr int64_t kLrFindEpoch = 1000000;  // the loader's epochs from here on: not training's

// The sweep's lrs with the optimizer's momentum of each group held where it is.
class HoldMomentum final : public schedules::Schedule {
 public:
  HoldMomentum(schedules::SchedulePtr child, std::vector<double> momenta)
      : Schedule("HoldMomentum", momenta.size()), child_(std::move(child)), momenta_(std::move(momenta)) {}
  std::string describe() const override { return child_->describe() + " (momentum held)"; }

 protected:
  schedules::Value value_at(int64_t step, size_t group) const override {
    return {child_->at(step, group).lr, momenta_[group]};
  }

 private:
  schedules::SchedulePtr child_;
  std::vector<double> momenta_;
};

// Records (lr, loss, smoothed loss) after every step and stops the fit once the
// smoothed loss diverges.
class RangeTestCallback final : public Callback {
 public:
  RangeTestCallback(const LrFindOptions& o, const schedules::SweepOptions& sweep, LrFindResult& out)
      : sweep_(sweep), smooth_(o.beta, o.stop_factor), num_it_(o.num_it), out_(out) {}
  void on_fit_begin(Learner& l) override {
    if (!l.options().quiet) bar_ = std::make_unique<report::ProgressBar>("lr_find", num_it_, std::cerr);
  }
  void on_batch_end(Learner& l, const BatchInfo& b) override {
    const double lr = schedules::sweep_lr(sweep_, b.step);
    out_.lrs.push_back(lr);
    out_.losses.push_back(b.loss);
    out_.smoothed.push_back(smooth_.update(b.loss));
    if (bar_) bar_->update(b.step + 1, {{"lr", report::format_lr(lr)}, {"loss", report::format_loss(smooth_.value())}});
    if (smooth_.diverged()) {
      out_.diverged = true;
      l.request_stop();
    }
  }
  void on_fit_end(Learner&) override {
    if (bar_) bar_->finish();
  }
  bool needs_state_after(int64_t) const override { return true; }  // read every loss: stop at once

 private:
  schedules::SweepOptions sweep_;
  schedules::SmoothedLoss smooth_;
  int64_t num_it_;
  LrFindResult& out_;
  std::unique_ptr<report::ProgressBar> bar_;
};

// Puts the Learner back as it was, also when the trial fit throws.
struct PutBack {
  LearnerSnapshot before;
  explicit PutBack(Learner& l) : before(l) {}
  PutBack(const PutBack&) = delete;
  PutBack& operator=(const PutBack&) = delete;
  ~PutBack() { before.restore(); }
};

}  // namespace

const schedules::Suggestion& LrFindResult::suggestion(const std::string& rule) const {
  (void)schedules::suggestion_rule(rule);  // an unknown name is an error even without suggestions
  for (const schedules::NamedSuggestion& s : suggestions) {
    if (s.rule == rule) return s.suggestion;
  }
  throw std::runtime_error("lr_find: the range test recorded " + std::to_string(lrs.size()) +
                           " points, too few for a suggestion");
}

std::string LrFindResult::summary() const {
  std::string out = "lr_find: " + std::to_string(lrs.size()) + " iterations" +
                    (diverged ? " (stopped: loss diverged)" : "") + "\n";
  for (const schedules::NamedSuggestion& s : suggestions) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-9s %.3g%s\n", (s.rule + ":").c_str(), s.suggestion.lr,
                  s.rule == schedules::kDefaultSuggestionRule ? "   (--lr auto)" : "");
    out += line;
  }
  return out;
}

LrFindResult lr_find(Learner& l, const LrFindOptions& o) {
  schedules::SweepOptions sw;
  sw.start_lr = o.start_lr;
  sw.end_lr = o.end_lr;
  sw.num_it = o.num_it;
  sw.mode = o.mode;
  auto sweep = std::make_shared<schedules::LrSweep>(sw);  // validates the options
  optim::Optimizer& opt = l.optimizer();
  const size_t groups = opt.num_groups();
  std::vector<double> ratios = o.group_ratios;
  if (ratios.empty()) {
    for (size_t g = 0; g < groups; ++g) ratios.push_back(opt.lr(g) / opt.lr(groups - 1));
  }
  if (ratios.size() != groups) {
    throw std::invalid_argument("lr_find: " + std::to_string(ratios.size()) + " group ratios for " +
                                std::to_string(groups) + " parameter groups");
  }
  std::vector<double> momenta;
  for (size_t g = 0; g < groups; ++g) momenta.push_back(opt.momentum(g));

  LrFindResult r;
  {
    const PutBack put_back(l);
    l.set_state({});  // the sweep starts at its own step 0, not at a pending resume point
    FitPlan plan;
    plan.schedule = std::make_shared<HoldMomentum>(std::make_shared<schedules::GroupScale>(sweep, ratios), momenta);
    plan.max_steps = o.num_it;
    const int64_t per_epoch = std::max<int64_t>(1, l.steps_per_epoch());
    plan.epochs = (o.num_it + per_epoch - 1) / per_epoch;
    plan.loader_epoch = kLrFindEpoch;
    plan.validate = false;
    plan.usual_callbacks = false;
    plan.callbacks.push_back(std::make_shared<RangeTestCallback>(o, sw, r));
    r.interrupted_by = l.fit(plan).interrupted_by;
  }
  r.num_it = o.num_it;
  const schedules::LrCurve curve{r.lrs, r.losses, r.smoothed, r.num_it};
  if (schedules::can_suggest(curve)) r.suggestions = schedules::suggest_all(curve);
  return r;
}

report::PlotSpec lr_find_plot(const LrFindResult& r, const std::string& chosen) {
  report::PlotSpec p;
  p.title = "LR range test";
  p.xlabel = "learning rate (log scale)";
  p.ylabel = "loss";
  p.log_x = true;
  // The frame holds the whole smoothed curve (the sweep stops once it diverges) and reaches
  // down to the lowest raw loss, the region to read; raw points far above it are left out.
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < r.lrs.size(); ++i) {
    if (std::isfinite(r.smoothed[i])) lo = std::min(lo, r.smoothed[i]), hi = std::max(hi, r.smoothed[i]);
    if (std::isfinite(r.losses[i])) lo = std::min(lo, r.losses[i]);
  }
  if (std::isfinite(lo) && std::isfinite(hi) && hi > lo) {
    p.y_min = lo - 0.05 * (hi - lo);
    p.y_max = hi + 0.05 * (hi - lo);
  }
  p.series.push_back({"loss (raw)", r.lrs, r.losses, true});
  p.series.push_back({"smoothed loss", r.lrs, r.smoothed, false});
  // Each suggestion is a marked point on the smoothed curve, with its value in the legend.
  for (const schedules::NamedSuggestion& s : r.suggestions) {
    char label[64];
    std::snprintf(label, sizeof label, "%s %.1e%s", s.rule.c_str(), s.suggestion.lr, s.rule == chosen ? " (used)" : "");
    // On the curve at the suggested lr (minimum and edge suggest a tenth of a point's lr).
    size_t i = 0;
    for (size_t k = 1; k < r.lrs.size(); ++k) {
      if (std::abs(std::log(r.lrs[k] / s.suggestion.lr)) < std::abs(std::log(r.lrs[i] / s.suggestion.lr))) i = k;
    }
    p.highlights.push_back({s.suggestion.lr, r.smoothed[i], label});
  }
  return p;
}

void write_lr_find(const LrFindResult& r, const std::string& dir, const std::string& chosen) {
  std::filesystem::create_directories(dir);
  // Written whole and atomically, like the plot: an earlier run's files survive a failed write.
  report::write_csv({"", {"lr", "loss", "smoothed_loss"}, {r.lrs, r.losses, r.smoothed}}, dir + "/lr_find.csv");
  report::save_plot(lr_find_plot(r, chosen), dir + "/lr_find.png");
}

}  // namespace cyclone::train
