// Model: a Module split into a body (features) and a head (classifier), with
// named layer groups (stem / body stages / head) for freezing, discriminative
// learning rates and precomputing the body's activations.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace cyclone::nn {

struct LayerGroup {
  std::string name;
  std::vector<Module*> modules;
  std::vector<Tensor> parameters() const;
};

class Model : public Module {
 public:
  Tensor forward(const Tensor& x) override { return head(body(x)); }
  virtual Tensor body(const Tensor& x) = 0;   // everything up to the head's input
  virtual Tensor head(const Tensor& f) = 0;   // the classifier on body features
  virtual std::vector<LayerGroup> layer_groups() = 0;  // in order; the last is the head
  virtual int64_t num_classes() const = 0;
};

using ModelPtr = std::shared_ptr<Model>;

// Merges a model's layer groups into n: the head (the last group) stays on its own and
// the body groups are split into n - 1 contiguous runs, as even as possible, the earlier
// runs taking the extra group. A run's name joins its members' with '+', e.g. ResNet-20's
// five groups into three: "stem+layer1", "layer2+layer3", "head". n equal to the number of
// groups returns them unchanged; n < 2 or more than there are is an error naming both.
std::vector<LayerGroup> merge_layer_groups(std::vector<LayerGroup> groups, size_t n);

// resnet20/32/44/56/110, smallcnn, resnet9. Unknown names list the valid ones.
ModelPtr make_model(const std::string& name, int64_t num_classes = 10);
std::vector<std::string> model_names();
// Input channels and spatial size a model expects (3x32x32, or 1x28x28 for smallcnn).
struct InputSpec { int64_t channels, height, width; };
InputSpec model_input(const std::string& name);

}  // namespace cyclone::nn
