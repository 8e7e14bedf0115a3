// Learner core: optimizer over the model's layer groups, layer-group freezing,
// the schedules fit_one_cycle and fit_sgdr build, and validation. The loop
// itself is in fit_loop.cpp.
#include "train/learner.h"

#include <cmath>
#include <iostream>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "nn/layers.h"
#include "optim/adam.h"
#include "optim/sgd.h"
#include "schedules/one_cycle.h"
#include "schedules/sgdr.h"
#include "train/param_groups.h"
#include "train/snapshots.h"

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
  const std::vector<nn::LayerGroup> layers = layer_groups();
  switch (opts_.opt) {
    case optim::OptimizerKind::sgd: {
      const optim::SgdOptions o{.momentum = opts_.momentum, .weight_decay = opts_.weight_decay, .nesterov = opts_.nesterov};
      return std::make_unique<optim::SGD>(make_param_groups<optim::SgdGroupOptions>(layers, lrs), o);
    }
    case optim::OptimizerKind::adam: {
      const optim::AdamOptions o{.betas = {opts_.momentum, opts_.beta2}, .weight_decay = opts_.weight_decay};
      return std::make_unique<optim::Adam>(make_param_groups<optim::AdamGroupOptions>(layers, lrs), o);
    }
    case optim::OptimizerKind::adamw: {
      const optim::AdamWOptions o{.betas = {opts_.momentum, opts_.beta2}, .weight_decay = opts_.weight_decay};
      return std::make_unique<optim::AdamW>(make_param_groups<optim::AdamGroupOptions>(layers, lrs), o);
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

int64_t Learner::steps_per_epoch() const {
  const int64_t bs = train_->options().batch_size;
  return precomputed_ ? (feat_train_.size(0) + bs - 1) / bs : train_->num_batches();
}

Tensor Learner::forward_train(const Tensor& x) { return precomputed_ ? model_->head(x) : model_->forward(x); }

FitResult Learner::fit_one_cycle(int64_t epochs, std::vector<double> max_lr, double pct_start) {
  schedules::OneCycleOptions o;
  o.max_lr = max_lr.size() == 1 ? schedules::PerGroup(max_lr[0]) : schedules::PerGroup(max_lr);
  o.total_steps = epochs * steps_per_epoch();
  o.pct_start = pct_start;
  o.num_groups = max_lr.size() == 1 ? opt_->num_groups() : 0;
  // Momentum (Adam's beta1) cycles 0.95 -> 0.85 -> 0.95 against the lr (Smith 2018).
  o.cycle_momentum = true;
  return fit(epochs, schedules::ScheduleSpec{o});
}

FitResult Learner::fit_sgdr(int64_t n_cycles, double cycle_len, int64_t cycle_mult, std::vector<double> lrs,
                            bool snapshots) {
  if (n_cycles < 1) throw std::invalid_argument("fit_sgdr: n_cycles must be >= 1");
  schedules::SgdrSpec o;
  o.lr = lrs.size() == 1 ? schedules::PerGroup(lrs[0]) : schedules::PerGroup(lrs);
  o.cycle_len = cycle_len;
  o.steps_per_epoch = steps_per_epoch();
  o.cycle_mult = cycle_mult;
  o.num_cycles = n_cycles;
  o.num_groups = lrs.size() == 1 ? opt_->num_groups() : 0;
  return fit_cycles(schedules::ScheduleSpec{o}, snapshots);
}

FitResult Learner::fit_cycles(const schedules::ScheduleSpec& spec, bool snapshots) {
  const auto* sgdr_spec = std::get_if<schedules::SgdrSpec>(&spec.kind);
  if (!sgdr_spec || !sgdr_spec->num_cycles) {
    throw std::invalid_argument("fit_cycles: the spec must be an sgdr schedule with num_cycles set");
  }
  const int64_t per_epoch = steps_per_epoch();
  FitPlan plan;
  plan.spec = spec;
  // The fit builds the schedule from the spec; this copy measures it for the step limit and the snapshots.
  // The cycles without the warm-up (which shifts them by its steps).
  const auto sgdr = std::dynamic_pointer_cast<const schedules::SGDR>(schedules::make_schedule({spec.kind, std::nullopt}));
  const int64_t warmup = spec.warmup ? spec.warmup->steps : 0;
  const int64_t total = warmup + sgdr->steps_for_cycles(*sgdr_spec->num_cycles);
  plan.epochs = (total + per_epoch - 1) / per_epoch;
  plan.max_steps = total;  // the last epoch may end mid-way, at the end of the last cycle
  std::shared_ptr<SnapshotCallback> snap;
  if (snapshots) {
    snap = std::make_shared<SnapshotCallback>(sgdr, warmup, total, opts_.out_dir);
    plan.callbacks.push_back(snap);
    snapshots_.clear();
  }
  FitResult r = fit(plan);
  if (snap) {
    snapshots_ = std::move(snap->snapshots);
    r.snapshots = std::move(snap->files);
  }
  return r;
}

std::unique_ptr<report::ProgressBar> Learner::validation_bar(const std::string& label) const {
  if (opts_.quiet || fitting_ || !valid_) return nullptr;
  return std::make_unique<report::ProgressBar>(label, valid_->num_batches(), std::cerr);
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
      auto [x, y] = feature_batch(feat_valid_, feat_valid_y_, order, b);
      score(model_->head(x), y);
    }
  } else {
    valid_->start_epoch(0);
    const std::unique_ptr<report::ProgressBar> bar = validation_bar("valid");
    while (auto batch = valid_->next()) {
      score(model_->forward(batch->x), batch->y);
      if (bar) bar->update(batch->index + 1);
    }
    if (bar) bar->finish();
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
