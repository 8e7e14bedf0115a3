// Precise BN: after recalibrate_bn, every BatchNorm's running statistics equal
// the average of the per-batch statistics (computed here by hand, in double),
// whatever they were before; momentum, frozen flags, mode and weights are kept;
// and CUDA gives the CPU's statistics.
#include <cmath>
#include <stdexcept>

#include "data/synthetic.h"
#include "nn/layers.h"
#include "test_helpers.h"
#include "train/precise_bn.h"

using namespace cyclone;

namespace {
constexpr int64_t kC = 3, kHW = 8 * 8, kBatch = 16, kImages = 64;

std::shared_ptr<train::DataLoader> make_loader(bool shuffle, Device device = kCPU) {
  auto set = std::make_shared<const data::ImageSet>(data::make_synthetic(kImages, kC, 8, 8, 10, 5));
  train::LoaderOptions o;
  o.device = device;
  o.batch_size = kBatch;
  o.shuffle = shuffle;
  o.seed = 3;
  o.augment.crop_padding = 4;  // augmentation that recalibrate_bn must switch off by default
  o.augment.flip = true;
  return std::make_shared<train::DataLoader>(std::move(set), o);
}

struct Stats {
  std::vector<double> mean, var;  // per channel: the average over batches of the batch mean / unbiased var
};

// The expected running statistics of bn1 (on the images) and bn2 (on relu(bn1(x)), bn1 in
// train mode with weight w and bias b), over the first `batches` batches of the loader's
// epoch-0 order with no augmentation.
std::pair<Stats, Stats> expected(int64_t batches, const std::vector<float>& w, const std::vector<float>& b) {
  auto like = make_loader(true);
  train::LoaderOptions o = like->options();
  o.augment = o.augment.unaugmented();
  train::DataLoader loader(like->shared_dataset(), o);
  Stats s1{std::vector<double>(kC), std::vector<double>(kC)}, s2 = s1;
  loader.start_epoch(0);
  for (int64_t k = 0; k < batches; ++k) {
    auto batch = loader.next();
    REQUIRE(batch.has_value());
    const std::vector<float> x = batch->x.to_vector();
    const int64_t n = batch->x.size(0), m = n * kHW;
    for (int64_t c = 0; c < kC; ++c) {
      auto moments = [&](auto value) {
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t p = 0; p < kHW; ++p) sum += value(i, p);
        const double mean = sum / double(m);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t p = 0; p < kHW; ++p) sq += (value(i, p) - mean) * (value(i, p) - mean);
        return std::pair{mean, sq / double(m)};  // biased variance
      };
      auto in = [&](int64_t i, int64_t p) { return double(x[(i * kC + c) * kHW + p]); };
      const std::pair<double, double> in_moments = moments(in);
      const double mean1 = in_moments.first, var1 = in_moments.second;
      auto out = [&](int64_t i, int64_t p) {
        return std::max(0.0, (in(i, p) - mean1) / std::sqrt(var1 + 1e-5) * w[c] + b[c]);
      };
      const auto [mean2, var2] = moments(out);
      s1.mean[c] += mean1 / double(batches);
      s1.var[c] += var1 * double(m) / double(m - 1) / double(batches);
      s2.mean[c] += mean2 / double(batches);
      s2.var[c] += var2 * double(m) / double(m - 1) / double(batches);
    }
  }
  return {s1, s2};
}

void check_stats(const nn::BatchNorm& bn, const Stats& want) {
  const std::vector<float> mean = bn.running_mean.to_vector(), var = bn.running_var.to_vector();
  for (int64_t c = 0; c < kC; ++c) {
    CHECK(mean[c] == doctest::Approx(want.mean[c]).epsilon(1e-4));
    CHECK(var[c] == doctest::Approx(want.var[c]).epsilon(1e-4));
  }
}

struct Net {
  std::shared_ptr<nn::BatchNorm2d> bn1 = std::make_shared<nn::BatchNorm2d>(kC), bn2 = std::make_shared<nn::BatchNorm2d>(kC);
  nn::Sequential seq{{bn1, std::make_shared<nn::ReLU>(), bn2}};
  Net() {
    bn1->weight.copy_(from_vector(std::vector<float>{2.0f, 0.5f, 1.5f}, {kC}));
    bn1->bias.copy_(from_vector(std::vector<float>{0.5f, -0.25f, 0.0f}, {kC}));
    // Stale statistics and a non-default momentum: the result must not depend on either.
    for (auto* bn : {bn1.get(), bn2.get()}) {
      bn->running_mean.fill_(5.0);
      bn->running_var.fill_(7.0);
      bn->momentum = 0.3;
    }
  }
};
}  // namespace

TEST_CASE("recalibrate_bn: running statistics become the average of the batch statistics") {
  Net net;
  net.bn2->frozen_stats = true;  // frozen layers are recalibrated too, and stay frozen
  net.seq.eval();
  const std::vector<float> w1 = net.bn1->weight.to_vector(), b1 = net.bn1->bias.to_vector();
  auto loader = make_loader(false);

  SUBCASE("the whole set by default") {
    CHECK(train::recalibrate_bn(net.seq, *loader) == kImages / kBatch);
    const auto [s1, s2] = expected(kImages / kBatch, w1, b1);
    check_stats(*net.bn1, s1);
    check_stats(*net.bn2, s2);
    CHECK(net.bn1->num_batches_tracked.item() == doctest::Approx(kImages / kBatch));
  }
  SUBCASE("the first N batches") {
    train::PreciseBnOptions o;
    o.batches = 2;
    CHECK(train::recalibrate_bn(net.seq, *loader, o) == 2);
    const auto [s1, s2] = expected(2, w1, b1);
    check_stats(*net.bn1, s1);
    check_stats(*net.bn2, s2);
  }
  SUBCASE("more batches than the set has: one pass") {
    train::PreciseBnOptions o;
    o.batches = 1000;
    CHECK(train::recalibrate_bn(net.seq, *loader, o) == kImages / kBatch);
  }
  // Everything but the statistics is as it was.
  CHECK(net.bn1->momentum == 0.3);
  CHECK(net.bn2->frozen_stats);
  CHECK_FALSE(net.bn1->frozen_stats);
  CHECK_FALSE(net.seq.is_training());
  CHECK_FALSE(net.bn1->is_training());
  test::check_close(net.bn1->weight, w1, 0, 0);
  test::check_close(net.bn1->bias, b1, 0, 0);
}

TEST_CASE("recalibrate_bn: augmentation on request changes the statistics") {
  Net plain, augmented;
  auto loader = make_loader(false);
  train::recalibrate_bn(plain.seq, *loader);
  train::PreciseBnOptions o;
  o.augment = true;
  train::recalibrate_bn(augmented.seq, *loader, o);
  // Zero padding from the random crops lowers the spread of the inputs.
  CHECK(plain.bn1->running_var.to_vector() != augmented.bn1->running_var.to_vector());
}

TEST_CASE("recalibrate_bn: bad input") {
  auto loader = make_loader(false);
  nn::Sequential no_bn{{std::make_shared<nn::ReLU>()}};
  CHECK_THROWS_WITH_AS(train::recalibrate_bn(no_bn, *loader), doctest::Contains("no BatchNorm"), std::invalid_argument);
  Net net;
  train::PreciseBnOptions o;
  o.batches = -1;
  CHECK_THROWS_WITH_AS(train::recalibrate_bn(net.seq, *loader, o), doctest::Contains("batches must be >= 0"),
                       std::invalid_argument);
  // A shape error inside the pass (the second BN expects 5 channels) leaves statistics,
  // momentum and mode as they were, in the layer it had already reset as well.
  auto ok = std::make_shared<nn::BatchNorm2d>(kC);
  nn::Sequential wrong{{ok, std::make_shared<nn::BatchNorm2d>(5)}};
  ok->running_mean.fill_(5.0);
  ok->running_var.fill_(7.0);
  wrong.eval();
  CHECK_THROWS_AS(train::recalibrate_bn(wrong, *loader), std::invalid_argument);
  CHECK_FALSE(wrong.is_training());
  CHECK(ok->momentum == 0.1);
  test::check_close(ok->running_mean, std::vector<float>(kC, 5.0f), 0, 0);
  test::check_close(ok->running_var, std::vector<float>(kC, 7.0f), 0, 0);
  CHECK(ok->num_batches_tracked.item() == 0);
}

TEST_CASE("recalibrate_bn on CUDA = on the CPU" * doctest::test_suite("cuda")) {
  if (!test::cuda_or_skip()) return;
  Net cpu, gpu;
  gpu.seq.to(kCUDA);
  gpu.seq.eval();
  train::PreciseBnOptions o;
  o.batches = 3;
  CHECK(train::recalibrate_bn(cpu.seq, *make_loader(false), o) == 3);
  CHECK(train::recalibrate_bn(gpu.seq, *make_loader(false, kCUDA), o) == 3);
  for (auto [c, g] : {std::pair{cpu.bn1, gpu.bn1}, std::pair{cpu.bn2, gpu.bn2}}) {
    test::check_close(g->running_mean.cpu(), c->running_mean, 1e-5, 1e-5);
    test::check_close(g->running_var.cpu(), c->running_var, 1e-5, 1e-5);
    CHECK(g->num_batches_tracked.cpu().item() == 3);
    CHECK(g->momentum == 0.3);
  }
  CHECK_FALSE(gpu.seq.is_training());
}
