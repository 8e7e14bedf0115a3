// Parameter initialisers with PyTorch's formulas (torch.nn.init), drawing
// from cyclone's default generator.
#pragma once
#include "tensor/tensor.h"

namespace cyclone::nn::init {

// fan_in = size(1) * receptive field, fan_out = size(0) * receptive field.
std::pair<int64_t, int64_t> fans(const Tensor& w);
void uniform_(Tensor& t, double lo, double hi);
void normal_(Tensor& t, double mean, double std);
// bound = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)) for leaky_relu.
void kaiming_uniform_(Tensor& t, double a = 0.0);
// std = gain / sqrt(fan_in) (fan_in mode, relu gain sqrt(2) when a = 0).
void kaiming_normal_(Tensor& t, double a = 0.0);
void xavier_uniform_(Tensor& t, double gain = 1.0);
void constant_(Tensor& t, double v);

}  // namespace cyclone::nn::init
