// CPU reference for im2col and its adjoint col2im (convolution as one GEMM
// over the whole batch; see kernels/nn_contract.h for the layout of cols).
// Each thread owns whole rows of cols (im2col) or whole planes of x
// (col2im), so the result does not depend on the thread count.
#include <algorithm>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {

// Row r = (ch*kh + i)*kw + j of cols holds, for every output pixel of every
// image, the input value that kernel tap (i, j) of channel ch sees.
void im2col(const float* x, const ConvGeometry& g, float* cols) {
  const int64_t oh = g.out_h(), ow = g.out_w(), ncols = g.n * oh * ow;
  const int64_t rows = g.c * g.kh * g.kw;
  parallel_for(rows, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(ncols, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t j = r % g.kw, i = (r / g.kw) % g.kh, ch = r / (g.kw * g.kh);
      float* out = cols + r * ncols;
      for (int64_t b = 0; b < g.n; ++b) {
        const float* plane = x + (b * g.c + ch) * g.h * g.w;
        for (int64_t oy = 0; oy < oh; ++oy, out += ow) {
          const int64_t iy = oy * g.sh - g.ph + i * g.dh;
          if (iy < 0 || iy >= g.h) {
            std::fill(out, out + ow, 0.f);
            continue;
          }
          const float* src = plane + iy * g.w;
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t ix = ox * g.sw - g.pw + j * g.dw;
            out[ox] = (ix >= 0 && ix < g.w) ? src[ix] : 0.f;
          }
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
          for (int64_t oy = 0; oy < oh; ++oy, src += ow) {
            const int64_t iy = oy * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            float* dst = plane + iy * g.w;
            for (int64_t ox = 0; ox < ow; ++ox) {
              const int64_t ix = ox * g.sw - g.pw + j * g.dw;
              if (ix >= 0 && ix < g.w) dst[ix] += src[ox];
            }
          }
        }
      }
    }
  });
}

}  // namespace cyclone::kernels::cpu
