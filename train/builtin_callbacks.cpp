// The Learner's built-in callbacks: progress and epoch lines, the run CSV
// (step, epoch, lr, momentum, train/valid loss, accuracy, time), plots at the
// end of a fit, NaN stop and periodic checkpoints.
#include "train/builtin_callbacks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "report/csv_log.h"
#include "report/plot.h"
#include "report/progress.h"
#include "train/interrupt.h"

namespace cyclone::train {
namespace {

class ProgressCallback : public Callback {
 public:
  explicit ProgressCallback(int64_t epochs) : epochs_(epochs) {}
  void on_epoch_begin(Learner& l, int64_t epoch) override {
    const int64_t n = l.precomputed() ? -1 : l.train_loader().num_batches();
    bar_ = std::make_unique<report::ProgressBar>("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs_), n,
                                         std::cerr);
  }
  void on_batch_end(Learner&, const BatchInfo& b) override {
    if (bar_) bar_->update(b.batch + 1, {{"loss", report::format_loss(b.loss)}, {"lr", report::format_lr(b.lr)}});
  }
  void on_fit_end(Learner&) override {  // a fit stopped mid-epoch ends its bar here
    if (bar_) bar_->finish();
    bar_.reset();
  }
  void on_epoch_end(Learner&, const EpochInfo& e) override {
    if (bar_) bar_->finish();
    bar_.reset();
    std::printf("epoch %3lld/%lld  train_loss %.4f  valid_loss %.4f  accuracy %.4f  %.1fs  %.0f img/s\n",
                static_cast<long long>(e.epoch + 1), static_cast<long long>(e.epochs), e.train_loss, e.valid_loss,
                e.accuracy, e.seconds, e.images_per_second);
    std::fflush(stdout);
  }

 private:
  int64_t epochs_;
  std::unique_ptr<report::ProgressBar> bar_;
};

class RunLogCallback : public Callback {
 public:
  RunLogCallback(std::string dir, std::optional<FitPosition> resume_from)
      : dir_(std::move(dir)), resume_from_(resume_from) {}
  void on_fit_begin(Learner& l) override {
    std::filesystem::create_directories(dir_);
    const std::string path = dir_ + "/log.csv";
    // With discriminative lrs, a column per group ("lr_<group>") besides the head's "lr".
    const size_t groups = l.optimizer().num_groups();
    const std::vector<nn::LayerGroup> named = l.layer_groups();
    for (size_t g = 0; groups > 1 && g < groups; ++g) {
      group_names_.push_back(named.size() == groups ? named[g].name : "group" + std::to_string(g));
    }
    std::vector<std::string> cols{"step", "epoch", "lr", "momentum", "train_loss", "valid_loss", "accuracy", "time"};
    for (const std::string& n : group_names_) cols.push_back("lr_" + n);
    group_lrs_.assign(group_names_.size(), {});
    const bool append = resume_from_ && std::filesystem::exists(path);
    if (append) reload(path, *resume_from_, cols);  // the plots cover the whole run, before and after the resume
    log_ = std::make_unique<report::CsvLog>(path, cols, append);
    t0_ = std::chrono::steady_clock::now();
  }
  void on_batch_end(Learner&, const BatchInfo& b) override {
    std::vector<double> row{double(b.step), double(b.epoch) + double(b.batch + 1) / double(b.batches), b.lr, b.momentum,
                            b.loss, NAN, NAN, elapsed()};
    for (size_t g = 0; g < group_names_.size(); ++g) {
      const double lr = g < b.group_lrs.size() ? b.group_lrs[g] : NAN;
      row.push_back(lr);
      group_lrs_[g].push_back(lr);
    }
    log_->write_row(row);
    steps_.push_back(double(b.step));
    losses_.push_back(b.loss);
    lrs_.push_back(b.lr);
    moms_.push_back(b.momentum);
  }
  void on_epoch_end(Learner&, const EpochInfo& e) override {
    std::vector<double> row{steps_.empty() ? 0.0 : steps_.back(), double(e.epoch + 1), NAN, NAN, e.train_loss,
                            e.valid_loss, e.accuracy, elapsed()};
    row.resize(row.size() + group_names_.size(), NAN);
    log_->write_row(row);
    epochs_.push_back(double(e.epoch + 1));
    accs_.push_back(e.accuracy);
    vlosses_.push_back(e.valid_loss);
    end_steps_.push_back(steps_.empty() ? 0.0 : steps_.back());
  }
  void on_fit_end(Learner&) override {
    if (steps_.empty()) return;
    report::PlotSpec loss;
    loss.title = "training loss";
    loss.xlabel = "step";
    loss.ylabel = "loss";
    loss.series.push_back({"train (per batch)", steps_, losses_, false});
    loss.series.push_back({"train (smoothed)", steps_, smoothed(losses_), false});
    loss.series.push_back({"valid (per epoch)", end_steps_, vlosses_, end_steps_.size() < 2});  // one epoch: a point
    loss.clip_outliers = true;
    report::save_plot(loss, dir_ + "/loss.png");
    report::PlotSpec lr, mom;
    lr.title = "learning rate";
    lr.xlabel = "step";
    lr.ylabel = "lr";
    if (group_names_.empty()) {
      lr.series.push_back({"lr", steps_, lrs_, false});
    } else {  // every group; on a log axis when they lie more than 10x apart
      double lo = INFINITY, hi = 0;
      for (size_t g = 0; g < group_names_.size(); ++g) {
        lr.series.push_back({group_names_[g], steps_, group_lrs_[g], false});
        for (double v : group_lrs_[g]) {
          if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
        }
      }
      lr.log_y = hi > 10 * lo;
      if (lr.log_y) lr.ylabel = "lr (log scale)";
    }
    mom.title = "momentum";
    mom.xlabel = "step";
    mom.ylabel = "momentum";
    mom.series.push_back({"momentum", steps_, moms_, false});
    report::save_plots_vertical({lr, mom}, dir_ + "/schedule.png");
    report::PlotSpec acc;
    acc.title = "validation accuracy";
    acc.xlabel = "epoch";
    acc.ylabel = "accuracy";
    acc.series.push_back({"accuracy", epochs_, accs_, epochs_.size() < 2});
    report::save_plot(acc, dir_ + "/accuracy.png");
  }

 private:
  // Seconds since the run began: a resumed run's clock continues from its log's last row.
  double elapsed() const {
    return time_offset_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  // Keeps the rows of an existing log up to the resume point and rebuilds the series from
  // them. The rows after it (written by the run after its last checkpoint, up to its kill)
  // are dropped from the file, so the resumed run's rows follow on without duplicates.
  // Batch rows have an lr; epoch rows do not, and count the epochs done.
  // The kept rows are rewritten under `cols` (a column the old log lacks is NaN).
  void reload(const std::string& path, const FitPosition& from, const std::vector<std::string>& cols) {
    const report::CsvTable t = report::read_csv(path, true);
    report::CsvTable kept{t.path, cols, std::vector<std::vector<double>>(cols.size())};
    // Copies, not references: GCC 13's -Wdangling-reference cannot tell that column()'s
    // result lives in `t` rather than in the temporary std::string key.
    const std::vector<double> step = t.column("step");
    const std::vector<double> lr = t.column("lr");
    const std::vector<double> epoch = t.column("epoch");
    const std::vector<double> time = t.column("time");
    for (size_t i = 0; i < step.size(); ++i) {
      const bool epoch_row = std::isnan(lr[i]);
      if (epoch_row ? epoch[i] > double(from.epoch) : step[i] >= double(from.step)) continue;
      for (size_t c = 0; c < cols.size(); ++c) kept.columns[c].push_back(t.has(cols[c]) ? t.column(cols[c])[i] : NAN);
      if (std::isfinite(time[i])) time_offset_ = std::max(time_offset_, time[i]);
      if (epoch_row) {
        epochs_.push_back(epoch[i]);
        accs_.push_back(t.column("accuracy")[i]);
        vlosses_.push_back(t.column("valid_loss")[i]);
        end_steps_.push_back(step[i]);
      } else {
        steps_.push_back(step[i]);
        losses_.push_back(t.column("train_loss")[i]);
        lrs_.push_back(lr[i]);
        moms_.push_back(t.column("momentum")[i]);
        for (size_t g = 0; g < group_names_.size(); ++g) {
          const std::string col = "lr_" + group_names_[g];
          group_lrs_[g].push_back(t.has(col) ? t.column(col)[i] : NAN);
        }
      }
    }
    if (kept.rows() != t.rows() || t.names != cols) report::write_csv(kept, path);
  }

  // fastai's smoothed training loss: a bias-corrected exponential moving average (beta 0.98).
  static std::vector<double> smoothed(const std::vector<double>& losses) {
    std::vector<double> out;
    double avg = 0;
    int64_t n = 0;
    for (double v : losses) {
      if (std::isfinite(v)) {
        avg = 0.98 * avg + 0.02 * v;
        ++n;
      }
      out.push_back(n ? avg / (1 - std::pow(0.98, double(n))) : NAN);
    }
    return out;
  }

  std::string dir_;
  std::optional<FitPosition> resume_from_;
  std::unique_ptr<report::CsvLog> log_;
  std::chrono::steady_clock::time_point t0_;
  double time_offset_ = 0;
  std::vector<double> steps_, losses_, lrs_, moms_, epochs_, accs_, vlosses_, end_steps_;
  std::vector<std::string> group_names_;       // with more than one group
  std::vector<std::vector<double>> group_lrs_;  // per group, per batch row
};

class NanStopCallback : public Callback {
 public:
  void on_batch_end(Learner& l, const BatchInfo& b) override {
    if (!std::isfinite(b.loss)) {
      std::fprintf(stderr, "stopping: the training loss became %s at step %lld (lr %.3g); lower the learning rate\n",
                   std::isnan(b.loss) ? "NaN" : "infinite", static_cast<long long>(b.step), b.lr);
      l.stop_diverged();
    }
  }
};

class CheckpointCallback : public Callback {
 public:
  CheckpointCallback(std::string path, int64_t every) : path_(std::move(path)), every_(every) {}
  void on_batch_end(Learner& l, const BatchInfo& b) override {
    if (every_ > 0 && (b.step + 1) % every_ == 0) save(l);
  }
  bool needs_state_after(int64_t step) const override { return every_ > 0 && (step + 1) % every_ == 0; }
  void on_epoch_end(Learner& l, const EpochInfo&) override { save(l); }
  // A fit stopped by a signal ends mid-epoch: keep the step it reached.
  void on_fit_end(Learner& l) override {
    if (stepped_ && interrupt_signal() != 0) save(l);
  }
  void on_batch_begin(Learner&, const BatchInfo&) override { stepped_ = true; }

 private:
  // Only a finite state replaces the last good checkpoint: a step whose loss was still finite
  // can leave NaN weights, which the next loss would show.
  void save(Learner& l) {
    if (l.state().diverged) return;
    if (const std::optional<std::string> bad = l.non_finite_state()) {
      std::fprintf(stderr, "stopping: %s became NaN or infinite at step %lld; %s keeps the last good state\n",
                   bad->c_str(), static_cast<long long>(l.state().position.step), path_.c_str());
      l.stop_diverged();
      return;
    }
    l.save_checkpoint(path_);
  }

  std::string path_;
  int64_t every_;
  bool stepped_ = false;  // this fit took a step
};

}  // namespace

std::vector<std::unique_ptr<Callback>> make_builtin_callbacks(Learner& l, int64_t epochs,
                                                              std::optional<FitPosition> resume_from) {
  std::vector<std::unique_ptr<Callback>> out;
  out.push_back(std::make_unique<NanStopCallback>());
  if (!l.options().quiet) out.push_back(std::make_unique<ProgressCallback>(epochs));
  if (!l.options().out_dir.empty()) {
    out.push_back(std::make_unique<RunLogCallback>(l.options().out_dir, resume_from));
    out.push_back(std::make_unique<CheckpointCallback>(l.options().out_dir + "/checkpoint.npz", l.options().checkpoint_every));
  }
  return out;
}

}  // namespace cyclone::train
