// Dispatch for the fused optimizer steps: checks every tensor of the list,
// fills the backend's tensor lists in chunks of kOptimMaxTensors and calls
// sgd_multi / adam_multi on the list's device.
#include "tensor/dispatch_optim.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"

namespace cyclone::dispatch {
namespace {

// A float32, dense tensor with param's shape on `device` (named `what` in errors).
float* checked(const Tensor& t, const Tensor& param, Device device, const char* op, const char* what) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": " + what + " is undefined");
  check_dtype(t, DType::f32, op, what);
  if (!(t.device() == device)) {
    throw std::invalid_argument(std::string(op) + ": " + what + " is on " + t.device().str() + ", expected " +
                                device.str());
  }
  if (t.shape() != param.shape()) {
    throw std::invalid_argument(std::string(op) + ": " + what + " " + shape_str(t.shape()) +
                                " does not match its parameter " + shape_str(param.shape()));
  }
  if (!t.is_contiguous()) throw std::invalid_argument(std::string(op) + ": " + what + " must be contiguous");
  return t.data<float>();
}

// Calls fn(first, last) on consecutive chunks of at most kOptimMaxTensors items.
template <class F>
void for_each_chunk(size_t n, F&& fn) {
  const auto max = static_cast<size_t>(kernels::kOptimMaxTensors);
  for (size_t first = 0; first < n; first += max) fn(first, std::min(n, first + max));
}

}  // namespace

void sgd_step(const std::vector<SgdParam>& params, const SgdHyper& h) {
  if (params.empty()) return;
  const Device device = params.front().param.device();
  for_each_chunk(params.size(), [&](size_t first, size_t last) {
    kernels::SgdTensorList list;
    for (size_t i = first; i < last; ++i) {
      const SgdParam& p = params[i];
      const int k = list.count++;
      list.numel[k] = p.param.numel();
      list.param[k] = checked(p.param, p.param, device, "sgd_step", "param");
      list.grad[k] = checked(p.grad, p.param, device, "sgd_step", "grad");
      if (h.has_momentum) list.momentum_buffer[k] = checked(p.momentum_buffer, p.param, device, "sgd_step", "momentum_buffer");
      list.init_buffer[k] = p.fresh_buffer ? 1 : 0;
    }
    CYCLONE_CALL(device, sgd_multi, list, h);
  });
}

void adam_step(const std::vector<AdamParam>& params, const AdamHyper& h) {
  if (params.empty()) return;
  const Device device = params.front().param.device();
  for_each_chunk(params.size(), [&](size_t first, size_t last) {
    kernels::AdamTensorList list;
    for (size_t i = first; i < last; ++i) {
      const AdamParam& p = params[i];
      const int k = list.count++;
      list.numel[k] = p.param.numel();
      list.param[k] = checked(p.param, p.param, device, "adam_step", "param");
      list.grad[k] = checked(p.grad, p.param, device, "adam_step", "grad");
      list.exp_avg[k] = checked(p.exp_avg, p.param, device, "adam_step", "exp_avg");
      list.exp_avg_sq[k] = checked(p.exp_avg_sq, p.param, device, "adam_step", "exp_avg_sq");
      if (h.amsgrad) list.max_exp_avg_sq[k] = checked(p.max_exp_avg_sq, p.param, device, "adam_step", "max_exp_avg_sq");
      list.neg_step_size[k] = p.neg_step_size;
      list.bias_correction2_sqrt[k] = p.bias_correction2_sqrt;
    }
    CYCLONE_CALL(device, adam_multi, list, h);
  });
}

}  // namespace cyclone::dispatch
