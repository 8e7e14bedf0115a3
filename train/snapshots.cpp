// Snapshot ensembles: the snapshot callback (see snapshots.h) and the accuracy of
// the average softmax of the last m snapshots.
#include "train/snapshots.h"

#include <filesystem>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/state_io.h"

namespace cyclone::train {

void SnapshotCallback::on_batch_end(Learner& l, const BatchInfo& b) {
  if (b.step >= total_ || !sgdr_->is_cycle_end(b.step) || l.state().diverged) return;
  nn::NamedTensors snap;
  for (auto& [k, v] : l.model().state_dict()) snap.emplace_back(k, v.clone());
  if (nn::first_non_finite(snap)) return;  // a diverged model is no snapshot; the fit stops at its next loss
  snapshots.push_back(snap);
  if (!out_dir_.empty()) {
    std::filesystem::create_directories(out_dir_);
    const std::string path = out_dir_ + "/snapshot_" + std::to_string(snapshots.size()) + ".npz";
    nn::save_npz_tensors(path, snap);
    files.push_back(path);
  }
}

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
  return score_probs(mul(sum_p, 1.0 / static_cast<double>(m)));
}

}  // namespace cyclone::train
