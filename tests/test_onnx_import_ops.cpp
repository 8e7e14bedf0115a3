// ONNX importer ops with known answers: Cast in every direction, both folded on constants and
// at run time (hand-built graphs); auto_pad and asymmetric pads on Conv and the pools against
// PyTorch references (tests/fixtures/onnx_import/gen_onnx_autopad.py).
#include <limits>
#include <map>

#include "autograd/functions.h"
#include "nn/onnx/attrs.h"
#include "nn/onnx/cast.h"
#include "nn/onnx/import.h"
#include "nn/state_io.h"
#include "onnx_test_graphs.h"
#include "test_fixtures.h"
#include "test_helpers.h"

using namespace cyclone;
using namespace cyclone::test;
using T = io::OnnxDataType;

namespace {
constexpr int64_t kBool = 9, kFloat = 1, kInt64 = 7, kInt32 = 6, kUint8 = 2, kInt8 = 3, kFloat16 = 10, kBfloat16 = 16;

// y = Cast(to)(x) on a graph input of shape [n].
std::shared_ptr<nn::OnnxModel> runtime_cast(int64_t n, std::vector<int64_t> to_chain) {
  GraphBuilder b({n});
  std::string prev = "x";
  for (size_t i = 0; i < to_chain.size(); ++i) {
    const std::string out = i + 1 == to_chain.size() ? "y" : "c" + std::to_string(i);
    b.add(node("Cast", "cast" + std::to_string(i), {prev}, {out}, {attr_int("to", to_chain[i])}));
    prev = out;
  }
  return nn::import_onnx_model(b.m, "cast");
}

// y = x + Cast(to)(Constant(values)): the Cast is folded at import.
std::vector<float> folded_cast(const io::NdArray& values, int64_t to) {
  const auto n = static_cast<int64_t>(values.numel());
  GraphBuilder b({n});
  b.add(node("Constant", "k", {}, {"k"}, {attr_tensor("value", values)}));
  b.add(node("Cast", "cast", {"k"}, {"c"}, {attr_int("to", to)}));
  b.add(node("Add", "add", {"x", "c"}, {"y"}));
  auto model = nn::import_onnx_model(b.m, "folded");
  CHECK(model->op_types() == std::vector<std::string>{"Add"});  // the Cast is gone: folded
  return model->forward(zeros({n})).to_vector<float>();
}
}  // namespace

TEST_CASE("onnx Cast: the per-value rules") {
  CHECK(nn::onnx::cast_scalar(-1.5, T::boolean) == 1.0);
  CHECK(nn::onnx::cast_scalar(0.25, T::boolean) == 1.0);
  CHECK(nn::onnx::cast_scalar(0.0, T::boolean) == 0.0);
  CHECK(nn::onnx::cast_scalar(-1.5, T::int64) == -1.0);
  CHECK(nn::onnx::cast_scalar(2.7, T::int32) == 2.0);
  CHECK(nn::onnx::cast_scalar(0.1, T::float32) == static_cast<double>(0.1f));
  CHECK(nn::onnx::cast_scalar(0.1, T::float16) == 0.0999755859375);
  CHECK(nn::onnx::cast_scalar(0.1, T::bfloat16) == 0.10009765625);
  CHECK(nn::onnx::cast_scalar(1e-7, T::float16) == 1.0 / (1 << 24) * 2);  // nearest subnormal: 2^-23
  CHECK(nn::onnx::cast_scalar(70000.0, T::float16) == std::numeric_limits<double>::infinity());
  CHECK(nn::onnx::cast_integer(300, T::uint8) == 44);
  CHECK(nn::onnx::cast_integer(-1, T::uint8) == 255);
  CHECK(nn::onnx::cast_integer(200, T::int8) == -56);
  CHECK(nn::onnx::cast_integer(-3, T::boolean) == 1);
  CHECK(nn::onnx::cast_integer(0, T::boolean) == 0);
  CHECK(nn::onnx::cast_real_to_integer(0.25, T::boolean) == 1);
}

TEST_CASE("onnx Cast: folded on constants") {
  const auto reals = io::NdArray::from<float>({4}, {-1.5f, 0.25f, 0.0f, 2.7f});
  CHECK(folded_cast(reals, kBool) == std::vector<float>{1, 1, 0, 1});
  CHECK(folded_cast(reals, kInt64) == std::vector<float>{-1, 0, 0, 2});
  CHECK(folded_cast(reals, kInt32) == std::vector<float>{-1, 0, 0, 2});
  CHECK(folded_cast(reals, kFloat) == std::vector<float>{-1.5f, 0.25f, 0.0f, 2.7f});
  const auto ints = io::NdArray::from<int64_t>({4}, {-3, 0, 5, 300});
  CHECK(folded_cast(ints, kBool) == std::vector<float>{1, 0, 1, 1});
  CHECK(folded_cast(ints, kFloat) == std::vector<float>{-3, 0, 5, 300});
  CHECK(folded_cast(ints, kUint8) == std::vector<float>{253, 0, 5, 44});
  CHECK(folded_cast(ints, kInt8) == std::vector<float>{-3, 0, 5, 44});
  CHECK(folded_cast(io::NdArray::from<float>({1}, {0.1f}), kFloat16) == std::vector<float>{0.0999755859375f});
  CHECK(folded_cast(io::NdArray::from<float>({1}, {0.1f}), kBfloat16) == std::vector<float>{0.10009765625f});
}

TEST_CASE("onnx Cast: at run time, to and from BOOL, integers and floats") {
  const Tensor x = from_vector(std::vector<float>{-1.5f, 0.25f, 0.0f, 2.7f}, {4});
  const Tensor b = runtime_cast(4, {kBool})->forward(x);
  CHECK(b.dtype() == DType::i64);
  CHECK(b.to_vector<int64_t>() == std::vector<int64_t>{1, 1, 0, 1});
  CHECK(runtime_cast(4, {kInt64})->forward(x).to_vector<int64_t>() == std::vector<int64_t>{-1, 0, 0, 2});
  CHECK(runtime_cast(4, {kInt64, kBool})->forward(x).to_vector<int64_t>() == std::vector<int64_t>{1, 0, 0, 1});
  const Tensor f = runtime_cast(4, {kBool, kFloat})->forward(x);
  CHECK(f.dtype() == DType::f32);
  CHECK(f.to_vector<float>() == std::vector<float>{1, 1, 0, 1});
  CHECK(runtime_cast(4, {kInt32, kFloat})->forward(x).to_vector<float>() == std::vector<float>{-1, 0, 0, 2});
}

TEST_CASE("onnx Cast: to a float type passes gradients; to an integer type does not") {
  Tensor x = from_vector(std::vector<float>{-1.5f, 0.25f, 0.0f, 2.7f}, {4});
  x.requires_grad_();
  const Tensor y = runtime_cast(4, {kFloat})->forward(x);
  check_close(y, std::vector<float>{-1.5f, 0.25f, 0.0f, 2.7f});
  sum(mul(y, 3.0)).backward();
  check_close(x.grad(), std::vector<float>{3, 3, 3, 3});
  CHECK_FALSE(runtime_cast(4, {kBool})->forward(x).requires_grad());
}

namespace {
const std::string kDir = CYCLONE_SOURCE_DIR "/tests/fixtures/onnx_import/";

Tensor autopad_ref(const std::string& key) { return npz_fixture(kDir + "autopad.npz", key); }

// Forward and gradients of one gen_onnx_autopad.py case against PyTorch's.
void check_autopad_case(const std::string& name) {
  CAPTURE(name);
  auto model = nn::import_onnx_model(kDir + "autopad_" + name + ".onnx");
  Tensor x = autopad_ref("x").clone();
  x.requires_grad_();
  const Tensor y = model->forward(x);
  const Tensor want = autopad_ref("y_" + name);
  REQUIRE(y.shape() == want.shape());
  check_close(y, want);
  sum(mul(y, autopad_ref("g_" + name))).backward();
  check_close(x.grad(), autopad_ref("dx_" + name));
  if (name.rfind("conv", 0) == 0) {
    const auto params = model->named_parameters();
    REQUIRE(params.size() == 1);
    CHECK(params[0].first == "w");
    check_close(params[0].second.grad(), autopad_ref("dw_" + name), 1e-4);
  }
}
}  // namespace

TEST_CASE("onnx auto_pad: Conv with SAME_UPPER, SAME_LOWER (dilated) and VALID equals PyTorch, gradients too") {
  for (const char* name : {"conv_same_upper", "conv_same_lower", "conv_valid"}) check_autopad_case(name);
}

TEST_CASE("onnx auto_pad: MaxPool with SAME_* and asymmetric pads (-inf padding) equals PyTorch, gradients too") {
  for (const char* name : {"maxpool_same_upper", "maxpool_same_lower", "maxpool_pads"}) check_autopad_case(name);
}

TEST_CASE("onnx auto_pad: AveragePool with SAME_*, VALID and asymmetric pads, with and without padding counted") {
  for (const char* name : {"avgpool_same_upper", "avgpool_same_lower_incl", "avgpool_pads", "avgpool_valid"})
    check_autopad_case(name);
}

TEST_CASE("onnx auto_pad: pads from the spec's formula") {
  nn::onnx::WindowAttrs a;
  a.strides = {2, 1};
  a.auto_pad = nn::onnx::AutoPad::same_upper;
  // h: ceil(5/2) = 3 outputs, total (3-1)*2 + 2 - 5 = 1; w: 3 outputs, total (3-1)*1 + 4 - 3 = 3.
  CHECK(nn::onnx::resolve_pads(a, {5, 3}, {2, 4}) == std::vector<int64_t>{0, 1, 1, 2});
  a.auto_pad = nn::onnx::AutoPad::same_lower;
  CHECK(nn::onnx::resolve_pads(a, {5, 3}, {2, 4}) == std::vector<int64_t>{1, 2, 0, 1});
  a.auto_pad = nn::onnx::AutoPad::valid;
  CHECK(nn::onnx::resolve_pads(a, {5, 3}, {2, 4}) == std::vector<int64_t>{0, 0, 0, 0});
  a.auto_pad = nn::onnx::AutoPad::same_upper;
  a.strides = {4, 4};
  CHECK(nn::onnx::resolve_pads(a, {9, 9}, {1, 1}) == std::vector<int64_t>{0, 0, 0, 0});  // max(0, ...)
}
