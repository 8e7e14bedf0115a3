// Optimizers: option checks, parameter groups and their defaults, hand-computed steps,
// skipped gradients, zero_grad, schedule setters, and multi-launch batching of many tensors.
#include <cmath>

#include "nn/layers.h"
#include "optim/adam.h"
#include "optim/param_groups.h"
#include "optim/sgd.h"
#include "schedules/compose.h"
#include "train/param_groups.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::optim;
using schedules::lr_slice;
using doctest::Contains;

namespace {

Tensor param(const std::vector<float>& v) { return from_vector(v, {static_cast<int64_t>(v.size())}); }

// A deterministic gradient for step t of parameter i.
Tensor synthetic_grad(const Tensor& p, int t, int i) {
  std::vector<float> g(static_cast<size_t>(p.numel()));
  for (size_t k = 0; k < g.size(); ++k) g[k] = static_cast<float>(std::sin(0.3 * t + i + 0.7 * double(k)));
  return from_vector(g, p.shape());
}

template <class G>
constexpr bool has_betas = requires(G g) { g.betas; };
template <class G>
constexpr bool has_momentum = requires(G g) { g.momentum; };

}  // namespace

TEST_CASE("SGD and Adam reject invalid options, naming the option and the group") {
  Tensor p = param({1, 2});
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = -0.1}), Contains("lr must be >= 0, got -0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .momentum = -1}), Contains("momentum must be >= 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .weight_decay = -1e-4}), Contains("weight_decay must be >= 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .nesterov = true}), Contains("nesterov momentum needs momentum > 0"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({p}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                       Contains("dampening == 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.lr = -1}), Contains("lr must be >= 0"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.betas = {1.0, 0.999}}), Contains("beta1 must be in [0, 1), got 1"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(AdamW({p}, {.betas = {0.9, -0.5}}), Contains("beta2 must be in [0, 1)"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({p}, {.eps = -1e-8}), Contains("eps must be >= 0"), std::invalid_argument);
  // A group's own bad value names the group.
  Tensor q = param({3});
  CHECK_THROWS_WITH_AS(SGD({SgdParamGroup{{p}, {}, "body"}, SgdParamGroup{{q}, {.lr = -1}, "head"}}, {.lr = 0.1}),
                       Contains("SGD: group 1 ('head'): lr must be >= 0"), std::invalid_argument);
  // Options the optimizer does not read cannot be set: each optimizer's group options are its own type.
  static_assert(!has_betas<SgdGroupOptions> && has_betas<AdamGroupOptions>, "SGD has no betas");
  static_assert(!has_momentum<AdamGroupOptions> && has_momentum<SgdGroupOptions>, "Adam has no momentum");
  CHECK_THROWS_WITH_AS(SGD(std::vector<SgdParamGroup>{}), Contains("empty list"), std::invalid_argument);
}

TEST_CASE("parameters: one group each, float32 contiguous leaves") {
  Tensor a = param({1, 2}), b = zeros({3, 4});
  CHECK_THROWS_WITH_AS(SGD({SgdParamGroup{{a}, {}, "body"}, SgdParamGroup{{b, a}, {}, "head"}}),
                       Contains("group 1 ('head'): parameter 1 (shape [2]) already belongs to SGD: group 0 ('body')"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Adam({a, b, a}), Contains("parameter 2 (shape [2]) already belongs"), std::invalid_argument);
  SGD sgd({a}, {.lr = 0.1});
  CHECK_THROWS_WITH_AS(sgd.add_param_group({{b, a}, {}, "late"}), Contains("parameter 1"), std::invalid_argument);
  CHECK(sgd.num_groups() == 1);  // the failed group was not added
  CHECK_THROWS_WITH_AS(SGD({b.t()}), Contains("contiguous"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(SGD({zeros({2}, DType::i64)}), Contains("float32"), std::invalid_argument);
  Tensor leaf = param({1}).requires_grad_();
  CHECK_THROWS_WITH_AS(SGD({leaf * 2.0}), Contains("not a leaf"), std::invalid_argument);
}

TEST_CASE("groups take the optimizer's defaults for every option they leave empty") {
  Tensor a = param({1}), b = param({2}), c = param({3});
  SGD sgd({SgdParamGroup{{a}, {}, "body"}, SgdParamGroup{{b}, {.lr = 0.5, .nesterov = true}, "head"}},
          {.lr = 0.1, .momentum = 0.9, .weight_decay = 1e-4});
  CHECK(sgd.options(0).lr == 0.1);
  CHECK(sgd.options(1).lr == 0.5);
  CHECK(sgd.options(1).momentum == 0.9);
  CHECK(sgd.options(1).weight_decay == 1e-4);
  CHECK(sgd.options(1).nesterov);
  CHECK(!sgd.options(0).nesterov);
  CHECK(sgd.group_name(1) == "head");
  // A group added later resolves against the defaults, not against another group's values.
  sgd.set_lr(0, 0.01);
  sgd.add_param_group({{c}, {.momentum = 0.5}, "extra"});
  CHECK(sgd.num_groups() == 3);
  CHECK(sgd.options(2).lr == 0.1);
  CHECK(sgd.options(2).momentum == 0.5);
  CHECK(sgd.params(2)[0].impl() == c.impl());

  Adam adam({AdamParamGroup{{a}, {.betas = std::make_pair(0.5, 0.9), .amsgrad = true}, ""}, AdamParamGroup{{b}, {}, ""}},
            {.lr = 0.01, .eps = 1e-6});
  CHECK(adam.options(0).betas.first == 0.5);
  CHECK(adam.options(0).eps == 1e-6);
  CHECK(adam.options(0).amsgrad);
  CHECK(!adam.options(1).amsgrad);
  CHECK(adam.options(1).betas.second == 0.999);
  CHECK(AdamW({a}).options(0).weight_decay == 1e-2);  // AdamW's own default, as in PyTorch
  CHECK(Adam({a}).options(0).weight_decay == 0.0);
}

TEST_CASE("schedule setters: lr and momentum (SGD momentum, Adam beta1) per group") {
  Tensor a = param({1}), b = param({2});
  SGD sgd({SgdParamGroup{{a}, {}, ""}, SgdParamGroup{{b}, {}, ""}}, {.lr = 0.1, .momentum = 0.9});
  sgd.set_lr(1, 0.3);
  sgd.set_momentum(0, 0.85);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.3);
  CHECK(sgd.momentum(0) == 0.85);
  CHECK(sgd.momentum(1) == 0.9);
  CHECK_THROWS_AS(sgd.set_lr(2, 0.1), std::out_of_range);
  CHECK_THROWS_WITH_AS(sgd.set_lr(0, -1), Contains("group 0: lr must be >= 0"), std::invalid_argument);
  CHECK(sgd.lr(0) == 0.1);  // unchanged after the failed set
  AdamW adamw({a, b});
  adamw.set_momentum(0, 0.95);
  CHECK(adamw.options(0).betas.first == 0.95);
  CHECK(adamw.options(0).betas.second == 0.999);
  CHECK(adamw.momentum(0) == 0.95);
  CHECK_THROWS_WITH_AS(adamw.set_momentum(0, 1.0), Contains("beta1"), std::invalid_argument);
}

TEST_CASE("discriminative learning rates: lr_slice and make_param_groups") {
  const std::vector<double> spread = lr_slice(1e-4, 1e-2, 3);
  REQUIRE(spread.size() == 3);
  CHECK(spread[0] == doctest::Approx(1e-4));
  CHECK(spread[1] == doctest::Approx(1e-3));
  CHECK(spread[2] == doctest::Approx(1e-2));
  const std::vector<double> last = lr_slice(1e-2, 3);
  REQUIRE(last.size() == 3);
  CHECK(last[0] == doctest::Approx(1e-3));
  CHECK(last[1] == doctest::Approx(1e-3));
  CHECK(last[2] == 1e-2);

  nn::Linear body(1, 1), head(1, 1, /*bias=*/false);  // 2 parameters and 1
  const std::vector<nn::LayerGroup> layers = {{"body", {&body}}, {"head", {&head}}};
  SGD sgd(train::make_param_groups<SgdGroupOptions>(layers, lr_slice(0.1, 2)), {.lr = 1.0, .momentum = 0.9});
  CHECK(sgd.num_groups() == 2);
  CHECK(sgd.group_name(0) == "body");
  CHECK(sgd.params(0).size() == 2);
  CHECK(sgd.lr(0) == doctest::Approx(0.01));
  CHECK(sgd.lr(1) == 0.1);
  CHECK(sgd.momentum(0) == 0.9);
  CHECK_THROWS_WITH_AS(train::make_param_groups<SgdGroupOptions>(layers, {0.1, 0.2, 0.3}), Contains("2 layer groups but 3 learning rates"),
                       std::invalid_argument);
}

TEST_CASE("SGD with momentum, by hand: the buffer starts as the gradient") {
  Tensor p = param({1.f, 2.f});
  SGD sgd({p}, {.lr = 0.1, .momentum = 0.9});
  p.set_grad(param({0.5f, -1.f}));
  sgd.step();  // buf = g; p -= 0.1 * g
  test::check_close(p, {0.95f, 2.1f}, 1e-7, 1e-6);
  sgd.step();  // buf = 0.9 * g + g = 1.9 g; p -= 0.19 g
  test::check_close(p, {0.855f, 2.29f}, 1e-7, 1e-6);
  CHECK(sgd.state_dict().tensors.at("state.0.momentum_buffer").to_vector<float>()[1] == doctest::Approx(-1.9f));
}

TEST_CASE("Adam and AdamW first step, by hand") {
  // Step 1: m_hat = g and v_hat = g^2, so p -= lr * g / (|g| + eps) = lr * sign(g).
  Tensor p = param({1.f, -1.f, 0.5f});
  Adam adam({p}, {.lr = 0.1});
  p.set_grad(param({0.3f, -2.f, 1e-2f}));
  adam.step();
  test::check_close(p, {0.9f, -0.9f, 0.4f}, 1e-6, 1e-6);
  // AdamW first shrinks p by (1 - lr * wd) = 0.95, then takes the same Adam step.
  Tensor q = param({1.f, -1.f});
  AdamW adamw({q}, {.lr = 0.1, .weight_decay = 0.5});
  q.set_grad(param({0.3f, -2.f}));
  adamw.step();
  test::check_close(q, {0.85f, -0.85f}, 1e-6, 1e-6);
  // Adam's weight decay is coupled: g' = g + wd * p = -0.3 + 0.5 = 0.2 > 0, so p moves down.
  Tensor r = param({1.f});
  Adam coupled({r}, {.lr = 0.1, .weight_decay = 0.5});
  r.set_grad(param({-0.3f}));
  coupled.step();
  test::check_close(r, {0.9f}, 1e-6, 1e-6);
}

TEST_CASE("parameters without a gradient are skipped; zero_grad drops gradients") {
  Tensor a = param({1.f, 2.f}), b = param({3.f});
  Adam adam({a, b}, {.lr = 0.1});
  a.set_grad(param({1.f, 1.f}));
  adam.step();
  CHECK(b.to_vector<float>() == std::vector<float>{3.f});
  CHECK(a.to_vector<float>()[0] == doctest::Approx(0.9f));
  const OptimizerState s = adam.state_dict();
  CHECK(s.scalars.at("state.0.step") == 1);
  CHECK(s.scalars.count("state.1.step") == 0);
  CHECK(s.tensors.count("state.1.exp_avg") == 0);
  adam.zero_grad();
  CHECK(!a.grad().defined());
  CHECK(!b.grad().defined());
  adam.step();  // nothing has a gradient: nothing moves
  CHECK(a.to_vector<float>()[0] == doctest::Approx(0.9f));
  CHECK(adam.state_dict().scalars.at("state.0.step") == 1);
}

TEST_CASE("a bad gradient is reported before any parameter changes") {
  Tensor a = param({1.f}), b = param({1.f, 2.f});
  SGD sgd({SgdParamGroup{{a}, {}, ""}, SgdParamGroup{{b}, {}, ""}}, {.lr = 0.1});
  a.set_grad(param({1.f}));
  b.set_grad(param({1.f, 2.f, 3.f}));
  CHECK_THROWS_WITH_AS(sgd.step(), Contains("gradient of parameter 1 has shape [3] but the parameter has shape [2]"),
                       std::invalid_argument);
  CHECK(a.to_vector<float>()[0] == 1.f);
}

TEST_CASE("a non-contiguous gradient gives the same step as its contiguous copy") {
  Tensor a = test::seeded_randn({3, 5}, 1).detach(), b = a.clone().detach();
  Tensor g = test::seeded_randn({5, 3}, 2).detach();
  SGD sa({a}, {.lr = 0.1, .momentum = 0.9}), sb({b}, {.lr = 0.1, .momentum = 0.9});
  a.set_grad(g.t());
  b.set_grad(g.t().contiguous());
  sa.step();
  sb.step();
  CHECK(a.to_vector<float>() == b.to_vector<float>());
}

TEST_CASE("70 tensors in one group (three launches) equal 70 single-tensor optimizers") {
  std::vector<Tensor> together, alone;
  for (int i = 0; i < 70; ++i) {
    const int64_t n = (i * 37) % 101 + (i % 3 == 0 ? 0 : 1);  // odd sizes, some empty
    together.push_back(test::seeded_randn({n}, 100 + i).detach());
    alone.push_back(together.back().clone().detach());
  }
  auto run = [&](auto make) {
    auto big = make(together);
    std::vector<decltype(make(alone))> single;
    for (const Tensor& p : alone) single.push_back(make(std::vector<Tensor>{p}));
    for (int t = 1; t <= 3; ++t) {
      for (int i = 0; i < 70; ++i) {
        together[i].set_grad(synthetic_grad(together[i], t, i));
        alone[i].set_grad(synthetic_grad(alone[i], t, i));
      }
      big->step();
      for (auto& s : single) s->step();
    }
    for (int i = 0; i < 70; ++i) {
      INFO("tensor " << i);
      CHECK(together[i].to_vector<float>() == alone[i].to_vector<float>());
    }
  };
  run([](const std::vector<Tensor>& ps) {
    return std::make_unique<SGD>(ps, SgdOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  });
  run([](const std::vector<Tensor>& ps) {
    return std::make_unique<Adam>(ps, AdamOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
  });
}
