// The LR range test (see lr_finder.h).
#include "train/lr_finder.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "autograd/node.h"
#include "nn/functional.h"
#include "tensor/rng.h"
#include "report/csv_log.h"
#include "report/plot.h"
#include "report/progress.h"

namespace cyclone::train {

std::string LrFindResult::summary() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "lr_find: %zu iterations%s\n  minimum/10: %.3g\n  steepest:   %.3g\n  valley:     %.3g\n",
                lrs.size(), diverged ? " (stopped: loss diverged)" : "", suggestions.minimum.lr,
                suggestions.steepest.lr, suggestions.valley.lr);
  return buf;
}

LrFindResult lr_find(Learner& l, const LrFindOptions& o) {
  schedules::SweepOptions sw;
  sw.start_lr = o.start_lr;
  sw.end_lr = o.end_lr;
  sw.num_it = o.num_it;
  sw.mode = o.mode;
  schedules::sweep_lr(sw, 0);  // validates the options
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
  // Everything the sweep changes, saved in memory.
  nn::NamedTensors saved_model;
  for (auto& [k, v] : l.model().state_dict()) saved_model.emplace_back(k, v.clone());
  const optim::OptimizerState saved_opt = opt.state_dict();
  const GeneratorState saved_rng = default_generator().state();

  LrFindResult r;
  schedules::SmoothedLoss smooth(o.beta, o.stop_factor);
  DataLoader& loader = l.train_loader();
  int64_t epoch = 1000000;  // a separate epoch stream from training's
  loader.start_epoch(epoch);
  std::unique_ptr<report::ProgressBar> bar;
  if (!l.options().quiet) bar = std::make_unique<report::ProgressBar>("lr_find", o.num_it, std::cerr);
  l.set_bn_modes_for_lr_find();
  for (int64_t i = 0; i < o.num_it; ++i) {
    auto batch = loader.next();
    if (!batch) {
      loader.start_epoch(++epoch);
      batch = loader.next();
    }
    const double lr = schedules::sweep_lr(sw, i);
    for (size_t g = 0; g < groups; ++g) opt.set_lr(g, lr * ratios[g]);
    opt.zero_grad();
    Tensor loss = nn::functional::cross_entropy(l.model().forward(batch->x), batch->y, nn::functional::Reduction::Mean,
                                                l.options().label_smoothing);
    loss.backward();
    opt.step();
    const double v = loss.item();
    r.lrs.push_back(lr);
    r.losses.push_back(v);
    r.smoothed.push_back(smooth.update(v));
    if (bar) bar->update(i + 1, {{"lr", std::to_string(lr)}, {"loss", std::to_string(smooth.value())}});
    if (smooth.diverged()) {
      r.diverged = true;
      break;
    }
  }
  if (bar) bar->finish();
  // Restore: weights and BN statistics, optimizer state (incl. lrs), RNG.
  {
    NoGradGuard no_grad;
    l.model().load_state_dict(saved_model);
  }
  opt.load_state_dict(saved_opt);
  opt.zero_grad();
  default_generator().set_state(saved_rng);
  auto [lrs, losses] = schedules::trim_for_suggestions(r.lrs, r.smoothed, o.num_it);
  if (lrs.size() < 2) {
    lrs = r.lrs;
    losses = r.smoothed;
  }
  if (lrs.size() >= 2) r.suggestions = schedules::suggest_lrs(lrs, losses);
  return r;
}

void write_lr_find(const LrFindResult& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  report::CsvLog csv(dir + "/lr_find.csv", {"lr", "loss", "smoothed_loss"});
  for (size_t i = 0; i < r.lrs.size(); ++i) csv.write_row({r.lrs[i], r.losses[i], r.smoothed[i]});
  report::PlotSpec p;
  p.title = "LR range test";
  p.xlabel = "learning rate (log scale)";
  p.ylabel = "loss";
  p.log_x = true;
  p.clip_outliers = true;
  p.series.push_back({"loss", r.lrs, r.losses, true});
  p.series.push_back({"smoothed loss", r.lrs, r.smoothed, false});
  p.markers.push_back({r.suggestions.minimum.lr, "min/10"});
  p.markers.push_back({r.suggestions.steepest.lr, "steep"});
  p.markers.push_back({r.suggestions.valley.lr, "valley"});
  report::save_plot(p, dir + "/lr_find.png");
}

}  // namespace cyclone::train
