// Precomputed activations (fastai 0.7's precompute=True): the frozen body's
// features of the training and validation sets, computed once and kept on the
// host, and the batches the fit loop and validation cut from them.
#include <chrono>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "tensor/gather.h"
#include "train/learner.h"

namespace cyclone::train {

namespace {
// Body features of a whole dataset (no augmentation, eval mode), kept on the host.
std::pair<Tensor, Tensor> compute_features(nn::Model& model, const DataLoader& like) {
  LoaderOptions o = like.options();
  o.shuffle = false;
  o.drop_last = false;
  o.augment = o.augment.unaugmented();
  DataLoader loader(like.shared_dataset(), o);
  std::vector<Tensor> fs, ys;
  loader.start_epoch(0);
  while (auto b = loader.next()) {
    fs.push_back(model.body(b->x).cpu());
    ys.push_back(b->y.cpu());
  }
  return {cat(fs, 0).contiguous(), cat(ys, 0).contiguous()};
}
}  // namespace

double Learner::precompute(bool on) {
  if (!on) {
    precomputed_ = false;
    feat_train_ = feat_train_y_ = feat_valid_ = feat_valid_y_ = Tensor();
    return 0;
  }
  if (frozen_to_ != static_cast<int64_t>(num_groups()) - 1) {
    throw std::logic_error("precompute: freeze the body first (freeze()), so its activations do not change");
  }
  const auto t0 = std::chrono::steady_clock::now();
  NoGradGuard no_grad;
  model_->eval();
  std::tie(feat_train_, feat_train_y_) = compute_features(*model_, *train_);
  if (valid_) std::tie(feat_valid_, feat_valid_y_) = compute_features(*model_, *valid_);
  model_->train();
  precomputed_ = true;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::pair<Tensor, Tensor> Learner::feature_batch(const Tensor& feats, const Tensor& labels,
                                                 const std::vector<int64_t>& order, int64_t b) const {
  const int64_t bs = train_->options().batch_size;
  const int64_t begin = b * bs, count = std::min<int64_t>(bs, feats.size(0) - begin);
  const auto first = order.begin() + begin;
  const std::vector<int64_t> rows(first, first + count);
  const Device device = train_->options().device;
  return {index_select(feats, 0, rows).to(device), index_select(labels, 0, rows).to(device)};
}

}  // namespace cyclone::train
