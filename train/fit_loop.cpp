// The fit loop: epochs of batches, each run by train_step (train_step.h), with
// losses read in groups, callbacks around every batch and epoch, and validation.
#include <chrono>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "autograd/functions.h"
#include "schedules/stored.h"
#include "train/builtin_callbacks.h"
#include "train/interrupt.h"
#include "train/learner.h"
#include "train/step_graph.h"
#include "train/train_step.h"

namespace cyclone::train {

namespace {
// Resuming a checkpoint whose fit had a schedule spec: a fit given one continues that fit, so
// the spec and the steps per epoch must be the checkpoint's (the epochs may grow, e.g. to
// train a finished run further). A fit given a plain schedule is not checked.
void check_resumable(const FitRecord& saved, const std::optional<schedules::ScheduleSpec>& spec, int64_t batches) {
  if (!saved.schedule || !spec) return;
  if (const auto d = schedules::first_difference(*saved.schedule, *spec)) {
    const bool kind = d->key == "schedule";
    throw std::invalid_argument("fit: resuming a checkpoint whose schedule " +
                                (kind ? "is " + d->first + ", but this fit's is " + d->second
                                      : "has " + d->key + " " + d->first + ", but this fit's has " + d->second));
  }
  if (saved.steps_per_epoch != batches) {
    throw std::invalid_argument("fit: resuming a checkpoint of " + std::to_string(saved.steps_per_epoch) +
                                " steps per epoch with " + std::to_string(batches) +
                                " (different training data or batch size)");
  }
}

// A spec that checkpoints cannot keep (CLR's custom mode) fails here, not at the first checkpoint.
void check_storable(const schedules::ScheduleSpec& spec) {
  try {
    schedules::store_schedule(spec);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("fit: ") + e.what() + "; give the fit a schedule, not a spec");
  }
}
}  // namespace

FitResult Learner::fit(int64_t epochs, schedules::SchedulePtr schedule) {
  FitPlan plan;
  plan.epochs = epochs;
  plan.schedule = std::move(schedule);
  return fit(plan);
}

FitResult Learner::fit(int64_t epochs, const schedules::ScheduleSpec& spec) {
  FitPlan plan;
  plan.epochs = epochs;
  plan.spec = spec;
  return fit(plan);
}

FitResult Learner::fit(const FitPlan& plan) {
  const int64_t epochs = plan.epochs;
  if (plan.schedule && plan.spec) throw std::invalid_argument("fit: give the plan a schedule or a spec, not both");
  const schedules::SchedulePtr built = plan.spec ? schedules::make_schedule(*plan.spec) : plan.schedule;
  if (plan.spec) check_storable(*plan.spec);
  const schedules::Schedule* schedule = built.get();
  if (epochs < 1) throw std::invalid_argument("fit: epochs must be >= 1");
  if (!schedule) throw std::invalid_argument("fit: schedule is null");
  if (schedule->num_groups() != 1 && schedule->num_groups() != opt_->num_groups()) {
    throw std::invalid_argument("fit: the schedule has " + std::to_string(schedule->num_groups()) +
                                " groups but the optimizer has " + std::to_string(opt_->num_groups()));
  }
  FitResult result;
  const bool resuming = state_.resume.has_value();
  const FitPosition start = state_.resume.value_or(FitPosition{});
  const int64_t batches = steps_per_epoch();
  if (resuming && state_.record) check_resumable(*state_.record, plan.spec, batches);
  state_.resume.reset();
  state_.record = FitRecord{plan.spec, epochs, batches, plan.max_steps, plan.loader_epoch,
                            state_.global_step - start.step};
  std::vector<std::unique_ptr<Callback>> builtin;
  std::vector<Callback*> cbs;
  if (plan.usual_callbacks) {
    builtin = make_builtin_callbacks(*this, epochs, resuming ? std::optional<FitPosition>(start) : std::nullopt);
    for (auto& c : builtin) cbs.push_back(c.get());
    for (auto& c : callbacks_) cbs.push_back(c.get());
  }
  for (auto& c : plan.callbacks) cbs.push_back(c.get());
  state_.stop_requested = state_.diverged = false;
  state_.position = start;
  struct Fitting {  // validation bars stay off inside the fit, also when it throws
    bool& flag;
    const bool before;
    explicit Fitting(bool& f) : flag(f), before(f) { flag = true; }
    ~Fitting() { flag = before; }
  } fitting(fitting_);
  std::optional<InterruptGuard> interrupt_guard;
  if (opts_.handle_interrupts) interrupt_guard.emplace();
  for (Callback* c : cbs) c->on_fit_begin(*this);

  TrainStep ts;
  ts.forward = [this](const Tensor& x) { return forward_train(x); };
  ts.optimizer = opt_.get();
  ts.label_smoothing = opts_.label_smoothing;
  ts.schedule = schedule;
  ts.default_momentum = opts_.momentum;
  const Device device = train_->options().device;
  // On CUDA the steps' forward and backward replay a CUDA graph after warm-up (step_graph.h).
  StepGraph graph;
  if (device.is_cuda() && cuda_graphs_enabled()) ts.graph = &graph;
  int64_t step = start.step, start_batch = start.batch;
  auto limit_reached = [&] { return plan.max_steps >= 0 && step >= plan.max_steps; };
  auto interrupted = [&] { return opts_.handle_interrupts && interrupt_signal() != 0; };
  auto go_on = [&] { return !state_.stop_requested && !limit_reached() && !interrupted(); };
  for (int64_t epoch = start.epoch; epoch < epochs && go_on(); ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    set_bn_modes();
    for (Callback* c : cbs) c->on_epoch_begin(*this, epoch);
    double loss_sum = 0;
    int64_t seen = 0, images = 0;
    // Losses stay on the device and are read in groups (one synchronisation per
    // group, not per step): every step on the CPU, every kLossReadEvery steps on
    // CUDA, and always at checkpoint steps and epoch ends. on_batch_end and the
    // NaN stop fire when a group is read.
    std::vector<std::pair<BatchInfo, Tensor>> pending;
    const size_t read_every = device.is_cuda() ? kLossReadEvery : 1;
    auto flush = [&] {
      if (pending.empty()) return;
      std::vector<Tensor> parts;
      for (auto& p : pending) parts.push_back(p.second.reshape({1}));
      const std::vector<float> losses = cat(parts, 0).to_vector();
      for (size_t i = 0; i < pending.size(); ++i) {
        BatchInfo info = pending[i].first;
        info.loss = losses[i];
        loss_sum += info.loss;
        ++seen;
        if (!std::isfinite(info.loss)) stop_diverged();
        for (Callback* c : cbs) c->on_batch_end(*this, info);
      }
      pending.clear();
    };
    auto run_batch = [&](const Tensor& x, const Tensor& y, int64_t b) {
      BatchInfo info{step, epoch, b, batches, 0, 0, 0, {}};
      const Tensor loss = train_step(ts, x, y, step, [&] {
        info.lr = opt_->lr(opt_->num_groups() - 1);
        info.momentum = opt_->momentum(opt_->num_groups() - 1);
        for (Callback* c : cbs) c->on_batch_begin(*this, info);
        // As the step uses them: a callback may change them (e.g. ReduceLrOnPlateau).
        info.lr = opt_->lr(opt_->num_groups() - 1);
        info.momentum = opt_->momentum(opt_->num_groups() - 1);
        info.group_lrs.resize(opt_->num_groups());
        for (size_t g = 0; g < opt_->num_groups(); ++g) info.group_lrs[g] = opt_->lr(g);
      });
      pending.emplace_back(info, loss);
      images += x.size(0);
      ++step;
      ++state_.global_step;
      state_.position = {step, epoch, b + 1};
      bool exact = false;  // a callback needs the state right after this step
      for (Callback* c : cbs) exact = exact || c->needs_state_after(info.step);
      if (pending.size() >= read_every || exact || limit_reached()) flush();
    };
    const int64_t loader_epoch = plan.loader_epoch + epoch;
    if (precomputed_) {
      const std::vector<int64_t> order = train_->epoch_order(loader_epoch);
      for (int64_t b = start_batch; b < batches && go_on(); ++b) {
        auto [x, y] = feature_batch(feat_train_, feat_train_y_, order, b);
        run_batch(x, y, b);
      }
    } else {
      train_->start_epoch(loader_epoch, start_batch);
      while (go_on()) {
        auto batch = train_->next();
        if (!batch) break;
        run_batch(batch->x, batch->y, batch->index);
      }
    }
    flush();
    // A signal ends the fit where it is: no validation, no epoch end; the position stays at the
    // next batch, where a resumed run continues.
    if (interrupted()) break;
    start_batch = 0;
    EpochInfo info;
    info.epoch = epoch;
    info.epochs = epochs;
    info.train_loss = seen ? loss_sum / static_cast<double>(seen) : NAN;
    info.valid_loss = info.accuracy = NAN;
    if (plan.validate && valid_ && !state_.diverged) {
      const Metrics m = validate();
      info.valid_loss = m.loss;
      info.accuracy = m.accuracy;
    }
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.images_per_second = info.seconds > 0 ? static_cast<double>(images) / info.seconds : 0;
    state_.position = {step, epoch + 1, 0};
    result.epochs.push_back({epoch, info.train_loss, info.valid_loss, info.accuracy, info.seconds, info.images_per_second});
    result.final_accuracy = info.accuracy;
    result.final_valid_loss = info.valid_loss;
    for (Callback* c : cbs) c->on_epoch_end(*this, info);
  }
  result.stopped_on_nan = state_.diverged;
  if (interrupted()) result.interrupted_by = interrupt_signal();
  for (Callback* c : cbs) c->on_fit_end(*this);
  if (plan.validate && result.epochs.empty() && !result.interrupted_by && (valid_ || precomputed_)) {  // e.g. resuming a finished run
    const Metrics m = validate();
    result.final_accuracy = m.accuracy;
    result.final_valid_loss = m.loss;
  }
  return result;
}

}  // namespace cyclone::train
