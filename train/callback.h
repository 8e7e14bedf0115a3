// Callbacks: the hooks fastai users expect around fit, epochs and batches.
// The Learner uses them itself for progress, logging, NaN stops, checkpoints
// and snapshots; users add their own with Learner::add_callback.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace cyclone::train {

class Learner;

struct BatchInfo {
  int64_t step = 0;        // step within this fit (what schedules see)
  int64_t epoch = 0;
  int64_t batch = 0;       // batch within the epoch
  int64_t batches = 0;     // batches per epoch
  double loss = 0;
  double lr = 0;           // of the last group (the head)
  double momentum = 0;
  std::vector<double> group_lrs;  // every parameter group's lr, first to last
};

struct EpochInfo {
  int64_t epoch = 0;
  int64_t epochs = 0;
  double train_loss = 0;   // mean over the epoch's batches
  double valid_loss = 0;   // NaN without validation data
  double accuracy = 0;     // NaN without validation data
  double seconds = 0;
  double images_per_second = 0;
};

class Callback {
 public:
  virtual ~Callback() = default;
  virtual void on_fit_begin(Learner&) {}
  virtual void on_epoch_begin(Learner&, int64_t /*epoch*/) {}
  virtual void on_batch_begin(Learner&, const BatchInfo&) {}
  virtual void on_batch_end(Learner&, const BatchInfo&) {}
  virtual void on_epoch_end(Learner&, const EpochInfo&) {}
  virtual void on_fit_end(Learner&) {}
  // True when this callback must see the model exactly as it is after `step`
  // (on CUDA, losses are read in groups; such a step ends a group early).
  virtual bool needs_state_after(int64_t /*step*/) const { return false; }
};

}  // namespace cyclone::train
