// Checks, subset helpers and the random validation split for ImageSet.
#include "data/image_set.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "data/rng.h"

namespace cyclone::data {

const char* split_name(Split split) { return split == Split::train ? "train" : "test"; }

void check_image_set(const ImageSet& set, const std::string& what) {
  auto fail = [&](const std::string& msg) { throw std::invalid_argument(what + ": " + msg); };
  if (set.n < 0 || set.channels < 0 || set.height < 0 || set.width < 0)
    fail("negative size n=" + std::to_string(set.n) + " c=" + std::to_string(set.channels) +
         " h=" + std::to_string(set.height) + " w=" + std::to_string(set.width));
  const int64_t want = set.n * set.image_size();
  if (static_cast<int64_t>(set.pixels.size()) != want)
    fail("pixels has " + std::to_string(set.pixels.size()) + " bytes, expected n*c*h*w = " + std::to_string(want));
  if (static_cast<int64_t>(set.labels.size()) != set.n)
    fail("labels has " + std::to_string(set.labels.size()) + " entries, expected n = " + std::to_string(set.n));
  const auto classes = static_cast<int64_t>(set.class_names.size());
  for (int64_t i = 0; i < set.n; ++i) {
    if (set.labels[i] < 0 || set.labels[i] >= classes)
      fail("label " + std::to_string(set.labels[i]) + " of image " + std::to_string(i) + " is outside [0, " +
           std::to_string(classes) + ")");
  }
}

ImageSet subset_indices(const ImageSet& set, std::span<const int64_t> indices) {
  ImageSet out;
  out.n = static_cast<int64_t>(indices.size());
  out.channels = set.channels;
  out.height = set.height;
  out.width = set.width;
  out.class_names = set.class_names;
  out.pixels.resize(out.n * out.image_size());
  out.labels.resize(out.n);
  for (int64_t i = 0; i < out.n; ++i) {
    const int64_t src = indices[i];
    if (src < 0 || src >= set.n)
      throw std::invalid_argument("subset_indices: index " + std::to_string(src) + " is outside [0, " +
                                  std::to_string(set.n) + ")");
    std::memcpy(out.image(i), set.image(src), out.image_size());
    out.labels[i] = set.labels[src];
  }
  return out;
}

SplitSets random_split(const ImageSet& set, double valid_fraction, uint64_t seed) {
  if (!(valid_fraction > 0 && valid_fraction < 1)) {
    throw std::invalid_argument("random_split: the validation fraction must be in (0, 1), got " +
                                std::to_string(valid_fraction));
  }
  const auto n_valid = std::max<int64_t>(1, std::llround(valid_fraction * double(set.n)));
  if (n_valid >= set.n) {
    throw std::invalid_argument("random_split: " + std::to_string(set.n) + " images are too few to hold out " +
                                std::to_string(valid_fraction * 100) + "% and keep some for training");
  }
  // A seeded Fisher-Yates shuffle picks the held-out images; both parts keep the set's order.
  std::vector<int64_t> order(static_cast<size_t>(set.n));
  for (int64_t i = 0; i < set.n; ++i) order[size_t(i)] = i;
  SampleRng rng(seed, 0, 0, 0x5117);
  for (int64_t i = set.n - 1; i > 0; --i) std::swap(order[size_t(i)], order[rng.below(uint64_t(i) + 1)]);
  std::vector<bool> held(static_cast<size_t>(set.n), false);
  for (int64_t k = 0; k < n_valid; ++k) held[size_t(order[size_t(k)])] = true;
  std::vector<int64_t> train_idx, valid_idx;
  for (int64_t i = 0; i < set.n; ++i) (held[size_t(i)] ? valid_idx : train_idx).push_back(i);
  return {subset_indices(set, train_idx), subset_indices(set, valid_idx)};
}

std::vector<int64_t> spread_indices(int64_t total, int64_t n) {
  if (total < 0 || n < 0)
    throw std::invalid_argument("spread_indices: total and n must be >= 0, got " + std::to_string(total) + " and " +
                                std::to_string(n));
  const int64_t count = n > 0 && n < total ? n : total;
  std::vector<int64_t> indices(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) indices[static_cast<size_t>(i)] = i * total / count;
  return indices;
}

ImageSet subset_first(const ImageSet& set, int64_t n) {
  if (n < 0) throw std::invalid_argument("subset_first: n must be >= 0, got " + std::to_string(n));
  std::vector<int64_t> indices(std::min(n, set.n));
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  return subset_indices(set, indices);
}

ImageSet subset_per_class(const ImageSet& set, int64_t n_per_class) {
  if (n_per_class < 0)
    throw std::invalid_argument("subset_per_class: n_per_class must be >= 0, got " + std::to_string(n_per_class));
  std::vector<int64_t> taken(set.class_names.size(), 0), indices;
  for (int64_t i = 0; i < set.n; ++i) {
    const int64_t label = set.labels[i];
    if (label < 0 || label >= static_cast<int64_t>(taken.size()))
      throw std::invalid_argument("subset_per_class: label " + std::to_string(label) + " of image " +
                                  std::to_string(i) + " has no class name");
    if (taken[label] < n_per_class) {
      ++taken[label];
      indices.push_back(i);
    }
  }
  return subset_indices(set, indices);
}

std::vector<int64_t> class_counts(const ImageSet& set) {
  std::vector<int64_t> counts(set.class_names.size(), 0);
  for (int64_t label : set.labels)
    if (label >= 0 && label < static_cast<int64_t>(counts.size())) ++counts[label];
  return counts;
}

}  // namespace cyclone::data
