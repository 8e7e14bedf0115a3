// CPU reference for im2col and its adjoint col2im (convolution as one GEMM
// over the whole batch; see kernels/nn_contract.h for the layout of cols).
// Each thread owns whole rows of cols (im2col) or whole planes of x
// (col2im), so the result does not depend on the thread count.
#include <algorithm>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {
namespace {

// The output columns ox in [lo, hi) whose input column ix = ox * stride + offset lies
// in [0, width); the others read padding.
struct ValidRange {
  int64_t lo, hi, offset;
};

ValidRange valid_range(int64_t out_w, int64_t stride, int64_t offset, int64_t width) {
  // Smallest ox with ox * stride + offset >= 0, and smallest with >= width.
  auto first_at_least = [&](int64_t bound) {
    const int64_t need = bound - offset;
    const int64_t ox = need <= 0 ? 0 : (need + stride - 1) / stride;
    return std::min(ox, out_w);
  };
  const int64_t lo = first_at_least(0);
  return {lo, std::max(lo, first_at_least(width)), offset};
}

}  // namespace

// Row r = (ch*kh + i)*kw + j of cols holds, for every output pixel of every
// image, the input value that kernel tap (i, j) of channel ch sees.
void im2col(const float* x, const ConvGeometry& g, float* cols) {
  const int64_t oh = g.out_h(), ow = g.out_w(), ncols = g.n * oh * ow;
  const int64_t rows = g.c * g.kh * g.kw;
  parallel_for(rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(ncols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t j = r % g.kw, i = (r / g.kw) % g.kh, ch = r / (g.kw * g.kh);
      const ValidRange xs = valid_range(ow, g.sw, j * g.dw - g.pw, g.w);
      float* out = cols + r * ncols;
      for (int64_t b = 0; b < g.n; ++b) {
        const float* plane = x + (b * g.c + ch) * g.h * g.w;
        for (int64_t oy = 0; oy < oh; ++oy, out += ow) {
          const int64_t iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + ow, 0.f);
            continue;
          }
          const float* row = plane + iy * g.w;
          std::fill(out, out + xs.lo, 0.f);
          if (g.sw == 1) {
            std::copy(row + xs.lo + xs.offset, row + xs.hi + xs.offset, out + xs.lo);
          } else {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) out[ox] = row[ox * g.sw + xs.offset];
          }
          std::fill(out + xs.hi, out + ow, 0.f);
        }
      }
    }
  });
}

// x[b][ch] = sum over taps (i, j), in that order, of the cols entries that
// im2col copied out of it. The CUDA version gathers in the same order.
void col2im(const float* cols, const ConvGeometry& g, float* x) {
  const int64_t oh = g.out_h(), ow = g.out_w(), ncols = g.n * oh * ow;
  const int64_t planes = g.n * g.c;
  parallel_for(planes, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t b = p / g.c, ch = p % g.c;
      float* plane = x + p * g.h * g.w;
      std::fill(plane, plane + g.h * g.w, 0.f);
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          const float* src = cols + ((ch * g.kh + i) * g.kw + j) * ncols + b * oh * ow;
          const ValidRange xs = valid_range(ow, g.sw, j * g.dw - g.pw, g.w);
          for (int64_t oy = 0; oy < oh; ++oy, src += ow) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            float* row = plane + iy * g.w;
            if (g.sw == 1) {
              for (int64_t ox = xs.lo; ox < xs.hi; ++ox) row[ox + xs.offset] += src[ox];
            } else {
              for (int64_t ox = xs.lo; ox < xs.hi; ++ox) row[ox * g.sw + xs.offset] += src[ox];
            }
          }
        }
      }
    }
  });
}

}  // namespace cyclone::kernels::cpu
