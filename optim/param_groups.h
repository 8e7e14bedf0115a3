// Parameter groups: parameters that share hyperparameters, with the options that differ from
// the optimizer's defaults; and helpers for discriminative learning rates (one lr per layer group).
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "schedules/compose.h"
#include "tensor/tensor.h"

namespace cyclone::optim {

// The options one group may set. Each option left empty is taken from the optimizer's defaults
// when the group is added (as PyTorch fills a param group's missing keys). SGD reads lr,
// momentum, dampening, weight_decay and nesterov; Adam and AdamW read lr, betas, eps,
// weight_decay and amsgrad. Setting an option the optimizer does not read is an error.
struct GroupOptions {
  std::optional<double> lr = std::nullopt;
  std::optional<double> momentum = std::nullopt;
  std::optional<double> dampening = std::nullopt;
  std::optional<double> weight_decay = std::nullopt;
  std::optional<bool> nesterov = std::nullopt;
  std::optional<std::pair<double, double>> betas = std::nullopt;
  std::optional<double> eps = std::nullopt;
  std::optional<bool> amsgrad = std::nullopt;
};

// e.g. ParamGroup{head.parameters(), {.lr = 1e-2, .weight_decay = 0.0}, "head"}
struct ParamGroup {
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

// One ParamGroup per layer group, named after it, with lrs[i] as group i's lr and every other
// option left to the optimizer's defaults. Throws std::invalid_argument when the counts differ.
// Typical use: SGD(make_param_groups(layers, lr_slice(1e-4, 1e-2, layers.size())), {...}).
std::vector<ParamGroup> make_param_groups(const std::vector<LayerGroup>& layers,
                                          const std::vector<double>& lrs);

}  // namespace cyclone::optim
