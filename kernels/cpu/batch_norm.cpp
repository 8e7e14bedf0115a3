// CPU reference for batch normalisation over [n, c, s] (s = h*w): per-channel
// statistics (two passes, accumulated in double), the affine apply with an
// optional fused ReLU, and the two halves of the backward. Reductions run one
// channel per thread in a fixed order, so results do not depend on the
// thread count. Each plane is summed in kLanes interleaved double partial sums
// (element k into lane k % kLanes), added up in lane order at the end of the
// channel: independent chains the CPU can overlap and vectorise, in a fixed order.
// With AVX-512 the lanes are four zmm of doubles; the plain loop computes the very
// same sums (the same additions in the same order), so results do not depend on the CPU.
#include <algorithm>
#include <cmath>

#include <immintrin.h>

#include "kernels/cpu/cpu_features.h"
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

constexpr int kLanes = 32;

// acc[k % kLanes] += f(k) for k in [0, s).
template <class F>
void add_lanes(int64_t s, double* acc, F&& f) {
  int64_t k = 0;
  for (; k + kLanes <= s; k += kLanes) {
    for (int l = 0; l < kLanes; ++l) acc[l] += f(k + l);
  }
  for (int l = 0; k < s; ++k, ++l) acc[l] += f(k);
}

// 8 floats to doubles (the masked form: the plain one passes an undefined vector that GCC 12
// reports as uninitialized).
__attribute__((target("avx512f"), always_inline)) inline __m512d widen(__m256 v) {
  return _mm512_mask_cvtps_pd(_mm512_setzero_pd(), 0xFF, v);
}

// acc[k % 32] += x[k]; with sq: sq[k % 32] += (x[k] - mu)^2 instead.
__attribute__((target("avx512f"))) void lanes_avx512(const float* x, int64_t s, double mu, bool squares, double* acc) {
  __m512d a[4];
  const __m512d m = _mm512_set1_pd(mu);
  for (int q = 0; q < 4; ++q) a[q] = _mm512_loadu_pd(acc + 8 * q);
  int64_t k = 0;
  for (; k + kLanes <= s; k += kLanes) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      __m512d v = widen(_mm256_loadu_ps(x + k + 8 * q));
      if (squares) {
        v = _mm512_sub_pd(v, m);
        v = _mm512_mul_pd(v, v);
      }
      a[q] = _mm512_add_pd(a[q], v);
    }
  }
  for (int q = 0; q < 4; ++q) _mm512_storeu_pd(acc + 8 * q, a[q]);
  for (int l = 0; k < s; ++k, ++l) {
    const double d = squares ? x[k] - mu : double{x[k]};
    acc[l] += squares ? d * d : d;
  }
}

// sdy[k % 32] += dy[k]; sdyx[k % 32] += dy[k] * (x[k] - mu).
__attribute__((target("avx512f"))) void dy_lanes_avx512(const float* dy, const float* x, int64_t s, double mu,
                                                        double* sdy, double* sdyx) {
  __m512d a[4], b[4];
  const __m512d m = _mm512_set1_pd(mu);
  for (int q = 0; q < 4; ++q) a[q] = _mm512_loadu_pd(sdy + 8 * q), b[q] = _mm512_loadu_pd(sdyx + 8 * q);
  int64_t k = 0;
  for (; k + kLanes <= s; k += kLanes) {
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      const __m512d g = widen(_mm256_loadu_ps(dy + k + 8 * q));
      const __m512d d = _mm512_sub_pd(widen(_mm256_loadu_ps(x + k + 8 * q)), m);
      a[q] = _mm512_add_pd(a[q], g);
      b[q] = _mm512_add_pd(b[q], _mm512_mul_pd(g, d));
    }
  }
  for (int q = 0; q < 4; ++q) _mm512_storeu_pd(sdy + 8 * q, a[q]), _mm512_storeu_pd(sdyx + 8 * q, b[q]);
  for (int l = 0; k < s; ++k, ++l) {
    sdy[l] += dy[k];
    sdyx[l] += double{dy[k]} * (x[k] - mu);
  }
}

void plane_sums(const float* x, int64_t s, double* sum) {
  if (cpu_has_avx512()) return lanes_avx512(x, s, 0.0, false, sum);
  add_lanes(s, sum, [&](int64_t k) { return double{x[k]}; });
}

void plane_squares(const float* x, int64_t s, double mu, double* sq) {
  if (cpu_has_avx512()) return lanes_avx512(x, s, mu, true, sq);
  add_lanes(s, sq, [&](int64_t k) {
    const double d = x[k] - mu;
    return d * d;
  });
}

void plane_dy_sums(const float* dy, const float* x, int64_t s, double mu, double* sdy, double* sdyx) {
  if (cpu_has_avx512()) return dy_lanes_avx512(dy, x, s, mu, sdy, sdyx);
  add_lanes(s, sdy, [&](int64_t k) { return double{dy[k]}; });
  add_lanes(s, sdyx, [&](int64_t k) { return double{dy[k]} * (x[k] - mu); });
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
      for_each_plane(n, c, s, ch, [&](int64_t off) { plane_sums(x + off, s, sum); });
      const double mu = total(sum) / m;
      for_each_plane(n, c, s, ch, [&](int64_t off) { plane_squares(x + off, s, mu, sq); });
      mean[ch] = static_cast<float>(mu);
      invstd[ch] = static_cast<float>(1.0 / std::sqrt(total(sq) / m + eps));
    }
  });
}

void batch_norm_apply(const float* x, int64_t n, int64_t c, int64_t s, const float* mean, const float* invstd,
                      const float* weight, const float* bias, const float* residual, bool relu, float* y) {
  parallel_for(n * c, plane_grain(s), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t ch = p % c;
      const float mu = mean[ch], scale = invstd[ch] * (weight ? weight[ch] : 1.f), shift = bias ? bias[ch] : 0.f;
      const float* xp = x + p * s;
      const float* rp = residual ? residual + p * s : nullptr;
      float* yp = y + p * s;
      for (int64_t k = 0; k < s; ++k) {
        float v = (xp[k] - mu) * scale + shift;
        if (rp) v += rp[k];  // rounded as the separate add it replaces
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
      for_each_plane(n, c, s, ch, [&](int64_t off) { plane_dy_sums(dy + off, x + off, s, mu, sdy, sdyx); });
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
