// The autotuner (kernels/cuda/autotune.h): a forced version, a cache hit, a
// version that disagrees with the reference being dropped, the fastest version
// kept under `time`, bad settings named, and the contract's conv and GEMM
// running exactly the version that was forced.
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/contract.h"
#include "kernels/cuda/autotune.h"
#include "kernels/cuda/conv_versions.h"
#include "kernels/cuda/math_mode.h"
#include "kernels/nn_contract.h"
#include "test_device_vec.h"
#include "test_helpers.h"
#include "test_nn_kernels_helpers.h"

#if CYCLONE_WITH_CUDA
namespace {

namespace K = cyclone::kernels;
namespace gpu = cyclone::kernels::cuda;
using cyclone::test::DeviceVec;
using cyclone::test::garbage;

// Restores the tuner's policy and forgets its choices, whatever a test did.
struct TunerScope {
  gpu::TunePolicy policy = gpu::tune_policy();
  bool tf32_conv = gpu::allow_tf32_conv();
  std::vector<std::string> families;
  TunerScope() { gpu::clear_tune_cache(); }
  ~TunerScope() {
    for (const std::string& f : families) gpu::force_version(f, 0);
    gpu::set_tune_policy(policy);
    gpu::set_allow_tf32_conv(tf32_conv);
    gpu::clear_tune_cache();
  }
};

// A made-up op family: version v writes out[i] = values[v] for 64 floats, after
// `extra_fills[v]` more fills of a large buffer (device work that takes time).
struct FakeFamily {
  std::string family;
  std::vector<float> values = {0.f, 1.f, 1.f, 1.f};  // values[v]; v1 is the reference
  std::vector<int> extra_fills = {0, 0, 0, 0};
  std::vector<int> runs = std::vector<int>(4, 0);
  DeviceVec<float> scratch = garbage(1 << 12);

  gpu::TuneTrial trial(const std::string& shape) {
    gpu::TuneTrial t;
    t.family = family;
    t.shape = shape;
    t.out_floats = 64;
    t.reference = 1;
    t.candidates = {{3, 1e-3}, {2, 1e-3}, {1, 1e-3}};
    t.run = [this](int v, float* out) {
      ++runs[static_cast<size_t>(v)];
      for (int i = 0; i < extra_fills[static_cast<size_t>(v)]; ++i) gpu::fill(K::DType::f32, scratch.get(), 1 << 12, 0.0);
      gpu::fill(K::DType::f32, out, 64, values[static_cast<size_t>(v)]);
    };
    return t;
  }
};

K::ConvShape small_conv() {
  K::ConvShape s;
  s.g.n = 2; s.g.c = 5; s.g.h = 9; s.g.w = 7;
  s.g.kh = s.g.kw = 3; s.g.ph = s.g.pw = 1;
  s.k = 6;
  return s;
}

}  // namespace

TEST_CASE("autotuner: a cache hit decides nothing and runs nothing" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  gpu::set_tune_policy(gpu::TunePolicy::check);
  FakeFamily fake{"test_cache"};
  CHECK(gpu::tuned_version(fake.trial("a")) == 3);  // the most preferred that agreed
  CHECK(fake.runs == std::vector<int>{0, 1, 0, 1});  // the reference and version 3
  CHECK(gpu::tune_stats().decisions == 1);
  CHECK(gpu::cached_version("test_cache", "a") == 3);
  CHECK(gpu::tuned_version(fake.trial("a")) == 3);
  CHECK(fake.runs == std::vector<int>{0, 1, 0, 1});
  CHECK(gpu::tune_stats().hits == 1);
  CHECK(gpu::tune_stats().decisions == 1);
  gpu::tuned_version(fake.trial("b"));  // another shape is decided afresh
  CHECK(gpu::tune_stats().decisions == 2);
  CHECK(fake.runs == std::vector<int>{0, 2, 0, 2});
}

TEST_CASE("autotuner: a version that disagrees with the reference is dropped, for every shape" *
          doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  gpu::set_tune_policy(gpu::TunePolicy::check);
  FakeFamily fake{"test_drop"};
  fake.values[3] = 1.01f;  // 1% off: beyond its 1e-3
  CHECK(gpu::tuned_version(fake.trial("a")) == 2);
  CHECK(gpu::tune_stats().dropped == 1);
  CHECK(gpu::tuned_version(fake.trial("b")) == 2);
  CHECK(fake.runs[3] == 1);  // never run again
  CHECK(gpu::tune_stats().dropped == 1);
}

TEST_CASE("autotuner: under `time` the fastest version that agrees wins" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  gpu::set_tune_policy(gpu::TunePolicy::time);
  FakeFamily fake{"test_time"};
  fake.extra_fills = {0, 20, 0, 20};  // 2 is the fast one
  CHECK(gpu::tuned_version(fake.trial("a")) == 2);
  CHECK(fake.runs == std::vector<int>{0, 1 + 5, 1 + 5, 1 + 5});  // the reference, then each checked and timed 5 times
  fake.extra_fills = {0, 20, 0, 0};
  fake.values[3] = -1.f;  // the fastest, but wrong
  CHECK(gpu::tuned_version(fake.trial("b")) == 2);
}

TEST_CASE("autotuner: a forced version is used as is; a bad one is named" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  scope.families = {"test_force"};
  FakeFamily fake{"test_force"};
  gpu::force_version("test_force", 2);
  CHECK(gpu::forced_version("test_force") == 2);
  CHECK(gpu::tuned_version(fake.trial("a")) == 2);
  CHECK(fake.runs == std::vector<int>{0, 0, 0, 0});
  CHECK(gpu::cached_version("test_force", "a") == 0);
  gpu::force_version("test_force", 7);
  CHECK_THROWS_WITH_AS(gpu::tuned_version(fake.trial("a")),
                       "CYCLONE_TEST_FORCE_VERSION: version 7 of test_force does not apply at shape a "
                       "(versions that do: 3, 2, 1)",
                       std::invalid_argument);
  ::setenv("CYCLONE_TEST_ENV_VERSION", "two", 1);
  CHECK_THROWS_WITH_AS(gpu::forced_version("test_env"), "CYCLONE_TEST_ENV_VERSION=two: expected a version number (1, 2, ...)",
                       std::invalid_argument);
  ::setenv("CYCLONE_TEST_ENV2_VERSION", "1", 1);
  CHECK(gpu::forced_version("test_env2") == 1);
  ::unsetenv("CYCLONE_TEST_ENV_VERSION");
  ::unsetenv("CYCLONE_TEST_ENV2_VERSION");
}

TEST_CASE("autotuner: the contract's conv passes and GEMM run exactly the forced version" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  scope.families = {"conv_forward", "conv_input_grad", "conv_weight_grad", "gemm"};
  gpu::set_allow_tf32_conv(true);  // so that v3 (TF32) is offered too
  const K::ConvShape s = small_conv();
  const K::ConvGeometry& g = s.g;
  const size_t nx = g.n * g.c * g.h * g.w, nw = s.k * g.c * 9, ny = g.n * s.k * g.out_h() * g.out_w();
  DeviceVec<float> x(cyclone::test::random_floats(nx, 81)), w(cyclone::test::random_floats(nw, 82));
  DeviceVec<float> dy(cyclone::test::random_floats(ny, 83));
  auto ws = garbage(static_cast<size_t>(gpu::conv2d_workspace_size(s)));
  for (int v = 1; v <= gpu::kConvVersions; ++v) {
    if (!gpu::conv_version_applies(v, s)) continue;  // v3 before sm_80
    INFO("version " << v);
    for (const char* f : {"conv_forward", "conv_input_grad", "conv_weight_grad"}) gpu::force_version(f, v);
    auto y = garbage(ny), dx = garbage(nx), dw = garbage(nw);
    auto y_v = garbage(ny), dx_v = garbage(nx), dw_v = garbage(nw);
    gpu::conv2d_forward(x.get(), w.get(), s, y.get(), ws.get());
    gpu::conv2d_backward_input(dy.get(), w.get(), s, dx.get(), ws.get());
    gpu::conv2d_backward_weight(x.get(), dy.get(), s, dw.get(), ws.get());
    gpu::conv2d_version(v, gpu::ConvPass::forward, x.get(), w.get(), s, y_v.get(), ws.get());
    gpu::conv2d_version(v, gpu::ConvPass::input_grad, dy.get(), w.get(), s, dx_v.get(), ws.get());
    gpu::conv2d_version(v, gpu::ConvPass::weight_grad, x.get(), dy.get(), s, dw_v.get(), ws.get());
    CHECK(y.host() == y_v.host());
    CHECK(dx.host() == dx_v.host());
    CHECK(dw.host() == dw_v.host());
  }
  // The GEMM: C = A B + C with beta, so a tuning trial must not touch the caller's C.
  gpu::force_version("gemm", 0);
  gpu::set_tune_policy(gpu::TunePolicy::check);
  const auto a = cyclone::test::random_floats(7 * 5, 84), b = cyclone::test::random_floats(5 * 9, 85);
  const auto c0 = cyclone::test::random_floats(7 * 9, 86);
  DeviceVec<float> ad(a), bd(b), tuned(c0), forced(c0);
  K::GemmArgs args;
  args.m = 7; args.n = 9; args.k = 5; args.batch = 1; args.beta = 1.f;
  args.a = ad.get(); args.lda = 5;
  args.b = bd.get(); args.ldb = 9;
  args.c = tuned.get(); args.ldc = 9;
  gpu::gemm(args);
  const int chosen = gpu::cached_version("gemm", "1x7x9x5nn+c");
  REQUIRE(chosen >= 1);
  gpu::force_version("gemm", chosen);
  args.c = forced.get();
  gpu::gemm(args);
  CHECK(tuned.host() == forced.host());
  std::vector<float> want = c0;
  for (int i = 0; i < 7; ++i)
    for (int j = 0; j < 9; ++j)
      for (int p = 0; p < 5; ++p) want[size_t(i * 9 + j)] += a[size_t(i * 5 + p)] * b[size_t(p * 9 + j)];
  cyclone::test::check_close(tuned.host(), want, 1e-5, 1e-5);
}
#endif

#if CYCLONE_WITH_CUDA
TEST_CASE("autotuner: TF32 versions are candidates only where allowed" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  TunerScope scope;
  const bool tf32_matmul = gpu::allow_tf32_matmul();
  gpu::set_tune_policy(gpu::TunePolicy::off);  // the most preferred candidate, unchecked
  const auto a = cyclone::test::random_floats(6 * 4, 91), b = cyclone::test::random_floats(4 * 5, 92);
  DeviceVec<float> ad(a), bd(b), c = garbage(6 * 5);
  K::GemmArgs args;
  args.m = 6; args.n = 5; args.k = 4;
  args.a = ad.get(); args.lda = 4;
  args.b = bd.get(); args.ldb = 5;
  args.c = c.get(); args.ldc = 5;
  gpu::set_allow_tf32_matmul(false);
  gpu::gemm(args);
  CHECK(gpu::cached_version("gemm", "1x6x5x4nn") == 3);
  gpu::clear_tune_cache();
  gpu::set_allow_tf32_matmul(true);
  gpu::gemm(args);
  CHECK(gpu::cached_version("gemm", "1x6x5x4nn") == (gpu::tf32_tensor_cores() ? 4 : 3));
  gpu::set_allow_tf32_matmul(tf32_matmul);

  // A conv under `check`: TF32 allowed, so v3 is run and checked, but fp32 v2 is preferred.
  gpu::set_tune_policy(gpu::TunePolicy::check);
  gpu::set_allow_tf32_conv(true);
  const K::ConvShape s = small_conv();
  const size_t nx = 2 * 5 * 9 * 7, nw = 6 * 5 * 9, ny = 2 * 6 * 9 * 7;
  DeviceVec<float> x(cyclone::test::random_floats(nx, 93)), w(cyclone::test::random_floats(nw, 94));
  auto y = garbage(ny), ws = garbage(static_cast<size_t>(gpu::conv2d_workspace_size(s)));
  gpu::clear_tune_cache();
  gpu::conv2d_forward(x.get(), w.get(), s, y.get(), ws.get());
  CHECK(gpu::cached_version("conv_forward", "2x5x9x7x6x1x3x3x1x1x1x1x1x1") == 2);
  CHECK(gpu::tune_stats().dropped == 0);
}
#endif
