// Test-time augmentation with the training transforms (fastai's tta): beta weighs the plain
// pass, the passes are reproducible, and an augmentation that changes nothing is refused.
#include <doctest/doctest.h>

#include "data/synthetic.h"
#include "nn/models/model.h"
#include "test_learner_helpers.h"

namespace {
using namespace cyclone;

// A ResNet-20 on 3x32x32 synthetic images: big enough for crops and flips to matter.
std::unique_ptr<train::Learner> cifar_like() {
  manual_seed(4);
  train::LoaderOptions o;
  o.batch_size = 32;
  o.shuffle = false;
  o.augment.normalize = "cifar10";
  auto valid = std::make_shared<train::DataLoader>(
      std::make_shared<const data::ImageSet>(data::make_synthetic(64, 3, 32, 32, 10, 2)), o);
  train::LearnerOptions lo;
  lo.quiet = true;
  return std::make_unique<train::Learner>(nn::make_model("resnet20"), valid, valid, lo);
}

data::AugmentConfig crop_and_flip() {
  data::AugmentConfig a;
  a.normalize = "cifar10";
  a.crop_padding = 4;
  a.pad_mode = data::PadMode::reflect;
  a.flip = true;
  return a;
}

}  // namespace

TEST_CASE("predict_probs_augmented: beta 1 is the plain pass, beta 0 the augmented mean, each reproducible") {
  auto l = cifar_like();
  const std::vector<float> plain = l->predict_probs(false).to_vector();
  CHECK(l->predict_probs_augmented(crop_and_flip(), 2, 1.0).to_vector() == plain);
  const std::vector<float> aug = l->predict_probs_augmented(crop_and_flip(), 2, 0.0).to_vector();
  CHECK(aug != plain);
  CHECK(l->predict_probs_augmented(crop_and_flip(), 2, 0.0).to_vector() == aug);  // the same draws
  const std::vector<float> mixed = l->predict_probs_augmented(crop_and_flip(), 2, 0.25).to_vector();
  for (size_t i = 0; i < mixed.size(); ++i) CHECK(mixed[i] == doctest::Approx(0.75 * aug[i] + 0.25 * plain[i]).epsilon(1e-5));
  // Each row is still a distribution.
  for (size_t r = 0; r < mixed.size() / 10; ++r) {
    double sum = 0;
    for (size_t k = 0; k < 10; ++k) sum += mixed[r * 10 + k];
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-5));
  }
  const train::Metrics m = l->validate_tta(crop_and_flip(), 2, 0.25);
  CHECK(m.count == 64);
}

TEST_CASE("predict_probs_augmented refuses an augmentation with nothing to do, or another normalisation") {
  auto l = cifar_like();
  data::AugmentConfig none;
  none.normalize = "cifar10";
  CHECK_THROWS_WITH_AS(l->predict_probs_augmented(none), doctest::Contains("no crop, flip or cutout"), std::invalid_argument);
  data::AugmentConfig other = crop_and_flip();
  other.normalize = "imagenet";
  CHECK_THROWS_WITH_AS(l->predict_probs_augmented(other), doctest::Contains("'imagenet' but validation with 'cifar10'"),
                       std::invalid_argument);
  CHECK_THROWS_AS(l->predict_probs_augmented(crop_and_flip(), 0), std::invalid_argument);
}
