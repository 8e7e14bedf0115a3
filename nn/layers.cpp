// Layer implementations: shape checks that name the layer, then functional calls.
#include "nn/layers.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/functions.h"
#include "autograd/node.h"
#include "nn/init.h"
#include "tensor/host_access.h"

namespace cyclone::nn {

Sequential::Sequential(std::vector<ModulePtr> mods) {
  for (auto& m : mods) push_back(std::move(m));
}

void Sequential::push_back(ModulePtr m) {
  register_module(std::to_string(mods_.size()), m);
  mods_.push_back(std::move(m));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& m : mods_) h = m->forward(h);
  return h;
}

Conv2d::Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool with_bias, int64_t groups,
               int64_t dilation)
    : in_channels(in), out_channels(out) {
  if (in < 1 || out < 1 || kernel < 1 || groups < 1 || in % groups || out % groups) {
    throw std::invalid_argument("Conv2d: invalid channels/kernel/groups (in " + std::to_string(in) + ", out " +
                                std::to_string(out) + ", kernel " + std::to_string(kernel) + ", groups " +
                                std::to_string(groups) + ")");
  }
  options.stride(stride).padding(padding).dilation(dilation).with_groups(groups);
  weight = empty({out, in / groups, kernel, kernel});
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  register_parameter("weight", &weight);
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fans(weight).first));
    bias = empty({out});
    init::uniform_(bias, -bound, bound);
    register_parameter("bias", &bias);
  }
}

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=(" << weight.size(2) << ", " << weight.size(3)
     << "), stride=(" << options.stride_h << ", " << options.stride_w << ")";
  if (options.pad_h || options.pad_w) os << ", padding=(" << options.pad_h << ", " << options.pad_w << ")";
  if (options.groups != 1) os << ", groups=" << options.groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

Tensor Conv2d::forward(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != in_channels) {
    throw std::invalid_argument("Conv2d(" + extra_repr() + "): expected input [N, " + std::to_string(in_channels) +
                                ", H, W], got " + shape_str(x.shape()));
  }
  return functional::conv2d(x, weight, bias, options);
}

BatchNorm::BatchNorm(int64_t features, int expected_dims, double eps_, double momentum_, bool affine,
                     bool track_running_stats)
    : eps(eps_), momentum(momentum_), expected_dims_(expected_dims), features_(features) {
  if (affine) {
    weight = ones({features});
    bias = zeros({features});
    register_parameter("weight", &weight);
    register_parameter("bias", &bias);
  }
  if (track_running_stats) {
    running_mean = zeros({features});
    running_var = ones({features});
    num_batches_tracked = zeros({}, DType::i64);
    register_buffer("running_mean", &running_mean);
    register_buffer("running_var", &running_var);
    register_buffer("num_batches_tracked", &num_batches_tracked);
  }
}

std::string BatchNorm::extra_repr() const {
  std::ostringstream os;
  os << features_ << ", eps=" << eps << ", momentum=" << momentum << ", affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

Tensor BatchNorm::forward(const Tensor& x) { return forward(x, Tensor()); }

Tensor BatchNorm::forward(const Tensor& x, const Tensor& residual) {
  if (residual.defined() && !fuse_relu) {
    throw std::invalid_argument(type_name() + ": a residual is added only before a fused ReLU (set fuse_relu)");
  }
  const bool dims_ok = expected_dims_ == 4 ? x.dim() == 4 : (x.dim() == 2 || x.dim() == 3);
  if (!dims_ok || x.size(1) != features_) {
    throw std::invalid_argument(type_name() + "(" + std::to_string(features_) + "): expected input " +
                                (expected_dims_ == 4 ? "[N, " + std::to_string(features_) + ", H, W]"
                                                     : "[N, " + std::to_string(features_) + "] or [N, " +
                                                           std::to_string(features_) + ", L]") +
                                ", got " + shape_str(x.shape()));
  }
  const bool use_batch = training_ && !frozen_stats;
  if (use_batch && num_batches_tracked.defined()) {
    NoGradGuard g;
    if (num_batches_tracked.device().is_cpu()) {
      ++host_span<int64_t>(num_batches_tracked)[0];
    } else {  // on the device, through float32: exact up to 2^24 batches, with no host round trip
      num_batches_tracked.copy_(add(num_batches_tracked.to(DType::f32), 1.0).to(DType::i64));
    }
  }
  return functional::batch_norm(x, running_mean, running_var, weight, bias, use_batch, momentum, eps, fuse_relu,
                                residual);
}

Linear::Linear(int64_t in, int64_t out, bool with_bias) : in_features(in), out_features(out) {
  weight = empty({out, in});
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  register_parameter("weight", &weight);
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    bias = empty({out});
    init::uniform_(bias, -bound, bound);
    register_parameter("bias", &bias);
  }
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_features) + ", out_features=" + std::to_string(out_features) +
         ", bias=" + (bias.defined() ? "True" : "False");
}

Tensor Linear::forward(const Tensor& x) {
  if (x.dim() < 1 || x.size(-1) != in_features) {
    throw std::invalid_argument("Linear(" + extra_repr() + "): expected input [..., " + std::to_string(in_features) +
                                "], got " + shape_str(x.shape()));
  }
  return functional::linear(x, weight, bias);
}

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }
Tensor GELU::forward(const Tensor& x) { return gelu(x); }
Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p_, training_); }

}  // namespace cyclone::nn
