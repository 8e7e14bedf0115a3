// Building parameter groups from named layer groups and a list of learning rates.
#include "optim/param_groups.h"

#include <stdexcept>

namespace cyclone::optim {

std::vector<ParamGroup> make_param_groups(const std::vector<LayerGroup>& layers,
                                          const std::vector<double>& lrs) {
  if (layers.size() != lrs.size()) {
    throw std::invalid_argument("make_param_groups: " + std::to_string(layers.size()) +
                                " layer groups but " + std::to_string(lrs.size()) +
                                " learning rates; give one lr per layer group");
  }
  std::vector<ParamGroup> groups;
  groups.reserve(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    ParamGroup g;
    g.params = layers[i].params;
    g.options.lr = lrs[i];
    g.name = layers[i].name;
    groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace cyclone::optim
