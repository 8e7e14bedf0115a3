// Test-time augmentation and softmax outputs: predict_probs (optionally averaged
// with the horizontal flip), fastai's tta with the training augmentations,
// validate_tta, and scoring a set of probabilities.
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/functional.h"
#include "train/learner.h"

namespace cyclone::train {
namespace F = nn::functional;

Tensor Learner::predict_probs(bool tta) {
  if (!valid_) throw std::logic_error("predict_probs: the Learner has no validation data");
  NoGradGuard no_grad;
  model_->eval();
  std::vector<Tensor> out;
  valid_->start_epoch(0);
  const std::unique_ptr<report::ProgressBar> bar = validation_bar(tta ? "predict (flip TTA)" : "predict");
  while (auto b = valid_->next()) {
    Tensor p = F::softmax(model_->forward(b->x), 1);
    if (tta) p = mul(add(p, F::softmax(model_->forward(b->x.flip(3).contiguous()), 1)), 0.5);
    out.push_back(p);
    if (bar) bar->update(b->index + 1);
  }
  if (bar) bar->finish();
  model_->train();
  return cat(out, 0);
}

Metrics Learner::score_probs(const Tensor& probs) const {
  const data::ImageSet& set = valid_->dataset();
  NoGradGuard no_grad;
  Metrics m;
  const Tensor labels = from_vector(set.labels, {set.n}).to(probs.device());
  m.count = set.n;
  m.correct = F::correct_count(probs, labels);
  m.accuracy = static_cast<double>(m.correct) / static_cast<double>(m.count);
  // Mean negative log-likelihood of the (averaged) probabilities.
  const Tensor nll = F::cross_entropy(log(add(probs, 1e-12)), labels, F::Reduction::Mean);
  m.loss = nll.item();
  return m;
}

Metrics Learner::validate_tta() { return score_probs(predict_probs(true)); }

Tensor Learner::predict_probs_augmented(const data::AugmentConfig& augment, int64_t n, double beta) {
  if (!valid_) throw std::logic_error("predict_probs_augmented: the Learner has no validation data");
  if (n < 1) throw std::invalid_argument("predict_probs_augmented: n must be >= 1, got " + std::to_string(n));
  if (!(beta >= 0 && beta <= 1)) throw std::invalid_argument("predict_probs_augmented: beta must be in [0, 1]");
  if (augment.crop_padding == 0 && !augment.flip && augment.cutout == 0) {
    throw std::invalid_argument("predict_probs_augmented: the augmentation has no crop, flip or cutout to apply");
  }
  if (augment.normalize != valid_->options().augment.normalize) {
    throw std::invalid_argument("predict_probs_augmented: the augmentation normalises with '" + augment.normalize +
                                "' but validation with '" + valid_->options().augment.normalize + "'");
  }
  const Tensor plain = predict_probs(false);
  LoaderOptions o = valid_->options();
  o.augment = augment;
  o.shuffle = false;
  DataLoader aug(valid_->shared_dataset(), o);
  NoGradGuard no_grad;
  model_->eval();
  Tensor sum;
  for (int64_t pass = 0; pass < n; ++pass) {
    std::vector<Tensor> out;
    aug.start_epoch(pass);  // each pass draws its own crops and flips
    while (auto b = aug.next()) out.push_back(F::softmax(model_->forward(b->x), 1));
    const Tensor p = cat(out, 0);
    sum = sum.defined() ? add(sum, p) : p;
  }
  model_->train();
  const Tensor mean_aug = mul(sum, 1.0 / static_cast<double>(n));
  return add(mul(mean_aug, 1.0 - beta), mul(plain, beta));
}

Metrics Learner::validate_tta(const data::AugmentConfig& augment, int64_t n, double beta) {
  return score_probs(predict_probs_augmented(augment, n, beta));
}

}  // namespace cyclone::train
