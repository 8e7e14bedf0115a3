// A synthetic, learnable image set for tests and demos: each class has its own mean
// colour and stripe orientation, plus per-image noise. Deterministic under the seed.
#pragma once

#include <cstdint>

#include "data/image_set.h"

namespace cyclone::data {

// n images of channels x h x w in `classes` classes; image i has label i % classes.
// Class k's first channel has mean 40 + 175 * (k + 0.5) / classes, so even one channel
// separates the classes; stripes and noise make it a little less trivial.
ImageSet make_synthetic(int64_t n, int channels, int h, int w, int classes, uint64_t seed);

}  // namespace cyclone::data
