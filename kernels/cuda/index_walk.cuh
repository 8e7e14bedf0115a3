// How the CUDA elementwise and copy kernels walk strided operands cheaply:
//   collapse_dims merges the dims that every operand walks as one (for each
//   layout, stride[d] == stride[d+1] * size[d+1]), so a broadcast bias over
//   [n, c, h, w] becomes [n, c, h*w] and offset() divides twice, not thrice;
//   offset_in<I> is Layout::offset in index type I: int32 when the tensor
//   allows it, whose division is a fraction of the cost of a 64-bit one;
//   fits_int32 says when it does (with headroom for the grid stride).
#pragma once
#include <cstdint>

#include "kernels/layout.h"

namespace cyclone::kernels::cuda {

inline bool fits_int32(int64_t n) { return n < (int64_t(1) << 30); }

// Every layout in `ls` has the same sizes (the output's); merges dims in place.
inline void collapse_dims(Layout* const* ls, int count) {
  Layout& first = *ls[0];
  int out = 0;
  for (int d = 0; d < first.ndim; ++d) {
    bool merge = out > 0;
    for (int k = 0; merge && k < count; ++k) {
      const Layout& l = *ls[k];
      merge = l.strides[out - 1] == l.strides[d] * l.sizes[d];
    }
    for (int k = 0; k < count; ++k) {
      Layout& l = *ls[k];
      if (merge) {
        l.sizes[out - 1] *= l.sizes[d];
        l.strides[out - 1] = l.strides[d];
      } else {
        l.sizes[out] = l.sizes[d];
        l.strides[out] = l.strides[d];
      }
    }
    if (!merge) ++out;
  }
  for (int k = 0; k < count; ++k) ls[k]->ndim = out;
}

template <class I>
CYCLONE_HD I offset_in(const Layout& l, I i) {
  if (l.contiguous) return i;
  I off = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    const I s = static_cast<I>(l.sizes[d]);
    off += (i % s) * static_cast<I>(l.strides[d]);
    i /= s;
  }
  return off;
}

}  // namespace cyclone::kernels::cuda
