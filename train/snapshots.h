// Snapshot ensembles (Huang et al. 2017): the callback fit_sgdr adds to keep the
// weights at the end of every SGDR cycle. Internal to train/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "schedules/sgdr.h"
#include "train/learner.h"

namespace cyclone::train {

// Copies the state dict at every SGDR::is_cycle_end(step) before total_steps, and
// writes it to out_dir/snapshot_N.npz when out_dir is set.
class SnapshotCallback : public Callback {
 public:
  SnapshotCallback(std::shared_ptr<const schedules::SGDR> sgdr, int64_t total_steps, std::string out_dir)
      : sgdr_(std::move(sgdr)), total_(total_steps), out_dir_(std::move(out_dir)) {}
  void on_batch_end(Learner& l, const BatchInfo& b) override;
  bool needs_state_after(int64_t step) const override { return step < total_ && sgdr_->is_cycle_end(step); }

  std::vector<nn::NamedTensors> snapshots;  // in order
  std::vector<std::string> files;           // written, in order

 private:
  std::shared_ptr<const schedules::SGDR> sgdr_;
  int64_t total_;
  std::string out_dir_;
};

}  // namespace cyclone::train
