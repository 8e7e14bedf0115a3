// Snapshot ensembles: the snapshot callback (see snapshots.h) and the accuracy of
// the average softmax of the last m snapshots.
#include "train/snapshots.h"

#include <filesystem>
#include <stdexcept>

#include "autograd/functions.h"
#include "nn/state_io.h"

namespace cyclone::train {

void SnapshotCallback::on_batch_end(Learner& l, const BatchInfo& b) {
  if (!is_cycle_end(b.step) || l.state().diverged) return;
  nn::NamedTensors snap;
  for (auto& [k, v] : l.model().state_dict()) snap.emplace_back(k, v.clone());
  if (nn::first_non_finite(snap)) return;  // a diverged model is no snapshot; the fit stops at its next loss
  snapshots.push_back(snap);
  if (!out_dir_.empty()) {
    std::filesystem::create_directories(out_dir_);
    const int64_t cycle = sgdr_->cycle_index(b.step - offset_) + 1;
    const std::string path = out_dir_ + "/snapshot_" + std::to_string(cycle) + ".npz";
    nn::save_npz_tensors(path, snap);
    files.push_back(path);
  }
}

Metrics Learner::evaluate_ensemble(int64_t m) {
  if (m < 1 || m > static_cast<int64_t>(snapshots_.size())) {
    throw std::invalid_argument("evaluate_ensemble: asked for " + std::to_string(m) + " snapshots, " +
                                std::to_string(snapshots_.size()) + " kept");
  }
  return evaluate_states({snapshots_.end() - m, snapshots_.end()});
}

Metrics Learner::evaluate_states(const std::vector<nn::NamedTensors>& states, bool tta) {
  if (states.empty()) throw std::invalid_argument("evaluate_states: no states");
  nn::NamedTensors current;
  for (auto& [k, v] : model_->state_dict()) current.emplace_back(k, v.clone());
  Tensor sum_p;
  try {
    for (const nn::NamedTensors& state : states) {
      model_->load_state_dict(state);
      Tensor p = predict_probs(tta);
      sum_p = sum_p.defined() ? add(sum_p, p) : p;
    }
  } catch (...) {
    model_->load_state_dict(current);
    throw;
  }
  model_->load_state_dict(current);
  return score_probs(mul(sum_p, 1.0 / static_cast<double>(states.size())));
}

}  // namespace cyclone::train
