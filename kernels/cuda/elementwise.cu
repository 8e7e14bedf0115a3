// CUDA elementwise kernels: a grid-stride loop, one thread per output element,
// with the same scalar math as the CPU (kernels/elementwise_ops.h).
// Memory-bound: bytes = (inputs + output) * 4 per element, so the walk is kept
// cheap (kernels/cuda/index_walk.cuh): when every operand is contiguous and
// 16-byte aligned, threads move float4s (a quarter of the load and store
// instructions, 16 sectors per warp request); otherwise the dims are collapsed
// and indices are int32 whenever the tensor has under 2^30 elements.
#include "kernels/contract.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/index_walk.cuh"
#include "kernels/cuda/launch.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <class I>
__device__ __forceinline__ I first_index() { return I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); }
template <class I>
__device__ __forceinline__ I grid_stride() { return I(blockDim.x) * I(gridDim.x); }

template <class I>
__global__ void unary_kernel(UnaryOp op, const float* x, Layout lx, float* y, I n, float a, float b) {
  for (I i = first_index<I>(); i < n; i += grid_stride<I>()) y[i] = apply_unary(op, x[offset_in(lx, i)], a, b);
}

template <class I>
__global__ void binary_kernel(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, I n,
                              float alpha) {
  for (I i = first_index<I>(); i < n; i += grid_stride<I>())
    z[i] = apply_binary(op, x[offset_in(lx, i)], y[offset_in(ly, i)], alpha);
}

// Contiguous operands as float4, then the n % 4 tail one float at a time.
template <class I>
__global__ void unary_vec4_kernel(UnaryOp op, const float4* x, float4* y, I n, float a, float b) {
  const I n4 = n / 4;
  for (I i = first_index<I>(); i < n4; i += grid_stride<I>()) {
    const float4 v = x[i];
    y[i] = make_float4(apply_unary(op, v.x, a, b), apply_unary(op, v.y, a, b), apply_unary(op, v.z, a, b),
                       apply_unary(op, v.w, a, b));
  }
  for (I i = n4 * 4 + first_index<I>(); i < n; i += grid_stride<I>()) {
    reinterpret_cast<float*>(y)[i] = apply_unary(op, reinterpret_cast<const float*>(x)[i], a, b);
  }
}

template <class I>
__global__ void binary_vec4_kernel(BinaryOp op, const float4* x, const float4* y, float4* z, I n, float alpha) {
  const I n4 = n / 4;
  for (I i = first_index<I>(); i < n4; i += grid_stride<I>()) {
    const float4 u = x[i], v = y[i];
    z[i] = make_float4(apply_binary(op, u.x, v.x, alpha), apply_binary(op, u.y, v.y, alpha),
                       apply_binary(op, u.z, v.z, alpha), apply_binary(op, u.w, v.w, alpha));
  }
  for (I i = n4 * 4 + first_index<I>(); i < n; i += grid_stride<I>()) {
    reinterpret_cast<float*>(z)[i] =
        apply_binary(op, reinterpret_cast<const float*>(x)[i], reinterpret_cast<const float*>(y)[i], alpha);
  }
}

template <class I>
__global__ void compare_kernel(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z, I n) {
  for (I i = first_index<I>(); i < n; i += grid_stride<I>())
    z[i] = apply_compare(op, x[offset_in(lx, i)], y[offset_in(ly, i)]) ? 1 : 0;
}

template <class I>
__global__ void where_kernel(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly,
                             float* z, I n) {
  for (I i = first_index<I>(); i < n; i += grid_stride<I>())
    z[i] = c[offset_in(lc, i)] ? x[offset_in(lx, i)] : y[offset_in(ly, i)];
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void unary(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b) {
  if (n <= 0) return;
  const bool vec = lx.contiguous && aligned16(x) && aligned16(y);
  if (vec && fits_int32(n)) {
    launch<unary_vec4_kernel<int32_t>>({blocks_for((n + 3) / 4, kThreads), kThreads, 0, stream()}, op,
                                       reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y), int32_t(n), a, b);
  } else {
    Layout* ls[] = {&lx};
    collapse_dims(ls, 1);
    if (fits_int32(n)) {
      launch<unary_kernel<int32_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, int32_t(n), a, b);
    } else {
      launch<unary_kernel<int64_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, n, a, b);
    }
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void binary(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n, float alpha) {
  if (n <= 0) return;
  const bool vec = lx.contiguous && ly.contiguous && aligned16(x) && aligned16(y) && aligned16(z);
  if (vec && fits_int32(n)) {
    launch<binary_vec4_kernel<int32_t>>({blocks_for((n + 3) / 4, kThreads), kThreads, 0, stream()}, op,
                                        reinterpret_cast<const float4*>(x), reinterpret_cast<const float4*>(y),
                                        reinterpret_cast<float4*>(z), int32_t(n), alpha);
  } else {
    Layout* ls[] = {&lx, &ly};
    collapse_dims(ls, 2);
    if (fits_int32(n)) {
      launch<binary_kernel<int32_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, ly, z, int32_t(n),
                                     alpha);
    } else {
      launch<binary_kernel<int64_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, ly, z, n, alpha);
    }
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void compare(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z, int64_t n) {
  if (n <= 0) return;
  Layout* ls[] = {&lx, &ly};
  collapse_dims(ls, 2);
  if (fits_int32(n)) {
    launch<compare_kernel<int32_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, ly, z, int32_t(n));
  } else {
    launch<compare_kernel<int64_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, op, x, lx, y, ly, z, n);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void where(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n) {
  if (n <= 0) return;
  Layout* ls[] = {&lc, &lx, &ly};
  collapse_dims(ls, 3);
  if (fits_int32(n)) {
    launch<where_kernel<int32_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, c, lc, x, lx, y, ly, z, int32_t(n));
  } else {
    launch<where_kernel<int64_t>>({blocks_for(n, kThreads), kThreads, 0, stream()}, c, lc, x, lx, y, ly, z, n);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
