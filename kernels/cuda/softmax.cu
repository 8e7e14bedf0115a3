// CUDA row-wise log-softmax and fused softmax cross-entropy (CPU reference:
// kernels/cpu/softmax.cpp).
//   Row kernels: one warp per row when cols <= 1024 (logits: 8 rows per
//     256-thread block), else one 256-thread block per row. Lanes stride the
//     row (coalesced); max and sum use warp shuffles (plus shared memory across
//     warps in block mode). The row is read for the max, again for the sum of
//     exponentials (L1/L2 hits) and once more to write the output.
//   cross_entropy_backward: elementwise, one thread per logit, using the saved
//     logsumexp, so it needs no reduction.
// An out-of-range label (not ignore_index) gives NaN for that row's loss and
// gradient: a kernel cannot throw, and the CPU reference rejects it upfront.
// Napkin bytes: forward 8 per element (read x, write y); cross_entropy_forward
// 4 per element + 16 per row; both backwards 12 per element.
#include <cstdint>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kWarpRowMax = 1024;  // longest row handled by a single warp
constexpr int64_t kMaxBlocks = 65535 * 16;

// The rows this thread's group handles (first, first + step, ...) and its
// position in the group.
struct RowGroup {
  int64_t first, step;
  int tid, size;
};

template <bool kWarp>
__device__ __forceinline__ RowGroup row_group() {
  if constexpr (kWarp) {
    return {(blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32, int64_t(gridDim.x) * blockDim.x / 32,
            static_cast<int>(threadIdx.x % 32), 32};
  } else {
    return {int64_t(blockIdx.x), int64_t(gridDim.x), static_cast<int>(threadIdx.x), static_cast<int>(blockDim.x)};
  }
}

// log(sum(exp(r))) over the group; same special cases as the CPU: an all
// -inf (or any +inf) row gives its max, a NaN gives NaN through the sum.
template <bool kWarp>
__device__ float row_logsumexp(const float* r, int64_t cols, const RowGroup& grp) {
  float m = -INFINITY;
  for (int64_t j = grp.tid; j < cols; j += grp.size) m = fmaxf(m, r[j]);
  m = detail::group_max<kWarp>(m);
  if (isinf(m)) return m;  // uniform across the group
  float s = 0.f;
  for (int64_t j = grp.tid; j < cols; j += grp.size) s += expf(r[j] - m);
  return m + logf(detail::group_sum<kWarp>(s));
}

template <bool kWarp>
__global__ void log_softmax_forward_kernel(const float* __restrict__ x, int64_t rows, int64_t cols,
                                           float* __restrict__ y) {
  const RowGroup grp = row_group<kWarp>();
  for (int64_t row = grp.first; row < rows; row += grp.step) {
    const float* r = x + row * cols;
    const float lse = row_logsumexp<kWarp>(r, cols, grp);
    for (int64_t j = grp.tid; j < cols; j += grp.size) y[row * cols + j] = r[j] - lse;
  }
}

template <bool kWarp>
__global__ void log_softmax_backward_kernel(const float* __restrict__ dy, const float* __restrict__ y, int64_t rows,
                                            int64_t cols, float* __restrict__ dx) {
  const RowGroup grp = row_group<kWarp>();
  for (int64_t row = grp.first; row < rows; row += grp.step) {
    const float* g = dy + row * cols;
    float s = 0.f;
    for (int64_t j = grp.tid; j < cols; j += grp.size) s += g[j];
    s = detail::group_sum<kWarp>(s);
    for (int64_t j = grp.tid; j < cols; j += grp.size) dx[row * cols + j] = g[j] - expf(y[row * cols + j]) * s;
  }
}

template <bool kWarp>
__global__ void cross_entropy_forward_kernel(const float* __restrict__ x, const int64_t* __restrict__ labels,
                                             int64_t rows, int64_t cols, float smoothing, int64_t ignore_index,
                                             float* __restrict__ loss, float* __restrict__ lse) {
  const RowGroup grp = row_group<kWarp>();
  for (int64_t row = grp.first; row < rows; row += grp.step) {
    const float* r = x + row * cols;
    const float l = row_logsumexp<kWarp>(r, cols, grp);
    float sum = 0.f;
    if (smoothing != 0.f) {  // uniform: a kernel argument
      for (int64_t j = grp.tid; j < cols; j += grp.size) sum += r[j];
      sum = detail::group_sum<kWarp>(sum);
    }
    if (grp.tid == 0) {
      const int64_t label = labels[row];
      float out;
      if (label == ignore_index) {
        out = 0.f;
      } else if (label < 0 || label >= cols) {
        out = NAN;
      } else {
        out = l - (1.f - smoothing) * r[label];
        if (smoothing != 0.f) out -= smoothing / static_cast<float>(cols) * sum;
      }
      loss[row] = out;
      lse[row] = l;
    }
  }
}

__global__ void cross_entropy_backward_kernel(const float* __restrict__ dloss, const float* __restrict__ x,
                                              const float* __restrict__ lse, const int64_t* __restrict__ labels,
                                              int64_t rows, int64_t cols, float smoothing, int64_t ignore_index,
                                              float* __restrict__ dx) {
  const float uniform = smoothing / static_cast<float>(cols), target = 1.f - smoothing;
  const int64_t total = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t row = i / cols, j = i - row * cols;
    const int64_t label = labels[row];
    if (label == ignore_index) {
      dx[i] = 0.f;
    } else if (label < 0 || label >= cols) {
      dx[i] = NAN;
    } else {
      const float p = expf(x[i] - lse[row]);
      dx[i] = dloss[row] * (p - (j == label ? target : 0.f) - uniform);
    }
  }
}

unsigned warp_row_blocks(int64_t rows) {
  const int64_t rows_per_block = kThreads / 32;
  const int64_t b = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks);
}

unsigned block_row_blocks(int64_t rows) { return static_cast<unsigned>(rows < kMaxBlocks ? rows : kMaxBlocks); }

}  // namespace

void log_softmax_forward(const float* x, int64_t rows, int64_t cols, float* y) {
  if (rows <= 0 || cols <= 0) return;
  if (cols <= kWarpRowMax) {
    launch<log_softmax_forward_kernel<true>>({warp_row_blocks(rows), kThreads, 0, stream()}, x, rows, cols, y);
  } else {
    launch<log_softmax_forward_kernel<false>>({block_row_blocks(rows), kThreads, 0, stream()}, x, rows, cols, y);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void log_softmax_backward(const float* dy, const float* y, int64_t rows, int64_t cols, float* dx) {
  if (rows <= 0 || cols <= 0) return;
  if (cols <= kWarpRowMax) {
    launch<log_softmax_backward_kernel<true>>({warp_row_blocks(rows), kThreads, 0, stream()}, dy, y, rows, cols, dx);
  } else {
    launch<log_softmax_backward_kernel<false>>({block_row_blocks(rows), kThreads, 0, stream()}, dy, y, rows, cols, dx);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void cross_entropy_forward(const float* x, const int64_t* labels, int64_t rows, int64_t cols, float smoothing,
                           int64_t ignore_index, float* loss, float* lse) {
  if (rows <= 0) return;
  if (cols <= kWarpRowMax) {
    launch<cross_entropy_forward_kernel<true>>({warp_row_blocks(rows), kThreads, 0, stream()}, 
        x, labels, rows, cols, smoothing, ignore_index, loss, lse);
  } else {
    launch<cross_entropy_forward_kernel<false>>({block_row_blocks(rows), kThreads, 0, stream()}, 
        x, labels, rows, cols, smoothing, ignore_index, loss, lse);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void cross_entropy_backward(const float* dloss, const float* x, const float* lse, const int64_t* labels, int64_t rows,
                            int64_t cols, float smoothing, int64_t ignore_index, float* dx) {
  const int64_t total = rows * cols;
  if (rows <= 0 || cols <= 0) return;
  launch<cross_entropy_backward_kernel>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
      dloss, x, lse, labels, rows, cols, smoothing, ignore_index, dx);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
