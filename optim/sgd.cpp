// SGD: option checks, group hyperparameters, and the step as fused multi-tensor launches.
#include "optim/sgd.h"

#include <cmath>

#include "tensor/dispatch_optim.h"

namespace cyclone::optim {

SGD::SGD(const std::vector<Tensor>& params, SgdOptions defaults)
    : SGD(std::vector<ParamGroup>{ParamGroup{params, {}, ""}}, defaults) {}

SGD::SGD(const std::vector<ParamGroup>& groups, SgdOptions defaults) : Optimizer("SGD"), defaults_(defaults) {
  validate(defaults_, "SGD");
  require(!groups.empty(), "SGD", "got an empty list of parameter groups");
  for (const ParamGroup& g : groups) add_param_group(g);
}

void SGD::validate(const SgdOptions& o, const std::string& where) {
  require(std::isfinite(o.lr) && o.lr >= 0, where, "lr must be >= 0, got " + num(o.lr));
  require(std::isfinite(o.momentum) && o.momentum >= 0, where, "momentum must be >= 0, got " + num(o.momentum));
  require(std::isfinite(o.dampening), where, "dampening must be finite, got " + num(o.dampening));
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where,
          "weight_decay must be >= 0, got " + num(o.weight_decay));
  require(!o.nesterov || (o.momentum > 0 && o.dampening == 0), where,
          "nesterov momentum needs momentum > 0 and dampening == 0, got momentum " + num(o.momentum) +
              " and dampening " + num(o.dampening));
}

void SGD::add_group_options(const GroupOptions& g, const std::string& where) {
  require(!g.betas && !g.eps && !g.amsgrad, where, "SGD has no betas, eps or amsgrad options");
  SgdOptions o = defaults_;
  if (g.lr) o.lr = *g.lr;
  if (g.momentum) o.momentum = *g.momentum;
  if (g.dampening) o.dampening = *g.dampening;
  if (g.weight_decay) o.weight_decay = *g.weight_decay;
  if (g.nesterov) o.nesterov = *g.nesterov;
  validate(o, where);
  options_.push_back(o);
}

const SgdOptions& SGD::options(size_t group) const {
  check_group(group, "options");
  return options_[group];
}

double SGD::lr(size_t group) const { return options(group).lr; }
double SGD::momentum(size_t group) const { return options(group).momentum; }

void SGD::set_lr(size_t group, double lr) {
  check_group(group, "set_lr");
  SgdOptions o = options_[group];
  o.lr = lr;
  validate(o, group_where(group));
  options_[group] = o;
}

void SGD::set_momentum(size_t group, double momentum) {
  check_group(group, "set_momentum");
  SgdOptions o = options_[group];
  o.momentum = momentum;
  validate(o, group_where(group));
  options_[group] = o;
}

std::map<std::string, double> SGD::hyperparameters(size_t group) const {
  const SgdOptions& o = options_.at(group);
  return {{"lr", o.lr},
          {"momentum", o.momentum},
          {"dampening", o.dampening},
          {"weight_decay", o.weight_decay},
          {"nesterov", o.nesterov ? 1.0 : 0.0}};
}

namespace {
SgdOptions from_map(const std::map<std::string, double>& h) {
  return SgdOptions{h.at("lr"), h.at("momentum"), h.at("dampening"), h.at("weight_decay"), h.at("nesterov") != 0};
}
}  // namespace

void SGD::check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const {
  const double n = h.at("nesterov");
  require(n == 0 || n == 1, where, "nesterov must be 0 or 1, got " + num(n));
  validate(from_map(h), where);
}

void SGD::set_hyperparameters(size_t group, const std::map<std::string, double>& h) {
  options_.at(group) = from_map(h);
}

void SGD::update(size_t group, const std::vector<size_t>& slots) {
  const SgdOptions& o = options_[group];
  dispatch::SgdHyper h;
  h.neg_lr = static_cast<float>(-o.lr);
  h.momentum = static_cast<float>(o.momentum);
  h.one_minus_dampening = static_cast<float>(1.0 - o.dampening);
  h.weight_decay = static_cast<float>(o.weight_decay);
  h.has_momentum = o.momentum != 0;
  h.has_weight_decay = o.weight_decay != 0;
  h.nesterov = o.nesterov;
  for_each_device(slots, [&](const std::vector<size_t>& run) {
    std::vector<dispatch::SgdParam> params;
    for (size_t i : run) {
      Slot& s = slots_[i];
      dispatch::SgdParam p{s.param, dense_grad(i), Tensor(), false};
      if (h.has_momentum) {
        auto it = s.state.find("momentum_buffer");
        p.fresh_buffer = it == s.state.end();
        if (p.fresh_buffer) it = s.state.emplace("momentum_buffer", empty_like(s.param)).first;
        p.momentum_buffer = it->second;
      }
      params.push_back(std::move(p));
    }
    dispatch::sgd_step(params, h);
  });
}

}  // namespace cyclone::optim
