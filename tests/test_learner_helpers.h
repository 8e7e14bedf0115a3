// Shared fixtures of the Learner tests: a small CNN on synthetic images, its weights as
// plain vectors, a one-cycle schedule, temporary paths, and a callback that simulates a crash.
#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/synthetic.h"
#include "nn/models/model.h"
#include "schedules/one_cycle.h"
#include "test_helpers.h"
#include "train/learner.h"

namespace cyclone::learner_fixture {

inline std::shared_ptr<const data::ImageSet> synth(int64_t n, uint64_t seed) {
  return std::make_shared<const data::ImageSet>(data::make_synthetic(n, 1, 28, 28, 10, seed));
}
inline std::shared_ptr<train::DataLoader> loader(std::shared_ptr<const data::ImageSet> s, bool shuffle,
                                                 int64_t bs = 32) {
  train::LoaderOptions o;
  o.batch_size = bs;
  o.shuffle = shuffle;
  o.seed = 11;
  o.augment.normalize = "fashion-mnist";
  return std::make_shared<train::DataLoader>(std::move(s), o);
}
inline std::unique_ptr<train::Learner> make_learner(uint64_t init_seed, const std::string& out = "") {
  manual_seed(init_seed);
  train::LearnerOptions o;
  o.quiet = true;
  o.out_dir = out;
  return std::make_unique<train::Learner>(nn::make_model("smallcnn"), loader(synth(320, 1), true),
                                          loader(synth(96, 2), false), o);
}
inline std::vector<std::vector<float>> weights(nn::Module& m) {
  std::vector<std::vector<float>> out;
  for (auto& [k, v] : m.state_dict()) out.push_back(v.to(DType::f32).to_vector());
  return out;
}
inline schedules::SchedulePtr one_cycle(int64_t total) {
  schedules::OneCycleOptions o;
  o.max_lr = 0.05;
  o.total_steps = total;
  return std::make_shared<schedules::OneCycle>(o);
}
inline std::string tmp(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() / ("cyclone_test_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

// Saves a checkpoint after `at` steps, then stops the fit (a simulated crash).
class CrashAt : public train::Callback {
 public:
  CrashAt(int64_t at, std::string path) : at_(at), path_(std::move(path)) {}
  void on_batch_end(train::Learner& l, const train::BatchInfo& b) override {
    if (b.step + 1 == at_) {
      l.save_checkpoint(path_);
      l.request_stop();
    }
  }

 private:
  int64_t at_;
  std::string path_;
};

}  // namespace cyclone::learner_fixture
