// Adam and AdamW: option checks, group hyperparameters, per-parameter bias corrections
// (in double on the host) and the step as fused multi-tensor launches.
#include "optim/adam.h"

#include <cmath>

#include "tensor/dispatch_optim.h"

namespace cyclone::optim {
namespace {

AdamOptions as_adam(const AdamWOptions& o) { return AdamOptions{o.lr, o.betas, o.eps, o.weight_decay, o.amsgrad}; }

std::vector<ParamGroup> one_group(const std::vector<Tensor>& params) { return {ParamGroup{params, {}, ""}}; }

AdamOptions from_map(const std::map<std::string, double>& h) {
  return AdamOptions{h.at("lr"), {h.at("beta1"), h.at("beta2")}, h.at("eps"), h.at("weight_decay"),
                     h.at("amsgrad") != 0};
}

}  // namespace

Adam::Adam(const std::vector<Tensor>& params, AdamOptions defaults) : Adam(one_group(params), defaults) {}
Adam::Adam(const std::vector<ParamGroup>& groups, AdamOptions defaults) : Adam(groups, defaults, false, "Adam") {}

Adam::Adam(const std::vector<ParamGroup>& groups, AdamOptions defaults, bool decoupled, std::string name)
    : Optimizer(std::move(name)), defaults_(defaults), decoupled_(decoupled) {
  validate(defaults_, this->name());
  require(!groups.empty(), this->name(), "got an empty list of parameter groups");
  for (const ParamGroup& g : groups) add_param_group(g);
}

AdamW::AdamW(const std::vector<Tensor>& params, AdamWOptions defaults) : AdamW(one_group(params), defaults) {}
AdamW::AdamW(const std::vector<ParamGroup>& groups, AdamWOptions defaults)
    : Adam(groups, as_adam(defaults), true, "AdamW") {}

void Adam::validate(const AdamOptions& o, const std::string& where) {
  require(std::isfinite(o.lr) && o.lr >= 0, where, "lr must be >= 0, got " + num(o.lr));
  require(std::isfinite(o.eps) && o.eps >= 0, where, "eps must be >= 0, got " + num(o.eps));
  require(o.betas.first >= 0 && o.betas.first < 1, where, "beta1 must be in [0, 1), got " + num(o.betas.first));
  require(o.betas.second >= 0 && o.betas.second < 1, where, "beta2 must be in [0, 1), got " + num(o.betas.second));
  require(std::isfinite(o.weight_decay) && o.weight_decay >= 0, where,
          "weight_decay must be >= 0, got " + num(o.weight_decay));
}

void Adam::add_group_options(const GroupOptions& g, const std::string& where) {
  require(!g.momentum && !g.dampening && !g.nesterov, where,
          name() + " has no momentum, dampening or nesterov options (beta1 plays momentum's part)");
  AdamOptions o = defaults_;
  if (g.lr) o.lr = *g.lr;
  if (g.betas) o.betas = *g.betas;
  if (g.eps) o.eps = *g.eps;
  if (g.weight_decay) o.weight_decay = *g.weight_decay;
  if (g.amsgrad) o.amsgrad = *g.amsgrad;
  validate(o, where);
  options_.push_back(o);
}

const AdamOptions& Adam::options(size_t group) const {
  check_group(group, "options");
  return options_[group];
}

double Adam::lr(size_t group) const { return options(group).lr; }
double Adam::momentum(size_t group) const { return options(group).betas.first; }

void Adam::set_lr(size_t group, double lr) {
  check_group(group, "set_lr");
  AdamOptions o = options_[group];
  o.lr = lr;
  validate(o, group_where(group));
  options_[group] = o;
}

void Adam::set_momentum(size_t group, double beta1) {
  check_group(group, "set_momentum");
  AdamOptions o = options_[group];
  o.betas.first = beta1;
  validate(o, group_where(group));
  options_[group] = o;
}

std::map<std::string, double> Adam::hyperparameters(size_t group) const {
  const AdamOptions& o = options_.at(group);
  return {{"lr", o.lr},
          {"beta1", o.betas.first},
          {"beta2", o.betas.second},
          {"eps", o.eps},
          {"weight_decay", o.weight_decay},
          {"amsgrad", o.amsgrad ? 1.0 : 0.0}};
}

void Adam::check_hyperparameters(const std::map<std::string, double>& h, const std::string& where) const {
  const double a = h.at("amsgrad");
  require(a == 0 || a == 1, where, "amsgrad must be 0 or 1, got " + num(a));
  validate(from_map(h), where);
}

void Adam::set_hyperparameters(size_t group, const std::map<std::string, double>& h) {
  options_.at(group) = from_map(h);
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
