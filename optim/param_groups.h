// Parameter groups: parameters that share hyperparameters, with the options that differ from
// the optimizer's defaults (train/param_groups.h makes them from a model's layer groups).
#pragma once
#include <string>
#include <utility>
#include <vector>

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

}  // namespace cyclone::optim
