// The optimizers' field tables: the hyperparameter names in state files are the ones written
// before the tables existed (so old states load), and a state written by hand in that format
// loads into the right typed options.
#include <set>
#include <string>

#include "optim/adam.h"
#include "optim/sgd.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::optim;

namespace {

std::set<std::string> group_keys(const OptimizerState& s) {
  std::set<std::string> keys;
  for (const auto& [k, v] : s.scalars) {
    if (k.rfind("group.0.", 0) == 0) keys.insert(k.substr(8));
  }
  return keys;
}

}  // namespace

TEST_CASE("field tables keep the state files' hyperparameter names") {
  Tensor p = from_vector(std::vector<float>{1, 2}, {2});
  CHECK(group_keys(SGD({p}).state_dict()) ==
        std::set<std::string>{"num_params", "lr", "momentum", "dampening", "weight_decay", "nesterov"});
  const std::set<std::string> adam = {"num_params", "lr", "beta1", "beta2", "eps", "weight_decay", "amsgrad"};
  CHECK(group_keys(Adam({p}).state_dict()) == adam);
  CHECK(group_keys(AdamW({p}).state_dict()) == adam);
}

TEST_CASE("a state in the saved format loads into typed options") {
  Tensor p = from_vector(std::vector<float>{1, 2}, {2});
  OptimizerState s;
  s.scalars = {{"num_groups", 1},        {"group.0.num_params", 1}, {"group.0.lr", 0.25},
               {"group.0.momentum", 0.5}, {"group.0.dampening", 0}, {"group.0.weight_decay", 0.125},
               {"group.0.nesterov", 1},   {"state.0.step", 3}};
  s.tensors["state.0.momentum_buffer"] = from_vector(std::vector<float>{0.5f, -1}, {2});
  SGD sgd({p}, {.lr = 0.1});
  sgd.load_state_dict(s);
  CHECK(sgd.options(0).lr == 0.25);
  CHECK(sgd.momentum(0) == 0.5);
  CHECK(sgd.options(0).weight_decay == 0.125);
  CHECK(sgd.options(0).nesterov);
  s.scalars["group.0.nesterov"] = 0.5;
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(s), doctest::Contains("nesterov must be 0 or 1, got 0.5"),
                       std::invalid_argument);

  Adam adam({p});
  OptimizerState a = adam.state_dict();
  a.scalars["group.0.beta1"] = 0.8;
  a.scalars["group.0.beta2"] = 0.9;
  a.scalars["group.0.amsgrad"] = 1;
  adam.load_state_dict(a);
  CHECK(adam.options(0).betas == std::make_pair(0.8, 0.9));
  CHECK(adam.momentum(0) == 0.8);
  CHECK(adam.options(0).amsgrad);
}

TEST_CASE("group options override only what they set, through the field table") {
  Tensor a = from_vector(std::vector<float>{1}, {1}), b = from_vector(std::vector<float>{2}, {1});
  Adam adam({AdamParamGroup{{a}, {.betas = std::make_pair(0.5, 0.6)}, "body"}, AdamParamGroup{{b}, {.eps = 1e-3}, "head"}},
            {.lr = 0.01, .weight_decay = 0.1});
  CHECK(adam.options(0).betas == std::make_pair(0.5, 0.6));
  CHECK(adam.options(0).eps == 1e-8);
  CHECK(adam.options(1).betas == std::make_pair(0.9, 0.999));
  CHECK(adam.options(1).eps == 1e-3);
  CHECK(adam.options(1).weight_decay == 0.1);
  adam.set_momentum(1, 0.7);
  CHECK(adam.options(1).betas == std::make_pair(0.7, 0.999));
}
