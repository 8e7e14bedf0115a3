// ONNX importer: the elementwise, reduction, softmax and repeat/split ops on hand-built
// graphs: forward against the formulas, backward by gradcheck, CUDA equal to the CPU, and
// the import-time checks of opset ranges and outputs.
#include <cmath>
#include <functional>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "nn/onnx/import.h"
#include "onnx_test_graphs.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;

namespace {

struct UnaryCase {
  std::string op;
  std::vector<io::OnnxAttribute> attrs;
  std::function<double(double)> ref;
};

std::vector<UnaryCase> unary_cases() {
  const double selu_a = 1.67326319217681884765625, selu_g = 1.05070102214813232421875;
  auto softplus = [](double x) { return std::log1p(std::exp(x)); };
  return {
      {"Sigmoid", {}, [](double x) { return 1 / (1 + std::exp(-x)); }},
      {"Tanh", {}, [](double x) { return std::tanh(x); }},
      {"Exp", {}, [](double x) { return std::exp(x); }},
      {"Neg", {}, [](double x) { return -x; }},
      {"Abs", {}, [](double x) { return std::abs(x); }},
      {"Erf", {}, [](double x) { return std::erf(x); }},
      {"Softsign", {}, [](double x) { return x / (1 + std::abs(x)); }},
      {"Softplus", {}, softplus},
      {"Mish", {}, [softplus](double x) { return x * std::tanh(softplus(x)); }},
      {"LeakyRelu", {attr_float("alpha", 0.2f)}, [](double x) { return x > 0 ? x : 0.2 * x; }},
      {"Elu", {attr_float("alpha", 0.5f)}, [](double x) { return x > 0 ? x : 0.5 * (std::exp(x) - 1); }},
      {"Selu", {}, [=](double x) { return selu_g * (x > 0 ? x : selu_a * (std::exp(x) - 1)); }},
      {"Celu", {attr_float("alpha", 2.0f)}, [](double x) { return std::max(0.0, x) + std::min(0.0, 2 * (std::exp(x / 2) - 1)); }},
      {"ThresholdedRelu", {attr_float("alpha", 0.5f)}, [](double x) { return x > 0.5 ? x : 0.0; }},
      {"HardSigmoid", {attr_float("alpha", 0.25f), attr_float("beta", 0.4f)},
       [](double x) { return std::clamp(0.25 * x + 0.4, 0.0, 1.0); }},
      {"HardSwish", {}, [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }},
  };
}

std::shared_ptr<nn::OnnxModel> one_node(const std::string& op, std::vector<io::OnnxAttribute> attrs, Shape dims,
                                        int64_t opset = 14) {
  GraphBuilder b(std::move(dims), opset);
  b.add(node(op, op, {"x"}, {"y"}, std::move(attrs)));
  return nn::import_onnx_model(b.m, op);
}

// Values away from the kinks (0, the clamp and threshold corners), so finite differences hold.
Tensor test_input(const Shape& s, uint64_t seed) {
  Tensor x = mul(seeded_randn(s, seed), 2.0);
  const Tensor near = lt(abs(x), full({}, 0.05, kCPU));
  return add(x, mul(near.to(DType::f32), 0.3));
}


}  // namespace

TEST_CASE("onnx elementwise activations: forward equals the formula, gradients pass gradcheck") {
  const Tensor x = test_input({3, 7}, 11);
  const auto xs = x.to_vector<float>();
  for (const UnaryCase& c : unary_cases()) {
    CAPTURE(c.op);
    auto model = one_node(c.op, c.attrs, {3, 7});
    const auto got = model->forward(x).to_vector<float>();
    std::vector<float> want;
    for (float v : xs) want.push_back(static_cast<float>(c.ref(v)));
    check_close(got, want, 1e-5, 1e-5);
    if (c.op != "ThresholdedRelu") check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
  }
}

TEST_CASE("onnx Clip: bounds as attributes (opset < 11) and inputs, constant or computed") {
  const Tensor x = from_vector(std::vector<float>{-3, -1, 0.5, 2, 4}, {5});
  auto old = one_node("Clip", {attr_float("min", -1.5f), attr_float("max", 2.5f)}, {5}, 9);
  check_close(old->forward(x), std::vector<float>{-1.5, -1, 0.5, 2, 2.5});

  GraphBuilder b({5}, 13);
  b.init<float>("lo", {}, {-1.5f});
  b.add(node("Clip", "clip", {"x", "lo", ""}, {"y"}));  // no max
  check_close(nn::import_onnx_model(b.m, "clip")->forward(x), std::vector<float>{-1.5, -1, 0.5, 2, 4});

  GraphBuilder r({5}, 13);  // max computed from x: min(max(x, -inf), mean(x))
  r.add(node("ReduceMean", "m", {"x"}, {"m"}, {attr_int("keepdims", 0)}));
  r.add(node("Clip", "clip", {"x", "", "m"}, {"y"}));
  auto computed = nn::import_onnx_model(r.m, "clip");
  check_close(computed->forward(x), std::vector<float>{-3, -1, 0.5, 0.5, 0.5});
  check_gradients([&](const Tensor& t) { return computed->forward(t); }, from_vector(std::vector<float>{-3, -1, 0.3, 2, 4}, {5}));
}

TEST_CASE("onnx PRelu: the slope broadcasts over channels and is trainable") {
  GraphBuilder b({2, 3, 2}, 14);
  b.init<float>("slope", {3, 1}, {0.1f, 0.5f, -2.0f});
  b.add(node("PRelu", "prelu", {"x", "slope"}, {"y"}));
  auto model = nn::import_onnx_model(b.m, "prelu");
  const Tensor x = test_input({2, 3, 2}, 5);
  const auto xs = x.to_vector<float>();
  std::vector<float> want;
  for (size_t i = 0; i < xs.size(); ++i) {
    const float s = std::vector<float>{0.1f, 0.5f, -2.0f}[(i / 2) % 3];
    want.push_back(xs[i] >= 0 ? xs[i] : s * xs[i]);
  }
  check_close(model->forward(x), want);
  check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
  model->zero_grad();
  sum(model->forward(x.detach().clone())).backward();
  const auto params = model->named_parameters();
  REQUIRE(params.size() == 1);
  // d/dslope = sum of x over the negative elements of that channel
  std::vector<float> dslope(3, 0.0f);
  for (size_t i = 0; i < xs.size(); ++i) dslope[(i / 2) % 3] += xs[i] < 0 ? xs[i] : 0.0f;
  check_close(params[0].second.grad(), dslope, 1e-5);
}

TEST_CASE("onnx Pow, variadic Max/Min/Sum/Mean, comparisons and Where, with gradients") {
  GraphBuilder b({2, 3}, 13);
  b.init<float>("two", {}, {2.0f});
  b.init<float>("row", {3}, {0.5f, -0.5f, 1.0f});
  b.add(node("Pow", "pow", {"x", "two"}, {"sq"}));
  b.add(node("Max", "max", {"x", "row", "sq"}, {"mx"}));
  b.add(node("Mean", "mean", {"mx", "x"}, {"mn"}));
  b.add(node("Greater", "gt", {"x", "row"}, {"cond"}));
  b.add(node("Where", "where", {"cond", "mn", "row"}, {"y"}));
  auto model = nn::import_onnx_model(b.m, "mix");
  const Tensor x = from_vector(std::vector<float>{-1.2f, 0.3f, 2.0f, 0.7f, -0.2f, 0.4f}, {2, 3});
  const std::vector<float> xs = x.to_vector<float>(), row{0.5f, -0.5f, 1.0f};
  std::vector<float> want;
  for (size_t i = 0; i < 6; ++i) {
    const float r = row[i % 3], v = xs[i];
    const float mx = std::max({v, r, v * v});
    want.push_back(v > r ? (mx + v) / 2 : r);
  }
  check_close(model->forward(x), want);
  check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
}

TEST_CASE("onnx reductions: axes as attribute and as input, keepdims, noop_with_empty_axes; gradients") {
  const Tensor x = test_input({2, 3, 4}, 3);
  auto mean13 = one_node("ReduceMean", {attr_ints("axes", {-1, 1}), attr_int("keepdims", 1)}, {2, 3, 4}, 13);
  check_close(mean13->forward(x), mean(x, {1, 2}, true));
  check_gradients([&](const Tensor& t) { return mean13->forward(t); }, x);

  GraphBuilder s({2, 3, 4}, 13);  // ReduceSum from 13: axes is an input
  s.init<int64_t>("axes", {1}, {0});
  s.add(node("ReduceSum", "sum", {"x", "axes"}, {"y"}, {attr_int("keepdims", 0)}));
  check_close(nn::import_onnx_model(s.m, "sum")->forward(x), sum(x, {0}));
  GraphBuilder noop({2, 3, 4}, 13);
  noop.add(node("ReduceSum", "sum", {"x"}, {"y"}, {attr_int("noop_with_empty_axes", 1)}));
  check_close(nn::import_onnx_model(noop.m, "noop")->forward(x), x);

  for (const char* op : {"ReduceMax", "ReduceMin", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ReduceL1"}) {
    CAPTURE(op);
    auto m = one_node(op, {attr_ints("axes", {2})}, {2, 3, 4}, 13);
    check_gradients([&](const Tensor& t) { return m->forward(t); }, x);
  }
  check_close(one_node("ReduceMax", {attr_ints("axes", {2}), attr_int("keepdims", 0)}, {2, 3, 4}, 13)->forward(x),
              amax(x, {2}));
}

TEST_CASE("onnx Softmax and LogSoftmax: opset 13 along one axis, older over the input coerced to 2-D") {
  const Tensor x = test_input({2, 3, 4}, 9);
  // Opset 13, axis 1: each [n, :, w] column sums to 1.
  auto s13 = one_node("Softmax", {attr_int("axis", 1)}, {2, 3, 4}, 13);
  check_close(sum(s13->forward(x), {1}), std::vector<float>(8, 1.0f), 1e-5);
  // Opset 11, axis 1: each of the 2 rows of 12 values sums to 1.
  auto s11 = one_node("Softmax", {attr_int("axis", 1)}, {2, 3, 4}, 11);
  check_close(sum(s11->forward(x), {1, 2}), std::vector<float>(2, 1.0f), 1e-5);
  auto l11 = one_node("LogSoftmax", {}, {2, 3, 4}, 11);  // default axis 1 before 13
  check_close(l11->forward(x), log(s11->forward(x)), 1e-5);
  check_gradients([&](const Tensor& t) { return s11->forward(t); }, x);
  check_gradients([&](const Tensor& t) { return one_node("LogSoftmax", {}, {2, 3, 4}, 13)->forward(t); }, x);
}

TEST_CASE("onnx Expand, Tile and Split (several outputs), with gradients") {
  GraphBuilder b({2, 1}, 13);
  b.init<int64_t>("shape", {3}, {2, 2, 3});
  b.init<int64_t>("reps", {3}, {1, 2, 1});
  b.init<int64_t>("split", {2}, {1, 3});
  b.add(node("Expand", "expand", {"x", "shape"}, {"e"}));      // [2, 2, 3]
  b.add(node("Tile", "tile", {"e", "reps"}, {"t"}));           // [2, 4, 3]
  b.add(node("Split", "split", {"t", "split"}, {"a", "b"}, {attr_int("axis", 1)}));  // [2, 1, 3], [2, 3, 3]
  b.add(node("Mul", "mul", {"a", "b"}, {"y"}));                // [2, 3, 3]
  auto model = nn::import_onnx_model(b.m, "repeat");
  const Tensor x = from_vector(std::vector<float>{2, 3}, {2, 1});
  const Tensor y = model->forward(x);
  REQUIRE(y.shape() == Shape{2, 3, 3});
  // e[i, j, k] = x[j]; t[:, j] = e[:, j % 2]; a = t[:, :1] = x0, b = t[:, 1:] = (x1, x0, x1)
  std::vector<float> want;
  for (int i = 0; i < 2; ++i) {
    for (float v : {6.0f, 4.0f, 6.0f}) want.insert(want.end(), 3, v);
  }
  check_close(y, want);
  check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
}

TEST_CASE("onnx Dropout: identity in eval and for training_mode false, drops in training; the mask is all true") {
  GraphBuilder b({4, 50}, 13);
  b.init<float>("ratio", {}, {0.5f});
  b.add(node("Dropout", "drop", {"x", "ratio"}, {"y"}));
  auto model = nn::import_onnx_model(b.m, "dropout");
  const Tensor x = ones({4, 50});
  model->eval();
  check_close(model->forward(x), x);
  model->train();
  const auto v = model->forward(x).to_vector<float>();
  const auto zeros_n = std::count(v.begin(), v.end(), 0.0f), twos = std::count(v.begin(), v.end(), 2.0f);
  CHECK(zeros_n + twos == 200);
  CHECK(zeros_n > 50);
  CHECK(twos > 50);

  GraphBuilder m({3}, 13);
  m.init<float>("ratio", {}, {0.5f});
  m.init<uint8_t>("off", {}, {0});
  m.add(node("Dropout", "drop", {"x", "ratio", "off"}, {"d", "mask"}));
  m.add(node("Cast", "cast", {"mask"}, {"mf"}, {attr_int("to", 1)}));
  m.add(node("Add", "add", {"d", "mf"}, {"y"}));
  auto masked = nn::import_onnx_model(m.m, "mask");
  masked->train();  // training_mode false wins over the module's mode
  check_close(masked->forward(from_vector(std::vector<float>{1, 2, 3}, {3})), std::vector<float>{2, 3, 4});
}

TEST_CASE("onnx import: ops outside their opset range and extra outputs are reported at import, together") {
  GraphBuilder b({1, 4}, 13);
  b.add(node("HardSwish", "hs", {"x"}, {"h"}));                              // from opset 14
  b.add(node("MaxPool", "mp", {"h"}, {"y", "idx"}, {attr_ints("kernel_shape", {1})}));  // Indices output
  const std::string msg = error_of([&] { nn::import_onnx_model(b.m, "old.onnx"); });
  CHECK(msg.find("old.onnx: ") == 0);
  CHECK(msg.find("unsupported op versions or outputs (2)") != std::string::npos);
  CHECK(msg.find("node 'hs' (HardSwish) (node #0): HardSwish is supported in opsets 14 to 17, and the model imports "
                 "opset 13") != std::string::npos);
  CHECK(msg.find("node 'mp' (MaxPool) (node #1): it asks for 2 outputs; only the first is supported (output 'idx')") !=
        std::string::npos);

  GraphBuilder up({1, 1, 2, 2}, 10);  // Upsample ends at opset 9
  up.add(node("Relu", "r", {"x"}, {"y"}));
  up.add(node("Add", "a", {"x", "x"}, {"z"}));
  CHECK_NOTHROW(nn::import_onnx_model(up.m, "ok"));
  GraphBuilder v6({4}, 6);  // Add broadcasts by numpy's rules only from opset 7
  v6.add(node("Add", "add", {"x", "x"}, {"y"}));
  CHECK(error_of([&] { nn::import_onnx_model(v6.m, "v6"); }).find("Add is supported in opsets 7 to 17") !=
        std::string::npos);
  GraphBuilder v1({1, 3, 4, 4}, 1);  // GlobalAveragePool never changed: opset 1 is fine
  v1.add(node("GlobalAveragePool", "gap", {"x"}, {"y"}));
  check_close(nn::import_onnx_model(v1.m, "v1")->forward(ones({1, 3, 4, 4})), std::vector<float>(3, 1.0f));
}

TEST_CASE("onnx elementwise ops: CUDA equals CPU, forward and gradients" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  const Tensor x = test_input({2, 5}, 21);
  for (const UnaryCase& c : unary_cases()) {
    CAPTURE(c.op);
    auto model = one_node(c.op, c.attrs, {2, 5});
    Tensor xc = x.clone(), xg = x.to(kCUDA);
    xc.requires_grad_();
    xg.requires_grad_();
    const Tensor yc = model->forward(xc);
    sum(yc).backward();
    model->to(kCUDA);
    const Tensor yg = model->forward(xg);
    sum(yg).backward();
    check_close(yg.cpu(), yc, 1e-5, 1e-5);
    check_close(xg.grad().cpu(), xc.grad(), 1e-5, 1e-5);
  }
}

TEST_CASE("onnx Pad: reflect and edge modes, with gradients") {
  const Tensor x = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  for (const std::string mode : {"reflect", "edge"}) {
    CAPTURE(mode);
    GraphBuilder b({2, 3}, 13);
    b.init<int64_t>("pads", {4}, {0, 2, 0, 1});
    b.add(node("Pad", "pad", {"x", "pads"}, {"y"}, {attr_string("mode", mode)}));
    auto model = nn::import_onnx_model(b.m, "pad");
    const Tensor y = model->forward(x);
    REQUIRE(y.shape() == Shape{2, 6});
    check_close(y, mode == "reflect" ? std::vector<float>{3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5}
                                     : std::vector<float>{1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6});
    check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
  }
  GraphBuilder wide({2, 3}, 13);
  wide.init<int64_t>("pads", {4}, {0, 3, 0, 0});
  wide.add(node("Pad", "pad", {"x", "pads"}, {"y"}, {attr_string("mode", "reflect")}));
  CHECK(error_of([&] { nn::import_onnx_model(wide.m, "wide")->forward(x); }).find("reflect needs pads below the axis size") !=
        std::string::npos);
}

TEST_CASE("onnx BatchNormalization in training mode: batch statistics and the running-statistics outputs") {
  auto graph = [](const std::string& out) {
    GraphBuilder b({4, 2, 3}, 15);
    b.init<float>("s", {2}, {1.5f, 0.5f}).init<float>("b", {2}, {0.1f, -0.2f});
    b.init<float>("m", {2}, {0.3f, -0.1f}).init<float>("v", {2}, {2.0f, 0.5f});
    b.add(node("BatchNormalization", "bn", {"x", "s", "b", "m", "v"}, {"bn_y", "rm", "rv"},
               {attr_int("training_mode", 1), attr_float("momentum", 0.8f)}));
    b.add(node("Identity", "out", {out}, {"y"}));
    return nn::import_onnx_model(b.m, "bn");
  };
  const Tensor x = test_input({4, 2, 3}, 31);
  const Tensor bm = mean(x, {0, 2}), bv = mean(square(sub(x, mean(x, {0, 2}, true))), {0, 2});
  check_close(graph("rm")->forward(x), add(mul(from_vector(std::vector<float>{0.3f, -0.1f}, {2}), 0.8), mul(bm, 0.2)));
  check_close(graph("rv")->forward(x), add(mul(from_vector(std::vector<float>{2.0f, 0.5f}, {2}), 0.8), mul(bv, 0.2)));
  auto y = graph("bn_y");
  const Tensor want = add(mul(div(sub(x, bm.reshape({1, 2, 1})), sqrt(add(bv.reshape({1, 2, 1}), 1e-5))),
                              from_vector(std::vector<float>{1.5f, 0.5f}, {1, 2, 1})),
                          from_vector(std::vector<float>{0.1f, -0.2f}, {1, 2, 1}));
  check_close(y->forward(x), want, 1e-5, 1e-5);
  check_gradients([&](const Tensor& t) { return y->forward(t); }, x);
}
