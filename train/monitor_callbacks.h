// Callbacks that watch a metric at every epoch end, as fastai's tracker callbacks do:
// keep the best model (SaveModelCallback), stop early (EarlyStoppingCallback) and cut the
// lr when progress stalls (ReduceLROnPlateau). Add them with Learner::add_callback, or for
// one fit through FitPlan::callbacks.
#pragma once
#include <optional>
#include <string>

#include "nn/module.h"
#include "train/callback.h"

namespace cyclone::train {

// What a tracker watches, and which way is better: lower loss, higher accuracy.
enum class Monitor { valid_loss, accuracy, train_loss };
Monitor parse_monitor(const std::string& name);  // "valid_loss" | "accuracy" | "train_loss"
std::string monitor_name(Monitor m);
double monitor_value(Monitor m, const EpochInfo& e);

// Epochs in a row without `monitor` improving by more than min_delta: what EarlyStopping and
// ReduceLrOnPlateau count.
struct PlateauCounter {
  std::optional<double> best;
  int64_t waited = 0;
  // Records an epoch's value; true once `patience` epochs in a row have not improved on the best.
  bool stalled(Monitor m, double value, double min_delta, int64_t patience);
};

// Keeps the best epoch's weights by `monitor` (improving by more than min_delta); at the end
// of the fit the model gets them back, and when `path` is set they are also written there
// (atomically) at every improvement.
class SaveBestModel : public Callback {
 public:
  explicit SaveBestModel(Monitor monitor = Monitor::valid_loss, std::string path = "", double min_delta = 0.0);
  void on_fit_begin(Learner&) override;
  void on_epoch_end(Learner& l, const EpochInfo& e) override;
  void on_fit_end(Learner& l) override;
  // The best epoch seen (0-based) and its value; empty before one has a finite value.
  std::optional<int64_t> best_epoch() const { return best_epoch_; }
  double best_value() const { return best_; }
  Monitor monitor() const { return monitor_; }

 private:
  Monitor monitor_;
  std::string path_;
  double min_delta_;
  std::optional<int64_t> best_epoch_;
  double best_ = 0;
  nn::NamedTensors best_state_;
};

// Stops the fit when `monitor` has not improved by more than min_delta for `patience` epochs.
class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(Monitor monitor = Monitor::valid_loss, int64_t patience = 1, double min_delta = 0.0);
  void on_fit_begin(Learner&) override;
  void on_epoch_end(Learner& l, const EpochInfo& e) override;
  std::optional<int64_t> stopped_after() const { return stopped_after_; }  // the epoch it stopped after

 private:
  Monitor monitor_;
  int64_t patience_;
  double min_delta_;
  PlateauCounter count_;
  std::optional<int64_t> stopped_after_;
};

// Divides every group's lr by `factor` (on top of the schedule) each time `monitor` has not
// improved by more than min_delta for `patience` epochs, never below min_lr.
class ReduceLrOnPlateau : public Callback {
 public:
  explicit ReduceLrOnPlateau(Monitor monitor = Monitor::valid_loss, int64_t patience = 1, double factor = 10.0,
                             double min_delta = 0.0, double min_lr = 0.0);
  void on_fit_begin(Learner&) override;
  void on_batch_begin(Learner& l, const BatchInfo& b) override;
  void on_epoch_end(Learner& l, const EpochInfo& e) override;
  double scale() const { return scale_; }  // the product of the cuts so far (1: none)

 private:
  Monitor monitor_;
  int64_t patience_;
  double factor_, min_delta_, min_lr_;
  PlateauCounter count_;
  double scale_ = 1.0;
};

}  // namespace cyclone::train
