// CUDA = CPU for every kernel of the backend contract. Outputs are pre-filled
// with NaN (or 0xAB for integers) so an element the kernel fails to write
// cannot pass. Skipped, with a notice, where no GPU is present.
#include <cmath>
#include <cstring>

#include "kernels/contract.h"
#include "test_tf32.h"
#include "kernels/cpu/gemm.h"
#include "tensor/dispatch.h"
#include "test_helpers.h"
#if CYCLONE_WITH_CUDA
#include "kernels/cuda/gemm_versions.h"
#endif

using namespace cyclone;
using cyclone::test::check_close;
using cyclone::test::check_tf32_close;
using cyclone::test::cuda_or_skip;
namespace K = cyclone::kernels;

#if CYCLONE_WITH_CUDA
namespace {
Tensor garbage(const Shape& s, DType t = DType::f32) {
  Tensor g = empty(s, TensorOptions(t).on(kCUDA));
  if (t == DType::f32) {
    g.fill_(NAN);
  } else {
    g.fill_(0xAB);
  }
  return g;
}
Tensor cpu_rand(const Shape& s, uint64_t seed, float lo = -2.f, float hi = 2.f) {
  manual_seed(seed);
  return (rand(s) * (hi - lo) + lo).detach();
}
// |alpha| sum_p |a_ip| |b_pj| for every element of C: what a TF32 GEMM's error scales with.
std::vector<float> abs_product(const K::GemmArgs& g) {
  auto abs_copy = [](const float* p, int64_t count) {
    std::vector<float> v(p, p + count);
    for (float& x : v) x = std::fabs(x);
    return v;
  };
  const std::vector<float> a = abs_copy(g.a, g.trans_a ? g.k * g.lda : g.m * g.lda);
  const std::vector<float> b = abs_copy(g.b, g.trans_b ? g.n * g.ldb : g.k * g.ldb);
  std::vector<float> out(size_t(g.batch * g.stride_c), 0.f);
  K::GemmArgs d = g;
  d.a = a.data(); d.b = b.data(); d.c = out.data(); d.alpha = std::fabs(g.alpha); d.beta = 0.f;
  K::cpu::gemm_reference(d);
  return out;
}

}  // namespace

TEST_CASE("unary kernels: CUDA = CPU, contiguous and strided" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  using U = K::UnaryOp;
  for (U op : {U::Neg, U::Exp, U::Log, U::Sqrt, U::Rsqrt, U::Abs, U::Sign, U::Square, U::Reciprocal, U::Relu,
               U::Sigmoid, U::Tanh, U::LeakyRelu, U::Gelu, U::AddScalar, U::MulScalar, U::PowScalar, U::RSubScalar,
               U::RDivScalar, U::Clamp}) {
    const bool positive = op == U::Log || op == U::Sqrt || op == U::Rsqrt || op == U::PowScalar;
    Tensor x = cpu_rand({37, 29}, 100 + int(op), positive ? 0.1f : -2.f, 2.f);
    for (bool strided : {false, true}) {
      Tensor xs = strided ? x.t() : x;
      Tensor want = empty(xs.shape());
      K::cpu::unary(op, xs.data<float>(), dispatch::layout_of(xs, xs.shape()), want.data<float>(), want.numel(), 0.3f, 1.1f);
      Tensor xg = x.cuda();
      Tensor xgs = strided ? xg.t() : xg;
      Tensor got = garbage(xs.shape());
      K::cuda::unary(op, xgs.data<float>(), dispatch::layout_of(xgs, xgs.shape()), got.data<float>(), got.numel(), 0.3f, 1.1f);
      INFO("op " << int(op) << " strided " << strided);
      check_close(got, want, 1e-5, 1e-5);
    }
  }
}

TEST_CASE("binary, compare and where kernels with broadcasting: CUDA = CPU" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  using B = K::BinaryOp;
  Tensor a = cpu_rand({5, 1, 33}, 1, 0.2f, 2.f), b = cpu_rand({7, 1}, 2, 0.2f, 2.f);
  const Shape out = {5, 7, 33};
  Tensor ag = a.cuda(), bg = b.cuda();
  for (B op : {B::Add, B::Sub, B::Mul, B::Div, B::Pow, B::Maximum, B::Minimum, B::ReluBackward, B::SigmoidBackward,
               B::TanhBackward, B::LeakyReluBackward, B::GeluBackward}) {
    Tensor want = empty(out);
    K::cpu::binary(op, a.data<float>(), dispatch::layout_of(a, out), b.data<float>(), dispatch::layout_of(b, out),
                   want.data<float>(), want.numel(), 0.1f);
    Tensor got = garbage(out);
    K::cuda::binary(op, ag.data<float>(), dispatch::layout_of(ag, out), bg.data<float>(), dispatch::layout_of(bg, out),
                    got.data<float>(), got.numel(), 0.1f);
    INFO("op " << int(op));
    check_close(got, want, 1e-5, 1e-5);
  }
  for (int op = 0; op < 6; ++op) {
    Tensor want = empty(out, DType::u8), got = garbage(out, DType::u8);
    K::cpu::compare(K::CompareOp(op), a.data<float>(), dispatch::layout_of(a, out), b.data<float>(),
                    dispatch::layout_of(b, out), want.data<uint8_t>(), want.numel());
    K::cuda::compare(K::CompareOp(op), ag.data<float>(), dispatch::layout_of(ag, out), bg.data<float>(),
                     dispatch::layout_of(bg, out), got.data<uint8_t>(), got.numel());
    CHECK(got.to_vector<uint8_t>() == want.to_vector<uint8_t>());
  }
  check_close(where(gt(ag, bg), ag, bg), where(gt(a, b), a, b));
}

TEST_CASE("row reductions and argmax: CUDA = CPU over short and long rows" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const auto& shape : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 7}, {5, 129}, {17, 1000}, {1, 100000}, {4099, 10}}) {
    const int64_t rows = shape.first, cols = shape.second;
    Tensor x = cpu_rand({rows, cols}, uint64_t(rows * 7 + cols));
    Tensor xg = x.cuda();
    for (int op = 0; op < 5; ++op) {
      Tensor want = empty({rows}), got = garbage({rows});
      K::cpu::reduce_rows(K::ReduceOp(op), x.data<float>(), want.data<float>(), rows, cols);
      K::cuda::reduce_rows(K::ReduceOp(op), xg.data<float>(), got.data<float>(), rows, cols);
      INFO("rows " << rows << " cols " << cols << " op " << op);
      check_close(got, want, 1e-3, 1e-4);
    }
    Tensor want = empty({rows}, DType::i64), got = garbage({rows}, DType::i64);
    K::cpu::argmax_rows(x.data<float>(), want.data<int64_t>(), rows, cols);
    K::cuda::argmax_rows(xg.data<float>(), got.data<int64_t>(), rows, cols);
    CHECK(got.to_vector<int64_t>() == want.to_vector<int64_t>());
  }
}

TEST_CASE("every CUDA GEMM version equals the CPU reference" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const auto& mnk : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1}, {7, 130, 9}, {129, 257, 67}, {256, 128, 512}}) {
    const int64_t m = std::get<0>(mnk), n = std::get<1>(mnk), k = std::get<2>(mnk);
    for (int trans = 0; trans < 4; ++trans) {
      const bool ta = trans & 1, tb = trans & 2;
      Tensor a = cpu_rand({ta ? k : m, ta ? m : k}, 11), b = cpu_rand({tb ? n : k, tb ? k : n}, 12);
      Tensor c0 = cpu_rand({2, m, n}, 13);
      K::GemmArgs g;
      g.batch = 2; g.m = m; g.n = n; g.k = k;
      g.a = a.data<float>(); g.lda = ta ? m : k; g.stride_a = 0; g.trans_a = ta;
      g.b = b.data<float>(); g.ldb = tb ? k : n; g.stride_b = 0; g.trans_b = tb;
      g.ldc = n; g.stride_c = m * n; g.alpha = 1.5f; g.beta = 0.5f;
      Tensor want = c0.clone();
      g.c = want.data<float>();
      K::cpu::gemm_reference(g);
      const std::vector<float> bound = abs_product(g);
      Tensor ag = a.cuda(), bg = b.cuda();
      for (int v = 1; v <= K::cuda::kGemmVersions; ++v) {
        Tensor got = c0.cuda();
        K::GemmArgs d = g;
        d.a = ag.data<float>(); d.b = bg.data<float>(); d.c = got.data<float>();
        K::cuda::gemm_version(v, d);
        INFO("v" << v << " m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb);
        if (v == 4) {
          check_tf32_close(got.to_vector<float>(), want.to_vector<float>(), bound);
        } else {
          check_close(got, want, 1e-3, 1e-4);
        }
      }
    }
  }
}

TEST_CASE("copy, cast, fill and random: CUDA = CPU" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  Tensor x = cpu_rand({6, 5}, 21, -100, 100);
  check_close(x.cuda().t().contiguous(), x.t().contiguous());
  CHECK(x.cuda().to(DType::i64).to_vector<int64_t>() == x.to(DType::i64).to_vector<int64_t>());
  CHECK(x.cuda().to(DType::i64).to(DType::f32).cpu().to_vector() == x.to(DType::i64).to(DType::f32).to_vector());
  Tensor f = garbage({1000});
  f.fill_(0.25);
  check_close(f, std::vector<float>(1000, 0.25f));
  manual_seed(99);
  const auto u_cpu = rand({4097}).to_vector();
  const auto n_cpu = randn({4097}).to_vector();
  manual_seed(99);
  const auto u_gpu = rand({4097}, kCUDA).to_vector();
  const auto n_gpu = randn({4097}, kCUDA).to_vector();
  CHECK(u_cpu == u_gpu);  // bit-identical: same Philox counters
  check_close(n_gpu, n_cpu, 1e-5, 1e-5);
}

TEST_CASE("rand(lo, hi) is bit for bit the CPU's; randn within 8 ulp of it" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  const int64_t n = 100003;
  // lo + (hi - lo) * u rounds twice on both backends (a fused multiply-add would round once).
  for (const auto& range : std::vector<std::pair<float, float>>{{-3.7f, 11.3f}, {0.1f, 0.3f}, {-1e-3f, 7e5f}}) {
    const float lo = range.first, hi = range.second;
    std::vector<float> cpu(n);
    K::cpu::random_uniform(cpu.data(), n, 1234, 77, lo, hi);
    Tensor got = garbage({n});
    K::cuda::random_uniform(got.data<float>(), n, 1234, 77, lo, hi);
    const std::vector<float> gpu = got.to_vector<float>();
    int64_t differ = 0;
    for (int64_t i = 0; i < n; ++i) differ += std::memcmp(&cpu[i], &gpu[i], sizeof(float)) != 0;
    CHECK_MESSAGE(differ == 0, differ << " of " << n << " uniform floats differ in [" << lo << ", " << hi << ")");
  }
  // randn goes through logf and cosf, which a GPU computes within 1 and 2 ulp of glibc's (the CUDA
  // Programming Guide's bounds): sqrt halves the first, and the product adds half an ulp, so the
  // two backends agree within a few ulp of each value (8 allowed). On the emulated device they
  // share glibc and agree exactly.
  std::vector<float> cpu(n);
  K::cpu::random_normal(cpu.data(), n, 99, 5, 0.5f, 2.f);
  Tensor got = garbage({n});
  K::cuda::random_normal(got.data<float>(), n, 99, 5, 0.5f, 2.f);
  const std::vector<float> gpu = got.to_vector<float>();
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double scale = std::max(std::fabs(cpu[i]), 1e-30f) * 1.1920929e-7;  // one ulp of the value, roughly
    worst = std::max(worst, std::fabs(double(gpu[i]) - cpu[i]) / scale);
  }
  MESSAGE("randn: largest CPU-CUDA difference " << worst << " ulp");
  CHECK(worst <= 8.0);
}

TEST_CASE("a whole autograd graph on CUDA equals the CPU" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  Tensor w = cpu_rand({16, 8}, 31).requires_grad_(), x = cpu_rand({4, 16}, 32);
  Tensor wg = w.detach().cuda().requires_grad_(), xg = x.cuda();
  auto f = [](const Tensor& ww, const Tensor& xx) {
    Tensor h = gelu(matmul(xx, ww));
    return mean(logsumexp(h, {1}) + amax(sigmoid(h), {1}) * 0.5);
  };
  Tensor yc = f(w, x), yg = f(wg, xg);
  yc.backward();
  yg.backward();
  CHECK(yg.item() == doctest::Approx(yc.item()).epsilon(1e-5));
  check_close(wg.grad(), w.grad(), 1e-5, 1e-4);
}

TEST_CASE("the caching allocator reuses freed blocks" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  { Tensor warm = empty({1 << 20}, kCUDA); }
  const MemoryStats before = memory_stats(kCUDA);
  for (int i = 0; i < 100; ++i) Tensor t = empty({1 << 20}, kCUDA);
  const MemoryStats after = memory_stats(kCUDA);
  CHECK(after.driver_allocs == before.driver_allocs);
  CHECK(after.cache_hits >= before.cache_hits + 100);
  CHECK(after.peak_bytes >= (size_t(1) << 22));
}
#else
TEST_CASE("CUDA backend" * doctest::test_suite("cuda")) {
  MESSAGE("skipped: this build has no CUDA backend");
  CHECK(!cuda_built());
}
#endif
