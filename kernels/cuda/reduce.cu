// CUDA row reductions: one warp per row for short rows (<= 128 columns, e.g.
// logits), one 256-thread block per row otherwise; warp shuffles, then shared
// memory across warps. Memory-bound: reads rows*cols*4 bytes once.
#include <cfloat>

#include "kernels/contract.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"

namespace cyclone::kernels::cuda {
namespace {

struct SumOp { __device__ float operator()(float a, float b) const { return a + b; } };
struct MaxOp { __device__ float operator()(float a, float b) const { return (a != a || b != b) ? NAN : fmaxf(a, b); } };
struct MinOp { __device__ float operator()(float a, float b) const { return (a != a || b != b) ? NAN : fminf(a, b); } };

template <class Op>
__device__ float warp_reduce(float v, Op op) {
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Reduces within a "group": a warp when kWarp, else the block (through
// block_reduce.cuh, so every thread of every warp gets the result).
template <bool kWarp, class Op>
__device__ float group_reduce(float v, Op op, float identity) {
  auto warp_op = [op](float x) { return warp_reduce(x, op); };
  if constexpr (kWarp) return warp_op(v);
  else return detail::block_allreduce(v, warp_op, identity);
}

template <bool kWarp>
__global__ void reduce_kernel(ReduceOp op, const float* x, float* out, int64_t rows, int64_t cols) {
  const int64_t row = kWarp ? (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32 : blockIdx.x;
  const int tid = kWarp ? threadIdx.x % 32 : threadIdx.x;
  const int nthreads = kWarp ? 32 : blockDim.x;
  if (row >= rows) return;  // whole warps exit together in warp mode
  const float* r = x + row * cols;
  float result = 0.f;
  if (op == ReduceOp::Sum || op == ReduceOp::Mean) {
    float acc = 0.f;
    for (int64_t c = tid; c < cols; c += nthreads) acc += r[c];
    result = group_reduce<kWarp>(acc, SumOp{}, 0.f);
    if (op == ReduceOp::Mean) result /= static_cast<float>(cols);
  } else if (op == ReduceOp::Max || op == ReduceOp::Min) {
    const bool mx = op == ReduceOp::Max;
    float acc = mx ? -INFINITY : INFINITY;
    for (int64_t c = tid; c < cols; c += nthreads) acc = mx ? MaxOp{}(acc, r[c]) : MinOp{}(acc, r[c]);
    result = mx ? group_reduce<kWarp>(acc, MaxOp{}, -INFINITY) : group_reduce<kWarp>(acc, MinOp{}, INFINITY);
  } else {  // LogSumExp = m + log(sum(exp(x - m))), m = max(x)
    float m = -INFINITY;
    for (int64_t c = tid; c < cols; c += nthreads) m = fmaxf(m, r[c]);
    m = group_reduce<kWarp>(m, MaxOp{}, -INFINITY);
    if (isinf(m)) {
      result = m;
    } else {
      float acc = 0.f;
      for (int64_t c = tid; c < cols; c += nthreads) acc += expf(r[c] - m);
      result = m + logf(group_reduce<kWarp>(acc, SumOp{}, 0.f));
    }
  }
  if (tid == 0) out[row] = result;
}

__global__ void argmax_kernel(const float* x, int64_t* out, int64_t rows, int64_t cols) {
  const int64_t row = blockIdx.x;
  const float* r = x + row * cols;
  float best = -INFINITY;
  int64_t idx = -1;
  for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = r[c];
    const bool better = idx < 0 || v > best || (v != v && best == best);
    if (better) { best = v; idx = c; }
  }
  __shared__ float vals[256];
  __shared__ int64_t idxs[256];
  vals[threadIdx.x] = best;
  idxs[threadIdx.x] = idx;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      const float v2 = vals[threadIdx.x + s];
      const int64_t i2 = idxs[threadIdx.x + s];
      const float v1 = vals[threadIdx.x];
      const int64_t i1 = idxs[threadIdx.x];
      const bool nan1 = v1 != v1, nan2 = v2 != v2;
      bool take2 = false;
      if (i2 >= 0) {
        if (i1 < 0) take2 = true;
        else if (nan1 || nan2) take2 = nan2 && (!nan1 || i2 < i1);
        else take2 = v2 > v1 || (v2 == v1 && i2 < i1);
      }
      if (take2) { vals[threadIdx.x] = v2; idxs[threadIdx.x] = i2; }
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) out[row] = idxs[0];
}

}  // namespace

void reduce_rows(ReduceOp op, const float* x, float* out, int64_t rows, int64_t cols) {
  if (cols <= 128) {
    const int64_t threads = rows * 32;
    launch<reduce_kernel<true>>({static_cast<unsigned>((threads + 255) / 256), 256, 0, stream()}, op, x, out, rows, cols);
  } else {
    launch<reduce_kernel<false>>({static_cast<unsigned>(rows), 256, 0, stream()}, op, x, out, rows, cols);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void argmax_rows(const float* x, int64_t* out, int64_t rows, int64_t cols) {
  launch<argmax_kernel>({static_cast<unsigned>(rows), 256, 0, stream()}, x, out, rows, cols);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
