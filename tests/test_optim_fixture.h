// Reads the PyTorch optimizer trajectories in tests/fixtures/optim/ (format in
// gen_optim_golden.py) and replays one on cyclone's optimizers, on any device.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "optim/adam.h"
#include "optim/sgd.h"
#include "test_helpers.h"

namespace cyclone::test {

struct OptimCase {
  struct Group {
    std::vector<size_t> params;
    std::map<std::string, std::string> options;
  };
  struct Step {
    std::vector<std::tuple<size_t, std::string, double>> sets;  // (group, "lr"|"momentum", value)
    std::vector<std::optional<std::vector<float>>> grads;       // empty: no gradient this step
    std::vector<std::vector<float>> after;
  };
  std::string optimizer;
  std::map<std::string, std::string> defaults;
  std::vector<Group> groups;
  std::vector<Shape> shapes;
  std::vector<std::vector<float>> initial;
  std::vector<Step> steps;
};

inline std::vector<float> read_floats(std::istream& in) {
  std::vector<float> v;
  std::string tok;
  while (in >> tok) v.push_back(std::strtof(tok.c_str(), nullptr));
  return v;
}

// "lr=0.01 nesterov=True" -> {lr: 0.01, nesterov: True}
inline std::map<std::string, std::string> read_options(std::istream& in) {
  std::map<std::string, std::string> out;
  std::string tok;
  while (in >> tok) {
    const size_t eq = tok.find('=');
    if (eq == std::string::npos) throw std::runtime_error("optim fixture: bad option '" + tok + "'");
    out[tok.substr(0, eq)] = tok.substr(eq + 1);
  }
  return out;
}

inline OptimCase load_optim_case(const std::string& name) {
  const std::string path = std::string(CYCLONE_SOURCE_DIR) + "/tests/fixtures/optim/" + name + ".txt";
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path + " (run gen_optim_golden.py)");
  OptimCase c;
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream in(line);
    std::string kind, colon;
    in >> kind;
    if (kind == "optimizer") {
      in >> c.optimizer;
    } else if (kind == "defaults") {
      c.defaults = read_options(in);
    } else if (kind == "group") {
      size_t g = 0;
      std::string list;
      in >> g >> list;
      OptimCase::Group group;
      std::istringstream ids(list);
      for (std::string id; std::getline(ids, id, ',');) group.params.push_back(std::stoul(id));
      group.options = read_options(in);
      c.groups.push_back(group);
    } else if (kind == "param") {
      size_t i = 0;
      in >> i;
      Shape shape;
      for (std::string tok; in >> tok && tok != ":";) shape.push_back(std::stoll(tok));
      c.shapes.push_back(shape);
      c.initial.push_back(read_floats(in));
    } else if (kind == "step") {
      c.steps.emplace_back();
    } else if (kind == "set") {
      size_t g = 0;
      std::string key;
      double v = 0;
      in >> g >> key >> v;
      c.steps.back().sets.emplace_back(g, key, v);
    } else if (kind == "grad") {
      size_t i = 0;
      in >> i >> colon;
      if (colon == "none") {
        c.steps.back().grads.emplace_back(std::nullopt);
      } else {
        c.steps.back().grads.emplace_back(read_floats(in));
      }
    } else if (kind == "after") {
      size_t i = 0;
      in >> i >> colon;
      c.steps.back().after.push_back(read_floats(in));
    } else if (!kind.empty()) {
      throw std::runtime_error(path + ": unknown record '" + kind + "'");
    }
  }
  return c;
}

inline double option(const std::map<std::string, std::string>& o, const std::string& key, double fallback) {
  auto it = o.find(key);
  if (it == o.end()) return fallback;
  if (it->second == "True") return 1;
  if (it->second == "False") return 0;
  return std::stod(it->second);
}

// A group's options as PyTorch wrote them, typed for SGD (SgdGroupOptions) or Adam/AdamW
// (AdamGroupOptions): only the keys the case gives are set.
template <class G>
G group_options(const std::map<std::string, std::string>& o) {
  G g;
  auto opt = [&](const char* key) -> std::optional<double> {
    return o.count(key) ? std::optional<double>(option(o, key, 0)) : std::nullopt;
  };
  g.lr = opt("lr");
  g.weight_decay = opt("weight_decay");
  if constexpr (std::is_same_v<G, optim::SgdGroupOptions>) {
    g.momentum = opt("momentum");
    g.dampening = opt("dampening");
    if (o.count("nesterov")) g.nesterov = option(o, "nesterov", 0) != 0;
  } else {
    g.eps = opt("eps");
    if (o.count("amsgrad")) g.amsgrad = option(o, "amsgrad", 0) != 0;
    if (o.count("beta1")) g.betas = std::make_pair(option(o, "beta1", 0), option(o, "beta2", 0));
  }
  return g;
}

// The case's parameter groups, with options typed for group options G.
template <class G>
std::vector<optim::ParamGroupOf<G>> case_groups(const OptimCase& c, const std::vector<Tensor>& params) {
  std::vector<optim::ParamGroupOf<G>> groups;
  for (const auto& g : c.groups) {
    optim::ParamGroupOf<G> pg;
    for (size_t i : g.params) pg.params.push_back(params[i]);
    pg.options = group_options<G>(g.options);
    groups.push_back(pg);
  }
  return groups;
}

// The case's optimizer over `params`, grouped and configured as in PyTorch.
inline std::unique_ptr<optim::Optimizer> make_optimizer(const OptimCase& c, const std::vector<Tensor>& params) {
  const auto& d = c.defaults;
  if (c.optimizer == "SGD") {
    optim::SgdOptions o;
    o.lr = option(d, "lr", o.lr);
    o.momentum = option(d, "momentum", o.momentum);
    o.dampening = option(d, "dampening", o.dampening);
    o.weight_decay = option(d, "weight_decay", o.weight_decay);
    o.nesterov = option(d, "nesterov", 0) != 0;
    return std::make_unique<optim::SGD>(case_groups<optim::SgdGroupOptions>(c, params), o);
  }
  auto fill = [&](auto o) {
    o.lr = option(d, "lr", o.lr);
    o.betas = {option(d, "beta1", o.betas.first), option(d, "beta2", o.betas.second)};
    o.eps = option(d, "eps", o.eps);
    o.weight_decay = option(d, "weight_decay", o.weight_decay);
    o.amsgrad = option(d, "amsgrad", 0) != 0;
    return o;
  };
  const auto groups = case_groups<optim::AdamGroupOptions>(c, params);
  if (c.optimizer == "Adam") return std::make_unique<optim::Adam>(groups, fill(optim::AdamOptions{}));
  if (c.optimizer == "AdamW") return std::make_unique<optim::AdamW>(groups, fill(optim::AdamWOptions{}));
  throw std::runtime_error("optim fixture: unknown optimizer " + c.optimizer);
}

// Replays every step of `c` on `device` and checks each parameter after each step against
// PyTorch: |got - want| <= rtol * |want| + atol. Returns the largest difference seen.
inline double replay_optim_case(const OptimCase& c, Device device, double rtol = 1e-6, double atol = 1e-7) {
  std::vector<Tensor> params;
  for (size_t i = 0; i < c.shapes.size(); ++i) params.push_back(from_vector(c.initial[i], c.shapes[i]).to(device));
  auto opt = make_optimizer(c, params);
  double worst = 0;
  for (size_t t = 0; t < c.steps.size(); ++t) {
    const OptimCase::Step& s = c.steps[t];
    for (const auto& [g, key, value] : s.sets) {
      if (key == "lr") {
        opt->set_lr(g, value);
      } else {
        opt->set_momentum(g, value);
      }
    }
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].set_grad(s.grads[i] ? from_vector(*s.grads[i], c.shapes[i]).to(device) : Tensor());
    }
    opt->step();
    for (size_t i = 0; i < params.size(); ++i) {
      const std::vector<float> got = params[i].to_vector<float>();
      const std::vector<float>& want = s.after[i];
      REQUIRE(got.size() == want.size());
      for (size_t k = 0; k < got.size(); ++k) {
        const double diff = std::fabs(double(got[k]) - double(want[k]));
        worst = std::max(worst, diff);
        if (!(diff <= rtol * std::fabs(want[k]) + atol)) {
          FAIL("step " << t + 1 << ", parameter " << i << ", element " << k << ": got " << got[k] << ", want "
                       << want[k]);
        }
      }
    }
  }
  return worst;
}

inline const std::vector<std::string>& optim_case_names() {
  static const std::vector<std::string> names = {"sgd_plain", "sgd_momentum_dampening", "sgd_nesterov_wd",
                                                 "adam",      "adam_amsgrad_wd",        "adamw",
                                                 "sgd_schedule", "adamw_schedule"};
  return names;
}

}  // namespace cyclone::test
