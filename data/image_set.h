// ImageSet: a whole labelled image dataset held in memory as uint8 NCHW pixels,
// plus the small helpers (checks, subsets) that every reader and loader shares.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cyclone::data {

// Which half of a dataset to read.
enum class Split { train, test };

// "train" or "test", for messages and folder names.
const char* split_name(Split split);

struct ImageSet {
  int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<uint8_t> pixels;  // n * channels * height * width, NCHW
  std::vector<int64_t> labels;  // n entries, each in [0, class_names.size())
  std::vector<std::string> class_names;

  int64_t image_size() const { return channels * height * width; }
  const uint8_t* image(int64_t i) const { return pixels.data() + i * image_size(); }
  uint8_t* image(int64_t i) { return pixels.data() + i * image_size(); }
};

// Throws std::invalid_argument (prefixed by `what`) unless the buffers agree with
// n/channels/height/width and every label indexes class_names.
void check_image_set(const ImageSet& set, const std::string& what);

// The images at `indices`, in that order (indices may repeat).
ImageSet subset_indices(const ImageSet& set, std::span<const int64_t> indices);

// n indices spread evenly over [0, total): index i * total / n, so every part of a
// class-sorted set stays represented. All of [0, total) when n is 0 or at least total.
std::vector<int64_t> spread_indices(int64_t total, int64_t n);

// fastai's RandomSplitter: a seeded random fraction of the images (rounded, at least one
// when the fraction is above 0) as a validation set, the rest as a training set, each in the
// set's order. Throws std::invalid_argument unless 0 < valid_fraction < 1 and both parts
// are non-empty.
struct SplitSets {
  ImageSet train, valid;
};
SplitSets random_split(const ImageSet& set, double valid_fraction, uint64_t seed);

// The first n images (all of them if n >= set.n).
ImageSet subset_first(const ImageSet& set, int64_t n);

// The first n_per_class images of each class, keeping the original order.
ImageSet subset_per_class(const ImageSet& set, int64_t n_per_class);

// Number of images per class (size = class_names.size()).
std::vector<int64_t> class_counts(const ImageSet& set);

}  // namespace cyclone::data
