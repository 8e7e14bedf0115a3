// ONNX importer: LayerNormalization, InstanceNormalization, LRN, DepthToSpace/SpaceToDepth,
// ArgMax/ArgMin, rounding and logic ops on hand-built graphs: known answers, gradcheck, and
// CUDA equal to the CPU.
#include <cmath>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "nn/onnx/import.h"
#include "onnx_test_graphs.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;

namespace {

std::shared_ptr<nn::OnnxModel> norm_graph(const std::string& op, Shape dims, std::vector<io::OnnxAttribute> attrs,
                                          int64_t channels, int64_t opset = 17) {
  GraphBuilder b(std::move(dims), opset);
  std::vector<float> s, bias;
  for (int64_t i = 0; i < channels; ++i) s.push_back(1.0f + 0.25f * static_cast<float>(i)), bias.push_back(0.1f * static_cast<float>(i));
  b.init<float>("s", {channels}, s).init<float>("b", {channels}, bias);
  b.add(node(op, op, {"x", "s", "b"}, {"y"}, std::move(attrs)));
  return nn::import_onnx_model(b.m, op);
}


}  // namespace

TEST_CASE("onnx LayerNormalization and InstanceNormalization: the formulas, gradients") {
  const Tensor x = seeded_randn({2, 3, 4}, 7);
  auto ln = norm_graph("LayerNormalization", {2, 3, 4}, {attr_int("axis", -1)}, 4);
  const Tensor centred = sub(x, mean(x, {2}, true));
  const Tensor normed = div(centred, sqrt(add(mean(square(centred), {2}, true), 1e-5)));
  const Tensor s = from_vector(std::vector<float>{1, 1.25, 1.5, 1.75}, {4}), b = from_vector(std::vector<float>{0, 0.1f, 0.2f, 0.3f}, {4});
  check_close(ln->forward(x), add(mul(normed, s), b), 1e-5, 1e-5);
  check_gradients([&](const Tensor& t) { return ln->forward(t); }, x);

  auto in = norm_graph("InstanceNormalization", {2, 3, 4}, {attr_float("epsilon", 1e-3f)}, 3);
  const Tensor ci = sub(x, mean(x, {2}, true));
  const Tensor ni = div(ci, sqrt(add(mean(square(ci), {2}, true), 1e-3)));
  check_close(in->forward(x), add(mul(ni, from_vector(std::vector<float>{1, 1.25, 1.5}, {3, 1})),
                                  from_vector(std::vector<float>{0, 0.1f, 0.2f}, {3, 1})), 1e-5, 1e-5);
  check_gradients([&](const Tensor& t) { return in->forward(t); }, x);
}

TEST_CASE("onnx LRN: the window of squares across channels, gradients") {
  GraphBuilder b({1, 5, 2, 1}, 13);
  b.add(node("LRN", "lrn", {"x"}, {"y"}, {attr_int("size", 3), attr_float("alpha", 0.5f), attr_float("beta", 0.75f),
                                          attr_float("bias", 2.0f)}));
  auto model = nn::import_onnx_model(b.m, "lrn");
  const Tensor x = seeded_randn({1, 5, 2, 1}, 3);
  const auto v = x.to_vector<float>();
  std::vector<float> want;
  for (int c = 0; c < 5; ++c) {
    for (int h = 0; h < 2; ++h) {
      double sq = 0;
      for (int k = std::max(0, c - 1); k <= std::min(4, c + 1); ++k) sq += v[k * 2 + h] * v[k * 2 + h];
      want.push_back(static_cast<float>(v[c * 2 + h] / std::pow(2.0 + 0.5 / 3 * sq, 0.75)));
    }
  }
  check_close(model->forward(x), want, 1e-5, 1e-5);
  check_gradients([&](const Tensor& t) { return model->forward(t); }, x);
}

TEST_CASE("onnx DepthToSpace (DCR and CRD) and SpaceToDepth: known layouts, each other's inverse") {
  std::vector<float> seq(16);
  for (int i = 0; i < 16; ++i) seq[i] = static_cast<float>(i);
  const Tensor x = from_vector(seq, {1, 4, 2, 2});
  auto d2s = [&](const std::string& mode) {
    GraphBuilder b({1, 4, 2, 2}, 13);
    b.add(node("DepthToSpace", "d2s", {"x"}, {"y"}, {attr_int("blocksize", 2), attr_string("mode", mode)}));
    return nn::import_onnx_model(b.m, "d2s");
  };
  // DCR: y[0, 0, 2h + i, 2w + j] = x[0, 2i + j, h, w]; with one output channel CRD is the same.
  check_close(d2s("DCR")->forward(x), std::vector<float>{0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15});
  check_close(d2s("CRD")->forward(x), d2s("DCR")->forward(x));
  GraphBuilder s({1, 1, 4, 4}, 13);
  s.add(node("SpaceToDepth", "s2d", {"x"}, {"y"}, {attr_int("blocksize", 2)}));
  auto s2d = nn::import_onnx_model(s.m, "s2d");
  check_close(s2d->forward(d2s("DCR")->forward(x)), x);
  check_gradients([&](const Tensor& t) { return s2d->forward(t); }, seeded_randn({1, 1, 4, 4}, 2));
}

TEST_CASE("onnx ArgMax/ArgMin (keepdims, select_last_index), rounding and logic ops") {
  const Tensor x = from_vector(std::vector<float>{1, 3, 3, -2, 0.5f, -2}, {2, 3});
  auto arg = [&](const std::string& op, int64_t last) {
    GraphBuilder b({2, 3}, 13);
    b.add(node(op, op, {"x"}, {"i"}, {attr_int("axis", 1), attr_int("keepdims", 0), attr_int("select_last_index", last)}));
    b.add(node("Cast", "cast", {"i"}, {"y"}, {attr_int("to", 1)}));
    return nn::import_onnx_model(b.m, op)->forward(x).to_vector<float>();
  };
  CHECK(arg("ArgMax", 0) == std::vector<float>{1, 1});
  CHECK(arg("ArgMax", 1) == std::vector<float>{2, 1});
  CHECK(arg("ArgMin", 0) == std::vector<float>{0, 0});
  CHECK(arg("ArgMin", 1) == std::vector<float>{0, 2});

  const Tensor r = from_vector(std::vector<float>{-1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.7f}, {6});
  auto unary = [&](const std::string& op) {
    GraphBuilder b({6}, 13);
    b.add(node(op, op, {"x"}, {"y"}));
    return nn::import_onnx_model(b.m, op)->forward(r).to_vector<float>();
  };
  CHECK(unary("Round") == std::vector<float>{-2, -0, 0, 2, 2, 3});  // halves to even
  CHECK(unary("Floor") == std::vector<float>{-2, -1, 0, 1, 2, 2});
  CHECK(unary("Ceil") == std::vector<float>{-1, -0, 1, 2, 3, 3});
  CHECK(unary("Sign") == std::vector<float>{-1, -1, 1, 1, 1, 1});

  GraphBuilder l({4}, 13);
  l.init<uint8_t>("b", {4}, {1, 0, 1, 0});
  l.add(node("Greater", "gt", {"x", "zero"}, {"a"}));
  l.init<float>("zero", {}, {0.0f});
  l.add(node("Xor", "xor", {"a", "b"}, {"p"})).add(node("Or", "or", {"p", "b"}, {"q"})).add(node("And", "and", {"q", "a"}, {"n"}));
  l.add(node("Not", "not", {"n"}, {"m"})).add(node("Cast", "cast", {"m"}, {"y"}, {attr_int("to", 1)}));
  // a = [1, 1, 0, 0]; p = a xor b = [0, 1, 1, 0]; q = p or b = [1, 1, 1, 0]; n = q and a = [1, 1, 0, 0]; not: [0, 0, 1, 1]
  check_close(nn::import_onnx_model(l.m, "logic")->forward(from_vector(std::vector<float>{2, 1, -1, -3}, {4})),
              std::vector<float>{0, 0, 1, 1});
}

TEST_CASE("onnx normalisations: CUDA equals CPU, forward and gradients" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  const Tensor x = seeded_randn({2, 3, 4}, 17);
  for (const std::string op : {"LayerNormalization", "InstanceNormalization"}) {
    CAPTURE(op);
    const bool layer = op == "LayerNormalization";
    auto model = layer ? norm_graph(op, {2, 3, 4}, {attr_int("axis", 1)}, 1) : norm_graph(op, {2, 3, 4}, {}, 3);
    Tensor xc = x.clone(), xg = x.to(kCUDA);
    xc.requires_grad_();
    xg.requires_grad_();
    const Tensor yc = model->forward(xc);
    sum(mul(yc, yc)).backward();
    model->to(kCUDA);
    const Tensor yg = model->forward(xg);
    sum(mul(yg, yg)).backward();
    check_close(yg.cpu(), yc, 1e-5, 1e-5);
    check_close(xg.grad().cpu(), xc.grad(), 1e-4, 1e-4);
  }
}
