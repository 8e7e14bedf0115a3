// CUDA 2-D pooling over NCHW planes (CPU reference: kernels/cpu/pool.cpp).
//   forward: one thread per output element (grid-stride), looping over its
//     clipped window; neighbouring threads write neighbouring outputs.
//   backward: a gather, one thread per input element, summing over the
//     outputs whose window covers it in output order: no atomics, and
//     bitwise the CPU's scatter order (max pooling checks the saved argmax).
// Napkin bytes: forward reads n*c*h*w*4 (window overlap hits cache) and
// writes n*c*oh*ow*4 (+8 per output for max indices); backward reads dy
// (+indices) and writes n*c*h*w*4.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kThreads = 256;

#define CYCLONE_GRID_STRIDE(i, total)                                                   \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (total); \
       i += int64_t(blockDim.x) * gridDim.x)

struct Window {
  int64_t y0, y1, x0, x1, divisor;
};

// Same rule as the CPU: clip to the padded input for the divisor (when
// count_include_pad), then to the real input for the elements.
__device__ __forceinline__ Window pool_window(const PoolGeometry& g, int64_t oy, int64_t ox, bool include_pad) {
  int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  int64_t y1 = min(y0 + g.kh, g.h + g.ph), x1 = min(x0 + g.kw, g.w + g.pw);
  const int64_t padded = (y1 - y0) * (x1 - x0);
  y0 = max(y0, int64_t(0));
  x0 = max(x0, int64_t(0));
  y1 = min(y1, g.h);
  x1 = min(x1, g.w);
  return {y0, y1, x0, x1, include_pad ? padded : (y1 - y0) * (x1 - x0)};
}

// Outputs [first, last) along one axis whose window (start o*s - p, length k) covers input i.
__device__ __forceinline__ void covering(int64_t i, int64_t k, int64_t s, int64_t p, int64_t out, int64_t& first,
                                         int64_t& last) {
  first = (i + p < k) ? 0 : (i + p - k) / s + 1;
  last = min((i + p) / s + 1, out);
}

__device__ __forceinline__ int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
__device__ __forceinline__ int64_t adaptive_end(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

__global__ void max_forward_kernel(const float* __restrict__ x, PoolGeometry g, float* __restrict__ y,
                                   int64_t* __restrict__ indices) {
  CYCLONE_GRID_STRIDE(o, g.n * g.c * g.oh * g.ow) {
    const int64_t ox = o % g.ow, oy = (o / g.ow) % g.oh, plane = o / (g.ow * g.oh);
    const float* xp = x + plane * g.h * g.w;
    const Window win = pool_window(g, oy, ox, true);
    float best = -INFINITY;
    int64_t arg = -1;
    for (int64_t iy = win.y0; iy < win.y1; ++iy) {
      for (int64_t ix = win.x0; ix < win.x1; ++ix) {
        const float v = xp[iy * g.w + ix];
        if (arg < 0 || v > best || isnan(v)) {
          best = v;
          arg = iy * g.w + ix;
        }
      }
    }
    y[o] = best;
    indices[o] = arg;
  }
}

__global__ void max_backward_kernel(const float* __restrict__ dy, const int64_t* __restrict__ indices,
                                    PoolGeometry g, float* __restrict__ dx) {
  CYCLONE_GRID_STRIDE(i, g.n * g.c * g.h * g.w) {
    const int64_t ix = i % g.w, iy = (i / g.w) % g.h, plane = i / (g.w * g.h);
    const int64_t flat = iy * g.w + ix;
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, g.kh, g.sh, g.ph, g.oh, oy0, oy1);
    covering(ix, g.kw, g.sw, g.pw, g.ow, ox0, ox1);
    const int64_t base = plane * g.oh * g.ow;
    float acc = 0.f;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      for (int64_t ox = ox0; ox < ox1; ++ox) {
        const int64_t o = base + oy * g.ow + ox;
        if (indices[o] == flat) acc += dy[o];
      }
    }
    dx[i] = acc;
  }
}

__global__ void avg_forward_kernel(const float* __restrict__ x, PoolGeometry g, bool include_pad,
                                   float* __restrict__ y) {
  CYCLONE_GRID_STRIDE(o, g.n * g.c * g.oh * g.ow) {
    const int64_t ox = o % g.ow, oy = (o / g.ow) % g.oh, plane = o / (g.ow * g.oh);
    const float* xp = x + plane * g.h * g.w;
    const Window win = pool_window(g, oy, ox, include_pad);
    float sum = 0.f;
    for (int64_t iy = win.y0; iy < win.y1; ++iy) {
      for (int64_t ix = win.x0; ix < win.x1; ++ix) sum += xp[iy * g.w + ix];
    }
    y[o] = win.divisor > 0 ? sum / static_cast<float>(win.divisor) : 0.f;
  }
}

__global__ void avg_backward_kernel(const float* __restrict__ dy, PoolGeometry g, bool include_pad,
                                    float* __restrict__ dx) {
  CYCLONE_GRID_STRIDE(i, g.n * g.c * g.h * g.w) {
    const int64_t ix = i % g.w, iy = (i / g.w) % g.h, plane = i / (g.w * g.h);
    int64_t oy0, oy1, ox0, ox1;
    covering(iy, g.kh, g.sh, g.ph, g.oh, oy0, oy1);
    covering(ix, g.kw, g.sw, g.pw, g.ow, ox0, ox1);
    const int64_t base = plane * g.oh * g.ow;
    float acc = 0.f;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      for (int64_t ox = ox0; ox < ox1; ++ox) {
        const Window win = pool_window(g, oy, ox, include_pad);
        if (win.divisor > 0) acc += dy[base + oy * g.ow + ox] / static_cast<float>(win.divisor);
      }
    }
    dx[i] = acc;
  }
}

__global__ void adaptive_forward_kernel(const float* __restrict__ x, PoolGeometry g, float* __restrict__ y) {
  CYCLONE_GRID_STRIDE(o, g.n * g.c * g.oh * g.ow) {
    const int64_t ox = o % g.ow, oy = (o / g.ow) % g.oh, plane = o / (g.ow * g.oh);
    const float* xp = x + plane * g.h * g.w;
    const int64_t y0 = adaptive_start(oy, g.h, g.oh), y1 = adaptive_end(oy, g.h, g.oh);
    const int64_t x0 = adaptive_start(ox, g.w, g.ow), x1 = adaptive_end(ox, g.w, g.ow);
    float sum = 0.f;
    for (int64_t iy = y0; iy < y1; ++iy) {
      for (int64_t ix = x0; ix < x1; ++ix) sum += xp[iy * g.w + ix];
    }
    y[o] = sum / static_cast<float>((y1 - y0) * (x1 - x0));
  }
}

// Output i covers input k exactly when floor(k*out/in) <= i < ceil((k+1)*out/in);
// the loop re-checks the window so the bound arithmetic only has to be safe.
__global__ void adaptive_backward_kernel(const float* __restrict__ dy, PoolGeometry g, float* __restrict__ dx) {
  CYCLONE_GRID_STRIDE(i, g.n * g.c * g.h * g.w) {
    const int64_t ix = i % g.w, iy = (i / g.w) % g.h, plane = i / (g.w * g.h);
    const int64_t oy0 = (iy * g.oh) / g.h, oy1 = min(((iy + 1) * g.oh + g.h - 1) / g.h, g.oh);
    const int64_t ox0 = (ix * g.ow) / g.w, ox1 = min(((ix + 1) * g.ow + g.w - 1) / g.w, g.ow);
    const int64_t base = plane * g.oh * g.ow;
    float acc = 0.f;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const int64_t y0 = adaptive_start(oy, g.h, g.oh), y1 = adaptive_end(oy, g.h, g.oh);
      if (iy < y0 || iy >= y1) continue;
      for (int64_t ox = ox0; ox < ox1; ++ox) {
        const int64_t x0 = adaptive_start(ox, g.w, g.ow), x1 = adaptive_end(ox, g.w, g.ow);
        if (ix < x0 || ix >= x1) continue;
        acc += dy[base + oy * g.ow + ox] / static_cast<float>((y1 - y0) * (x1 - x0));
      }
    }
    dx[i] = acc;
  }
}

#undef CYCLONE_GRID_STRIDE

int64_t outputs(const PoolGeometry& g) { return g.n * g.c * g.oh * g.ow; }
int64_t inputs(const PoolGeometry& g) { return g.n * g.c * g.h * g.w; }
// Forward launches need real outputs and inputs; backward ones only inputs
// (with no outputs, dx is all zeros, as on the CPU).
bool no_backward(const PoolGeometry& g) { return g.n <= 0 || g.c <= 0 || g.h <= 0 || g.w <= 0; }
bool no_forward(const PoolGeometry& g) { return no_backward(g) || g.oh <= 0 || g.ow <= 0; }

}  // namespace

void max_pool2d_forward(const float* x, const PoolGeometry& g, float* y, int64_t* indices) {
  if (no_forward(g)) return;
  launch<max_forward_kernel>({blocks_for(outputs(g), kThreads), kThreads, 0, stream()}, x, g, y, indices);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void max_pool2d_backward(const float* dy, const int64_t* indices, const PoolGeometry& g, float* dx) {
  if (no_backward(g)) return;
  launch<max_backward_kernel>({blocks_for(inputs(g), kThreads), kThreads, 0, stream()}, dy, indices, g, dx);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void avg_pool2d_forward(const float* x, const PoolGeometry& g, bool count_include_pad, float* y) {
  if (no_forward(g)) return;
  launch<avg_forward_kernel>({blocks_for(outputs(g), kThreads), kThreads, 0, stream()}, x, g, count_include_pad, y);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void avg_pool2d_backward(const float* dy, const PoolGeometry& g, bool count_include_pad, float* dx) {
  if (no_backward(g)) return;
  launch<avg_backward_kernel>({blocks_for(inputs(g), kThreads), kThreads, 0, stream()}, dy, g, count_include_pad, dx);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void adaptive_avg_pool2d_forward(const float* x, const PoolGeometry& g, float* y) {
  if (no_forward(g)) return;
  launch<adaptive_forward_kernel>({blocks_for(outputs(g), kThreads), kThreads, 0, stream()}, x, g, y);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void adaptive_avg_pool2d_backward(const float* dy, const PoolGeometry& g, float* dx) {
  if (no_backward(g)) return;
  launch<adaptive_backward_kernel>({blocks_for(inputs(g), kThreads), kThreads, 0, stream()}, dy, g, dx);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
