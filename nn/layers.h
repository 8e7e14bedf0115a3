// The standard layers, each a thin Module around nn/functional.h, with
// PyTorch's parameter names and default initialisation.
#pragma once
#include <memory>
#include <vector>

#include "nn/functional.h"
#include "nn/module.h"

namespace cyclone::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<ModulePtr> mods);
  void push_back(ModulePtr m);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  size_t size() const { return mods_.size(); }
  ModulePtr operator[](size_t i) const { return mods_.at(i); }

 private:
  std::vector<ModulePtr> mods_;
};

class Conv2d : public Module {
 public:
  // kaiming_uniform(a=sqrt 5) weights and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) bias, as PyTorch.
  Conv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0, bool bias = true,
         int64_t groups = 1, int64_t dilation = 1);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Conv2d"; }
  std::string extra_repr() const override;
  Tensor weight, bias;
  functional::Conv2dOptions options;
  int64_t in_channels, out_channels;
};

class BatchNorm : public Module {
 public:
  BatchNorm(int64_t features, int expected_dims, double eps = 1e-5, double momentum = 0.1, bool affine = true,
            bool track_running_stats = true);
  Tensor forward(const Tensor& x) override;
  // relu(bn(x) + residual) in one pass (a ResNet block's tail); fuse_relu must be set.
  Tensor forward(const Tensor& x, const Tensor& residual);
  std::string type_name() const override { return expected_dims_ == 4 ? "BatchNorm2d" : "BatchNorm1d"; }
  std::string extra_repr() const override;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double eps, momentum;
  bool fuse_relu = false;  // y = relu(bn(x)) in one kernel (used by fused blocks)
  bool frozen_stats = false;  // keep eval-mode statistics even in train() (fastai's frozen BN)

 private:
  int expected_dims_;
  int64_t features_;
};

class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t c, double eps_ = 1e-5, double momentum_ = 0.1, bool affine = true)
      : BatchNorm(c, 4, eps_, momentum_, affine) {}
};
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t c, double eps_ = 1e-5, double momentum_ = 0.1, bool affine = true)
      : BatchNorm(c, 2, eps_, momentum_, affine) {}
};

class Linear : public Module {
 public:
  Linear(int64_t in, int64_t out, bool bias = true);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Linear"; }
  std::string extra_repr() const override;
  Tensor weight, bias;
  int64_t in_features, out_features;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ReLU"; }
};
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope_(slope) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "LeakyReLU"; }
 private:
  double slope_;
};
class GELU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "GELU"; }
};
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
  std::string type_name() const override { return "Flatten"; }
};
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5) : p_(p) {}
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
 private:
  double p_;
};
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t kernel, int64_t stride = -1, int64_t padding = 0)
      : o_(functional::Pool2dOptions::square(kernel, stride, padding)) {}
  Tensor forward(const Tensor& x) override { return functional::max_pool2d(x, o_); }
  std::string type_name() const override { return "MaxPool2d"; }
 private:
  functional::Pool2dOptions o_;
};
class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t kernel, int64_t stride = -1, int64_t padding = 0)
      : o_(functional::Pool2dOptions::square(kernel, stride, padding)) {}
  Tensor forward(const Tensor& x) override { return functional::avg_pool2d(x, o_); }
  std::string type_name() const override { return "AvgPool2d"; }
 private:
  functional::Pool2dOptions o_;
};
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(int64_t out_h, int64_t out_w = -1) : h_(out_h), w_(out_w < 0 ? out_h : out_w) {}
  Tensor forward(const Tensor& x) override { return functional::adaptive_avg_pool2d(x, h_, w_); }
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
 private:
  int64_t h_, w_;
};

}  // namespace cyclone::nn
