// Two small CNNs: SmallCNN for 28x28 grayscale (Fashion-MNIST) and ResNet9, a
// fast CIFAR net in the style of the DAWNBench/airbench winners.
#pragma once
#include "nn/layers.h"
#include "nn/models/model.h"

namespace cyclone::nn {

// conv(3x3, no bias) + BN + ReLU (the ReLU fused into the BN kernel).
class ConvBN : public Module {
 public:
  ConvBN(int64_t in, int64_t out);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "ConvBN"; }
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
};

// 1x28x28 -> [ConvBN 16, maxpool 2] -> [ConvBN 32, maxpool 2] -> ConvBN 64 -> global avg pool -> linear.
class SmallCNN : public Model {
 public:
  explicit SmallCNN(int64_t num_classes = 10, int64_t in_channels = 1);
  Tensor body(const Tensor& x) override;
  Tensor head(const Tensor& f) override;
  std::vector<LayerGroup> layer_groups() override;
  int64_t num_classes() const override { return classes_; }
  std::string type_name() const override { return "SmallCNN"; }
  std::shared_ptr<ConvBN> block1, block2, block3;
  std::shared_ptr<Linear> fc;

 private:
  int64_t classes_, in_channels_;
};

// prep ConvBN(64) -> layer1 [ConvBN 128, maxpool, residual 2x ConvBN] -> layer2 [ConvBN 256, maxpool]
// -> layer3 [ConvBN 512, maxpool, residual] -> maxpool 4 -> linear (no bias) -> x 0.125.
class ResNet9 : public Model {
 public:
  explicit ResNet9(int64_t num_classes = 10, int64_t width = 64);
  Tensor body(const Tensor& x) override;
  Tensor head(const Tensor& f) override;
  std::vector<LayerGroup> layer_groups() override;
  int64_t num_classes() const override { return classes_; }
  std::string type_name() const override { return "ResNet9"; }
  std::shared_ptr<ConvBN> prep, conv1, res1a, res1b, conv2, conv3, res3a, res3b;
  std::shared_ptr<Linear> fc;
  double scale = 0.125;

 private:
  int64_t classes_;
};

}  // namespace cyclone::nn
