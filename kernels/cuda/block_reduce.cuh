// Warp- and block-wide all-reductions (sum, max) shared by the CUDA NN
// kernels: warp shuffles first, then one shared-memory slot per warp. Every
// thread gets the result. Block versions need blockDim.x % 32 == 0 and must
// be reached by every thread of the block.
#pragma once
#include <cuda_runtime.h>

namespace cyclone::kernels::cuda::detail {

constexpr unsigned kFullMask = 0xffffffffu;

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

// fmaxf ignores a NaN operand; callers that must propagate NaN do so through
// a later sum (as the CPU reference does).
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

struct SumOp {
  template <class T>
  __device__ T operator()(T v) const { return warp_sum(v); }
};
struct MaxOp {
  __device__ float operator()(float v) const { return warp_max(v); }
};

template <class T, class WarpOp>
__device__ __forceinline__ T block_allreduce(T v, WarpOp warp_op, T identity) {
  __shared__ T partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_op(v);
  __syncthreads();  // the previous call's readers are done with partial[]
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : identity;
  return warp_op(v);
}

template <class T>
__device__ __forceinline__ T block_sum(T v) { return block_allreduce(v, SumOp{}, T(0)); }

// A row "group" is one warp (kWarp) or the whole block.
template <bool kWarp, class T>
__device__ __forceinline__ T group_sum(T v) {
  if constexpr (kWarp) return warp_sum(v);
  else return block_sum(v);
}

template <bool kWarp>
__device__ __forceinline__ float group_max(float v) {
  if constexpr (kWarp) return warp_max(v);
  else return block_allreduce(v, MaxOp{}, -INFINITY);
}

}  // namespace cyclone::kernels::cuda::detail
