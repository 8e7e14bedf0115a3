// CPU reference for the fused optimizer updates (kernels/optim_contract.h):
// the per-element formulas written once, threads over the elements of each tensor.
#include <cmath>

#include "kernels/cpu/parallel.h"
#include "kernels/optim_contract.h"

namespace cyclone::kernels::cpu {
namespace {

constexpr int64_t kGrain = 1 << 14;

// torch.maximum: NaN in either operand propagates.
inline float max_propagate_nan(float a, float b) {
  if (std::isnan(a)) return a;
  if (std::isnan(b)) return b;
  return a > b ? a : b;
}

void sgd_range(float* p, const float* grad, float* buf, bool init, const SgdHyper& h, int64_t begin,
               int64_t end) {
  for (int64_t i = begin; i < end; ++i) {
    float d = grad[i];
    if (h.has_weight_decay) d = std::fma(h.weight_decay, p[i], d);
    if (h.has_momentum) {
      buf[i] = init ? d : std::fma(h.one_minus_dampening, d, buf[i] * h.momentum);
      d = h.nesterov ? std::fma(h.momentum, buf[i], d) : buf[i];
    }
    p[i] = std::fma(h.neg_lr, d, p[i]);
  }
}

void adam_range(const AdamTensorList& l, int t, const AdamHyper& h, int64_t begin, int64_t end) {
  float* p = l.param[t];
  const float* grad = l.grad[t];
  float* m = l.exp_avg[t];
  float* v = l.exp_avg_sq[t];
  float* vmax = l.max_exp_avg_sq[t];
  const float neg_step_size = l.neg_step_size[t], bc2_sqrt = l.bias_correction2_sqrt[t];
  for (int64_t i = begin; i < end; ++i) {
    float g = grad[i];
    if (h.coupled_weight_decay) g = std::fma(h.weight_decay, p[i], g);
    if (h.decoupled_weight_decay) p[i] = p[i] * h.decay;
    m[i] = std::fma(h.one_minus_beta1, g, m[i] * h.beta1);
    v[i] = std::fma(h.one_minus_beta2 * g, g, v[i] * h.beta2);
    float s = v[i];
    if (h.amsgrad) s = vmax[i] = max_propagate_nan(vmax[i], v[i]);
    const float denom = std::sqrt(s) / bc2_sqrt + h.eps;
    p[i] = p[i] + (neg_step_size * m[i]) / denom;
  }
}

}  // namespace

void sgd_multi(const SgdTensorList& l, const SgdHyper& h) {
  for (int t = 0; t < l.count; ++t) {
    parallel_for(l.numel[t], kGrain, [&](int64_t begin, int64_t end) {
      sgd_range(l.param[t], l.grad[t], l.momentum_buffer[t], l.init_buffer[t] != 0, h, begin, end);
    });
  }
}

void adam_multi(const AdamTensorList& l, const AdamHyper& h) {
  for (int t = 0; t < l.count; ++t) {
    parallel_for(l.numel[t], kGrain, [&](int64_t begin, int64_t end) { adam_range(l, t, h, begin, end); });
  }
}

}  // namespace cyclone::kernels::cpu
