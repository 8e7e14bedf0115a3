// The backend contract for the fused optimizer updates: one call updates up to
// kMaxTensors parameters in place (a multi-tensor apply). Same rule as contract.h:
// the list is written once and declared in kernels::cpu and kernels::cuda.
//
// The arithmetic replays PyTorch's single-tensor (foreach=False) float32 path
// operation by operation, as its CPU kernels run on an AVX2/AVX-512 machine
// (its default dispatch there): `add_(x, alpha=a)` is fma(a, x, self) and
// `addcmul_(x, y, value=v)` is fma(v * x, y, self), one rounding each;
// `mul_`, `sqrt`, `/` and `addcdiv_` (self + (v * x) / y) round after every
// operation. Both backends write these fmas explicitly (std::fma, __fmaf_rn)
// and nothing else is contracted, so CPU and CUDA agree bit for bit.
// Every scalar is computed on the host in double and rounded to float once,
// as PyTorch converts a Python float to the tensor's dtype.
#pragma once
#include <cstdint>

namespace cyclone::kernels {

// Tensors per call. A longer list is split by the caller into several calls.
// 32 keeps the lists (passed by value to a CUDA kernel) well under the 4 KB
// kernel-parameter limit.
inline constexpr int kOptimMaxTensors = 32;

// Dense float32 tensors for SGD. All pointers of one entry have numel[i]
// elements on the backend's device.
struct SgdTensorList {
  int count = 0;
  int64_t numel[kOptimMaxTensors] = {};
  float* param[kOptimMaxTensors] = {};
  const float* grad[kOptimMaxTensors] = {};
  float* momentum_buffer[kOptimMaxTensors] = {};  // null when momentum == 0
  // 1: the buffer is new this step and is set to d_p (PyTorch's clone), not updated.
  uint8_t init_buffer[kOptimMaxTensors] = {};
};

// Per element, with d = grad:
//   if has_weight_decay: d = fma(weight_decay, p, d)            d_p.add(param, alpha=wd)
//   if has_momentum:     buf = init ? d : fma(one_minus_dampening, d, buf * momentum)
//                        d = nesterov ? fma(momentum, buf, d) : buf
//   p = fma(neg_lr, d, p)                                        param.add_(d_p, alpha=-lr)
struct SgdHyper {
  float neg_lr = 0.f;                // (float)(-lr)
  float momentum = 0.f;              // (float)momentum
  float one_minus_dampening = 1.f;   // (float)(1 - dampening)
  float weight_decay = 0.f;          // (float)weight_decay
  bool has_momentum = false;         // momentum != 0, decided in double
  bool has_weight_decay = false;     // weight_decay != 0, decided in double
  bool nesterov = false;
};

// Dense float32 tensors for Adam/AdamW, with each parameter's own step scalars
// (PyTorch keeps one step count per parameter).
struct AdamTensorList {
  int count = 0;
  int64_t numel[kOptimMaxTensors] = {};
  float* param[kOptimMaxTensors] = {};
  const float* grad[kOptimMaxTensors] = {};
  float* exp_avg[kOptimMaxTensors] = {};
  float* exp_avg_sq[kOptimMaxTensors] = {};
  float* max_exp_avg_sq[kOptimMaxTensors] = {};   // null unless amsgrad
  float neg_step_size[kOptimMaxTensors] = {};     // (float)(-lr / (1 - beta1^step))
  float bias_correction2_sqrt[kOptimMaxTensors] = {};  // (float)sqrt(1 - beta2^step)
};

// Per element, with g = grad:
//   if coupled_weight_decay: g = fma(weight_decay, p, g)        Adam: grad.add(param, alpha=wd)
//   if decoupled_weight_decay: p = p * decay                     AdamW: param.mul_(1 - lr*wd)
//   m = fma(one_minus_beta1, g, m * beta1)
//   v = fma(one_minus_beta2 * g, g, v * beta2)
//   if amsgrad: vmax = max(vmax, v) (NaN propagates); s = amsgrad ? vmax : v
//   denom = sqrt(s) / bias_correction2_sqrt + eps
//   p = p + (neg_step_size * m) / denom                          param.addcdiv_(m, denom, -step_size)
struct AdamHyper {
  float beta1 = 0.f, one_minus_beta1 = 0.f;  // (float)beta1, (float)(1 - beta1)
  float beta2 = 0.f, one_minus_beta2 = 0.f;
  float eps = 0.f;
  float weight_decay = 0.f;  // coupled (Adam)
  float decay = 1.f;         // decoupled (AdamW): (float)(1 - lr * weight_decay)
  bool coupled_weight_decay = false;
  bool decoupled_weight_decay = false;
  bool amsgrad = false;
};

}  // namespace cyclone::kernels

// clang-format off
#define CYCLONE_OPTIM_CONTRACT                                                    \
  /* One SGD step for every tensor of the list, in place (see SgdHyper). */      \
  void sgd_multi(const SgdTensorList& list, const SgdHyper& h);                 \
  /* One Adam/AdamW step for every tensor of the list, in place (AdamHyper). */  \
  void adam_multi(const AdamTensorList& list, const AdamHyper& h);
// clang-format on

namespace cyclone::kernels::cpu { CYCLONE_OPTIM_CONTRACT }
namespace cyclone::kernels::cuda { CYCLONE_OPTIM_CONTRACT }
