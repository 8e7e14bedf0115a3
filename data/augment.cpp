// Augmentation pipeline: per-sample random draws and the batch writer.
#include "data/augment.h"

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <vector>

#include "data/rng.h"

namespace cyclone::data {
namespace {

enum Stream : uint64_t { kCropStream = 1, kFlipStream = 2, kCutoutStream = 3 };

void check_config(const AugmentConfig& config, int64_t h, int64_t w) {
  if (config.crop_padding < 0) throw std::invalid_argument("AugmentConfig::crop_padding must be >= 0");
  if (config.cutout < 0) throw std::invalid_argument("AugmentConfig::cutout must be >= 0");
  if (config.flip_p < 0.0f || config.flip_p > 1.0f)
    throw std::invalid_argument("AugmentConfig::flip_p must be in [0, 1]");
  if (config.pad_mode == PadMode::reflect && config.crop_padding > 0 &&
      (config.crop_padding >= h || config.crop_padding >= w))
    throw std::invalid_argument("AugmentConfig: reflect padding " + std::to_string(config.crop_padding) +
                                " needs pad < height and width, images are " + std::to_string(h) + "x" +
                                std::to_string(w));
}

}  // namespace

AugmentDraws draw_augment(const AugmentConfig& config, int64_t height, int64_t width, uint64_t seed, uint64_t epoch,
                          int64_t index) {
  AugmentDraws d;
  const auto sample = static_cast<uint64_t>(index);
  if (config.crop_padding > 0) {
    SampleRng rng(seed, epoch, sample, kCropStream);
    const auto span = static_cast<uint64_t>(2 * config.crop_padding + 1);
    d.top = static_cast<int64_t>(rng.below(span));
    d.left = static_cast<int64_t>(rng.below(span));
  }
  if (config.flip) {
    SampleRng rng(seed, epoch, sample, kFlipStream);
    d.flip = rng.uniform() < config.flip_p;
  }
  if (config.cutout > 0) {
    SampleRng rng(seed, epoch, sample, kCutoutStream);
    d.cy = static_cast<int64_t>(rng.below(static_cast<uint64_t>(height)));
    d.cx = static_cast<int64_t>(rng.below(static_cast<uint64_t>(width)));
  }
  return d;
}

void augment_image(const uint8_t* src, int64_t c, int64_t h, int64_t w, const AugmentConfig& config,
                   const NormalizeStats& stats, const AugmentDraws& draws, float* scratch, float* out) {
  if (config.crop_padding > 0) {
    to_float(src, c * h * w, scratch);
    crop_padded(scratch, c, h, w, config.crop_padding, config.pad_mode, draws.top, draws.left, out);
  } else {
    to_float(src, c * h * w, out);
  }
  if (draws.flip) hflip(out, c, h, w);
  normalize(out, c, h, w, stats);
  if (config.cutout > 0) cutout(out, c, h, w, config.cutout, draws.cy, draws.cx);
}

void augment_batch(const ImageSet& src, std::span<const int64_t> indices, const AugmentConfig& config, uint64_t seed,
                   uint64_t epoch, float* out, int64_t* labels_out, int threads) {
  if (threads < 1) throw std::invalid_argument("augment_batch: threads must be >= 1, got " + std::to_string(threads));
  check_config(config, src.height, src.width);
  const NormalizeStats stats = normalize_preset(config.normalize);
  if (!stats.mean.empty() && static_cast<int64_t>(stats.mean.size()) != src.channels)
    throw std::invalid_argument("augment_batch: normalize preset '" + stats.name + "' has " +
                                std::to_string(stats.mean.size()) + " channels but the images have " +
                                std::to_string(src.channels));
  const auto count = static_cast<int64_t>(indices.size());
  for (int64_t i = 0; i < count; ++i)
    if (indices[i] < 0 || indices[i] >= src.n)
      throw std::invalid_argument("augment_batch: index " + std::to_string(indices[i]) + " at batch position " +
                                  std::to_string(i) + " is outside [0, " + std::to_string(src.n) + ")");
  if (static_cast<int64_t>(src.pixels.size()) < src.n * src.image_size())
    throw std::invalid_argument("augment_batch: the image set has fewer pixels than n*c*h*w");

  const int64_t size = src.image_size();
  auto run = [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(size));
    for (int64_t i = begin; i < end; ++i) {
      const int64_t index = indices[i];
      const AugmentDraws draws = draw_augment(config, src.height, src.width, seed, epoch, index);
      augment_image(src.image(index), src.channels, src.height, src.width, config, stats, draws, scratch.data(),
                    out + i * size);
      if (labels_out) labels_out[i] = src.labels[index];
    }
  };
  const int64_t workers = std::clamp<int64_t>(threads, 1, std::max<int64_t>(count, 1));
  std::vector<std::thread> pool;
  for (int64_t t = 1; t < workers; ++t) pool.emplace_back(run, count * t / workers, count * (t + 1) / workers);
  run(0, count / workers);
  for (std::thread& t : pool) t.join();
}

}  // namespace cyclone::data
