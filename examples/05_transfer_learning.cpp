// Example 5: the fast.ai transfer-learning recipe on a small scale.
// "Pretraining": the small CNN learns Fashion-MNIST classes 0-4. Transfer: a
// new 10-class head, then (1) load the body, (2) freeze it and precompute its
// activations, (3) train the head, (4) unfreeze, (5) set layer-group lrs 3x
// apart, (6) run lr_find again, (7) SGDR with cycle_len 1, cycle_mult 2,
// (8) snapshots and their ensemble. `cyclone finetune` runs the same recipe
// on the pretrained CIFAR ResNets.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "example_common.h"
#include "nn/models/model.h"
#include "train/learner.h"
#include "train/lr_finder.h"

using namespace cyclone;

namespace {
std::shared_ptr<const data::ImageSet> classes(const data::ImageSet& s, int64_t lo, int64_t hi) {
  std::vector<int64_t> idx;
  for (int64_t i = 0; i < s.n; ++i) {
    if (s.labels[size_t(i)] >= lo && s.labels[size_t(i)] < hi) idx.push_back(i);
  }
  return std::make_shared<const data::ImageSet>(data::subset_indices(s, idx));
}
}  // namespace

int main(int argc, char** argv) {
  const example::Args args = example::parse(argc, argv);
  manual_seed(0);
  auto train_all = example::fashion(true, args.small ? 6000 : 30000);
  auto valid_all = example::fashion(false, args.small ? 1000 : 5000);
  train::LearnerOptions quiet;
  quiet.quiet = true;

  // Pretraining on half the classes.
  auto pre_model = nn::make_model("smallcnn");
  {
    train::Learner pre(pre_model, example::loader(classes(*train_all, 0, 5), true),
                       example::loader(classes(*valid_all, 0, 5), false), quiet);
    pre.fit_one_cycle(1, {0.05});
  }
  // 1. A fresh model gets the pretrained body (everything but the head).
  auto model = nn::make_model("smallcnn");
  nn::NamedTensors body;
  for (auto& [k, v] : pre_model->state_dict()) {
    if (k.rfind("fc.", 0) != 0) body.emplace_back(k, v);
  }
  const nn::LoadReport rep = model->load_state_dict(body, false);
  std::printf("1. loaded %zu pretrained tensors (head left fresh: %zu missing)\n", rep.loaded.size(), rep.missing.size());
  train::LearnerOptions opts = quiet;
  opts.out_dir = args.out;
  train::Learner l(model, example::loader(train_all, true), example::loader(valid_all, false), opts);
  const double start = l.validate().accuracy;
  // 2-3. Freeze, precompute, train the head on cached activations.
  l.freeze();
  const double pre_s = l.precompute(true);
  auto t0 = std::chrono::steady_clock::now();
  const train::FitResult head = l.fit_one_cycle(2, {0.05});
  const double head_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("2-3. precompute %.2fs, head 2 epochs %.2fs: accuracy %.4f -> %.4f\n", pre_s, head_s, start, head.final_accuracy);
  // 4-6. Unfreeze, layer-group lrs 3x apart, lr_find again.
  l.precompute(false);
  l.unfreeze();
  std::vector<double> ratios;
  for (size_t g = 0; g < l.num_groups(); ++g) ratios.push_back(std::pow(3.0, -double(l.num_groups() - 1 - g)));
  train::LrFindOptions o;
  o.num_it = args.small ? 40 : 100;
  o.group_ratios = ratios;
  const train::LrFindResult r = train::lr_find(l, o);
  const double lr = std::min(r.suggestion().lr, 0.1);
  std::printf("4-6. unfrozen; lr_find suggests %.3g (%s)\n", r.suggestion().lr, schedules::kDefaultSuggestionRule);
  // 7-8. SGDR, cycle_len 1 and cycle_mult 2, with snapshots.
  std::vector<double> lrs;
  for (double q : ratios) lrs.push_back(lr * q);
  const train::FitResult fit = l.fit_sgdr(2, 1, 2, lrs, true);
  const train::Metrics ens = l.evaluate_ensemble(static_cast<int64_t>(l.snapshots().size()));
  std::printf("7-8. SGDR: single model %.4f, ensemble of %zu snapshots %.4f\n", fit.final_accuracy,
              l.snapshots().size(), ens.accuracy);
  return fit.final_accuracy > head.final_accuracy - 0.02 && head.final_accuracy > start ? 0 : 1;
}
