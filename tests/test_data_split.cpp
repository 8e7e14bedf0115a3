// random_split: fastai's RandomSplitter over an ImageSet, seeded, disjoint and order-keeping.
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>
#include <string>

#include "data/image_set.h"
#include "data/synthetic.h"

using namespace cyclone::data;

namespace {
// Each image's pixel bytes, to follow it through a split.
std::vector<std::string> images_of(const ImageSet& s) {
  std::vector<std::string> out;
  for (int64_t i = 0; i < s.n; ++i) out.emplace_back(reinterpret_cast<const char*>(s.image(i)), size_t(s.image_size()));
  return out;
}
}  // namespace

TEST_CASE("random_split holds out a seeded random fraction; the parts are disjoint, complete and in order") {
  const ImageSet all = make_synthetic(200, 1, 8, 8, 10, 3);
  const SplitSets a = random_split(all, 0.2, 7);
  CHECK(a.valid.n == 40);
  CHECK(a.train.n == 160);
  const auto every = images_of(all), train = images_of(a.train), valid = images_of(a.valid);
  std::multiset<std::string> joined(train.begin(), train.end());
  joined.insert(valid.begin(), valid.end());
  CHECK(joined == std::multiset<std::string>(every.begin(), every.end()));
  // Order kept: each part is a subsequence of the set.
  size_t at = 0;
  for (const auto& img : valid) {
    while (at < every.size() && every[at] != img) ++at;
    CHECK(at < every.size());
  }
  // The labels travel with their images.
  for (int64_t i = 0; i < a.valid.n; ++i) {
    for (int64_t j = 0; j < all.n; ++j) {
      if (every[size_t(j)] == valid[size_t(i)]) CHECK(a.valid.labels[size_t(i)] == all.labels[size_t(j)]);
    }
  }
  CHECK(images_of(random_split(all, 0.2, 7).valid) == valid);  // reproducible
  CHECK(images_of(random_split(all, 0.2, 8).valid) != valid);  // another seed, another split
  CHECK(random_split(all, 0.001, 7).valid.n == 1);              // at least one held out
}

TEST_CASE("random_split refuses fractions outside (0, 1) and sets too small to split") {
  const ImageSet all = make_synthetic(3, 1, 8, 8, 10, 3);
  CHECK_THROWS_AS(random_split(all, 0.0, 1), std::invalid_argument);
  CHECK_THROWS_AS(random_split(all, 1.0, 1), std::invalid_argument);
  CHECK_THROWS_WITH(random_split(make_synthetic(1, 1, 8, 8, 10, 3), 0.5, 1), doctest::Contains("too few"));
}
