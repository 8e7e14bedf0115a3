// The CIFAR ResNets of He et al. (2016) with option-A shortcuts, exactly as in
// ../shared/models/README.md, so pretrained weights load with their own names.
#pragma once
#include "nn/layers.h"
#include "nn/models/model.h"

namespace cyclone::nn {

class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_planes, int64_t planes, int64_t stride);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BasicBlock"; }
  std::shared_ptr<Conv2d> conv1, conv2;
  std::shared_ptr<BatchNorm2d> bn1, bn2;

 private:
  bool shortcut_a_;  // x[:, :, ::2, ::2] zero-padded by planes/4 channels on each side
  int64_t pad_;
};

class ResNetCifar : public Model {
 public:
  explicit ResNetCifar(int64_t blocks_per_stage, int64_t num_classes = 10);
  Tensor body(const Tensor& x) override;
  Tensor head(const Tensor& f) override;
  std::vector<LayerGroup> layer_groups() override;
  int64_t num_classes() const override { return classes_; }
  std::string type_name() const override { return "ResNetCifar"; }
  std::shared_ptr<Conv2d> conv1;
  std::shared_ptr<BatchNorm2d> bn1;
  std::shared_ptr<Sequential> layer1, layer2, layer3;
  std::shared_ptr<Linear> linear;

 private:
  int64_t classes_;
};

}  // namespace cyclone::nn
