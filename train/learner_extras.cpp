// Learner extras: precomputed activations, TTA and snapshot ensembles, and
// checkpoints (model, optimizer, position and RNG state in one npz, written
// atomically).
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "io/npz.h"
#include "nn/functional.h"
#include "nn/state_io.h"
#include "tensor/rng.h"
#include "train/builtin_callbacks.h"
#include "train/learner.h"

namespace cyclone::train {
namespace F = nn::functional;

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

Tensor Learner::predict_probs(bool tta) {
  if (!valid_) throw std::logic_error("predict_probs: the Learner has no validation data");
  NoGradGuard no_grad;
  model_->eval();
  std::vector<Tensor> out;
  valid_->start_epoch(0);
  while (auto b = valid_->next()) {
    Tensor p = F::softmax(model_->forward(b->x), 1);
    if (tta) p = mul(add(p, F::softmax(model_->forward(b->x.flip(3).contiguous()), 1)), 0.5);
    out.push_back(p);
  }
  model_->train();
  return cat(out, 0);
}

namespace {
Metrics score_probs(const Tensor& probs, const data::ImageSet& set) {
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
}  // namespace

Metrics Learner::validate_tta() { return score_probs(predict_probs(true), valid_->dataset()); }

Metrics Learner::evaluate_ensemble(int64_t m) {
  if (m < 1 || m > static_cast<int64_t>(snapshots_.size())) {
    throw std::invalid_argument("evaluate_ensemble: asked for " + std::to_string(m) + " snapshots, " +
                                std::to_string(snapshots_.size()) + " kept");
  }
  nn::NamedTensors current;
  for (auto& [k, v] : model_->state_dict()) current.emplace_back(k, v.clone());
  Tensor sum_p;
  for (size_t i = snapshots_.size() - static_cast<size_t>(m); i < snapshots_.size(); ++i) {
    model_->load_state_dict(snapshots_[i]);
    Tensor p = predict_probs(false);
    sum_p = sum_p.defined() ? add(sum_p, p) : p;
  }
  model_->load_state_dict(current);
  return score_probs(mul(sum_p, 1.0 / static_cast<double>(m)), valid_->dataset());
}

// ---- checkpoints ----
namespace {
io::NdArray i64_scalar(int64_t v) { return io::NdArray::from<int64_t>({}, {v}); }
io::NdArray f64_scalar(double v) { return io::NdArray::from<double>({}, {v}); }
int64_t get_i64(const std::map<std::string, io::NdArray>& a, const std::string& k, const std::string& path) {
  auto it = a.find(k);
  if (it == a.end() || it->second.dtype != io::DType::i64 || it->second.numel() != 1) {
    throw std::runtime_error(path + ": not a cyclone checkpoint (missing or bad '" + k + "')");
  }
  return it->second.at<int64_t>(0);
}
}  // namespace

void Learner::save_checkpoint(const std::string& path) const {
  std::map<std::string, io::NdArray> a;
  for (auto& [k, v] : model_->state_dict()) a["model/" + k] = nn::ndarray_from_tensor(v);
  const optim::OptimizerState os = opt_->state_dict();
  for (auto& [k, v] : os.tensors) a["optim.t/" + k] = nn::ndarray_from_tensor(v);
  for (auto& [k, v] : os.scalars) a["optim.s/" + k] = f64_scalar(v);
  a["learner/format"] = i64_scalar(1);
  a["learner/step"] = i64_scalar(fit_step_);
  a["learner/epoch"] = i64_scalar(fit_epoch_);
  a["learner/batch"] = i64_scalar(fit_batch_);
  a["learner/global_step"] = i64_scalar(global_step_);
  a["learner/frozen_to"] = i64_scalar(frozen_to_);
  const GeneratorState g = default_generator().state();
  a["rng/seed"] = i64_scalar(static_cast<int64_t>(g.seed));
  a["rng/offset"] = i64_scalar(static_cast<int64_t>(g.offset));
  io::save_npz(path, a, false);  // writes path.tmp, then renames: never a half-written checkpoint
}

void Learner::load_checkpoint(const std::string& path) {
  const std::map<std::string, io::NdArray> a = io::load_npz(path);
  if (get_i64(a, "learner/format", path) != 1) throw std::runtime_error(path + ": unsupported checkpoint format");
  nn::NamedTensors model_state;
  optim::OptimizerState os;
  for (auto& [k, v] : a) {
    if (k.rfind("model/", 0) == 0) model_state.emplace_back(k.substr(6), nn::tensor_from_ndarray(v, path + ": " + k));
    if (k.rfind("optim.t/", 0) == 0) os.tensors[k.substr(8)] = nn::tensor_from_ndarray(v, path + ": " + k);
    if (k.rfind("optim.s/", 0) == 0) os.scalars[k.substr(8)] = v.at<double>(0);
  }
  freeze_to(get_i64(a, "learner/frozen_to", path));
  try {
    model_->load_state_dict(model_state);
    opt_->load_state_dict(os);
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  resume_.step = get_i64(a, "learner/step", path);
  resume_.epoch = get_i64(a, "learner/epoch", path);
  resume_.batch = get_i64(a, "learner/batch", path);
  resume_.pending = true;
  global_step_ = get_i64(a, "learner/global_step", path);
  default_generator().set_state({static_cast<uint64_t>(get_i64(a, "rng/seed", path)),
                                 static_cast<uint64_t>(get_i64(a, "rng/offset", path))});
}

}  // namespace cyclone::train
