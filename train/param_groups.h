// Optimizer parameter groups from a model's layer groups: one group per nn::LayerGroup,
// named after it, with its own lr (discriminative learning rates, fastai's lr=slice(...)).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/models/model.h"
#include "optim/param_groups.h"

namespace cyclone::train {

// lrs[i] is layer group i's lr; every other option is left to the optimizer's defaults.
// Throws std::invalid_argument when the counts differ. Typical use, with schedules::lr_slice:
//   SGD(make_param_groups<SgdGroupOptions>(model.layer_groups(), lr_slice(1e-4, 1e-2, n)), {...})
template <class GroupOptions>
std::vector<optim::ParamGroupOf<GroupOptions>> make_param_groups(const std::vector<nn::LayerGroup>& layers,
                                                                 const std::vector<double>& lrs) {
  if (layers.size() != lrs.size()) {
    throw std::invalid_argument("make_param_groups: " + std::to_string(layers.size()) + " layer groups but " +
                                std::to_string(lrs.size()) + " learning rates; give one lr per layer group");
  }
  std::vector<optim::ParamGroupOf<GroupOptions>> groups(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    groups[i].params = layers[i].parameters();
    groups[i].options.lr = lrs[i];
    groups[i].name = layers[i].name;
  }
  return groups;
}

}  // namespace cyclone::train
