// The tracker callbacks (see monitor_callbacks.h): best-model keeping, early stopping and
// lr cuts on a plateau, each comparing one epoch-end metric with the best so far.
#include "train/monitor_callbacks.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nn/state_io.h"
#include "train/learner.h"

namespace cyclone::train {
namespace {

bool higher_is_better(Monitor m) { return m == Monitor::accuracy; }

// Whether `value` beats `best` by more than min_delta in the monitor's direction.
bool improves(Monitor m, double value, std::optional<double> best, double min_delta) {
  if (!std::isfinite(value)) return false;
  if (!best) return true;
  return higher_is_better(m) ? value > *best + min_delta : value < *best - min_delta;
}

void require_non_negative(double v, const char* what, const char* name) {
  if (!(v >= 0)) throw std::invalid_argument(std::string(what) + ": " + name + " must be >= 0");
}

}  // namespace

Monitor parse_monitor(const std::string& name) {
  if (name == "valid_loss") return Monitor::valid_loss;
  if (name == "accuracy") return Monitor::accuracy;
  if (name == "train_loss") return Monitor::train_loss;
  throw std::invalid_argument("unknown monitor '" + name + "' (valid_loss, accuracy or train_loss)");
}

std::string monitor_name(Monitor m) {
  switch (m) {
    case Monitor::valid_loss: return "valid_loss";
    case Monitor::accuracy: return "accuracy";
    case Monitor::train_loss: return "train_loss";
  }
  return "?";
}

double monitor_value(Monitor m, const EpochInfo& e) {
  switch (m) {
    case Monitor::valid_loss: return e.valid_loss;
    case Monitor::accuracy: return e.accuracy;
    case Monitor::train_loss: return e.train_loss;
  }
  return NAN;
}

bool PlateauCounter::stalled(Monitor m, double value, double min_delta, int64_t patience) {
  if (improves(m, value, best, min_delta)) {
    best = value;
    waited = 0;
    return false;
  }
  return ++waited >= patience;
}

// ---- SaveBestModel ----

SaveBestModel::SaveBestModel(Monitor monitor, std::string path, double min_delta)
    : monitor_(monitor), path_(std::move(path)), min_delta_(min_delta) {
  require_non_negative(min_delta, "SaveBestModel", "min_delta");
}

void SaveBestModel::on_fit_begin(Learner&) {
  best_epoch_.reset();
  best_state_.clear();
}

void SaveBestModel::on_epoch_end(Learner& l, const EpochInfo& e) {
  const double v = monitor_value(monitor_, e);
  if (!improves(monitor_, v, best_epoch_ ? std::optional<double>(best_) : std::nullopt, min_delta_)) return;
  nn::NamedTensors state;
  for (auto& [k, t] : l.model().state_dict()) state.emplace_back(k, t.clone());
  if (nn::first_non_finite(state)) return;
  best_state_ = std::move(state);
  best_ = v;
  best_epoch_ = e.epoch;
  if (!path_.empty()) nn::save_npz_tensors(path_, best_state_);
}

void SaveBestModel::on_fit_end(Learner& l) {
  if (!best_state_.empty()) l.model().load_state_dict(best_state_);
}

// ---- EarlyStopping ----

EarlyStopping::EarlyStopping(Monitor monitor, int64_t patience, double min_delta)
    : monitor_(monitor), patience_(patience), min_delta_(min_delta) {
  if (patience < 1) throw std::invalid_argument("EarlyStopping: patience must be >= 1");
  require_non_negative(min_delta, "EarlyStopping", "min_delta");
}

void EarlyStopping::on_fit_begin(Learner&) {
  count_ = {};
  stopped_after_.reset();
}

void EarlyStopping::on_epoch_end(Learner& l, const EpochInfo& e) {
  if (count_.stalled(monitor_, monitor_value(monitor_, e), min_delta_, patience_)) {
    stopped_after_ = e.epoch;
    l.request_stop();
  }
}

// ---- ReduceLrOnPlateau ----

ReduceLrOnPlateau::ReduceLrOnPlateau(Monitor monitor, int64_t patience, double factor, double min_delta, double min_lr)
    : monitor_(monitor), patience_(patience), factor_(factor), min_delta_(min_delta), min_lr_(min_lr) {
  if (patience < 1) throw std::invalid_argument("ReduceLrOnPlateau: patience must be >= 1");
  if (!(factor > 1)) throw std::invalid_argument("ReduceLrOnPlateau: factor must be > 1 (the lr is divided by it)");
  require_non_negative(min_delta, "ReduceLrOnPlateau", "min_delta");
  require_non_negative(min_lr, "ReduceLrOnPlateau", "min_lr");
}

void ReduceLrOnPlateau::on_fit_begin(Learner&) {
  count_ = {};
  scale_ = 1.0;
}

// Runs after the schedule set this step's lrs: the cuts scale them.
void ReduceLrOnPlateau::on_batch_begin(Learner& l, const BatchInfo&) {
  if (scale_ == 1.0) return;
  optim::Optimizer& opt = l.optimizer();
  for (size_t g = 0; g < opt.num_groups(); ++g) opt.set_lr(g, std::max(opt.lr(g) * scale_, min_lr_));
}

void ReduceLrOnPlateau::on_epoch_end(Learner&, const EpochInfo& e) {
  if (count_.stalled(monitor_, monitor_value(monitor_, e), min_delta_, patience_)) {
    scale_ /= factor_;
    count_.waited = 0;  // the next cut waits `patience` epochs more
  }
}

}  // namespace cyclone::train
