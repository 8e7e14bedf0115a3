// CIFAR ResNet-(6n+2): stem conv3x3(3->16)+BN+ReLU, three stages of n
// BasicBlocks (16, 32, 64 channels; stride 2 entering stages 2 and 3),
// global average pool, linear 64->classes. Weights: kaiming_normal_ on conv
// and linear weights, as in the reference implementation.
#include "nn/models/resnet_cifar.h"

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/init.h"

namespace cyclone::nn {

BasicBlock::BasicBlock(int64_t in_planes, int64_t planes, int64_t stride)
    : shortcut_a_(stride != 1 || in_planes != planes), pad_(planes / 4) {
  conv1 = register_module("conv1", std::make_shared<Conv2d>(in_planes, planes, 3, stride, 1, false));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(planes));
  conv2 = register_module("conv2", std::make_shared<Conv2d>(planes, planes, 3, 1, 1, false));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(planes));
  bn1->fuse_relu = true;  // relu(bn1(conv1(x))) in one kernel
  bn2->fuse_relu = true;  // relu(bn2(conv2(h)) + shortcut) in one kernel
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor shortcut = x;
  if (shortcut_a_) {
    shortcut = functional::pad(x.slice(2, 0, x.size(2), 2).slice(3, 0, x.size(3), 2), {0, 0, 0, 0, pad_, pad_});
  }
  return bn2->forward(conv2->forward(bn1->forward(conv1->forward(x))), shortcut);
}

ResNetCifar::ResNetCifar(int64_t n, int64_t num_classes) : classes_(num_classes) {
  conv1 = register_module("conv1", std::make_shared<Conv2d>(3, 16, 3, 1, 1, false));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(16));
  bn1->fuse_relu = true;
  int64_t in = 16;
  auto stage = [&](int64_t planes, int64_t stride) {
    auto seq = std::make_shared<Sequential>();
    for (int64_t i = 0; i < n; ++i) {
      seq->push_back(std::make_shared<BasicBlock>(in, planes, i == 0 ? stride : 1));
      in = planes;
    }
    return seq;
  };
  layer1 = register_module("layer1", stage(16, 1));
  layer2 = register_module("layer2", stage(32, 2));
  layer3 = register_module("layer3", stage(64, 2));
  linear = register_module("linear", std::make_shared<Linear>(64, num_classes));
  for (auto& [name, m] : named_modules()) {
    if (auto* c = dynamic_cast<Conv2d*>(m)) init::kaiming_normal_(c->weight);
    if (auto* l = dynamic_cast<Linear*>(m)) init::kaiming_normal_(l->weight);
  }
}

Tensor ResNetCifar::body(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3) {
    throw std::invalid_argument("ResNetCifar: expected input [N, 3, H, W], got " + shape_str(x.shape()));
  }
  Tensor h = bn1->forward(conv1->forward(x));
  h = layer3->forward(layer2->forward(layer1->forward(h)));
  return functional::adaptive_avg_pool2d(h, 1, 1).flatten(1);
}

Tensor ResNetCifar::head(const Tensor& f) { return linear->forward(f); }

std::vector<LayerGroup> ResNetCifar::layer_groups() {
  return {{"stem", {conv1.get(), bn1.get()}},
          {"layer1", {layer1.get()}},
          {"layer2", {layer2.get()}},
          {"layer3", {layer3.get()}},
          {"head", {linear.get()}}};
}

}  // namespace cyclone::nn
