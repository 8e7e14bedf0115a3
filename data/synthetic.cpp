// Synthetic class-conditional images: mean colour + oriented stripes + noise.
#include "data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <string>

#include "data/rng.h"

namespace cyclone::data {

ImageSet make_synthetic(int64_t n, int channels, int h, int w, int classes, uint64_t seed) {
  if (n < 0 || channels < 1 || h < 1 || w < 1 || classes < 1 || classes > 256)
    throw std::invalid_argument(
        "make_synthetic: need n >= 0, channels/h/w >= 1 and 1 <= classes <= 256; got n=" + std::to_string(n) +
        " channels=" + std::to_string(channels) + " h=" + std::to_string(h) + " w=" + std::to_string(w) +
        " classes=" + std::to_string(classes));
  ImageSet set;
  set.n = n;
  set.channels = channels;
  set.height = h;
  set.width = w;
  set.pixels.resize(static_cast<size_t>(n * set.image_size()));
  set.labels.resize(static_cast<size_t>(n));
  for (int k = 0; k < classes; ++k) set.class_names.push_back("class" + std::to_string(k));

  constexpr double pi = std::numbers::pi;
  for (int64_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i % classes);
    set.labels[i] = k;
    SampleRng rng(seed, 0, static_cast<uint64_t>(i));
    const double angle = pi * k / classes;                  // stripe orientation of the class
    const double freq = 2.0 * pi / std::max(4.0, h / 4.0);  // about four stripes per image
    const double phase = 2.0 * pi * rng.uniform();          // per-image shift of the stripes
    uint8_t* img = set.image(i);
    for (int c = 0; c < channels; ++c) {
      // Channel 0's mean is strictly increasing in k; other channels permute the classes.
      const double frac = std::fmod((k + 0.5) / classes + 0.37 * c, 1.0);
      const double mean = 40.0 + 175.0 * frac;
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const double stripe = 20.0 * std::sin(freq * (x * std::cos(angle) + y * std::sin(angle)) + phase);
          const double noise = 12.0 * (rng.uniform() + rng.uniform() - 1.0);
          const double v = std::round(mean + stripe + noise);
          img[(static_cast<int64_t>(c) * h + y) * w + x] = static_cast<uint8_t>(std::clamp(v, 0.0, 255.0));
        }
      }
    }
  }
  return set;
}

}  // namespace cyclone::data
