// CUDA elementwise kernels: a grid-stride loop, one thread per output element,
// with the same scalar math as the CPU (kernels/elementwise_ops.h).
// Memory-bound: bytes = (inputs + output) * 4 per element; a fast path skips
// the index arithmetic when every operand is contiguous.
#include "kernels/contract.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"

namespace cyclone::kernels::cuda {
namespace {

__global__ void unary_kernel(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    y[i] = apply_unary(op, x[lx.offset(i)], a, b);
  }
}

__global__ void binary_kernel(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n,
                              float alpha) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    z[i] = apply_binary(op, x[lx.offset(i)], y[ly.offset(i)], alpha);
  }
}

__global__ void compare_kernel(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z,
                               int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    z[i] = apply_compare(op, x[lx.offset(i)], y[ly.offset(i)]) ? 1 : 0;
  }
}

__global__ void where_kernel(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly,
                             float* z, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    z[i] = c[lc.offset(i)] ? x[lx.offset(i)] : y[ly.offset(i)];
  }
}

}  // namespace

void unary(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b) {
  launch<unary_kernel>({blocks_for(n), 256, 0, stream()}, op, x, lx, y, n, a, b);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void binary(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n, float alpha) {
  launch<binary_kernel>({blocks_for(n), 256, 0, stream()}, op, x, lx, y, ly, z, n, alpha);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void compare(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z, int64_t n) {
  launch<compare_kernel>({blocks_for(n), 256, 0, stream()}, op, x, lx, y, ly, z, n);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void where(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n) {
  launch<where_kernel>({blocks_for(n), 256, 0, stream()}, c, lc, x, lx, y, ly, z, n);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
