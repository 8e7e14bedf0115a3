// Snapshot ensembles (Huang et al. 2017): the callback fit_sgdr adds to keep the
// weights at the end of every SGDR cycle. Internal to train/.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "schedules/sgdr.h"
#include "train/learner.h"

namespace cyclone::train {

// Copies the state dict at the end of every SGDR cycle before total_steps (the fit's step
// s is the cycles' step s - offset: a warm-up comes first), and writes it to
// out_dir/snapshot_K.npz for cycle K (from 1) when out_dir is set, so that a resumed fit
// names its snapshots as the first run would.
class SnapshotCallback : public Callback {
 public:
  SnapshotCallback(std::shared_ptr<const schedules::SGDR> sgdr, int64_t offset, int64_t total_steps, std::string out_dir)
      : sgdr_(std::move(sgdr)), offset_(offset), total_(total_steps), out_dir_(std::move(out_dir)) {}
  void on_batch_end(Learner& l, const BatchInfo& b) override;
  bool needs_state_after(int64_t step) const override { return is_cycle_end(step); }

  std::vector<nn::NamedTensors> snapshots;  // in order
  std::vector<std::string> files;           // written, in order

 private:
  bool is_cycle_end(int64_t step) const {
    return step >= offset_ && step < total_ && sgdr_->is_cycle_end(step - offset_);
  }

  std::shared_ptr<const schedules::SGDR> sgdr_;
  int64_t offset_, total_;
  std::string out_dir_;
};

}  // namespace cyclone::train
