// Shared test helpers: closeness checks with readable failures, and the CUDA
// skip notice used by every test in test_suite("cuda").
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "cyclone.h"

#ifndef CYCLONE_SOURCE_DIR
#define CYCLONE_SOURCE_DIR "."
#endif

namespace cyclone::test {

inline void check_close(const std::vector<float>& got, const std::vector<float>& want, double atol = 1e-5,
                        double rtol = 1e-5) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const bool both_nan = std::isnan(got[i]) && std::isnan(want[i]);
    const bool ok = both_nan || std::fabs(got[i] - want[i]) <= atol + rtol * std::fabs(want[i]);
    if (!ok) {
      FAIL_CHECK("element " << i << ": got " << got[i] << ", want " << want[i]);
      return;
    }
  }
}

inline void check_close(const Tensor& got, const std::vector<float>& want, double atol = 1e-5, double rtol = 1e-5) {
  check_close(got.to_vector<float>(), want, atol, rtol);
}

inline void check_close(const Tensor& got, const Tensor& want, double atol = 1e-5, double rtol = 1e-5) {
  REQUIRE(got.shape() == want.shape());
  check_close(got.to_vector<float>(), want.to_vector<float>(), atol, rtol);
}

// True when a CUDA device is usable; otherwise prints the skip notice once per test.
inline bool cuda_or_skip() {
  if (cuda_available()) return true;
  const std::string note = std::string("skipped: no CUDA device (built with CUDA: ") + (cuda_built() ? "yes" : "no") + ")";
  MESSAGE(note);
  return false;
}

inline Tensor seeded_randn(const Shape& s, uint64_t seed) {
  manual_seed(seed);
  return randn(s);
}

}  // namespace cyclone::test
