// Pieces shared by the AVX-512 direct convolution kernels (conv_direct.cpp for the forward
// and input gradient, conv_direct_weight.cpp for the weight gradient).
#pragma once
#include <cstdint>

#include "kernels/cpu/cpu_features.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {

inline constexpr int64_t kDirectTile = 16;  // output channels per zmm, pixels per tile

// The zero-padded copy of one image that every tap of every tile reads in bounds: at least
// the padded input, and the rows and columns the last output pixel's window reaches.
struct PaddedSize {
  int64_t h, w;
};
PaddedSize padded_size(const ConvGeometry& g);
// x_b [c][h][w] into xp [c][p.h][p.w] at (ph, pw), zero around.
void pad_image(const float* x, const ConvGeometry& g, const PaddedSize& p, float* xp);

}  // namespace cyclone::kernels::cpu
