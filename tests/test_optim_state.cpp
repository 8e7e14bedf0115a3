// Optimizer state_dict / load_state_dict: keys and values, exact resumption, and errors that
// name the key and the shapes, with nothing changed by a failed load.
#include <cmath>
#include <functional>

#include "optim/adam.h"
#include "optim/sgd.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::optim;
using doctest::Contains;

namespace {

Tensor synthetic_grad(const Tensor& p, int t, int i) {
  std::vector<float> g(static_cast<size_t>(p.numel()));
  const std::vector<float> pv = p.to_vector<float>();
  for (size_t k = 0; k < g.size(); ++k) g[k] = static_cast<float>(std::sin(0.3 * t + i + 0.7 * double(k))) + 0.1f * pv[k];
  return from_vector(g, p.shape());
}

std::vector<Tensor> fresh_params() {
  return {test::seeded_randn({3, 4}, 11).detach(), test::seeded_randn({5}, 12).detach(),
          test::seeded_randn({2, 3}, 13).detach()};
}

template <class G>
std::vector<ParamGroupOf<G>> two_groups(const std::vector<Tensor>& p, G second) {
  return {ParamGroupOf<G>{{p[0]}, {}, "body"}, ParamGroupOf<G>{{p[1], p[2]}, second, "head"}};
}

// Steps t = first..last; parameter 2 gets no gradient on even steps.
void run_steps(Optimizer& opt, std::vector<Tensor> params, int first, int last) {
  for (int t = first; t <= last; ++t) {
    for (size_t i = 0; i < params.size(); ++i) {
      params[i].set_grad(i == 2 && t % 2 == 0 ? Tensor() : synthetic_grad(params[i], t, int(i)));
    }
    opt.step();
  }
}

std::vector<Tensor> copies(const std::vector<Tensor>& ps) {
  std::vector<Tensor> out;
  for (const Tensor& p : ps) out.push_back(p.clone().detach());
  return out;
}

using Factory = std::function<std::unique_ptr<Optimizer>(const std::vector<Tensor>&)>;

// 10 steps, save, 10 more = A; a fresh optimizer over copies of the saved parameters, loaded
// with the saved state, then the same 10 steps = A bit for bit.
void check_resume(const Factory& make) {
  std::vector<Tensor> params = fresh_params();
  auto opt = make(params);
  run_steps(*opt, params, 1, 10);
  const OptimizerState saved = opt->state_dict();
  const std::vector<Tensor> saved_params = copies(params);
  run_steps(*opt, params, 11, 20);

  std::vector<Tensor> resumed = copies(saved_params);
  auto opt2 = make(resumed);
  opt2->load_state_dict(saved);
  run_steps(*opt2, resumed, 11, 20);
  for (size_t i = 0; i < params.size(); ++i) {
    INFO(opt->name() << " parameter " << i);
    CHECK(resumed[i].to_vector<float>() == params[i].to_vector<float>());
  }
  const OptimizerState a = opt->state_dict(), b = opt2->state_dict();
  CHECK(a.scalars == b.scalars);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (const auto& [key, t] : a.tensors) CHECK(b.tensors.at(key).to_vector<float>() == t.to_vector<float>());
}

}  // namespace

TEST_CASE("state_dict round trip resumes exactly (SGD nesterov, Adam amsgrad, AdamW)") {
  check_resume([](const std::vector<Tensor>& p) {
    return std::make_unique<SGD>(two_groups<SgdGroupOptions>(p, {.lr = 0.02, .weight_decay = 0.1}),
                                 SgdOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  check_resume([](const std::vector<Tensor>& p) {
    return std::make_unique<Adam>(two_groups<AdamGroupOptions>(p, {.weight_decay = 0.1, .amsgrad = false}),
                                  AdamOptions{.lr = 0.01, .weight_decay = 0.01, .amsgrad = true});
  });
  check_resume([](const std::vector<Tensor>& p) {
    return std::make_unique<AdamW>(two_groups<AdamGroupOptions>(p, {.lr = 0.005}), AdamWOptions{.lr = 0.01});
  });
}

TEST_CASE("state_dict holds named copies of every buffer, step and group hyperparameter") {
  std::vector<Tensor> params = fresh_params();
  Adam adam(two_groups<AdamGroupOptions>(params, {.lr = 0.005, .amsgrad = true}), {.lr = 0.01});
  run_steps(adam, params, 1, 3);
  const OptimizerState s = adam.state_dict();
  CHECK(s.scalars.at("num_groups") == 2);
  CHECK(s.scalars.at("group.0.num_params") == 1);
  CHECK(s.scalars.at("group.1.num_params") == 2);
  CHECK(s.scalars.at("group.0.lr") == 0.01);
  CHECK(s.scalars.at("group.1.lr") == 0.005);
  CHECK(s.scalars.at("group.1.beta1") == 0.9);
  CHECK(s.scalars.at("group.1.amsgrad") == 1);
  CHECK(s.scalars.at("group.0.amsgrad") == 0);
  CHECK(s.scalars.at("state.0.step") == 3);
  CHECK(s.scalars.at("state.2.step") == 2);  // parameter 2 missed step 2
  CHECK(s.tensors.at("state.1.exp_avg").shape() == Shape{5});
  CHECK(s.tensors.count("state.1.max_exp_avg_sq") == 1);
  CHECK(s.tensors.count("state.0.max_exp_avg_sq") == 0);
  CHECK(s.tensors.size() == 2 + 3 + 3);
  const std::vector<float> before = s.tensors.at("state.0.exp_avg").to_vector<float>();
  run_steps(adam, params, 4, 4);
  CHECK(s.tensors.at("state.0.exp_avg").to_vector<float>() == before);  // a copy, not a view
}

TEST_CASE("load_state_dict checks counts, keys, values and shapes before changing anything") {
  std::vector<Tensor> params = fresh_params();
  SGD sgd(two_groups<SgdGroupOptions>(params, {}), {.lr = 0.1, .momentum = 0.9});
  run_steps(sgd, params, 1, 2);
  const OptimizerState good = sgd.state_dict();

  OptimizerState bad = good;
  bad.tensors["state.1.momentum_buffer"] = zeros({2, 3});
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad),
                       Contains("'state.1.momentum_buffer' has shape [2, 3] but parameter 1 has shape [5]"),
                       std::invalid_argument);
  bad = good;
  bad.scalars["num_groups"] = 3;
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("3 parameter groups but the optimizer has 2"),
                       std::invalid_argument);
  bad = good;
  bad.scalars["group.1.num_params"] = 1;
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("'group.1.num_params' is 1"), std::invalid_argument);
  bad = good;
  bad.scalars.erase("group.0.dampening");
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("missing key 'group.0.dampening'"), std::invalid_argument);
  bad = good;
  bad.scalars["group.0.betas"] = 0.9;
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("unexpected scalar key 'group.0.betas'"),
                       std::invalid_argument);
  bad = good;
  bad.tensors["state.7.momentum_buffer"] = zeros({5});
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("unexpected tensor key 'state.7.momentum_buffer'"),
                       std::invalid_argument);
  bad = good;
  bad.scalars["group.1.lr"] = -0.5;
  bad.tensors["state.0.momentum_buffer"] = zeros({3, 4});
  CHECK_THROWS_WITH_AS(sgd.load_state_dict(bad), Contains("group 1 ('head'): lr must be >= 0"),
                       std::invalid_argument);
  CHECK(sgd.lr(1) == 0.1);  // nothing was applied
  CHECK(sgd.state_dict().tensors.at("state.0.momentum_buffer").to_vector<float>() ==
        good.tensors.at("state.0.momentum_buffer").to_vector<float>());

  // An Adam state must be complete for its group's settings.
  std::vector<Tensor> p2 = fresh_params();
  Adam adam(two_groups<AdamGroupOptions>(p2, {}), {.lr = 0.01, .amsgrad = true});
  run_steps(adam, p2, 1, 1);
  OptimizerState partial = adam.state_dict();
  partial.tensors.erase("state.0.max_exp_avg_sq");
  CHECK_THROWS_WITH_AS(adam.load_state_dict(partial), Contains("parameter 0: state has no 'max_exp_avg_sq'"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(adam.load_state_dict(good), Contains("unexpected tensor key 'state.0.momentum_buffer'"),
                       std::invalid_argument);
  OptimizerState no_tensors = good;
  no_tensors.tensors.clear();
  CHECK_THROWS_WITH_AS(adam.load_state_dict(no_tensors), Contains("missing key 'group.0.amsgrad'"),
                       std::invalid_argument);
}
