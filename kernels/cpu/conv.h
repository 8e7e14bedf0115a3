// Convolution on the CPU (the conv2d_* functions of kernels/nn_contract.h),
// one image at a time: an image's im2col columns ([C*kh*kw, Ho*Wo], at most a
// few hundred KB for CIFAR-sized layers) stay in cache, the GEMM writes NCHW
// output directly, and threads take whole images. The columns live in
// per-thread scratch, so conv2d_workspace_size is 0. The CUDA backend instead
// runs one im2col + GEMM over the whole batch (kernels/cuda/conv.cu).
// Results do not depend on the thread count.
#pragma once
#include <cstdint>

#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {

// conv2d_backward_weight sums images in fixed chunks of kWeightChunk, then the
// chunk partials in order, whatever the thread count.
inline constexpr int64_t kWeightChunk = 8;

// How a convolution runs on the CPU:
//   im2col (v1, the reference): im2col per image, then the blocked GEMM; the input gradient
//          is W^T @ dy, then col2im.
//   direct (v2, the default where it applies): the AVX-512 direct convolution of
//          conv_direct.cpp for the forward and, at stride 1, for the input gradient (the
//          forward convolution of dy with the flipped, transposed kernel), and of
//          conv_direct_weight.cpp for the weight gradient.
// Both give the same results up to float reassociation. CYCLONE_CONV_PATH=im2col picks v1.
enum class ConvPath { im2col, direct };
void set_conv_path(ConvPath path);
ConvPath conv_path();

// Whether conv_direct_forward takes this convolution: an AVX-512 CPU, no groups, output
// channels a multiple of 16, no dilation, equal strides (any sizes: tiles are 16 pixels of a
// row, the last of each row partial, or two rows of 8).
bool conv_direct_applies(const ConvGeometry& g, int64_t k, int64_t groups);
// y = conv(x, w) for the whole batch, w [k][c][kh][kw], y [n][k][out_h][out_w].
void conv_direct_forward(const float* x, const float* w, const ConvGeometry& g, int64_t k, float* y);
// The same conditions for the weight gradient, and kh * kw at most 27; dw = sum over images.
bool conv_direct_weight_applies(const ConvGeometry& g, int64_t k, int64_t groups);
void conv_direct_backward_weight(const float* x, const float* dy, const ConvGeometry& g, int64_t k, float* dw);

}  // namespace cyclone::kernels::cpu
