// CPU reference for 2-D pooling over NCHW planes: max (with argmax indices),
// average (PyTorch's divisor rules) and adaptive average, forward and
// backward. One plane per thread; backward passes add into dx in output
// order, which the CUDA gathers reproduce exactly.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {
namespace {

// The clipped input window [y0, y1) x [x0, x1) of output (oy, ox), and the
// divisor for average pooling.
struct Window {
  int64_t y0, y1, x0, x1, divisor;
};

Window pool_window(const PoolGeometry& g, int64_t oy, int64_t ox, bool count_include_pad) {
  int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  int64_t y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
  const int64_t padded = (y1 - y0) * (x1 - x0);
  y0 = std::max<int64_t>(y0, 0);
  x0 = std::max<int64_t>(x0, 0);
  y1 = std::min(y1, g.h);
  x1 = std::min(x1, g.w);
  return {y0, y1, x0, x1, count_include_pad ? padded : (y1 - y0) * (x1 - x0)};
}

// PyTorch's adaptive rule: output i covers [floor(i*in/out), ceil((i+1)*in/out)).
int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// Runs f(plane) for every (image, channel) plane, in parallel.
template <class F>
void for_each_plane(const PoolGeometry& g, int64_t work_per_plane, F&& f) {
  const int64_t grain = std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(work_per_plane, 1));
  parallel_for(g.n * g.c, grain, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) f(p);
  });
}

}  // namespace

// The first maximum wins ties; a NaN wins over any number. A window with no
// real element (impossible for PyTorch-valid geometry) gives -inf, index -1.
void max_pool2d_forward(const float* x, const PoolGeometry& g, float* y, int64_t* indices) {
  // 2x2, stride 2, no padding (every window whole): the same comparisons in the same order,
  // without the general window arithmetic.
  const bool two_by_two = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 &&
                          2 * g.oh <= g.h && 2 * g.ow <= g.w;
  if (two_by_two) {
    for_each_plane(g, g.oh * g.ow * 4, [&](int64_t p) {
      const float* xp = x + p * g.h * g.w;
      for (int64_t oy = 0; oy < g.oh; ++oy) {
        const int64_t r0 = 2 * oy * g.w, r1 = r0 + g.w;
        float* yo = y + (p * g.oh + oy) * g.ow;
        int64_t* io = indices + (p * g.oh + oy) * g.ow;
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t at[4] = {r0 + 2 * ox, r0 + 2 * ox + 1, r1 + 2 * ox, r1 + 2 * ox + 1};
          float best = xp[at[0]];
          int64_t arg = at[0];
          for (int k = 1; k < 4; ++k) {
            const float v = xp[at[k]];
            if (v > best || std::isnan(v)) best = v, arg = at[k];
          }
          yo[ox] = best;
          io[ox] = arg;
        }
      }
    });
    return;
  }
  for_each_plane(g, g.oh * g.ow * g.kh * g.kw, [&](int64_t p) {
    const float* xp = x + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window win = pool_window(g, oy, ox, true);
        float best = -std::numeric_limits<float>::infinity();
        int64_t arg = -1;
        for (int64_t iy = win.y0; iy < win.y1; ++iy) {
          for (int64_t ix = win.x0; ix < win.x1; ++ix) {
            const float v = xp[iy * g.w + ix];
            if (arg < 0 || v > best || std::isnan(v)) {
              best = v;
              arg = iy * g.w + ix;
            }
          }
        }
        const int64_t o = (p * g.oh + oy) * g.ow + ox;
        y[o] = best;
        indices[o] = arg;
      }
    }
  });
}

void max_pool2d_backward(const float* dy, const int64_t* indices, const PoolGeometry& g, float* dx) {
  for_each_plane(g, g.h * g.w + g.oh * g.ow, [&](int64_t p) {
    float* dxp = dx + p * g.h * g.w;
    std::fill(dxp, dxp + g.h * g.w, 0.f);
    for (int64_t o = p * g.oh * g.ow; o < (p + 1) * g.oh * g.ow; ++o) {
      if (indices[o] >= 0) dxp[indices[o]] += dy[o];
    }
  });
}

void avg_pool2d_forward(const float* x, const PoolGeometry& g, bool count_include_pad, float* y) {
  for_each_plane(g, g.oh * g.ow * g.kh * g.kw, [&](int64_t p) {
    const float* xp = x + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window win = pool_window(g, oy, ox, count_include_pad);
        float sum = 0.f;
        for (int64_t iy = win.y0; iy < win.y1; ++iy) {
          for (int64_t ix = win.x0; ix < win.x1; ++ix) sum += xp[iy * g.w + ix];
        }
        y[(p * g.oh + oy) * g.ow + ox] = win.divisor > 0 ? sum / static_cast<float>(win.divisor) : 0.f;
      }
    }
  });
}

void avg_pool2d_backward(const float* dy, const PoolGeometry& g, bool count_include_pad, float* dx) {
  for_each_plane(g, g.h * g.w + g.oh * g.ow * g.kh * g.kw, [&](int64_t p) {
    float* dxp = dx + p * g.h * g.w;
    std::fill(dxp, dxp + g.h * g.w, 0.f);
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const Window win = pool_window(g, oy, ox, count_include_pad);
        if (win.divisor <= 0) continue;
        const float share = dy[(p * g.oh + oy) * g.ow + ox] / static_cast<float>(win.divisor);
        for (int64_t iy = win.y0; iy < win.y1; ++iy) {
          for (int64_t ix = win.x0; ix < win.x1; ++ix) dxp[iy * g.w + ix] += share;
        }
      }
    }
  });
}

void adaptive_avg_pool2d_forward(const float* x, const PoolGeometry& g, float* y) {
  for_each_plane(g, g.h * g.w, [&](int64_t p) {
    const float* xp = x + p * g.h * g.w;
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      const int64_t y0 = adaptive_start(oy, g.h, g.oh), y1 = adaptive_end(oy, g.h, g.oh);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t x0 = adaptive_start(ox, g.w, g.ow), x1 = adaptive_end(ox, g.w, g.ow);
        float sum = 0.f;
        for (int64_t iy = y0; iy < y1; ++iy) {
          for (int64_t ix = x0; ix < x1; ++ix) sum += xp[iy * g.w + ix];
        }
        y[(p * g.oh + oy) * g.ow + ox] = sum / static_cast<float>((y1 - y0) * (x1 - x0));
      }
    }
  });
}

void adaptive_avg_pool2d_backward(const float* dy, const PoolGeometry& g, float* dx) {
  for_each_plane(g, g.h * g.w, [&](int64_t p) {
    float* dxp = dx + p * g.h * g.w;
    std::fill(dxp, dxp + g.h * g.w, 0.f);
    for (int64_t oy = 0; oy < g.oh; ++oy) {
      const int64_t y0 = adaptive_start(oy, g.h, g.oh), y1 = adaptive_end(oy, g.h, g.oh);
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t x0 = adaptive_start(ox, g.w, g.ow), x1 = adaptive_end(ox, g.w, g.ow);
        const float share = dy[(p * g.oh + oy) * g.ow + ox] / static_cast<float>((y1 - y0) * (x1 - x0));
        for (int64_t iy = y0; iy < y1; ++iy) {
          for (int64_t ix = x0; ix < x1; ++ix) dxp[iy * g.w + ix] += share;
        }
      }
    }
  });
}

}  // namespace cyclone::kernels::cpu
