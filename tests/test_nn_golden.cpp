// nn ops against PyTorch 1.13 golden values (tests/fixtures/nn/gen_nn_golden.py):
// conv (stride, padding, dilation, groups, depthwise, 1x1, rectangular),
// batch norm (train with running-stat update, and eval), pooling, cross-entropy,
// forward and backward, and a whole ResNet-20 forward+backward.
#include <map>

#include "nn/functional.h"
#include "nn/models/model.h"
#include "nn/state_io.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;
namespace F = cyclone::nn::functional;

namespace {
const std::string kGolden = CYCLONE_SOURCE_DIR "/tests/fixtures/nn/nn_golden.npz";
Tensor G(const std::string& key) { return test::npz_fixture(kGolden, key); }
Tensor P(const std::string& key) { return G(key).clone().requires_grad_(); }
}  // namespace

TEST_CASE("conv2d forward and backward equal PyTorch") {
  struct Case { const char* name; F::Conv2dOptions o; bool bias; };
  F::Conv2dOptions groups, depthwise, pointwise, rect;
  groups.stride(2).padding(1).with_groups(2);
  depthwise.padding(2).dilation(2).with_groups(4);
  rect.stride_h = 2; rect.stride_w = 1; rect.pad_h = 1; rect.pad_w = 0;
  for (const Case& c : {Case{"conv_groups", groups, true}, Case{"conv_depthwise", depthwise, false},
                        Case{"conv_pointwise", pointwise, true}, Case{"conv_rect", rect, true}}) {
    const std::string n = c.name;
    INFO(n);
    Tensor x = P(n + ".x"), w = P(n + ".w"), b = c.bias ? P(n + ".b") : Tensor();
    Tensor y = F::conv2d(x, w, b, c.o);
    check_close(y, G(n + ".y"), 1e-5, 1e-4);
    y.backward(G(n + ".gy"));
    check_close(x.grad(), G(n + ".gx"), 1e-5, 1e-4);
    check_close(w.grad(), G(n + ".gw"), 1e-5, 1e-4);
    if (c.bias) check_close(b.grad(), G(n + ".gb"), 1e-5, 1e-4);
  }
}

TEST_CASE("batch_norm train/eval and the running-statistics update equal PyTorch") {
  for (std::string n : {"bn2d", "bn1d"}) {
    INFO(n);
    Tensor x = P(n + ".x"), w = P(n + ".w"), b = P(n + ".b");
    Tensor rm = G(n + ".rm0").clone(), rv = G(n + ".rv0").clone();
    Tensor y = F::batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
    check_close(y, G(n + ".y_train"), 1e-5, 1e-4);
    check_close(rm, G(n + ".rm1"), 1e-6, 1e-5);
    check_close(rv, G(n + ".rv1"), 1e-6, 1e-5);
    y.backward(G(n + ".gy"));
    check_close(x.grad(), G(n + ".gx_train"), 1e-5, 1e-4);
    check_close(w.grad(), G(n + ".gw_train"), 1e-5, 1e-4);
    check_close(b.grad(), G(n + ".gb_train"), 1e-5, 1e-4);
    Tensor x2 = P(n + ".x"), w2 = P(n + ".w"), b2 = P(n + ".b");
    Tensor y2 = F::batch_norm(x2, G(n + ".rm0"), G(n + ".rv0"), w2, b2, false, 0.1, 1e-5);
    check_close(y2, G(n + ".y_eval"), 1e-5, 1e-4);
    y2.backward(G(n + ".gy"));
    check_close(x2.grad(), G(n + ".gx_eval"), 1e-5, 1e-4);
    check_close(w2.grad(), G(n + ".gw_eval"), 1e-5, 1e-4);
  }
}

TEST_CASE("pooling forward and backward equal PyTorch") {
  auto run = [](const std::string& n, const std::function<Tensor(const Tensor&)>& f) {
    INFO(n);
    Tensor x = P(n + ".x");
    Tensor y = f(x);
    check_close(y, G(n + ".y"), 1e-6, 1e-5);
    y.backward(G(n + ".gy"));
    check_close(x.grad(), G(n + ".gx"), 1e-6, 1e-5);
  };
  run("maxpool", [](const Tensor& x) { return F::max_pool2d(x, F::Pool2dOptions::square(3, 2, 1)); });
  run("maxpool_ceil", [](const Tensor& x) {
    auto o = F::Pool2dOptions::square(2, 2, 0);
    o.ceil_mode = true;
    return F::max_pool2d(x, o);
  });
  run("avgpool_pad", [](const Tensor& x) { return F::avg_pool2d(x, F::Pool2dOptions::square(3, 2, 1)); });
  run("avgpool_nopad", [](const Tensor& x) {
    auto o = F::Pool2dOptions::square(3, 2, 1);
    o.count_include_pad = false;
    return F::avg_pool2d(x, o);
  });
  run("adaptive", [](const Tensor& x) { return F::adaptive_avg_pool2d(x.slice(2, 0, 5).slice(3, 0, 7), 3, 2); });
}

TEST_CASE("cross-entropy (mean, sum, smoothing, ignore_index) and log_softmax equal PyTorch") {
  for (const auto& c : std::vector<std::tuple<std::string, F::Reduction, double>>{
           {"ce", F::Reduction::Mean, 0.0}, {"ce_smooth", F::Reduction::Mean, 0.1}, {"ce_sum", F::Reduction::Sum, 0.0},
           {"ce_ignore", F::Reduction::Mean, 0.0}}) {
    const std::string& n = std::get<0>(c);
    const F::Reduction red = std::get<1>(c);
    const double smooth = std::get<2>(c);
    INFO(n);
    Tensor logits = P(n + ".logits");
    Tensor loss = F::cross_entropy(logits, G(n + ".labels"), red, smooth);
    CHECK(loss.item() == doctest::Approx(G(n + ".loss").item()).epsilon(1e-6));
    loss.backward();
    check_close(logits.grad(), G(n + ".glogits"), 1e-6, 1e-5);
  }
  Tensor x = P("log_softmax.x");
  Tensor y = F::log_softmax(x, 1);
  check_close(y, G("log_softmax.y"), 1e-6, 1e-5);
  y.backward(G("log_softmax.gy"));
  check_close(x.grad(), G("log_softmax.gx"), 1e-6, 1e-5);
}

TEST_CASE("ResNet-20: loss, logits, gradients and running stats equal PyTorch on a fixed batch") {
  auto model = nn::make_model("resnet20");
  nn::NamedTensors state;
  for (auto& [k, v] : test::npz_fixture_file(kGolden)) {
    if (k.rfind("resnet20.state.", 0) == 0) state.emplace_back(k.substr(15), v);
  }
  model->load_state_dict(state);  // strict; num_batches_tracked may be absent
  model->train();
  Tensor logits = model->forward(G("resnet20.x"));
  check_close(logits, G("resnet20.logits_train"), 1e-4, 1e-4);
  Tensor loss = F::cross_entropy(logits, G("resnet20.labels"));
  CHECK(loss.item() == doctest::Approx(G("resnet20.loss").item()).epsilon(1e-5));
  loss.backward();
  std::map<std::string, Tensor> params;
  for (auto& [k, v] : model->named_parameters()) params[k] = v;
  for (std::string k : {"conv1.weight", "bn1.weight", "layer2.0.conv1.weight", "layer3.2.bn2.weight", "linear.weight",
                        "linear.bias"}) {
    INFO(k);
    check_close(params.at(k).grad(), G("resnet20.grad." + k), 1e-5, 1e-3);
  }
  std::map<std::string, Tensor> sd;
  for (auto& [k, v] : model->state_dict()) sd[k] = v;
  check_close(sd.at("bn1.running_mean"), G("resnet20.after.bn1.running_mean"), 1e-6, 1e-5);
  check_close(sd.at("layer3.2.bn2.running_var"), G("resnet20.after.layer3.2.bn2.running_var"), 1e-6, 1e-5);
  model->eval();
  NoGradGuard ng;
  check_close(model->forward(G("resnet20.x")), G("resnet20.logits_eval"), 1e-4, 1e-4);
}
