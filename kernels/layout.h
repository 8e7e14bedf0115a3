// Layout: the sizes and strides (in elements) that a kernel needs to walk a
// strided, possibly broadcast (stride 0) view. Passed by value to CUDA kernels.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define CYCLONE_HD __host__ __device__ __forceinline__
#else
#define CYCLONE_HD inline
#endif

namespace cyclone::kernels {

constexpr int kMaxDims = 8;

struct Layout {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
  bool contiguous = true;  // dense row-major with no broadcasting: offset(i) == i

  // Offset (in elements) of the i-th element in row-major order.
  CYCLONE_HD int64_t offset(int64_t i) const {
    if (contiguous) return i;
    int64_t off = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t s = sizes[d];
      off += (i % s) * strides[d];
      i /= s;
    }
    return off;
  }
};

}  // namespace cyclone::kernels
