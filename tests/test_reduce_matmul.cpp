// Reductions (sum, mean, amax/amin, argmax, logsumexp) and batched matmul:
// known answers, any set of dims with keepdim, stability, gradchecks, and the
// blocked CPU GEMM against the reference triple loop.
#include "kernels/cpu/gemm.h"
#include "test_helpers.h"

using namespace cyclone;
using cyclone::test::check_close;

namespace {
Tensor leaf(const Shape& s, uint64_t seed) {
  manual_seed(seed);
  return (rand(s) * 2.0 - 1.0).detach().requires_grad_();
}
void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> in) {
  const GradcheckResult r = gradcheck(f, std::move(in));
  INFO(r.report);
  CHECK(r.ok);
}
}  // namespace

TEST_CASE("sum and mean over any set of dims, with keepdim") {
  Tensor x = arange(0, 24).reshape({2, 3, 4});
  CHECK(sum(x).item() == 276.f);
  check_close(sum(x, {0}), {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34});
  check_close(sum(x, {1}), {12, 15, 18, 21, 48, 51, 54, 57});
  check_close(sum(x, {0, 2}), {60, 92, 124});
  check_close(sum(x, {-1}), {6, 22, 38, 54, 70, 86});
  CHECK(sum(x, {0, 2}, true).shape() == Shape{1, 3, 1});
  check_close(mean(x, {1, 2}), {5.5f, 17.5f});
  check_close(mean(x.permute({2, 0, 1}), {0}), {1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f});
  CHECK_THROWS_WITH(sum(x, {3}), doctest::Contains("out of range"));
  CHECK_THROWS_WITH(sum(x, {1, -2}), doctest::Contains("repeated"));
  CHECK(sum(zeros({0, 3}), {0}).to_vector() == std::vector<float>{0, 0, 0});
}

TEST_CASE("amax, amin, argmax and logsumexp") {
  Tensor x = from_vector(std::vector<float>{1, 5, 2, 7, 0, 3}, {2, 3});
  check_close(amax(x, {1}), {5, 7});
  check_close(amin(x, {0}), {1, 0, 2});
  CHECK(amax(x).item() == 7.f);
  CHECK(argmax(x, 1).to_vector<int64_t>() == std::vector<int64_t>{1, 0});
  CHECK(argmax(x, 0, true).shape() == Shape{1, 3});
  CHECK(argmax(from_vector(std::vector<float>{3, 3, 1}, {3}), 0).item<int64_t>() == 0);  // first of ties
  check_close(logsumexp(x, {1}), {std::log(std::exp(1.f) + std::exp(5.f) + std::exp(2.f)),
                                   std::log(std::exp(7.f) + std::exp(0.f) + std::exp(3.f))});
  // Stable for large inputs where the naive form overflows.
  Tensor big = from_vector(std::vector<float>{1000, 1000}, {2});
  CHECK(logsumexp(big, {0}).item() == doctest::Approx(1000 + std::log(2.0)));
  Tensor neg = from_vector(std::vector<float>{-1000, -1000}, {1, 2});
  CHECK(logsumexp(neg, {1}).item() == doctest::Approx(-1000 + std::log(2.0)));
}

TEST_CASE("gradcheck: reductions") {
  expect_gradcheck([](auto& in) { return sum(in[0], {1}); }, {leaf({3, 4}, 1)});
  expect_gradcheck([](auto& in) { return sum(in[0], {0, 2}, true); }, {leaf({2, 3, 2}, 2)});
  expect_gradcheck([](auto& in) { return mean(in[0], {-1}); }, {leaf({3, 5}, 3)});
  expect_gradcheck([](auto& in) { return mean(in[0]); }, {leaf({4}, 4)});
  expect_gradcheck([](auto& in) { return amax(in[0], {1}); }, {leaf({3, 5}, 5)});
  expect_gradcheck([](auto& in) { return amin(in[0], {0}); }, {leaf({3, 5}, 6)});
  expect_gradcheck([](auto& in) { return logsumexp(in[0], {1}); }, {leaf({4, 6}, 7)});
  expect_gradcheck([](auto& in) { return logsumexp(in[0], {0, 1}, true); }, {leaf({2, 3}, 8)});
}

TEST_CASE("matmul known answers, 1-D operands and batch broadcasting") {
  Tensor a = from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = from_vector(std::vector<float>{7, 8, 9, 10, 11, 12}, {3, 2});
  check_close(matmul(a, b), {58, 64, 139, 154});
  check_close(matmul(a.t(), a), {17, 22, 27, 22, 29, 36, 27, 36, 45});  // transposed view, no copy
  check_close(matmul(a, from_vector(std::vector<float>{1, 0, -1}, {3})), {-2, -2});
  check_close(matmul(from_vector(std::vector<float>{1, 1}, {2}), a), {5, 7, 9});
  CHECK(matmul(from_vector(std::vector<float>{1, 2}, {2}), from_vector(std::vector<float>{3, 4}, {2})).item() == 11.f);
  Tensor batch = stack({a, a * 2.0}, 0);  // [2, 2, 3]
  Tensor c = matmul(batch, b);            // b broadcast over the batch
  CHECK(c.shape() == Shape{2, 2, 2});
  check_close(c, {58, 64, 139, 154, 116, 128, 278, 308});
  CHECK(matmul(ones({4, 1, 2, 3}), ones({5, 3, 2})).shape() == Shape{4, 5, 2, 2});
  CHECK_THROWS_WITH(matmul(a, a), doctest::Contains("inner dims differ"));
  check_close(matmul(zeros({2, 0}), zeros({0, 3})), {0, 0, 0, 0, 0, 0});
}

TEST_CASE("gradcheck: matmul, including broadcast batches and vectors") {
  expect_gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {leaf({3, 4}, 10), leaf({4, 2}, 11)});
  expect_gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {leaf({2, 3, 4}, 12), leaf({4, 5}, 13)});
  expect_gradcheck([](auto& in) { return matmul(in[0].t(), in[1]); }, {leaf({4, 3}, 14), leaf({4, 1}, 15)});
  expect_gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {leaf({4}, 16), leaf({4, 3}, 17)});
  expect_gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {leaf({1, 2, 3}, 18), leaf({3, 3, 2}, 19)});
}

TEST_CASE("blocked CPU GEMM equals the reference triple loop, with every micro-kernel the CPU has") {
  namespace cpu = kernels::cpu;
  const cpu::MicroKernel best = cpu::gemm_micro_kernel();
  for (const cpu::MicroKernel kernel : {cpu::MicroKernel::generic, cpu::MicroKernel::avx2, cpu::MicroKernel::avx512}) {
  if (!cpu::gemm_micro_kernel_available(kernel)) {
    MESSAGE("micro-kernel " << static_cast<int>(kernel) << " is not available on this CPU");
    continue;
  }
  cpu::set_gemm_micro_kernel(kernel);
  CAPTURE(static_cast<int>(kernel));
  // Sizes chosen to cross every blocking edge: MR=6 or 16, NR=16, KC=256, MC=96.
  for (const auto& mnk : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 1, 1}, {7, 17, 5}, {97, 33, 257}, {200, 130, 300}, {13, 1, 600}, {16, 64, 144}, {33, 48, 20}}) {
    const int64_t m = std::get<0>(mnk), n = std::get<1>(mnk), k = std::get<2>(mnk);
    for (int trans = 0; trans < 4; ++trans) {
      const bool ta = trans & 1, tb = trans & 2;
      manual_seed(static_cast<uint64_t>(m * 1000 + n + trans));
      Tensor a = randn({ta ? k : m, ta ? m : k}), b = randn({tb ? n : k, tb ? k : n});
      Tensor c1 = randn({m, n}), c2 = c1.clone();
      kernels::GemmArgs g;
      g.m = m; g.n = n; g.k = k;
      g.a = a.data<float>(); g.lda = ta ? m : k; g.trans_a = ta;
      g.b = b.data<float>(); g.ldb = tb ? k : n; g.trans_b = tb;
      g.ldc = n; g.alpha = 0.5f; g.beta = 2.f;
      g.c = c1.data<float>();
      kernels::cpu::gemm_reference(g);
      g.c = c2.data<float>();
      kernels::cpu::gemm_blocked(g);
      INFO("m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb);
      check_close(c2, c1, 1e-3, 1e-4);
    }
  }
  }
  cpu::set_gemm_micro_kernel(best);
}

TEST_CASE("the AVX2 and AVX-512 GEMM micro-kernels give bitwise the same products (each element sums in k order)") {
  namespace cpu = kernels::cpu;
  if (!cpu::gemm_micro_kernel_available(cpu::MicroKernel::avx512) ||
      !cpu::gemm_micro_kernel_available(cpu::MicroKernel::avx2)) {
    MESSAGE("skipped: this CPU lacks AVX-512 or AVX2");
    return;
  }
  const cpu::MicroKernel best = cpu::gemm_micro_kernel();
  for (int trans = 0; trans < 4; ++trans) {
    manual_seed(static_cast<uint64_t>(40 + trans));
    const bool ta = trans & 1, tb = trans & 2;
    const int64_t m = 70, n = 45, k = 300;
    Tensor a = randn({ta ? k : m, ta ? m : k}), b = randn({tb ? n : k, tb ? k : n});
    std::vector<std::vector<float>> out;
    for (const cpu::MicroKernel kernel : {cpu::MicroKernel::avx2, cpu::MicroKernel::avx512}) {
      cpu::set_gemm_micro_kernel(kernel);
      Tensor c = zeros({m, n});
      kernels::GemmArgs g;
      g.m = m; g.n = n; g.k = k;
      g.a = a.data<float>(); g.lda = ta ? m : k; g.trans_a = ta;
      g.b = b.data<float>(); g.ldb = tb ? k : n; g.trans_b = tb;
      g.c = c.data<float>(); g.ldc = n;
      cpu::gemm_blocked(g);
      out.push_back(c.to_vector<float>());
    }
    CHECK(out[0] == out[1]);
  }
  cpu::set_gemm_micro_kernel(best);
}
