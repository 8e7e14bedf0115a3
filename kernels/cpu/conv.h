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

}  // namespace cyclone::kernels::cpu
