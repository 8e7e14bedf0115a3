// nn modules: names, state_dict and strict/non-strict loading, train/eval,
// freezing, initialisation statistics, shape errors that name the layer, the
// model zoo, and gradchecks of the CNN ops.
#include <cmath>
#include <filesystem>
#include <map>

#include "nn/functional.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/models/model.h"
#include "nn/state_io.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;
namespace F = cyclone::nn::functional;

namespace {
Tensor leaf(const Shape& s, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  manual_seed(seed);
  return (rand(s) * (hi - lo) + lo).detach().requires_grad_();
}
void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> in,
                      GradcheckOptions o = {}) {
  const GradcheckResult r = gradcheck(f, std::move(in), o);
  INFO(r.report);
  CHECK(r.ok);
}
}  // namespace

TEST_CASE("ResNet-20 has PyTorch's parameter names, order and count") {
  auto m = nn::make_model("resnet20");
  const auto sd = m->state_dict();
  REQUIRE(sd.size() >= 4);
  CHECK(sd[0].first == "conv1.weight");
  CHECK(sd[1].first == "bn1.weight");
  CHECK(sd[3].first == "bn1.running_mean");
  CHECK(sd[5].first == "bn1.num_batches_tracked");
  std::map<std::string, Shape> shapes;
  for (auto& [k, v] : sd) shapes[k] = v.shape();
  CHECK(shapes.at("layer1.0.conv1.weight") == Shape{16, 16, 3, 3});
  CHECK(shapes.at("layer2.0.conv1.weight") == Shape{32, 16, 3, 3});
  CHECK(shapes.at("layer3.2.bn2.running_var") == Shape{64});
  CHECK(shapes.at("linear.weight") == Shape{10, 64});
  CHECK(m->num_parameters() == 269722);  // the published ResNet-20 size (0.27M)
  CHECK(nn::make_model("resnet56")->num_parameters() == 853018);
  CHECK(nn::make_model("resnet32")->layer_groups().size() == 5);
  CHECK_THROWS_WITH(nn::make_model("resnet21"), doctest::Contains("resnet20, resnet32"));
}

TEST_CASE("strict loading reports every problem at once; non-strict returns the report") {
  auto m = nn::make_model("resnet20");
  nn::NamedTensors state = m->state_dict();
  state.erase(state.begin());                                        // missing conv1.weight
  state.emplace_back("extra.weight", zeros({3}));                    // unexpected
  for (auto& [k, v] : state) {
    if (k == "linear.weight") v = zeros({10, 32});                   // mismatched
  }
  try {
    m->load_state_dict(state);
    FAIL("expected an error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    CHECK(msg.find("conv1.weight") != std::string::npos);
    CHECK(msg.find("extra.weight") != std::string::npos);
    CHECK(msg.find("linear.weight: model [10, 64] vs file [10, 32]") != std::string::npos);
  }
  const nn::LoadReport rep = m->load_state_dict(state, false);
  CHECK(rep.missing == std::vector<std::string>{"conv1.weight"});
  CHECK(rep.unexpected == std::vector<std::string>{"extra.weight"});
  CHECK(rep.mismatched.size() == 1);
  CHECK(!rep.ok());
}

TEST_CASE("state_dict round-trips through npz exactly") {
  auto a = nn::make_model("smallcnn");
  auto b = nn::make_model("smallcnn");
  const std::string path = (std::filesystem::temp_directory_path() / "cyclone_state_test.npz").string();
  nn::save_weights(*a, path);
  nn::load_weights(*b, path);
  const auto sa = a->state_dict(), sb = b->state_dict();
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) CHECK(sa[i].second.to_vector() == sb[i].second.to_vector());
  std::filesystem::remove(path);
  CHECK_THROWS_WITH(nn::load_weights(*b, "/nonexistent/w.npz"), doctest::Contains("/nonexistent/w.npz"));
  CHECK_THROWS_WITH(nn::load_weights(*b, "weights.bin"), doctest::Contains("expected .npz or .onnx"));
}

TEST_CASE("train/eval, freezing and zero_grad") {
  auto m = nn::make_model("smallcnn");
  m->eval();
  for (auto& [n, mod] : m->named_modules()) CHECK(!mod->is_training());
  m->train();
  CHECK(m->is_training());
  m->requires_grad_(false);
  for (auto& p : m->parameters()) CHECK(!p.requires_grad());
  m->requires_grad_(true);
  Tensor x = randn({2, 1, 28, 28});
  sum(m->forward(x)).backward();
  for (auto& p : m->parameters()) CHECK(p.grad().defined());
  m->zero_grad();
  for (auto& p : m->parameters()) CHECK(!p.grad().defined());
}

TEST_CASE("layer shape errors name the layer and both shapes") {
  nn::Conv2d conv(3, 8, 3, 1, 1);
  CHECK_THROWS_WITH(conv.forward(zeros({2, 4, 8, 8})), doctest::Contains("expected input [N, 3, H, W], got [2, 4, 8, 8]"));
  CHECK_THROWS_WITH(conv.forward(zeros({4, 8, 8})), doctest::Contains("Conv2d(3, 8"));
  nn::BatchNorm2d bn(8);
  CHECK_THROWS_WITH(bn.forward(zeros({2, 5, 4, 4})), doctest::Contains("BatchNorm2d(8): expected input [N, 8, H, W], got [2, 5, 4, 4]"));
  nn::Linear lin(64, 10);
  CHECK_THROWS_WITH(lin.forward(zeros({2, 32})), doctest::Contains("expected input [..., 64], got [2, 32]"));
  CHECK_THROWS_WITH(nn::make_model("resnet20")->forward(zeros({1, 1, 32, 32})), doctest::Contains("[N, 3, H, W]"));
  CHECK_THROWS_WITH(F::max_pool2d(zeros({1, 1, 1, 1}), F::Pool2dOptions::square(3)), doctest::Contains("smaller than the kernel"));
  CHECK_THROWS_WITH(F::cross_entropy(zeros({2, 3}), from_vector(std::vector<int64_t>{0, 5}, {2})), doctest::Contains("label"));
}

TEST_CASE("default initialisation matches PyTorch's distributions") {
  manual_seed(3);
  nn::Conv2d conv(64, 64, 3);  // kaiming_uniform(a=sqrt 5): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  const double bound = 1.0 / std::sqrt(64.0 * 9.0);
  const auto w = conv.weight.to_vector();
  double sq = 0, mx = 0;
  for (float v : w) {
    sq += double(v) * v;
    mx = std::max(mx, double(std::fabs(v)));
  }
  CHECK(mx <= bound + 1e-7);
  CHECK(std::sqrt(sq / w.size()) == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  for (float v : conv.bias.to_vector()) CHECK(std::fabs(v) <= bound + 1e-7);
  nn::BatchNorm2d bn(4);
  CHECK(bn.weight.to_vector() == std::vector<float>(4, 1.f));
  CHECK(bn.running_var.to_vector() == std::vector<float>(4, 1.f));
}

TEST_CASE("dropout: inverted scaling in training, identity in eval") {
  manual_seed(5);
  Tensor x = ones({10000});
  Tensor y = F::dropout(x, 0.3, true);
  const auto v = y.to_vector();
  int zeros_n = 0;
  for (float e : v) {
    if (e == 0.f) ++zeros_n;
    else CHECK(e == doctest::Approx(1.0 / 0.7));
  }
  CHECK(zeros_n / 10000.0 == doctest::Approx(0.3).epsilon(0.05));
  CHECK(F::dropout(x, 0.3, false).storage() == x.storage());
}

TEST_CASE("pad works on any axis, including channels (option-A shortcut)") {
  Tensor x = arange(0, 4).reshape({1, 2, 1, 2});
  Tensor y = F::pad(x, {0, 0, 0, 0, 1, 1});
  CHECK(y.shape() == Shape{1, 4, 1, 2});
  check_close(y, {0, 0, 0, 1, 2, 3, 0, 0});
  check_close(F::pad(arange(1, 3), {2, 1}, -1), {-1, -1, 1, 2, -1});
}

TEST_CASE("gradcheck: conv2d, batch_norm, pooling, losses, pad, linear") {
  GradcheckOptions loose;
  loose.atol = 2e-2;
  F::Conv2dOptions o;
  o.stride(2).padding(1).with_groups(2).dilation(1);
  expect_gradcheck([o](auto& in) { return F::conv2d(in[0], in[1], in[2], o); },
                   {leaf({2, 4, 5, 5}, 1), leaf({4, 2, 3, 3}, 2), leaf({4}, 3)}, loose);
  F::Conv2dOptions d;
  d.padding(2).dilation(2);
  expect_gradcheck([d](auto& in) { return F::conv2d(in[0], in[1], Tensor(), d); }, {leaf({1, 2, 5, 4}, 4), leaf({3, 2, 3, 3}, 5)}, loose);
  expect_gradcheck([](auto& in) { return F::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true); },
                   {leaf({3, 2, 3, 3}, 6, -2, 2), leaf({2}, 7, 0.5, 1.5), leaf({2}, 8)}, loose);
  expect_gradcheck([](auto& in) { return F::batch_norm(in[0], Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5, true); },
                   {leaf({4, 3}, 9, -2, 2)}, loose);
  // relu(bn(x) + residual), the fused ResNet block tail: gradients for x, weight, bias and the residual.
  expect_gradcheck([](auto& in) { return F::batch_norm(in[0], Tensor(), Tensor(), in[1], in[2], true, 0.1, 1e-5, true, in[3]); },
                   {leaf({3, 2, 3, 3}, 21, -2, 2), leaf({2}, 22, 0.5, 1.5), leaf({2}, 23), leaf({3, 2, 3, 3}, 24)}, loose);
  expect_gradcheck([](auto& in) { return F::max_pool2d(in[0], F::Pool2dOptions::square(3, 2, 1)); }, {leaf({1, 2, 5, 5}, 10)});
  expect_gradcheck([](auto& in) { return F::avg_pool2d(in[0], F::Pool2dOptions::square(3, 2, 1)); }, {leaf({1, 2, 5, 5}, 11)});
  expect_gradcheck([](auto& in) { return F::adaptive_avg_pool2d(in[0], 2, 3); }, {leaf({1, 2, 5, 7}, 12)});
  Tensor labels = from_vector(std::vector<int64_t>{1, 0, 3}, {3});
  expect_gradcheck([labels](auto& in) { return F::cross_entropy(in[0], labels, F::Reduction::Mean, 0.1); }, {leaf({3, 4}, 13)});
  expect_gradcheck([](auto& in) { return F::log_softmax(in[0], 0); }, {leaf({3, 4}, 14)});
  expect_gradcheck([](auto& in) { return F::mse_loss(in[0], in[1]); }, {leaf({5}, 15), leaf({5}, 16)});
  expect_gradcheck([](auto& in) { return F::pad(in[0], {1, 0, 0, 2}); }, {leaf({2, 2, 2}, 17)});
  expect_gradcheck([](auto& in) { return F::linear(in[0], in[1], in[2]); }, {leaf({3, 4}, 18), leaf({2, 4}, 19), leaf({2}, 20)});
}

TEST_CASE("batch_norm with a residual: relu(bn(x) + residual), bit for bit the three ops it fuses") {
  const Tensor x = leaf({4, 3, 5, 5}, 31, -2, 2), r = leaf({4, 3, 5, 5}, 32), w = leaf({3}, 33, 0.5, 1.5), b = leaf({3}, 34);
  for (bool training : {true, false}) {
    INFO("training " << training);
    const Tensor mean = zeros({3}), var = ones({3});
    const Tensor fused = F::batch_norm(x, mean, var, w, b, training, 0.1, 1e-5, true, r);
    const Tensor mean2 = zeros({3}), var2 = ones({3});
    const Tensor three = relu(add(F::batch_norm(x, mean2, var2, w, b, training), r));
    CHECK(fused.to_vector() == three.to_vector());
    CHECK(mean.to_vector() == mean2.to_vector());
  }
  CHECK_THROWS_WITH(F::batch_norm(x, Tensor(), Tensor(), w, b, true, 0.1, 1e-5, true, leaf({4, 3, 5, 4}, 35)),
                    doctest::Contains("residual [4, 3, 5, 4]"));
}

TEST_CASE("accuracy counts argmax matches") {
  Tensor logits = from_vector(std::vector<float>{0.1f, 0.9f, 0.8f, 0.2f, 0.3f, 0.7f}, {3, 2});
  Tensor labels = from_vector(std::vector<int64_t>{1, 1, 1}, {3});
  CHECK(F::correct_count(logits, labels) == 2);
  CHECK(F::accuracy(logits, labels) == doctest::Approx(2.0 / 3.0));
}
