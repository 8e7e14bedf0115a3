// Training-time augmentation pipeline: uint8 images -> float, random crop with padding,
// horizontal flip, normalisation and cutout, written straight into a batch buffer.
// Random choices are keyed by (seed, epoch, dataset index), so a batch is the same for
// any thread count and any processing order.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "data/image_set.h"
#include "data/transforms.h"

namespace cyclone::data {

struct AugmentConfig {
  int crop_padding = 0;  // random crop after padding by this much; 0 = no crop
  PadMode pad_mode = PadMode::zero;
  bool flip = false;  // horizontal flip with probability flip_p
  float flip_p = 0.5f;
  int cutout = 0;                  // side of the zeroed square; 0 = no cutout
  std::string normalize = "none";  // a normalize_preset name

  // The same normalisation with no crop, flip or cutout: the images as validation sees them.
  AugmentConfig unaugmented() const {
    AugmentConfig c = *this;
    c.crop_padding = 0;
    c.flip = false;
    c.cutout = 0;
    return c;
  }
};

// The random choices for one sample.
struct AugmentDraws {
  int64_t top = 0, left = 0;  // crop offset into the padded image, each in [0, 2*crop_padding]
  bool flip = false;
  int64_t cy = 0, cx = 0;  // cutout centre, uniform over the image
};

// Draws for dataset image `index`; each transform uses its own stream.
AugmentDraws draw_augment(const AugmentConfig& config, int64_t height, int64_t width, uint64_t seed, uint64_t epoch,
                          int64_t index);

// One image: to_float -> crop -> flip -> normalize -> cutout (so the cut square is 0 after
// normalisation). `scratch` holds c*h*w floats; `out` receives c*h*w floats.
void augment_image(const uint8_t* src, int64_t c, int64_t h, int64_t w, const AugmentConfig& config,
                   const NormalizeStats& stats, const AugmentDraws& draws, float* scratch, float* out);

// Writes images src[indices[i]] as a float N x C x H x W batch into out, and their labels
// into labels_out (if not null), using `threads` threads (>= 1).
void augment_batch(const ImageSet& src, std::span<const int64_t> indices, const AugmentConfig& config, uint64_t seed,
                   uint64_t epoch, float* out, int64_t* labels_out, int threads = 1);

}  // namespace cyclone::data
