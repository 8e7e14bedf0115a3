// The optimizer base: parameter groups, stepping the parameters that have gradients, and
// state_dict / load_state_dict with every key, count and shape checked before anything changes.
#include "optim/optimizer.h"

#include <cstdio>
#include <stdexcept>
#include <unordered_map>

#include "autograd/node.h"

namespace cyclone::optim {
namespace {

// Parses a non-negative integer that makes up all of `s`; -1 if it is not one.
int64_t parse_index(const std::string& s) {
  if (s.empty() || s.size() > 12) return -1;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Splits "<prefix>.<index>.<rest>" (rest may contain no dots); false if `key` is not of that form.
bool split_key(const std::string& key, const std::string& prefix, int64_t& index, std::string& rest) {
  if (key.rfind(prefix + ".", 0) != 0) return false;
  const size_t start = prefix.size() + 1, dot = key.find('.', start);
  if (dot == std::string::npos) return false;
  index = parse_index(key.substr(start, dot - start));
  rest = key.substr(dot + 1);
  return index >= 0 && !rest.empty() && rest.find('.') == std::string::npos;
}

}  // namespace

std::string Optimizer::num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void Optimizer::require(bool ok, const std::string& where, const std::string& message) {
  if (!ok) throw std::invalid_argument(where + ": " + message);
}

std::string Optimizer::group_where(size_t group) const {
  const std::string& n = groups_.at(group).name;
  return name_ + ": group " + std::to_string(group) + (n.empty() ? "" : " ('" + n + "')");
}

void Optimizer::check_group(size_t group, const char* fn) const {
  if (group >= groups_.size()) {
    throw std::out_of_range(name_ + "::" + fn + ": group " + std::to_string(group) + " out of range (" +
                            std::to_string(groups_.size()) + " groups)");
  }
}

const std::vector<Tensor>& Optimizer::params(size_t group) const {
  check_group(group, "params");
  return groups_[group].params;
}

const std::string& Optimizer::group_name(size_t group) const {
  check_group(group, "group_name");
  return groups_[group].name;
}

void Optimizer::add_param_group(const ParamGroup& group) {
  const size_t g = groups_.size();
  const std::string where = name_ + ": group " + std::to_string(g) + (group.name.empty() ? "" : " ('" + group.name + "')");
  // Every parameter must be new: to the optimizer and within this group.
  std::unordered_map<const TensorImpl*, std::string> seen;
  for (const Slot& s : slots_) seen[s.param.impl()] = group_where(s.group);
  for (size_t k = 0; k < group.params.size(); ++k) {
    const Tensor& p = group.params[k];
    const std::string which = "parameter " + std::to_string(k);
    require(p.defined(), where, which + " is an undefined tensor");
    const std::string shaped = which + " (shape " + shape_str(p.shape()) + ")";
    require(p.dtype() == DType::f32, where, shaped + " must be float32");
    require(p.is_contiguous(), where, shaped + " must be contiguous");
    require(p.is_leaf(), where, shaped + " is not a leaf; optimize the tensors that produced it instead");
    auto [it, fresh] = seen.emplace(p.impl(), where);
    require(fresh, where, shaped + " already belongs to " + it->second + "; a parameter may appear in one group only");
  }
  add_group_options(group.options, where);  // validates before anything is added
  Group added{group.name, group.params, {}};
  for (const Tensor& p : group.params) {
    added.slots.push_back(slots_.size());
    slots_.push_back(Slot{p, g, 0, {}});
  }
  groups_.push_back(std::move(added));
}

void Optimizer::check_grad(size_t slot) const {
  const Tensor& p = slots_[slot].param;
  const Tensor g = p.grad();
  const std::string which = "gradient of parameter " + std::to_string(slot);
  require(g.shape() == p.shape(), name_,
          which + " has shape " + shape_str(g.shape()) + " but the parameter has shape " + shape_str(p.shape()));
  require(g.device() == p.device(), name_,
          which + " is on " + g.device().str() + " but the parameter is on " + p.device().str());
  require(g.dtype() == DType::f32, name_, which + " must be float32");
}

Tensor Optimizer::dense_grad(size_t slot) const {
  check_grad(slot);
  return slots_[slot].param.grad().contiguous();
}

void Optimizer::step() {
  NoGradGuard no_grad;
  std::vector<std::vector<size_t>> ready(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i : groups_[g].slots) {
      if (!slots_[i].param.grad().defined()) continue;
      check_grad(i);  // every gradient is checked before anything changes
      ready[g].push_back(i);
    }
  }
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (ready[g].empty()) continue;
    for (size_t i : ready[g]) ++slots_[i].step;
    update(g, ready[g]);
  }
}

void Optimizer::zero_grad() {
  for (Slot& s : slots_) {
    if (s.param.grad().defined()) s.param.set_grad(Tensor());
  }
}

void Optimizer::for_each_device(const std::vector<size_t>& slots,
                                const std::function<void(const std::vector<size_t>&)>& fn) const {
  std::vector<bool> done(slots.size(), false);
  for (size_t first = 0; first < slots.size(); ++first) {
    if (done[first]) continue;
    const Device device = slots_[slots[first]].param.device();
    std::vector<size_t> run;
    for (size_t k = first; k < slots.size(); ++k) {
      if (done[k] || !(slots_[slots[k]].param.device() == device)) continue;
      done[k] = true;
      run.push_back(slots[k]);
    }
    fn(run);
  }
}

OptimizerState Optimizer::state_dict() const {
  NoGradGuard no_grad;
  OptimizerState out;
  out.scalars["num_groups"] = static_cast<double>(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "group." + std::to_string(g) + ".";
    out.scalars[prefix + "num_params"] = static_cast<double>(groups_[g].slots.size());
    for (const auto& [key, value] : hyperparameters(g)) out.scalars[prefix + key] = value;
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    const std::string prefix = "state." + std::to_string(i) + ".";
    if (slots_[i].step > 0) out.scalars[prefix + "step"] = static_cast<double>(slots_[i].step);
    for (const auto& [key, t] : slots_[i].state) out.tensors[prefix + key] = t.clone();
  }
  return out;
}

void Optimizer::load_state_dict(const OptimizerState& state) {
  NoGradGuard no_grad;
  const std::string where = name_ + "::load_state_dict";
  auto count = [&](const std::string& key) {
    auto it = state.scalars.find(key);
    require(it != state.scalars.end(), where, "missing key '" + key + "'");
    return it->second;
  };
  const double ng = count("num_groups");
  require(ng == static_cast<double>(groups_.size()), where,
          "the state has " + num(ng) + " parameter groups but the optimizer has " + std::to_string(groups_.size()));

  // Sort every key into its group or parameter; anything else is an error.
  std::vector<std::map<std::string, double>> hyper(groups_.size());
  std::vector<int64_t> steps(slots_.size(), 0);
  std::vector<std::map<std::string, Tensor>> buffers(slots_.size());
  const std::set<std::string> buffer_keys = buffer_names();
  for (const auto& [key, value] : state.scalars) {
    int64_t index = 0;
    std::string rest;
    if (key == "num_groups") continue;
    if (split_key(key, "group", index, rest) && index < static_cast<int64_t>(groups_.size())) {
      if (rest == "num_params") {
        require(value == static_cast<double>(groups_[index].slots.size()), where,
                "'" + key + "' is " + num(value) + " but the optimizer's group " + std::to_string(index) + " has " +
                    std::to_string(groups_[index].slots.size()) + " parameters");
      } else {
        hyper[index][rest] = value;
      }
    } else if (split_key(key, "state", index, rest) && index < static_cast<int64_t>(slots_.size()) && rest == "step") {
      require(value >= 1 && value == static_cast<double>(static_cast<int64_t>(value)), where,
              "'" + key + "' must be a positive whole number, got " + num(value));
      steps[index] = static_cast<int64_t>(value);
    } else {
      throw std::invalid_argument(where + ": unexpected scalar key '" + key + "' (the optimizer has " +
                                  std::to_string(groups_.size()) + " groups and " + std::to_string(slots_.size()) +
                                  " parameters)");
    }
  }
  for (const auto& [key, t] : state.tensors) {
    int64_t index = 0;
    std::string rest;
    require(split_key(key, "state", index, rest) && index < static_cast<int64_t>(slots_.size()) &&
                buffer_keys.count(rest) > 0,
            where, "unexpected tensor key '" + key + "'");
    const Tensor& p = slots_[index].param;
    require(t.defined() && t.dtype() == DType::f32, where, "'" + key + "' must be a defined float32 tensor");
    require(t.shape() == p.shape(), where,
            "'" + key + "' has shape " + shape_str(t.shape()) + " but parameter " + std::to_string(index) +
                " has shape " + shape_str(p.shape()));
    buffers[index][rest] = t;
  }

  // Check each group's hyperparameters and each parameter's state against them.
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = "group." + std::to_string(g) + ".";
    for (const auto& [key, value] : hyperparameters(g)) count(prefix + key);
    for (const auto& [key, value] : hyper[g]) {
      require(hyperparameters(g).count(key) > 0, where, "unexpected scalar key '" + prefix + key + "'");
    }
    check_hyperparameters(hyper[g], where + ": " + group_where(g));
    count(prefix + "num_params");
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    std::set<std::string> names;
    for (const auto& [key, t] : buffers[i]) names.insert(key);
    check_loaded_state(names, steps[i], hyper[slots_[i].group], where + ": parameter " + std::to_string(i));
  }

  // Everything is valid: apply it.
  for (size_t g = 0; g < groups_.size(); ++g) set_hyperparameters(g, hyper[g]);
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    s.step = steps[i];
    s.state.clear();
    for (const auto& [key, t] : buffers[i]) {
      s.state[key] = t.device() == s.param.device() ? t.clone() : t.to(s.param.device());  // a copy, dense
    }
  }
}

}  // namespace cyclone::optim
