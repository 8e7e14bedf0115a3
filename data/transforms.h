// Image transforms on float CHW buffers: uint8 -> float, per-channel normalisation,
// padding (zero or reflect) with cropping, horizontal flip and cutout. Each function
// here is deterministic; the random choices are made in augment.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace cyclone::data {

enum class PadMode { zero, reflect };

// Per-channel statistics; empty vectors mean "leave the values as they are".
struct NormalizeStats {
  std::string name;
  std::vector<float> mean, stddev;
};

// Presets: "none", "cifar10", "imagenet", "fashion-mnist". Other names throw
// std::invalid_argument listing the valid ones.
NormalizeStats normalize_preset(const std::string& name);

// dst[i] = src[i] / 255.
void to_float(const uint8_t* src, int64_t count, float* dst);

// x = (x - mean[c]) / stddev[c] for each channel of one CHW image (in place).
void normalize(float* chw, int64_t c, int64_t h, int64_t w, std::span<const float> mean, std::span<const float> stddev);
void normalize(float* chw, int64_t c, int64_t h, int64_t w, const NormalizeStats& stats);

// Index into [0, n) for a position i of a reflect-padded axis, as numpy.pad(mode='reflect')
// (the edge is not repeated: -1 -> 1, n -> n-2). Needs -(n-1) <= i <= 2n-2.
int64_t reflect_index(int64_t i, int64_t n);

// Pads each channel by `pad` on all four sides: dst is c x (h+2pad) x (w+2pad).
// Reflect mode needs pad < h and pad < w.
void pad_image(const float* src, int64_t c, int64_t h, int64_t w, int64_t pad, PadMode mode, float* dst);

// The h x w window at (top, left) of the padded image, without building it: the same as
// pad_image followed by a crop. top and left are in [0, 2*pad].
void crop_padded(const float* src, int64_t c, int64_t h, int64_t w, int64_t pad, PadMode mode, int64_t top,
                 int64_t left, float* dst);

// Mirrors each row of a CHW image in place.
void hflip(float* chw, int64_t c, int64_t h, int64_t w);

// Zeroes rows [cy - size/2, cy - size/2 + size) x the same columns around cx, clipped to
// the image, in every channel.
void cutout(float* chw, int64_t c, int64_t h, int64_t w, int64_t size, int64_t cy, int64_t cx);

}  // namespace cyclone::data
