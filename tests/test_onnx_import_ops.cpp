// ONNX importer ops with known answers on hand-built graphs: Cast in every direction, both
// folded on constants and at run time.
#include <limits>

#include "autograd/functions.h"
#include "nn/onnx/cast.h"
#include "nn/onnx/import.h"
#include "onnx_test_graphs.h"
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
