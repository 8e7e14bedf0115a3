// The conv layers of the benchmarked models (3x3, pad 1, no bias), as distinct
// shapes with their counts: the shapes bench_conv times, and the napkin FLOPs of
// a training step (forward + weight gradient + input gradient where one is needed).
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cyclone::bench {

struct ConvLayer {
  std::string name;                 // e.g. "16>32 s2 32x32"
  int64_t c = 0, k = 0, h = 0, w = 0;  // input channels, output channels, input size
  int64_t stride = 1;
  int count = 1;            // layers of this shape in the model
  bool needs_dgrad = true;  // false for the stem: the input image needs no gradient
  int64_t out_h() const { return (h + 2 - 3) / stride + 1; }
  int64_t out_w() const { return (w + 2 - 3) / stride + 1; }
  // Multiply-adds of one pass (forward, dgrad or wgrad all have the same count) per image.
  double macs_per_image() const { return static_cast<double>(k) * c * 9 * out_h() * out_w(); }
};

inline std::vector<ConvLayer> resnet20_convs() {
  return {{"3>16 32x32", 3, 16, 32, 32, 1, 1, false},   {"16>16 32x32", 16, 16, 32, 32, 1, 6, true},
          {"16>32 s2 32x32", 16, 32, 32, 32, 2, 1, true}, {"32>32 16x16", 32, 32, 16, 16, 1, 5, true},
          {"32>64 s2 16x16", 32, 64, 16, 16, 2, 1, true}, {"64>64 8x8", 64, 64, 8, 8, 1, 5, true}};
}

// SmallCNN on 1x28x28: conv 1>16, pool, conv 16>32, pool, conv 32>64.
inline std::vector<ConvLayer> smallcnn_convs() {
  return {{"1>16 28x28", 1, 16, 28, 28, 1, 1, false},
          {"16>32 14x14", 16, 32, 14, 14, 1, 1, true},
          {"32>64 7x7", 32, 64, 7, 7, 1, 1, true}};
}

inline std::vector<ConvLayer> model_convs(const std::string& model) {
  if (model == "resnet20") return resnet20_convs();
  if (model == "smallcnn") return smallcnn_convs();
  throw std::invalid_argument("bench: no conv shape list for model '" + model + "' (resnet20, smallcnn)");
}

// GFLOP of one training step: 2 flops per multiply-add, forward + wgrad (+ dgrad),
// plus the 64 -> 10 classifier (forward and both gradients). BN, ReLU, pooling and
// the optimizer are memory-bound and not counted.
// GFLOP of one inference forward (the convs and the classifier, forward only).
inline double forward_gflop(const std::string& model, int64_t batch) {
  double macs = 64.0 * 10;
  for (const ConvLayer& l : model_convs(model)) macs += l.macs_per_image() * l.count;
  return 2.0 * macs * static_cast<double>(batch) / 1e9;
}

inline double train_step_gflop(const std::string& model, int64_t batch) {
  double macs = 64.0 * 10 * 3;
  for (const ConvLayer& l : model_convs(model)) macs += l.macs_per_image() * l.count * (l.needs_dgrad ? 3 : 2);
  return 2.0 * macs * static_cast<double>(batch) / 1e9;
}

}  // namespace cyclone::bench
