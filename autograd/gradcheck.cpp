// Finite-difference gradient check (see gradcheck.h for the tolerance scheme).
#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "tensor/host_access.h"
#include "tensor/rng.h"

namespace cyclone {
namespace {
double projected(const Tensor& y, const std::vector<float>& w) {
  const std::vector<float> v = y.to_vector<float>();
  double acc = 0;
  for (size_t i = 0; i < v.size(); ++i) acc += static_cast<double>(v[i]) * w[i];
  return acc;
}
}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                          GradcheckOptions opts) {
  for (Tensor& t : inputs) {
    if (!t.device().is_cpu() || t.dtype() != DType::f32 || !t.is_leaf()) {
      throw std::invalid_argument("gradcheck: inputs must be CPU float32 leaf tensors");
    }
    t.set_grad(Tensor());
  }
  Tensor y = f(inputs);
  std::vector<float> w(static_cast<size_t>(y.numel()));
  for (size_t i = 0; i < w.size(); ++i) w[i] = philox_uniform(opts.seed, 0, static_cast<int64_t>(i)) * 2.f - 1.f;
  const Tensor wt = from_vector(w, y.shape());
  sum(mul(y, wt)).backward();

  GradcheckResult res;
  std::ostringstream report;
  int shown = 0;
  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    if (!x.is_contiguous()) throw std::invalid_argument("gradcheck: inputs must be contiguous");
    const std::vector<float> analytic =
        x.grad().defined() ? x.grad().to_vector<float>() : std::vector<float>(static_cast<size_t>(x.numel()), 0.f);
    const std::span<float> p = host_span<float>(x);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float orig = p[i];
      p[i] = orig + static_cast<float>(opts.eps);
      const double hi = projected(f(inputs), w);
      p[i] = orig - static_cast<float>(opts.eps);
      const double lo = projected(f(inputs), w);
      p[i] = orig;
      const double numeric = (hi - lo) / (2 * opts.eps);
      const double err = std::fabs(numeric - analytic[i]);
      res.max_abs_error = std::max(res.max_abs_error, err);
      if (err > opts.atol + opts.rtol * std::fabs(numeric)) {
        res.ok = false;
        if (shown++ < 5) {
          report << "input " << k << " [" << i << "]: analytic " << analytic[i] << " numeric " << numeric << "\n";
        }
      }
    }
  }
  res.report = report.str();
  return res;
}

}  // namespace cyclone
