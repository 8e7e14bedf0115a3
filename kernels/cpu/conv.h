// Convolution on the CPU, one image at a time: an image's im2col columns
// ([C*kh*kw, Ho*Wo], at most a few hundred KB for CIFAR-sized layers) stay in
// cache, the GEMM writes NCHW output directly, and threads take whole images.
// The CUDA backend instead runs one im2col + GEMM over the whole batch (see
// nn/functional_conv.cpp). Results do not depend on the thread count.
#pragma once
#include <cstdint>

#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {

// Shape of a (grouped) convolution: input geometry g, k output channels, groups.
struct ConvShape {
  ConvGeometry g;
  int64_t k = 0, groups = 1;
};

// y[n][k][oy][ox] = sum over the group's channels and taps of w * x (no bias).
void conv2d_forward(const float* x, const float* w, const ConvShape& s, float* y);
// dx = the adjoint of the forward in x: per image, dcols = W_g^T @ dy_g, then col2im.
void conv2d_backward_input(const float* dy, const float* w, const ConvShape& s, float* dx);
// dw = sum over images of dy_g @ cols_g^T. Images are summed in fixed chunks of
// kWeightChunk, then the chunk partials in order, whatever the thread count.
void conv2d_backward_weight(const float* x, const float* dy, const ConvShape& s, float* dw);

inline constexpr int64_t kWeightChunk = 8;

}  // namespace cyclone::kernels::cpu
