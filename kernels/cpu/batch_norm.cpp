// CPU reference for batch normalisation over [n, c, s] (s = h*w): per-channel
// statistics (two passes, accumulated in double), the affine apply with an
// optional fused ReLU, and the two halves of the backward. Reductions run one
// channel per thread in a fixed order, so results do not depend on the
// thread count. Each plane is summed in kLanes interleaved double partial sums
// (element k into lane k % kLanes), added up in lane order at the end of the
// channel: independent chains the CPU can overlap and vectorise, in a fixed order.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cpu {
namespace {

// Calls f(plane) for the n planes (contiguous runs of s values) of channel ch.
template <class F>
void for_each_plane(int64_t n, int64_t c, int64_t s, int64_t ch, F&& f) {
  for (int64_t b = 0; b < n; ++b) f((b * c + ch) * s);
}

int64_t plane_grain(int64_t s) { return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(s, 1)); }

constexpr int kLanes = 8;

// acc[k % kLanes] += f(k) for k in [0, s).
template <class F>
void add_lanes(int64_t s, double* acc, F&& f) {
  int64_t k = 0;
  for (; k + kLanes <= s; k += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += f(k + l);
  }
  for (int l = 0; k < s; ++k, ++l) acc[l] += f(k);
}

double total(const double* acc) {
  double t = 0;
  for (int l = 0; l < kLanes; ++l) t += acc[l];
  return t;
}

}  // namespace

// mean = sum(x) / m, var = sum((x - mean)^2) / m (biased), m = n*s.
void batch_norm_stats(const float* x, int64_t n, int64_t c, int64_t s, double eps, float* mean, float* invstd) {
  const double m = static_cast<double>(n * s);
  parallel_for(c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      double sum[kLanes] = {}, sq[kLanes] = {};
      for_each_plane(n, c, s, ch, [&](int64_t off) { add_lanes(s, sum, [&](int64_t k) { return double{x[off + k]}; }); });
      const double mu = total(sum) / m;
      for_each_plane(n, c, s, ch, [&](int64_t off) {
        add_lanes(s, sq, [&](int64_t k) {
          const double d = x[off + k] - mu;
          return d * d;
        });
      });
      mean[ch] = static_cast<float>(mu);
      invstd[ch] = static_cast<float>(1.0 / std::sqrt(total(sq) / m + eps));
    }
  });
}

void batch_norm_apply(const float* x, int64_t n, int64_t c, int64_t s, const float* mean, const float* invstd,
                      const float* weight, const float* bias, bool relu, float* y) {
  parallel_for(n * c, plane_grain(s), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t ch = p % c;
      const float mu = mean[ch], scale = invstd[ch] * (weight ? weight[ch] : 1.f), shift = bias ? bias[ch] : 0.f;
      const float* xp = x + p * s;
      float* yp = y + p * s;
      for (int64_t k = 0; k < s; ++k) {
        const float v = (xp[k] - mu) * scale + shift;
        yp[k] = relu ? std::max(v, 0.f) : v;
      }
    }
  });
}

// sum_dy_xhat = invstd * sum(dy * (x - mean)); both sums in double.
void batch_norm_backward_reduce(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                                const float* invstd, float* sum_dy, float* sum_dy_xhat) {
  parallel_for(c, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ch = c0; ch < c1; ++ch) {
      const double mu = mean[ch];
      double sdy[kLanes] = {}, sdyx[kLanes] = {};
      for_each_plane(n, c, s, ch, [&](int64_t off) {
        add_lanes(s, sdy, [&](int64_t k) { return double{dy[off + k]}; });
        add_lanes(s, sdyx, [&](int64_t k) { return double{dy[off + k]} * (x[off + k] - mu); });
      });
      sum_dy[ch] = static_cast<float>(total(sdy));
      sum_dy_xhat[ch] = static_cast<float>(total(sdyx) * invstd[ch]);
    }
  });
}

// dx = k * (dy - a - (x - mean) * b) with k = w*invstd, a = sum_dy/m,
// b = invstd*sum_dy_xhat/m (training), or dx = k * dy (eval: sum_dy null).
void batch_norm_backward_input(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                               const float* invstd, const float* weight, const float* sum_dy,
                               const float* sum_dy_xhat, float* dx) {
  const float m = static_cast<float>(n * s);
  parallel_for(n * c, plane_grain(s), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t ch = p % c;
      const float k = invstd[ch] * (weight ? weight[ch] : 1.f);
      const float* dyp = dy + p * s;
      float* dxp = dx + p * s;
      if (!sum_dy) {
        for (int64_t i = 0; i < s; ++i) dxp[i] = k * dyp[i];
        continue;
      }
      const float mu = mean[ch], a = sum_dy[ch] / m, b = invstd[ch] * sum_dy_xhat[ch] / m;
      const float* xp = x + p * s;
      for (int64_t i = 0; i < s; ++i) dxp[i] = k * (dyp[i] - a - (xp[i] - mu) * b);
    }
  });
}

}  // namespace cyclone::kernels::cpu
