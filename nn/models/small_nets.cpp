// SmallCNN and ResNet9 (see small_nets.h), plus the model registry.
#include "nn/models/small_nets.h"

#include <stdexcept>

#include "autograd/functions.h"
#include "nn/functional.h"
#include "nn/models/resnet_cifar.h"

namespace cyclone::nn {

std::vector<Tensor> LayerGroup::parameters() const {
  std::vector<Tensor> out;
  for (Module* m : modules) {
    for (auto& t : m->parameters()) out.push_back(t);
  }
  return out;
}

std::vector<LayerGroup> merge_layer_groups(std::vector<LayerGroup> groups, size_t n) {
  if (n < 2 || n > groups.size()) {
    throw std::invalid_argument("merge_layer_groups: cannot merge " + std::to_string(groups.size()) +
                                " layer groups into " + std::to_string(n) + " (expected 2.." +
                                std::to_string(groups.size()) + ")");
  }
  if (n == groups.size()) return groups;
  const size_t body = groups.size() - 1, runs = n - 1;
  std::vector<LayerGroup> out;
  size_t next = 0;
  for (size_t r = 0; r < runs; ++r) {
    const size_t len = body / runs + (r < body % runs ? 1 : 0);
    LayerGroup merged;
    for (size_t i = next; i < next + len; ++i) {
      merged.name += (merged.name.empty() ? "" : "+") + groups[i].name;
      merged.modules.insert(merged.modules.end(), groups[i].modules.begin(), groups[i].modules.end());
    }
    out.push_back(std::move(merged));
    next += len;
  }
  out.push_back(std::move(groups.back()));
  return out;
}

ConvBN::ConvBN(int64_t in, int64_t out) {
  conv = register_module("conv", std::make_shared<Conv2d>(in, out, 3, 1, 1, false));
  bn = register_module("bn", std::make_shared<BatchNorm2d>(out));
  bn->fuse_relu = true;
}

Tensor ConvBN::forward(const Tensor& x) { return bn->forward(conv->forward(x)); }

namespace {
functional::Pool2dOptions pool(int64_t k) { return functional::Pool2dOptions::square(k); }
}  // namespace

SmallCNN::SmallCNN(int64_t num_classes, int64_t in_channels) : classes_(num_classes), in_channels_(in_channels) {
  block1 = register_module("block1", std::make_shared<ConvBN>(in_channels, 16));
  block2 = register_module("block2", std::make_shared<ConvBN>(16, 32));
  block3 = register_module("block3", std::make_shared<ConvBN>(32, 64));
  fc = register_module("fc", std::make_shared<Linear>(64, num_classes));
}

Tensor SmallCNN::body(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != in_channels_) {
    throw std::invalid_argument("SmallCNN: expected input [N, " + std::to_string(in_channels_) + ", H, W], got " +
                                shape_str(x.shape()));
  }
  Tensor h = functional::max_pool2d(block1->forward(x), pool(2));
  h = functional::max_pool2d(block2->forward(h), pool(2));
  h = block3->forward(h);
  return functional::adaptive_avg_pool2d(h, 1, 1).flatten(1);
}

Tensor SmallCNN::head(const Tensor& f) { return fc->forward(f); }

std::vector<LayerGroup> SmallCNN::layer_groups() {
  return {{"block1", {block1.get()}}, {"block2", {block2.get()}}, {"block3", {block3.get()}}, {"head", {fc.get()}}};
}

ResNet9::ResNet9(int64_t num_classes, int64_t w) : classes_(num_classes) {
  prep = register_module("prep", std::make_shared<ConvBN>(3, w));
  conv1 = register_module("conv1", std::make_shared<ConvBN>(w, 2 * w));
  res1a = register_module("res1a", std::make_shared<ConvBN>(2 * w, 2 * w));
  res1b = register_module("res1b", std::make_shared<ConvBN>(2 * w, 2 * w));
  conv2 = register_module("conv2", std::make_shared<ConvBN>(2 * w, 4 * w));
  conv3 = register_module("conv3", std::make_shared<ConvBN>(4 * w, 8 * w));
  res3a = register_module("res3a", std::make_shared<ConvBN>(8 * w, 8 * w));
  res3b = register_module("res3b", std::make_shared<ConvBN>(8 * w, 8 * w));
  fc = register_module("fc", std::make_shared<Linear>(8 * w, num_classes, false));
}

Tensor ResNet9::body(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != 3) {
    throw std::invalid_argument("ResNet9: expected input [N, 3, H, W], got " + shape_str(x.shape()));
  }
  Tensor h = prep->forward(x);
  h = functional::max_pool2d(conv1->forward(h), pool(2));
  h = add(h, res1b->forward(res1a->forward(h)));
  h = functional::max_pool2d(conv2->forward(h), pool(2));
  h = functional::max_pool2d(conv3->forward(h), pool(2));
  h = add(h, res3b->forward(res3a->forward(h)));
  return amax(h, {2, 3});  // global max pool (4x4 -> 1 for 32x32 inputs)
}

Tensor ResNet9::head(const Tensor& f) { return mul(fc->forward(f), scale); }

std::vector<LayerGroup> ResNet9::layer_groups() {
  return {{"prep", {prep.get()}},
          {"layer1", {conv1.get(), res1a.get(), res1b.get()}},
          {"layer2", {conv2.get()}},
          {"layer3", {conv3.get(), res3a.get(), res3b.get()}},
          {"head", {fc.get()}}};
}

std::vector<std::string> model_names() {
  return {"resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "smallcnn", "resnet9"};
}

ModelPtr make_model(const std::string& name, int64_t num_classes) {
  if (name.rfind("resnet", 0) == 0 && name != "resnet9") {
    const std::string depth = name.substr(6);
    for (int d : {20, 32, 44, 56, 110}) {
      if (depth == std::to_string(d)) return std::make_shared<ResNetCifar>((d - 2) / 6, num_classes);
    }
  }
  if (name == "smallcnn") return std::make_shared<SmallCNN>(num_classes);
  if (name == "resnet9") return std::make_shared<ResNet9>(num_classes);
  std::string valid;
  for (auto& n : model_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown model '" + name + "' (expected one of: " + valid + ")");
}

InputSpec model_input(const std::string& name) {
  bool known = false;
  for (auto& n : model_names()) known = known || n == name;
  if (!known) make_model(name);  // throws the error listing the valid names
  return name == "smallcnn" ? InputSpec{1, 28, 28} : InputSpec{3, 32, 32};
}

}  // namespace cyclone::nn
