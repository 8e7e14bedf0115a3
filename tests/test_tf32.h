// The TF32 tolerance of the CUDA tests: a TF32 product rounds each operand to
// tf32 (cvt.rna, relative error <= 2^-11), so each product a*b is off by up to
// ~2^-10 |a||b|; `bound` holds sum |a||b| for each output element (the same op
// run on the operands' absolute values), plus fp32 rounding.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace cyclone::test {

// A TF32 GEMM (gemm_v4) against fp32: each operand is rounded to tf32 (relative error
// <= 2^-11), so each product is off by up to ~2^-10 of |a||b|; plus fp32 rounding.
inline void check_tf32_close(const std::vector<float>& got, const std::vector<float>& want, const std::vector<float>& bound) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = std::ldexp(1.0, -10) * 1.01 * bound[i] + 1e-5 * std::fabs(want[i]) + 1e-6;
    if (!(std::fabs(got[i] - want[i]) <= tol)) {
      FAIL_CHECK("element " << i << ": got " << got[i] << ", want " << want[i] << " (TF32 bound " << tol << ")");
      return;
    }
  }
}

}  // namespace cyclone::test
