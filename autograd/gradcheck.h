// gradcheck: compares autograd's gradients with central finite differences.
//
// Tolerance scheme (float32 throughout): the function's outputs are projected
// onto fixed random weights w, L = sum(f(x) * w), accumulated in double on the
// host. For each input element, the numerical derivative is
// (L(x + eps) - L(x - eps)) / (2 eps); truncation error is O(eps^2) and the
// float32 rounding error about 1e-7 |L| / eps. With eps = 1e-3 a match means
// |analytic - numeric| <= atol + rtol * |numeric|, defaults atol 1e-2, rtol 1e-2.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace cyclone {

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;
  std::string report;  // first mismatches, "input 0 [3]: analytic 0.1 numeric 0.2"
};

struct GradcheckOptions {
  double eps = 1e-3, atol = 1e-2, rtol = 1e-2;
  uint64_t seed = 1234;
};

// `inputs` must be CPU float32 leaves; those with requires_grad are checked.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          GradcheckOptions opts = {});

}  // namespace cyclone
