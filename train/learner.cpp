// Learner core: optimizer over the model's layer groups, the fit loop,
// validation, and layer-group freezing.
#include "train/learner.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "nn/layers.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "schedules/classic.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"
#include "train/builtin_callbacks.h"

namespace cyclone::train {
namespace F = nn::functional;

Learner::Learner(nn::ModelPtr model, std::shared_ptr<DataLoader> train, std::shared_ptr<DataLoader> valid,
                 LearnerOptions options)
    : model_(std::move(model)), train_(std::move(train)), valid_(std::move(valid)), opts_(std::move(options)) {
  if (!model_) throw std::invalid_argument("Learner: model is null");
  if (!train_) throw std::invalid_argument("Learner: training data is null");
  const Device dev = train_->options().device;
  if (!(model_->device() == dev)) model_->to(dev);
  opt_ = make_optimizer(std::vector<double>(num_groups(), 1e-3));
}

Learner::~Learner() = default;

std::vector<nn::LayerGroup> Learner::layer_groups() const {
  auto groups = model_->layer_groups();
  if (opts_.layer_groups <= 0) return groups;
  return nn::merge_layer_groups(std::move(groups), static_cast<size_t>(opts_.layer_groups));
}

size_t Learner::num_groups() const { return layer_groups().size(); }

std::unique_ptr<optim::Optimizer> Learner::make_optimizer(const std::vector<double>& lrs) const {
  std::vector<optim::LayerGroup> layers;
  for (const nn::LayerGroup& l : layer_groups()) layers.push_back({l.name, l.parameters()});
  switch (opts_.opt) {
    case optim::OptimizerKind::sgd: {
      const optim::SgdOptions o{.momentum = opts_.momentum, .weight_decay = opts_.weight_decay, .nesterov = opts_.nesterov};
      return std::make_unique<optim::SGD>(optim::make_param_groups<optim::SgdGroupOptions>(layers, lrs), o);
    }
    case optim::OptimizerKind::adam: {
      const optim::AdamOptions o{.betas = {opts_.momentum, opts_.beta2}, .weight_decay = opts_.weight_decay};
      return std::make_unique<optim::Adam>(optim::make_param_groups<optim::AdamGroupOptions>(layers, lrs), o);
    }
    case optim::OptimizerKind::adamw: {
      const optim::AdamWOptions o{.betas = {opts_.momentum, opts_.beta2}, .weight_decay = opts_.weight_decay};
      return std::make_unique<optim::AdamW>(optim::make_param_groups<optim::AdamGroupOptions>(layers, lrs), o);
    }
  }
  throw std::invalid_argument("unknown optimizer kind");
}

void Learner::freeze_to(int64_t n) {
  const auto groups = layer_groups();
  if (n < 0 || n > static_cast<int64_t>(groups.size())) {
    throw std::invalid_argument("freeze_to(" + std::to_string(n) + "): the model has " +
                                std::to_string(groups.size()) + " layer groups");
  }
  frozen_to_ = n;
  for (size_t g = 0; g < groups.size(); ++g) {
    const bool frozen = static_cast<int64_t>(g) < n;
    for (nn::Module* m : groups[g].modules) {
      for (auto& [name, mod] : m->named_modules()) {
        const bool is_bn = dynamic_cast<nn::BatchNorm*>(mod) != nullptr;
        const bool trainable = !frozen || (is_bn && opts_.train_frozen_bn);
        for (auto& [pn, p] : mod->named_parameters(false)) Tensor(p).requires_grad_(trainable);
      }
    }
  }
  if (n < static_cast<int64_t>(groups.size()) - 1 && precomputed_) precompute(false);
}

void Learner::set_bn_modes() {
  model_->train();
  const auto groups = layer_groups();
  for (size_t g = 0; g < groups.size(); ++g) {
    const bool frozen = static_cast<int64_t>(g) < frozen_to_ && !opts_.train_frozen_bn;
    for (nn::Module* m : groups[g].modules) {
      for (auto& [name, mod] : m->named_modules()) {
        if (auto* bn = dynamic_cast<nn::BatchNorm*>(mod)) bn->frozen_stats = frozen;
      }
    }
  }
}

void Learner::apply_schedule(const schedules::Schedule& s, int64_t step) {
  for (size_t g = 0; g < opt_->num_groups(); ++g) {
    const schedules::Value v = s.at(step, s.num_groups() == 1 ? 0 : g);
    opt_->set_lr(g, v.lr);
    // A schedule without momentum gets the configured one back, not whatever value the
    // last cycling schedule (e.g. one-cycle's final 0.95) left behind.
    opt_->set_momentum(g, v.momentum ? *v.momentum : opts_.momentum);
  }
}

int64_t Learner::steps_per_epoch() const {
  const int64_t bs = train_->options().batch_size;
  return precomputed_ ? (feat_train_.size(0) + bs - 1) / bs : train_->num_batches();
}

Tensor Learner::forward_train(const Tensor& x) { return precomputed_ ? model_->head(x) : model_->forward(x); }

Tensor Learner::train_batch(const Tensor& x, const Tensor& y) {
  opt_->zero_grad();
  Tensor loss = F::cross_entropy(forward_train(x), y, F::Reduction::Mean, opts_.label_smoothing);
  loss.backward();
  opt_->step();
  return loss.detach();  // stays on the device; read in groups by fit()
}

FitResult Learner::fit(int64_t epochs, schedules::SchedulePtr schedule) {
  if (epochs < 1) throw std::invalid_argument("fit: epochs must be >= 1");
  if (!schedule) throw std::invalid_argument("fit: schedule is null");
  if (schedule->num_groups() != 1 && schedule->num_groups() != opt_->num_groups()) {
    throw std::invalid_argument("fit: the schedule has " + std::to_string(schedule->num_groups()) +
                                " groups but the optimizer has " + std::to_string(opt_->num_groups()));
  }
  FitResult result;
  int64_t step = 0, start_epoch = 0, start_batch = 0;
  const bool resuming = resume_.pending;
  if (resume_.pending) {
    step = resume_.step;
    start_epoch = resume_.epoch;
    start_batch = resume_.batch;
    resume_.pending = false;
  }
  auto internal = make_builtin_callbacks(*this, epochs, resuming);
  std::vector<Callback*> cbs;
  for (auto& c : internal) cbs.push_back(c.get());
  for (auto& c : callbacks_) cbs.push_back(c.get());
  stop_requested_ = false;
  for (Callback* c : cbs) c->on_fit_begin(*this);
  const int64_t batches = steps_per_epoch();
  auto limit_reached = [&] { return step_limit_ >= 0 && step >= step_limit_; };
  snapshot_files_.clear();
  for (int64_t epoch = start_epoch; epoch < epochs && !stop_requested_ && !limit_reached(); ++epoch) {
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
    const size_t read_every = train_->options().device.is_cuda() ? kLossReadEvery : 1;
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
        if (!std::isfinite(info.loss)) {
          result.stopped_on_nan = true;
          stop_requested_ = true;
        }
        for (Callback* c : cbs) c->on_batch_end(*this, info);
      }
      pending.clear();
    };
    auto run_batch = [&](const Tensor& x, const Tensor& y, int64_t b) {
      BatchInfo info{step, epoch, b, batches, 0, 0, 0};
      apply_schedule(*schedule, step);
      info.lr = opt_->lr(opt_->num_groups() - 1);
      info.momentum = opt_->momentum(opt_->num_groups() - 1);
      for (Callback* c : cbs) c->on_batch_begin(*this, info);
      pending.emplace_back(info, train_batch(x, y));
      images += x.size(0);
      ++step;
      ++global_step_;
      fit_step_ = step;
      fit_epoch_ = epoch;
      fit_batch_ = b + 1;
      bool exact = false;  // a callback needs the state right after this step
      for (Callback* c : cbs) exact = exact || c->needs_state_after(info.step);
      if (pending.size() >= read_every || exact || limit_reached()) flush();
    };
    if (precomputed_) {
      const std::vector<int64_t> order = train_->epoch_order(epoch);
      for (int64_t b = start_batch; b < batches && !stop_requested_ && !limit_reached(); ++b) {
        auto [x, y] = feature_batch(feat_train_, feat_train_y_, order, b, train_->options().batch_size);
        run_batch(x.to(train_->options().device), y.to(train_->options().device), b);
      }
    } else {
      train_->start_epoch(epoch, start_batch);
      while (!stop_requested_ && !limit_reached()) {
        auto batch = train_->next();
        if (!batch) break;
        run_batch(batch->x, batch->y, batch->index);
      }
    }
    flush();
    start_batch = 0;
    EpochInfo info;
    info.epoch = epoch;
    info.epochs = epochs;
    info.train_loss = seen ? loss_sum / static_cast<double>(seen) : NAN;
    info.valid_loss = info.accuracy = NAN;
    if (valid_ && !result.stopped_on_nan) {
      const Metrics m = validate();
      info.valid_loss = m.loss;
      info.accuracy = m.accuracy;
    }
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    info.images_per_second = info.seconds > 0 ? static_cast<double>(images) / info.seconds : 0;
    fit_epoch_ = epoch + 1;
    fit_batch_ = 0;
    result.epochs.push_back({epoch, info.train_loss, info.valid_loss, info.accuracy, info.seconds, info.images_per_second});
    result.final_accuracy = info.accuracy;
    result.final_valid_loss = info.valid_loss;
    for (Callback* c : cbs) c->on_epoch_end(*this, info);
  }
  for (Callback* c : cbs) c->on_fit_end(*this);
  if (result.epochs.empty() && (valid_ || precomputed_)) {  // e.g. resuming a run that had already finished
    const Metrics m = validate();
    result.final_accuracy = m.accuracy;
    result.final_valid_loss = m.loss;
  }
  result.snapshots = snapshot_files_;
  return result;
}

FitResult Learner::fit_one_cycle(int64_t epochs, std::vector<double> max_lr, double pct_start) {
  schedules::OneCycleOptions o;
  o.max_lr = max_lr.size() == 1 ? schedules::PerGroup(max_lr[0]) : schedules::PerGroup(max_lr);
  o.total_steps = epochs * steps_per_epoch();
  o.pct_start = pct_start;
  o.num_groups = max_lr.size() == 1 ? opt_->num_groups() : 0;
  // Momentum (Adam's beta1) cycles 0.95 -> 0.85 -> 0.95 against the lr (Smith 2018).
  o.cycle_momentum = true;
  return fit(epochs, std::make_shared<schedules::OneCycle>(o));
}

FitResult Learner::fit_sgdr(int64_t n_cycles, double cycle_len, int64_t cycle_mult, std::vector<double> lrs,
                            bool snapshots) {
  if (n_cycles < 1) throw std::invalid_argument("fit_sgdr: n_cycles must be >= 1");
  const int64_t per_epoch = steps_per_epoch();
  schedules::SGDROptions o;
  o.lr = lrs.size() == 1 ? schedules::PerGroup(lrs[0]) : schedules::PerGroup(lrs);
  o.cycle_len = schedules::cycle_len_from_epochs(cycle_len, per_epoch);
  o.cycle_mult = cycle_mult;
  o.num_cycles = n_cycles;
  o.num_groups = lrs.size() == 1 ? opt_->num_groups() : 0;
  auto sgdr = std::make_shared<schedules::SGDR>(o);
  const int64_t total = sgdr->steps_for_cycles(n_cycles);
  const int64_t epochs = (total + per_epoch - 1) / per_epoch;
  std::shared_ptr<Callback> snap;
  if (snapshots) {
    snapshots_.clear();
    snap = make_snapshot_callback(sgdr, total);
    callbacks_.push_back(snap);
  }
  step_limit_ = total;
  FitResult r;
  try {
    r = fit(epochs, sgdr);
  } catch (...) {
    step_limit_ = -1;
    if (snap) callbacks_.pop_back();
    throw;
  }
  step_limit_ = -1;
  if (snap) callbacks_.pop_back();
  return r;
}

Metrics Learner::validate() {
  Metrics m;
  if (precomputed_ ? !feat_valid_.defined() : !valid_) {
    m.loss = m.accuracy = NAN;
    return m;
  }
  NoGradGuard no_grad;
  model_->eval();
  // Sums stay on the device; one read at the end.
  Tensor loss_sum, correct;
  auto score = [&](const Tensor& logits, const Tensor& y) {
    const Tensor l = F::cross_entropy(logits, y, F::Reduction::Sum);
    const Tensor c = sum(eq(argmax(logits, 1), y).to(DType::f32));
    loss_sum = loss_sum.defined() ? add(loss_sum, l) : l;
    correct = correct.defined() ? add(correct, c) : c;
    m.count += y.size(0);
  };
  if (precomputed_) {
    std::vector<int64_t> order(static_cast<size_t>(feat_valid_.size(0)));
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
    const int64_t bs = train_->options().batch_size, nb = (feat_valid_.size(0) + bs - 1) / bs;
    for (int64_t b = 0; b < nb; ++b) {
      auto [x, y] = feature_batch(feat_valid_, feat_valid_y_, order, b, bs);
      score(model_->head(x.to(train_->options().device)), y.to(train_->options().device));
    }
  } else {
    valid_->start_epoch(0);
    while (auto batch = valid_->next()) score(model_->forward(batch->x), batch->y);
  }
  model_->train();
  if (m.count == 0) {
    m.loss = m.accuracy = NAN;
    return m;
  }
  m.correct = static_cast<int64_t>(correct.item());
  m.loss = loss_sum.item() / static_cast<double>(m.count);
  m.accuracy = static_cast<double>(m.correct) / static_cast<double>(m.count);
  return m;
}

}  // namespace cyclone::train
