// Learner: the fit loop that ties model, data, optimizer and schedule together
// (fit, fit_one_cycle, fit_sgdr), plus layer-group freezing, discriminative
// learning rates, precomputed activations, TTA, snapshot ensembles and
// exactly-resumable checkpoints. The LR range test (lr_finder.h) runs through fit.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nn/models/model.h"
#include "optim/optimizer.h"
#include "optim/optimizer_kind.h"
#include "report/progress.h"
#include "schedules/schedule.h"
#include "schedules/spec.h"
#include "train/callback.h"
#include "train/data_loader.h"

namespace cyclone::train {

struct LearnerOptions {
  optim::OptimizerKind opt = optim::OptimizerKind::sgd;
  double momentum = 0.9;          // SGD momentum / Adam beta1 when no schedule sets it
  double beta2 = 0.99;
  double weight_decay = 5e-4;
  bool nesterov = false;
  double label_smoothing = 0.0;
  int64_t layer_groups = 0;       // merge the model's layer groups into this many (0: keep them)
  bool train_frozen_bn = false;   // fastai's train_bn: BN layers in frozen groups still train
  bool quiet = false;             // no progress bars or per-epoch lines
  std::string out_dir;            // when set: log.csv, plots, checkpoints, snapshots go here
  int64_t checkpoint_every = 0;   // also checkpoint every N steps (0: at epoch ends only)
  // While a fit runs, SIGINT and SIGTERM stop it after the current step (train/interrupt.h)
  // instead of ending the process. A fit does not start while a signal is pending.
  bool handle_interrupts = true;
};

struct EpochRecord {
  int64_t epoch;
  double train_loss, valid_loss, accuracy, seconds, images_per_second;
};

struct FitResult {
  std::vector<EpochRecord> epochs;
  double final_accuracy = 0, final_valid_loss = 0;
  bool stopped_on_nan = false;
  // The signal (SIGINT or SIGTERM, train/interrupt.h) that stopped the fit after a step, or 0;
  // the usual callbacks then wrote a checkpoint at that step.
  int interrupted_by = 0;
  std::vector<std::string> snapshots;  // snapshot files written (SGDR with snapshots)
};

struct Metrics {
  double loss = 0, accuracy = 0;
  int64_t correct = 0, count = 0;
};

// A point in a fit: steps taken (the schedule's next step), and the epoch and batch to
// continue from.
struct FitPosition {
  int64_t step = 0, epoch = 0, batch = 0;
};

// What a fit runs, as its checkpoints keep it: its schedule when the fit was given one as a
// spec (FitPlan::spec), and its shape.
struct FitRecord {
  std::optional<schedules::ScheduleSpec> schedule;
  int64_t epochs = 1;
  int64_t steps_per_epoch = 0;
  int64_t max_steps = -1;    // FitPlan::max_steps
  int64_t loader_epoch = 0;  // FitPlan::loader_epoch
  int64_t begin_step = 0;    // the global step at which the fit began
  // Steps the fit takes when it runs to the end.
  int64_t total_steps() const {
    const int64_t all = epochs * steps_per_epoch;
    return max_steps >= 0 && max_steps < all ? max_steps : all;
  }
};

// Everything the fit loop keeps between steps and between fits.
struct FitState {
  FitPosition position;               // of the current (or last) fit; what checkpoints save
  std::optional<FitRecord> record;    // of the current (or last) fit, or the checkpoint's; saved too
  std::optional<FitPosition> resume;  // where the next fit starts (set by load_checkpoint)
  int64_t global_step = 0;            // steps taken across fits
  bool stop_requested = false;        // the loop stops after the current step
  bool diverged = false;              // ... because the loss or the weights became NaN or infinite
};

// One run of the fit loop. fit(epochs, schedule) is the ordinary one; fit_sgdr adds a
// step limit and a snapshot callback, and the LR range test runs on its own epoch stream
// with only its own callback.
struct FitPlan {
  int64_t epochs = 1;
  schedules::SchedulePtr schedule;  // stepped per batch, from step 0 of this fit
  // Or the schedule as a spec: the fit builds it, and its checkpoints keep the spec, so that a
  // resumed run can rebuild it. Give one of schedule and spec.
  std::optional<schedules::ScheduleSpec> spec;
  int64_t max_steps = -1;           // stop once the fit has taken this many steps (-1: no limit)
  int64_t loader_epoch = 0;         // the training loader's epoch for the fit's epoch 0
  bool validate = true;             // score the validation set after every epoch
  bool usual_callbacks = true;      // progress, NaN stop, log.csv, checkpoints, and add_callback's
  std::vector<std::shared_ptr<Callback>> callbacks;  // for this fit only, after the usual ones
};

class Learner {
 public:
  Learner(nn::ModelPtr model, std::shared_ptr<DataLoader> train, std::shared_ptr<DataLoader> valid,
          LearnerOptions options = {});
  ~Learner();

  // ---- training ----
  // Trains for `epochs` epochs; the schedule is stepped per batch, from step 0 of
  // this fit (its group count must match the optimizer's, or be 1 to apply to all).
  FitResult fit(int64_t epochs, schedules::SchedulePtr schedule);
  // The same with the schedule as a spec, which checkpoints then keep (FitPlan::spec).
  FitResult fit(int64_t epochs, const schedules::ScheduleSpec& spec);
  FitResult fit(const FitPlan& plan);
  // One-cycle with per-group peaks (one value, or one per layer group).
  FitResult fit_one_cycle(int64_t epochs, std::vector<double> max_lr, double pct_start = 0.3);
  // SGDR: n_cycles cycles of cycle_len epochs each growing by cycle_mult; with
  // snapshots, the weights at the end of every cycle are kept (and saved to out_dir).
  FitResult fit_sgdr(int64_t n_cycles, double cycle_len, int64_t cycle_mult, std::vector<double> lrs,
                     bool snapshots = false);
  // The same for any sgdr spec with num_cycles set (e.g. with eta_min or a warm-up): the fit
  // ends at the end of its last cycle. Its checkpoints keep the spec, so a resumed run calls
  // fit_cycles with it again.
  FitResult fit_cycles(const schedules::ScheduleSpec& sgdr_spec, bool snapshots = false);
  // Batches per epoch (over the cached features when precomputed).
  int64_t steps_per_epoch() const;

  // ---- evaluation ----
  Metrics validate();                 // on the validation loader
  Metrics validate_tta();             // averaging softmax over the image and its horizontal flip
  // fastai's tta(n, beta) with the training augmentations: the mean softmax of n augmented
  // passes over the validation set (`augment`'s crop and flip, a different draw each pass),
  // mixed with the plain pass as (1 - beta) * augmented + beta * plain. `augment` must
  // augment something (crop, flip or cutout); its normalisation must be the validation's.
  Tensor predict_probs_augmented(const data::AugmentConfig& augment, int64_t n = 4, double beta = 0.25);
  Metrics validate_tta(const data::AugmentConfig& augment, int64_t n = 4, double beta = 0.25);
  // Softmax probabilities [N, classes] on the validation set, in loader order (unshuffled).
  Tensor predict_probs(bool tta = false);
  // Accuracy of the average softmax of the last m snapshots (m <= snapshots kept).
  Metrics evaluate_ensemble(int64_t m);
  // The same for any states of the model (e.g. snapshot files), optionally with flip TTA;
  // the model's own state is put back after.
  Metrics evaluate_states(const std::vector<nn::NamedTensors>& states, bool tta = false);
  const std::vector<nn::NamedTensors>& snapshots() const { return snapshots_; }

  // ---- layer groups ----
  // The groups the optimizer sees: the model's, merged when LearnerOptions::layer_groups is set.
  std::vector<nn::LayerGroup> layer_groups() const;
  size_t num_groups() const;
  void freeze() { freeze_to(static_cast<int64_t>(num_groups()) - 1); }  // all but the head
  void unfreeze() { freeze_to(0); }
  void freeze_to(int64_t n);  // groups < n frozen (no grads, BN in eval unless train_frozen_bn)
  int64_t frozen_groups() const { return frozen_to_; }

  // ---- precompute (fastai 0.7) ----
  // With the body frozen: computes the body's activations for the training and
  // validation sets once (no augmentation, BN in eval mode), after which fit()
  // trains only the head on the cached features. precompute(false) returns to
  // full passes. Returns the seconds spent computing the cache.
  double precompute(bool on = true);
  bool precomputed() const { return precomputed_; }

  // ---- checkpoints ----
  // model, optimizer, step, epoch/batch position, the fit's record (its schedule spec and
  // shape) and RNG state; atomic write, and only of a finite state: a model or optimizer
  // holding a NaN or an infinity throws, naming it, and leaves an existing file as it was.
  void save_checkpoint(const std::string& path) const;
  // The first model tensor or optimizer state that holds a NaN or an infinity, if any.
  std::optional<std::string> non_finite_state() const;
  // Restores a checkpoint, its fit record into state().record; the next fit() with the same
  // arguments continues from it. A fit given a spec checks it against the checkpoint's.
  void load_checkpoint(const std::string& path);

  // ---- the loop's state ----
  void add_callback(std::shared_ptr<Callback> cb) { callbacks_.push_back(std::move(cb)); }
  void request_stop() { state_.stop_requested = true; }
  // The same, for a run whose loss or weights became NaN or infinite: the fit reports
  // FitResult::stopped_on_nan, and no checkpoint is written after it.
  void stop_diverged() { state_.stop_requested = state_.diverged = true; }
  const FitState& state() const { return state_; }
  void set_state(const FitState& s) { state_ = s; }  // e.g. to put back the state after a trial run
  int64_t total_steps() const { return state_.global_step; }  // steps taken across fits

  nn::Model& model() { return *model_; }
  optim::Optimizer& optimizer() { return *opt_; }
  DataLoader& train_loader() { return *train_; }
  DataLoader* valid_loader() { return valid_.get(); }
  const LearnerOptions& options() const { return opts_; }
  // Where the next fits write log.csv, plots, checkpoints and snapshots (e.g. a folder per
  // phase of a recipe); empty: nowhere.
  void set_out_dir(std::string dir) { opts_.out_dir = std::move(dir); }

 private:
  static constexpr size_t kLossReadEvery = 25;  // CUDA: steps between loss reads
  void set_bn_modes();  // train mode; frozen groups' BN statistics held
  Tensor forward_train(const Tensor& x);
  std::unique_ptr<optim::Optimizer> make_optimizer(const std::vector<double>& lrs) const;
  // Rows order[b*bs ..) of cached features and their labels, on the training device.
  std::pair<Tensor, Tensor> feature_batch(const Tensor& feats, const Tensor& labels,
                                          const std::vector<int64_t>& order, int64_t b) const;
  Metrics score_probs(const Tensor& probs) const;  // accuracy and NLL of [N, classes] on the validation set
  // A bar over the validation batches, for passes outside a fit (eval, TTA, ensembles); none
  // when quiet or inside a fit, whose epoch lines say enough.
  std::unique_ptr<report::ProgressBar> validation_bar(const std::string& label) const;

  nn::ModelPtr model_;
  std::shared_ptr<DataLoader> train_, valid_;
  LearnerOptions opts_;
  std::unique_ptr<optim::Optimizer> opt_;
  std::vector<std::shared_ptr<Callback>> callbacks_;
  std::vector<nn::NamedTensors> snapshots_;
  int64_t frozen_to_ = 0;
  FitState state_;
  bool precomputed_ = false;
  bool fitting_ = false;  // inside fit()
  // Precomputed features: [N, F] on the host, with labels.
  Tensor feat_train_, feat_train_y_, feat_valid_, feat_valid_y_;
};

}  // namespace cyclone::train
