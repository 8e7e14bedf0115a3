// The DataLoader on CUDA (train/data_loader.cpp): batches uploaded on the
// upload stream through the slot ring equal the CPU loader's, for every
// prefetch depth, over two epochs and a resumed one, and batches kept past
// later ones stay valid (each is a tensor of its own, not a slot's buffer).
#include <vector>

#include "test_helpers.h"
#include "test_learner_helpers.h"
#include "train/data_loader.h"

using namespace cyclone;
using namespace cyclone::learner_fixture;

TEST_CASE("DataLoader on CUDA: the CPU loader's batches, through the upload stream" * doctest::test_suite("cuda")) {
  if (!test::cuda_or_skip()) return;
  auto set = synth(70, 3);
  train::LoaderOptions o;
  o.batch_size = 16;
  o.seed = 11;
  o.augment.normalize = "fashion-mnist";
  o.augment.crop_padding = 2;
  o.augment.flip = true;
  train::DataLoader cpu(set, o);
  for (int prefetch : {1, 3}) {
    INFO("prefetch " << prefetch);
    o.prefetch = prefetch;
    o.device = kCUDA;
    train::DataLoader gpu(set, o);
    o.device = kCPU;
    for (int64_t epoch : {0, 1}) {
      cpu.start_epoch(epoch);
      gpu.start_epoch(epoch, epoch == 1 ? 2 : 0);  // epoch 1 resumes at batch 2
      std::vector<train::Batch> want, got;
      while (auto b = cpu.next()) want.push_back(*b);
      while (auto b = gpu.next()) got.push_back(*b);  // all kept: later uploads must not touch them
      const size_t skip = epoch == 1 ? 2 : 0;
      REQUIRE(got.size() + skip == want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].index == want[i + skip].index);
        CHECK(got[i].x.is_cuda());
        CHECK(got[i].x.to(kCPU).to_vector() == want[i + skip].x.to_vector());
        CHECK(got[i].y.to(kCPU).to_vector<int64_t>() == want[i + skip].y.to_vector<int64_t>());
      }
    }
  }
}
