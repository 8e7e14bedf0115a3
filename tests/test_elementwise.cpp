// Elementwise ops: known answers, broadcasting, non-contiguous inputs, size-1
// and odd sizes, and a gradcheck for every differentiable op.
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;

namespace {
Tensor vec(std::vector<float> v) {
  const auto n = static_cast<int64_t>(v.size());
  return from_vector(v, {n});
}
Tensor leaf(const Shape& s, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  manual_seed(seed);
  Tensor t = rand(s);
  t = (t * (hi - lo) + lo).detach();
  return t.requires_grad_();
}
void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> in) {
  const GradcheckResult r = gradcheck(f, std::move(in));
  INFO(r.report);
  CHECK(r.ok);
}
}  // namespace

TEST_CASE("binary arithmetic known answers") {
  Tensor a = vec({1, 2, 3, 4}), b = vec({2, 4, 6, 8});
  check_close(a + b, {3, 6, 9, 12});
  check_close(a - b, {-1, -2, -3, -4});
  check_close(a * b, {2, 8, 18, 32});
  check_close(b / a, {2, 2, 2, 2});
  check_close(pow(a, vec({2, 0.5f, 0, 1})), {1, std::sqrt(2.f), 1, 4});
  check_close(maximum(a, vec({0, 5, 3, 1})), {1, 5, 3, 4});
  check_close(minimum(a, vec({0, 5, 3, 1})), {0, 2, 3, 1});
  check_close(a + 1.5, {2.5, 3.5, 4.5, 5.5});
  check_close(10.0 - a, {9, 8, 7, 6});
  check_close(12.0 / a, {12, 6, 4, 3});
  check_close(a * 3.0, {3, 6, 9, 12});
  check_close(pow(a, 2.0), {1, 4, 9, 16});
}

TEST_CASE("unary functions known answers") {
  Tensor x = vec({-2, -0.5f, 0, 1.5f});
  check_close(-x, {2, 0.5f, 0, -1.5f});
  check_close(relu(x), {0, 0, 0, 1.5f});
  check_close(abs(x), {2, 0.5f, 0, 1.5f});
  check_close(square(x), {4, 0.25f, 0, 2.25f});
  check_close(exp(vec({0, 1})), {1, std::exp(1.f)});
  check_close(log(vec({1, std::exp(2.f)})), {0, 2});
  check_close(sqrt(vec({4, 9})), {2, 3});
  check_close(sigmoid(vec({0, 2})), {0.5f, 1.f / (1.f + std::exp(-2.f))});
  check_close(tanh(vec({0, 1})), {0, std::tanh(1.f)});
  check_close(leaky_relu(x, 0.1), {-0.2f, -0.05f, 0, 1.5f});
  // GELU golden values (torch.nn.functional.gelu, exact erf form).
  check_close(gelu(vec({-1, 0, 1, 2})), {-0.15865526f, 0.f, 0.84134474f, 1.95449972f}, 1e-6);
  check_close(clamp(x, -1, 1), {-1, -0.5f, 0, 1});
}

TEST_CASE("comparisons and where") {
  Tensor a = vec({1, 2, 3}), b = vec({3, 2, 1});
  CHECK(lt(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 0});
  CHECK(le(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{1, 1, 0});
  CHECK(gt(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{0, 0, 1});
  CHECK(ge(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 1});
  CHECK(eq(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{0, 1, 0});
  CHECK(ne(a, b).to_vector<uint8_t>() == std::vector<uint8_t>{1, 0, 1});
  CHECK(lt(a, b).dtype() == DType::u8);
  check_close(where(gt(a, b), a, b), {3, 2, 3});
  // Integer tensors compare by value (labels vs predictions).
  Tensor labels = from_vector(std::vector<int64_t>{1, 2, 3}, {3});
  CHECK(eq(labels, a).to_vector<uint8_t>() == std::vector<uint8_t>{1, 1, 1});
}

TEST_CASE("broadcasting follows numpy rules") {
  Tensor col = from_vector(std::vector<float>{1, 2}, {2, 1});
  Tensor row = from_vector(std::vector<float>{10, 20, 30}, {3});
  Tensor s = col + row;
  CHECK(s.shape() == Shape{2, 3});
  check_close(s, {11, 21, 31, 12, 22, 32});
  check_close(col * full({}, 3.0), {3, 6});
  CHECK((ones({1}) + ones({4, 1, 5})).shape() == Shape{4, 1, 5});
  CHECK_THROWS_WITH(ones({2, 3}) + ones({4}), doctest::Contains("cannot be broadcast"));
  CHECK_THROWS_WITH(ones({2, 3}) + ones({4}), doctest::Contains("[2, 3]"));
}

TEST_CASE("non-contiguous and size-1 inputs") {
  Tensor x = arange(0, 12).reshape({3, 4});
  Tensor t = x.t();  // 4 x 3, strides (1, 4)
  check_close(t + zeros({4, 3}), {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  check_close(exp(x.slice(1, 0, 4, 3)), {1, std::exp(3.f), std::exp(4.f), std::exp(7.f), std::exp(8.f), std::exp(11.f)}, 1e-4, 1e-5);
  check_close(ones({1}) * 5.0, std::vector<float>{5});
  check_close(relu(full({1, 1, 1}, -1)), std::vector<float>{0});
  Tensor odd = arange(0, 1001);  // odd size, past one thread chunk
  CHECK(sum(odd * 2.0).item() == doctest::Approx(1001.0 * 1000.0));
  CHECK((zeros({0, 3}) + ones({3})).shape() == Shape{0, 3});
}

TEST_CASE("gradcheck: binary ops with broadcasting") {
  expect_gradcheck([](auto& in) { return in[0] + in[1]; }, {leaf({3, 4}, 1), leaf({4}, 2)});
  expect_gradcheck([](auto& in) { return in[0] - in[1]; }, {leaf({3, 1}, 3), leaf({1, 5}, 4)});
  expect_gradcheck([](auto& in) { return in[0] * in[1]; }, {leaf({2, 3}, 5), leaf({2, 1}, 6)});
  expect_gradcheck([](auto& in) { return in[0] / in[1]; }, {leaf({2, 3}, 7), leaf({3}, 8, 0.5f, 2.f)});
  expect_gradcheck([](auto& in) { return pow(in[0], in[1]); }, {leaf({5}, 9, 0.5f, 2.f), leaf({5}, 10)});
  expect_gradcheck([](auto& in) { return maximum(in[0], in[1]); }, {leaf({7}, 11), leaf({7}, 12)});
  expect_gradcheck([](auto& in) { return minimum(in[0], in[1]); }, {leaf({7}, 13), leaf({1}, 14)});
  expect_gradcheck([](auto& in) { return where(gt(in[0], in[1]), in[0], in[1] * 2.0); }, {leaf({6}, 15), leaf({6}, 16)});
}

TEST_CASE("gradcheck: unary and scalar ops") {
  expect_gradcheck([](auto& in) { return exp(in[0]); }, {leaf({4, 3}, 20)});
  expect_gradcheck([](auto& in) { return log(in[0]); }, {leaf({5}, 21, 0.5f, 3.f)});
  expect_gradcheck([](auto& in) { return sqrt(in[0]); }, {leaf({5}, 22, 0.5f, 3.f)});
  expect_gradcheck([](auto& in) { return abs(in[0]); }, {leaf({5}, 23)});
  expect_gradcheck([](auto& in) { return square(in[0]); }, {leaf({5}, 24)});
  expect_gradcheck([](auto& in) { return sigmoid(in[0]); }, {leaf({5}, 25, -3, 3)});
  expect_gradcheck([](auto& in) { return tanh(in[0]); }, {leaf({5}, 26, -2, 2)});
  expect_gradcheck([](auto& in) { return relu(in[0]); }, {leaf({9}, 27)});
  expect_gradcheck([](auto& in) { return leaky_relu(in[0], 0.2); }, {leaf({9}, 28)});
  expect_gradcheck([](auto& in) { return gelu(in[0]); }, {leaf({9}, 29, -3, 3)});
  expect_gradcheck([](auto& in) { return clamp(in[0], -0.5, 0.5); }, {leaf({9}, 30)});
  expect_gradcheck([](auto& in) { return -in[0] * 3.0 + 2.0; }, {leaf({3}, 31)});
  expect_gradcheck([](auto& in) { return pow(in[0], 3.0); }, {leaf({3}, 32)});
  expect_gradcheck([](auto& in) { return 2.0 / in[0]; }, {leaf({3}, 33, 0.5f, 2.f)});
  expect_gradcheck([](auto& in) { return 1.0 - in[0]; }, {leaf({3}, 34)});
}

TEST_CASE("gradcheck: views") {
  expect_gradcheck([](auto& in) { return in[0].permute({1, 0}) * in[1]; }, {leaf({3, 2}, 40), leaf({2, 3}, 41)});
  expect_gradcheck([](auto& in) { return in[0].slice(1, 0, 5, 2) * 2.0; }, {leaf({3, 5}, 42)});
  expect_gradcheck([](auto& in) { return in[0].reshape({6}).expand({2, 6}); }, {leaf({2, 3}, 43)});
  expect_gradcheck([](auto& in) { return in[0].t().contiguous().view({6}) * in[0].t().reshape({6}); }, {leaf({2, 3}, 44)});
  expect_gradcheck([](auto& in) { return in[0].select(0, 1) + sum(in[0].select(1, 2)); }, {leaf({3, 3}, 45)});
  expect_gradcheck([](auto& in) { return cat({in[0], in[1] * 2.0}, 1); }, {leaf({2, 2}, 46), leaf({2, 3}, 47)});
  expect_gradcheck([](auto& in) { return stack({in[0], in[1]}, 0); }, {leaf({3}, 48), leaf({3}, 49)});
}
