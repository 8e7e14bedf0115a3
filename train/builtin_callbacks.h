// The Learner's own callbacks (progress bars, per-epoch lines, the run CSV and
// plots, NaN stop, periodic checkpoints, SGDR snapshots) and a helper for
// batching precomputed features. Internal to train/.
#pragma once
#include <memory>
#include <utility>
#include <vector>

#include "schedules/sgdr.h"
#include "train/learner.h"

namespace cyclone::train {

// resuming: continue the run's log.csv (and plots) instead of starting a new one.
std::vector<std::unique_ptr<Callback>> make_builtin_callbacks(Learner& learner, int64_t epochs, bool resuming);

// Keeps the weights at the end of every SGDR cycle (and writes them to out_dir).
class SnapshotCallback : public Callback {
 public:
  SnapshotCallback(std::shared_ptr<const schedules::SGDR> sgdr, int64_t total_steps)
      : sgdr_(std::move(sgdr)), total_(total_steps) {}
  void on_batch_end(Learner& l, const BatchInfo& b) override;
  bool needs_state_after(int64_t step) const override { return step < total_ && sgdr_->is_cycle_end(step); }

 private:
  std::shared_ptr<const schedules::SGDR> sgdr_;
  int64_t total_;
};
std::shared_ptr<Callback> make_snapshot_callback(std::shared_ptr<const schedules::SGDR> sgdr, int64_t total_steps);

// Rows order[b*bs .. ) of host features/labels as a batch (host tensors).
std::pair<Tensor, Tensor> feature_batch(const Tensor& feats, const Tensor& labels, const std::vector<int64_t>& order,
                                        int64_t b, int64_t bs);

}  // namespace cyclone::train
