// CUDA strided copy with dtype conversion (dims collapsed, int32 indices where
// they fit), fill, and Philox random fills
// (the same generator as the CPU, so the same seed gives the same numbers).
#include "kernels/contract.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/index_walk.cuh"
#include "kernels/cuda/launch.h"
#include "kernels/philox.h"

namespace cyclone::kernels::cuda {
namespace {

// I: int32_t when the tensor allows it (kernels/cuda/index_walk.cuh), else int64_t.
template <class S, class D, class I>
__global__ void copy_kernel(const S* src, Layout ls, D* dst, Layout ld, I n) {
  for (I i = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x); i < n; i += I(blockDim.x) * I(gridDim.x)) {
    dst[offset_in(ld, i)] = static_cast<D>(src[offset_in(ls, i)]);
  }
}

template <class T>
__global__ void fill_kernel(T* dst, int64_t n, T v) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) dst[i] = v;
}

__global__ void uniform_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    out[i] = philox_uniform_in(seed, offset, i, lo, hi);
  }
}

__global__ void normal_kernel(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    out[i] = philox_normal_with(seed, offset, i, mean, std);
  }
}

template <class S, class D>
void launch_copy(const void* src, Layout ls, void* dst, Layout ld, int64_t n) {
  Layout* layouts[] = {&ls, &ld};
  collapse_dims(layouts, 2);
  if (fits_int32(n)) {
    launch<copy_kernel<S, D, int32_t>>({blocks_for(n), 256, 0, stream()}, static_cast<const S*>(src), ls,
                                       static_cast<D*>(dst), ld, int32_t(n));
  } else {
    launch<copy_kernel<S, D, int64_t>>({blocks_for(n), 256, 0, stream()}, static_cast<const S*>(src), ls,
                                       static_cast<D*>(dst), ld, n);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

template <class S>
void copy_from(const void* src, Layout ls, DType dt, void* dst, Layout ld, int64_t n) {
  switch (dt) {
    case DType::f32: return launch_copy<S, float>(src, ls, dst, ld, n);
    case DType::i64: return launch_copy<S, int64_t>(src, ls, dst, ld, n);
    case DType::u8: return launch_copy<S, uint8_t>(src, ls, dst, ld, n);
  }
}

}  // namespace

void copy(DType st, const void* src, Layout ls, DType dt, void* dst, Layout ld, int64_t n) {
  if (st == dt && ls.contiguous && ld.contiguous) {
    CYCLONE_CUDA_CHECK(cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * dtype_size(st), cudaMemcpyDeviceToDevice, stream()));
    return;
  }
  switch (st) {
    case DType::f32: return copy_from<float>(src, ls, dt, dst, ld, n);
    case DType::i64: return copy_from<int64_t>(src, ls, dt, dst, ld, n);
    case DType::u8: return copy_from<uint8_t>(src, ls, dt, dst, ld, n);
  }
}

void fill(DType t, void* dst, int64_t n, double v) {
  switch (t) {
    case DType::f32: launch<fill_kernel<float>>({blocks_for(n), 256, 0, stream()}, static_cast<float*>(dst), n, static_cast<float>(v)); break;
    case DType::i64: launch<fill_kernel<int64_t>>({blocks_for(n), 256, 0, stream()}, static_cast<int64_t*>(dst), n, static_cast<int64_t>(v)); break;
    case DType::u8: launch<fill_kernel<uint8_t>>({blocks_for(n), 256, 0, stream()}, static_cast<uint8_t*>(dst), n, static_cast<uint8_t>(v)); break;
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo, float hi) {
  launch<uniform_kernel>({blocks_for(n), 256, 0, stream()}, out, n, seed, offset, lo, hi);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  launch<normal_kernel>({blocks_for(n), 256, 0, stream()}, out, n, seed, offset, mean, std);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
