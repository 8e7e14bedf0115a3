// The fused optimizer steps on Tensors: one call updates a list of parameters
// in place (SGD or Adam/AdamW, arithmetic in kernels/optim_contract.h). The
// list is checked (float32, dense, one device, matching shapes) and split into
// backend calls of at most kOptimMaxTensors tensors here.
#pragma once
#include <vector>

#include "kernels/optim_contract.h"
#include "tensor/tensor.h"

namespace cyclone::dispatch {

using kernels::AdamHyper;
using kernels::SgdHyper;

// One parameter of an SGD step. momentum_buffer is undefined when the step has
// no momentum; fresh_buffer says it is new this step (set to d_p, not updated).
struct SgdParam {
  Tensor param, grad, momentum_buffer;
  bool fresh_buffer = false;
};

// One parameter of an Adam/AdamW step with its own bias-correction scalars
// (see AdamTensorList). max_exp_avg_sq is undefined unless amsgrad.
struct AdamParam {
  Tensor param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq;
  float neg_step_size = 0.f, bias_correction2_sqrt = 1.f;
};

void sgd_step(const std::vector<SgdParam>& params, const SgdHyper& h);
void adam_step(const std::vector<AdamParam>& params, const AdamHyper& h);

}  // namespace cyclone::dispatch
