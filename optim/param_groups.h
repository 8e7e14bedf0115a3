// Parameter groups: parameters that share hyperparameters, with the options that differ from
// the optimizer's defaults; and helpers for discriminative learning rates (one lr per layer group).
#pragma once
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "schedules/compose.h"
#include "tensor/tensor.h"

namespace cyclone::optim {

// A group's parameters and its options, typed per optimizer: SgdGroupOptions for SGD,
// AdamGroupOptions for Adam and AdamW. Each option left empty is taken from the optimizer's
// defaults when the group is added (as PyTorch fills a param group's missing keys).
// e.g. SgdParamGroup{head.parameters(), {.lr = 1e-2, .weight_decay = 0.0}, "head"}
template <class GroupOptions>
struct ParamGroupOf {
  std::vector<Tensor> params;
  GroupOptions options;
  std::string name;  // used in messages; empty reads as "group <index>"
};

// Discriminative learning rates, as fastai's slice(): lr_slice(lo, hi, n) spreads n lrs
// geometrically from lo to hi; lr_slice(hi, n) gives hi / 10 to every group but the last, which
// gets hi. They are the schedules' own helpers (schedules/compose.h), re-exported here.
using schedules::lr_slice;

// A named slice of a model, e.g. {"stem", ...}, {"body", ...}, {"head", ...}.
struct LayerGroup {
  std::string name;
  std::vector<Tensor> params;
};

// One group per layer group, named after it, with lrs[i] as group i's lr and every other
// option left to the optimizer's defaults. Throws std::invalid_argument when the counts differ.
// Typical use: SGD(make_param_groups<SgdGroupOptions>(layers, lr_slice(1e-4, 1e-2, n)), {...}).
template <class GroupOptions>
std::vector<ParamGroupOf<GroupOptions>> make_param_groups(const std::vector<LayerGroup>& layers,
                                                          const std::vector<double>& lrs) {
  if (layers.size() != lrs.size()) {
    throw std::invalid_argument("make_param_groups: " + std::to_string(layers.size()) + " layer groups but " +
                                std::to_string(lrs.size()) + " learning rates; give one lr per layer group");
  }
  std::vector<ParamGroupOf<GroupOptions>> groups(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    groups[i].params = layers[i].params;
    groups[i].options.lr = lrs[i];
    groups[i].name = layers[i].name;
  }
  return groups;
}

}  // namespace cyclone::optim
