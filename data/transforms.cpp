// Deterministic CHW image transforms: conversion, normalisation, pad/crop, flip, cutout.
#include "data/transforms.h"

#include <algorithm>
#include <stdexcept>

namespace cyclone::data {
namespace {

std::string shape_text(int64_t c, int64_t h, int64_t w) {
  return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w);
}

void check_pad(int64_t h, int64_t w, int64_t pad, PadMode mode) {
  if (pad < 0) throw std::invalid_argument("padding must be >= 0, got " + std::to_string(pad));
  if (mode == PadMode::reflect && (pad >= h || pad >= w))
    throw std::invalid_argument("reflect padding " + std::to_string(pad) + " needs pad < height and width, image is " +
                                std::to_string(h) + "x" + std::to_string(w));
}

}  // namespace

NormalizeStats normalize_preset(const std::string& name) {
  if (name == "none") return {name, {}, {}};
  if (name == "cifar10") return {name, {0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (name == "imagenet") return {name, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  if (name == "fashion-mnist") return {name, {0.2860f}, {0.3530f}};
  throw std::invalid_argument("unknown normalize preset '" + name +
                              "'; valid presets: none, cifar10, imagenet, fashion-mnist");
}

void to_float(const uint8_t* src, int64_t count, float* dst) {
  for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(src[i]) / 255.0f;  // as torchvision ToTensor
}

void normalize(float* chw, int64_t c, int64_t h, int64_t w, std::span<const float> mean,
               std::span<const float> stddev) {
  if (static_cast<int64_t>(mean.size()) != c || static_cast<int64_t>(stddev.size()) != c)
    throw std::invalid_argument("normalize: " + std::to_string(mean.size()) + " means and " +
                                std::to_string(stddev.size()) + " stds for an image with " + std::to_string(c) +
                                " channels");
  const int64_t plane = h * w;
  for (int64_t k = 0; k < c; ++k) {
    if (!(stddev[k] > 0.0f))
      throw std::invalid_argument("normalize: std of channel " + std::to_string(k) + " must be > 0");
    const float m = mean[k], s = stddev[k];
    float* p = chw + k * plane;
    for (int64_t i = 0; i < plane; ++i) p[i] = (p[i] - m) / s;  // divide, as torchvision does
  }
}

void normalize(float* chw, int64_t c, int64_t h, int64_t w, const NormalizeStats& stats) {
  if (stats.mean.empty() && stats.stddev.empty()) return;
  if (static_cast<int64_t>(stats.mean.size()) != c)
    throw std::invalid_argument("normalize preset '" + stats.name + "' has " + std::to_string(stats.mean.size()) +
                                " channels but the image has " + std::to_string(c));
  normalize(chw, c, h, w, stats.mean, stats.stddev);
}

int64_t reflect_index(int64_t i, int64_t n) {
  if (n == 1) return 0;
  if (i < 0) i = -i;
  if (i >= n) i = 2 * (n - 1) - i;
  return i;
}

void pad_image(const float* src, int64_t c, int64_t h, int64_t w, int64_t pad, PadMode mode, float* dst) {
  check_pad(h, w, pad, mode);
  const int64_t ph = h + 2 * pad, pw = w + 2 * pad;
  for (int64_t k = 0; k < c; ++k) {
    const float* s = src + k * h * w;
    float* d = dst + k * ph * pw;
    for (int64_t y = 0; y < ph; ++y) {
      for (int64_t x = 0; x < pw; ++x) {
        const int64_t sy = y - pad, sx = x - pad;
        if (mode == PadMode::reflect)
          d[y * pw + x] = s[reflect_index(sy, h) * w + reflect_index(sx, w)];
        else
          d[y * pw + x] = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? s[sy * w + sx] : 0.0f;
      }
    }
  }
}

void crop_padded(const float* src, int64_t c, int64_t h, int64_t w, int64_t pad, PadMode mode, int64_t top,
                 int64_t left, float* dst) {
  check_pad(h, w, pad, mode);
  if (top < 0 || top > 2 * pad || left < 0 || left > 2 * pad)
    throw std::invalid_argument("crop offset (" + std::to_string(top) + ", " + std::to_string(left) +
                                ") is outside [0, " + std::to_string(2 * pad) + "] for padding " + std::to_string(pad) +
                                " of a " + shape_text(c, h, w) + " image");
  const int64_t dy = top - pad, dx = left - pad;  // output (y, x) reads source (y + dy, x + dx)
  for (int64_t k = 0; k < c; ++k) {
    const float* s = src + k * h * w;
    float* d = dst + k * h * w;
    for (int64_t y = 0; y < h; ++y) {
      const int64_t sy = y + dy;
      float* row = d + y * w;
      if (mode == PadMode::zero && (sy < 0 || sy >= h)) {
        std::fill(row, row + w, 0.0f);
        continue;
      }
      const float* srow = s + (mode == PadMode::reflect ? reflect_index(sy, h) : sy) * w;
      for (int64_t x = 0; x < w; ++x) {
        const int64_t sx = x + dx;
        if (sx >= 0 && sx < w)
          row[x] = srow[sx];
        else
          row[x] = mode == PadMode::reflect ? srow[reflect_index(sx, w)] : 0.0f;
      }
    }
  }
}

void hflip(float* chw, int64_t c, int64_t h, int64_t w) {
  for (int64_t r = 0; r < c * h; ++r) std::reverse(chw + r * w, chw + (r + 1) * w);
}

void cutout(float* chw, int64_t c, int64_t h, int64_t w, int64_t size, int64_t cy, int64_t cx) {
  if (size < 0) throw std::invalid_argument("cutout size must be >= 0, got " + std::to_string(size));
  const int64_t y0 = std::max<int64_t>(0, cy - size / 2), y1 = std::min(h, cy - size / 2 + size);
  const int64_t x0 = std::max<int64_t>(0, cx - size / 2), x1 = std::min(w, cx - size / 2 + size);
  for (int64_t k = 0; k < c; ++k)
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) chw[(k * h + y) * w + x] = 0.0f;
}

}  // namespace cyclone::data
