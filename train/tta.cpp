// Test-time augmentation and softmax outputs: predict_probs (optionally averaged
// with the horizontal flip), validate_tta, and scoring a set of probabilities.
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

}  // namespace cyclone::train
