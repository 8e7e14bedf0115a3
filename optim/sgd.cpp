// SGD: its option fields and checks, and the step as fused multi-tensor launches.
#include "optim/sgd.h"

#include <cmath>

#include "tensor/dispatch_optim.h"

namespace cyclone::optim {

const FieldTable<SgdOptions, SgdGroupOptions>& SgdOptions::fields() {
  using O = SgdOptions;
  using G = SgdGroupOptions;
  static const FieldTable<O, G> table = {
      member_field("lr", &O::lr, &G::lr),
      member_field("momentum", &O::momentum, &G::momentum),
      member_field("dampening", &O::dampening, &G::dampening),
      member_field("weight_decay", &O::weight_decay, &G::weight_decay),
      member_field("nesterov", &O::nesterov, &G::nesterov),
  };
  return table;
}

SGD::SGD(const std::vector<Tensor>& params, SgdOptions defaults)
    : SGD(std::vector<SgdParamGroup>{SgdParamGroup{params, {}, ""}}, defaults) {}

SGD::SGD(const std::vector<SgdParamGroup>& groups, SgdOptions defaults) : OptimizerOf("SGD", defaults) {
  add_param_groups(groups);
}

void SGD::validate(const SgdOptions& o, const std::string& where) const {
  require(std::isfinite(o.lr) && o.lr >= 0, where, "lr must be >= 0, got " + num(o.lr));
  require(std::isfinite(o.momentum) && o.momentum >= 0, where, "momentum must be >= 0, got " + num(o.momentum));
  require(std::isfinite(o.dampening), where, "dampening must be finite, got " + num(o.dampening));
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where,
          "weight_decay must be >= 0, got " + num(o.weight_decay));
  require(!o.nesterov || (o.momentum > 0 && o.dampening == 0), where,
          "nesterov momentum needs momentum > 0 and dampening == 0, got momentum " + num(o.momentum) +
              " and dampening " + num(o.dampening));
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
