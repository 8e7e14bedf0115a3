// CUDA batch normalisation over [n, c, s] (s = h*w), the elementwise half: apply
// (with an optional residual add and ReLU: a ResNet block's tail in one pass)
// and the input gradient; CPU reference in
// kernels/cpu/batch_norm.cpp. The statistics and backward sums are in
// batch_norm_reduce.cu.
//   Grid-stride loops, one thread per element, 32-bit index math when the
//   tensor allows it.
// Napkin bytes per element: apply 8 (12 with the residual, against 8 + 12 + 8 for
// apply, add and relu as three passes), backward_input 12.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/index_walk.cuh"
#include "kernels/cuda/launch.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// Index is int32_t when n*c*s leaves headroom for the grid stride, else int64_t.
template <class Index>
__global__ void apply_kernel(const float* x, Index total, Index c, Index s,
                             const float* __restrict__ mean, const float* __restrict__ invstd,
                             const float* __restrict__ weight, const float* __restrict__ bias,
                             const float* residual, bool relu, float* y) {  // y may alias x or residual
  for (Index i = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x); i < total;
       i += Index(blockDim.x) * Index(gridDim.x)) {
    const Index ch = (i / s) % c;
    const float scale = invstd[ch] * (weight ? weight[ch] : 1.f), shift = bias ? bias[ch] : 0.f;
    float v = (x[i] - mean[ch]) * scale + shift;
    if (residual) v = __fadd_rn(v, residual[i]);
    y[i] = (relu && v < 0.f) ? 0.f : v;
  }
}

template <class Index>
__global__ void backward_input_kernel(const float* dy, const float* x, Index total,
                                      Index c, Index s, float m, const float* __restrict__ mean,
                                      const float* __restrict__ invstd, const float* __restrict__ weight,
                                      const float* __restrict__ sum_dy, const float* __restrict__ sum_dy_xhat,
                                      float* dx) {  // dx may alias dy
  for (Index i = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x); i < total;
       i += Index(blockDim.x) * Index(gridDim.x)) {
    const Index ch = (i / s) % c;
    const float k = invstd[ch] * (weight ? weight[ch] : 1.f);
    if (!sum_dy) {
      dx[i] = k * dy[i];
    } else {
      const float a = sum_dy[ch] / m, b = invstd[ch] * sum_dy_xhat[ch] / m;
      dx[i] = k * (dy[i] - a - (x[i] - mean[ch]) * b);
    }
  }
}

}  // namespace

void batch_norm_apply(const float* x, int64_t n, int64_t c, int64_t s, const float* mean, const float* invstd,
                      const float* weight, const float* bias, const float* residual, bool relu, float* y) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  if (fits_int32(total)) {
    launch<apply_kernel<int32_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        x, int32_t(total), int32_t(c), int32_t(s), mean, invstd, weight, bias, residual, relu, y);
  } else {
    launch<apply_kernel<int64_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, x, total, c, s, mean, invstd,
                                  weight, bias, residual, relu, y);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void batch_norm_backward_input(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                               const float* invstd, const float* weight, const float* sum_dy,
                               const float* sum_dy_xhat, float* dx) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  const float m = static_cast<float>(n * s);
  if (fits_int32(total)) {
    launch<backward_input_kernel<int32_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        dy, x, int32_t(total), int32_t(c), int32_t(s), m, mean, invstd, weight, sum_dy, sum_dy_xhat, dx);
  } else {
    launch<backward_input_kernel<int64_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        dy, x, total, c, s, m, mean, invstd, weight, sum_dy, sum_dy_xhat, dx);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
