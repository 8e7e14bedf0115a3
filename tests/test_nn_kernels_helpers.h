// Helpers for the NN kernel tests (test_nn_kernels*.cpp, test_cuda_nn.cpp):
// seeded random buffers, double-precision dot products and naive references.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace cyclone::test {

inline std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

inline double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

inline double abs_dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) * b[i]);
  return s;
}

// Per-channel mean and biased variance of [n, c, s] in double.
struct NaiveStats {
  std::vector<double> mean, var;
};

inline NaiveStats naive_bn_stats(const std::vector<double>& x, int64_t n, int64_t c, int64_t s) {
  NaiveStats st{std::vector<double>(c, 0.0), std::vector<double>(c, 0.0)};
  const double m = static_cast<double>(n * s);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < s; ++k) st.mean[ch] += x[(b * c + ch) * s + k] / m;
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < s; ++k) {
        const double d = x[(b * c + ch) * s + k] - st.mean[ch];
        st.var[ch] += d * d / m;
      }
  return st;
}

inline std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

}  // namespace cyclone::test
