// Adam and AdamW: their option fields and checks, per-parameter bias corrections
// (in double on the host) and the step as fused multi-tensor launches.
#include "optim/adam.h"

#include <cmath>

#include "tensor/dispatch_optim.h"

namespace cyclone::optim {
namespace {

AdamOptions as_adam(const AdamWOptions& o) { return AdamOptions{o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad}; }

std::vector<AdamParamGroup> one_group(const std::vector<Tensor>& params) { return {AdamParamGroup{params, {}, ""}}; }

}  // namespace

const FieldTable<AdamOptions, AdamGroupOptions>& AdamOptions::fields() {
  using O = AdamOptions;
  using G = AdamGroupOptions;
  static const FieldTable<O, G> table = {
      member_field("lr", &O::lr, &G::lr),
      {"beta1", [](const O& o) { return o.betas.first; }, [](O& o, double v) { o.betas.first = v; },
       [](O& o, const G& g) {
         if (g.betas) o.betas.first = g.betas->first;
       }},
      {"beta2", [](const O& o) { return o.betas.second; }, [](O& o, double v) { o.betas.second = v; },
       [](O& o, const G& g) {
         if (g.betas) o.betas.second = g.betas->second;
       }},
      member_field("eps", &O::eps, &G::eps),
      member_field("weight_decay", &O::weight_decay, &G::weight_decay),
      member_field("amsgrad", &O::amsgrad, &G::amsgrad),
  };
  return table;
}

Adam::Adam(const std::vector<Tensor>& params, AdamOptions defaults) : Adam(one_group(params), defaults) {}
Adam::Adam(const std::vector<AdamParamGroup>& groups, AdamOptions defaults) : Adam(groups, defaults, false, "Adam") {}

Adam::Adam(const std::vector<AdamParamGroup>& groups, AdamOptions defaults, bool decoupled, std::string name)
    : OptimizerOf(std::move(name), defaults), decoupled_(decoupled) {
  add_param_groups(groups);
}

AdamW::AdamW(const std::vector<Tensor>& params, AdamWOptions defaults) : AdamW(one_group(params), defaults) {}
AdamW::AdamW(const std::vector<AdamParamGroup>& groups, AdamWOptions defaults)
    : Adam(groups, as_adam(defaults), true, "AdamW") {}

void Adam::validate(const AdamOptions& o, const std::string& where) const {
  require(std::isfinite(o.lr) && o.lr >= 0, where, "lr must be >= 0, got " + num(o.lr));
  require(std::isfinite(o.eps) && o.eps >= 0, where, "eps must be >= 0, got " + num(o.eps));
  require(o.betas.first >= 0 && o.betas.first < 1, where, "beta1 must be in [0, 1), got " + num(o.betas.first));
  require(o.betas.second >= 0 && o.betas.second < 1, where, "beta2 must be in [0, 1), got " + num(o.betas.second));
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where,
          "weight_decay must be >= 0, got " + num(o.weight_decay));
}

void Adam::check_loaded_state(const std::set<std::string>& buffers, int64_t step,
                              const std::map<std::string, double>& h, const std::string& where) const {
  if (step == 0 && buffers.empty()) return;  // never stepped
  const bool amsgrad = h.at("amsgrad") != 0;
  for (const char* key : {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
    const bool needed = std::string(key) != "max_exp_avg_sq" || amsgrad;
    require(!needed || buffers.count(key) > 0, where, "state has no '" + std::string(key) + "'");
  }
  require(step > 0, where, "state has buffers but no 'step'");
}

void Adam::update(size_t group, const std::vector<size_t>& slots) {
  const AdamOptions& o = options_[group];
  const double beta1 = o.betas.first, beta2 = o.betas.second;
  dispatch::AdamHyper h;
  h.beta1 = static_cast<float>(beta1);
  h.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  h.beta2 = static_cast<float>(beta2);
  h.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  h.eps = static_cast<float>(o.eps);
  h.weight_decay = static_cast<float>(o.weight_decay);
  h.decay = static_cast<float>(1.0 - o.lr * o.weight_decay);
  h.coupled_weight_decay = !decoupled_ && o.weight_decay != 0;
  h.decoupled_weight_decay = decoupled_ && o.weight_decay != 0;  // a factor of exactly 1 otherwise
  h.amsgrad = o.amsgrad;
  for_each_device(slots, [&](const std::vector<size_t>& run) {
    std::vector<dispatch::AdamParam> params;
    for (size_t i : run) {
      Slot& s = slots_[i];
      if (s.state.empty()) {  // first step: zero moments, as PyTorch
        s.state["exp_avg"] = zeros_like(s.param);
        s.state["exp_avg_sq"] = zeros_like(s.param);
        if (o.amsgrad) s.state["max_exp_avg_sq"] = zeros_like(s.param);
      }
      if (o.amsgrad && !s.state.count("max_exp_avg_sq")) s.state["max_exp_avg_sq"] = zeros_like(s.param);
      dispatch::AdamParam p;
      p.param = s.param;
      p.grad = dense_grad(i);
      p.exp_avg = s.state.at("exp_avg");
      p.exp_avg_sq = s.state.at("exp_avg_sq");
      if (o.amsgrad) p.max_exp_avg_sq = s.state.at("max_exp_avg_sq");
      // PyTorch: step_size = lr / (1 - beta1**step), bias_correction2_sqrt = math.sqrt(1 - beta2**step)
      const double t = static_cast<double>(s.step);
      const double step_size = o.lr / (1.0 - std::pow(beta1, t));
      p.neg_step_size = static_cast<float>(-step_size);
      p.bias_correction2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(beta2, t)));
      params.push_back(std::move(p));
    }
    dispatch::adam_step(params, h);
  });
}

}  // namespace cyclone::optim
