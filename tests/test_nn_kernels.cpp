// Known-answer tests for the CPU NN kernels (kernels/nn_contract.h): im2col /
// col2im and batch norm here, pooling and softmax in test_nn_kernels_pool.cpp.
// Hand-computed answers, exact adjoints and naive double-precision formulas.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/nn_contract.h"
#include "test_helpers.h"
#include "test_nn_kernels_helpers.h"

namespace K = cyclone::kernels;
namespace cpu = cyclone::kernels::cpu;
using cyclone::test::check_close;
using cyclone::test::random_floats;

namespace {

K::ConvGeometry geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t s, int64_t p,
                         int64_t d) {
  K::ConvGeometry g;
  g.n = n; g.c = c; g.h = h; g.w = w; g.kh = kh; g.kw = kw;
  g.sh = g.sw = s; g.ph = g.pw = p; g.dh = g.dw = d;
  return g;
}

std::vector<float> run_im2col(const std::vector<float>& x, const K::ConvGeometry& g) {
  std::vector<float> cols(g.c * g.kh * g.kw * g.n * g.out_h() * g.out_w(), NAN);
  cpu::im2col(x.data(), g, cols.data());
  return cols;
}

const std::vector<float> kOneToNine = {1, 2, 3, 4, 5, 6, 7, 8, 9};

}  // namespace

TEST_CASE("im2col on a 3x3 input with a 2x2 kernel: plain, stride+padding, dilation") {
  SUBCASE("stride 1, no padding: four 2x2 patches") {
    const auto g = geometry(1, 1, 3, 3, 2, 2, 1, 0, 1);
    REQUIRE(g.out_h() == 2);
    CHECK(run_im2col(kOneToNine, g) == std::vector<float>{1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9});
  }
  SUBCASE("stride 2, padding 1: zeros where a tap falls in the padding") {
    const auto g = geometry(1, 1, 3, 3, 2, 2, 2, 1, 1);
    REQUIRE(g.out_h() == 2);
    CHECK(run_im2col(kOneToNine, g) == std::vector<float>{0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9});
  }
  SUBCASE("dilation 2: the taps are the corners") {
    const auto g = geometry(1, 1, 3, 3, 2, 2, 1, 0, 2);
    REQUIRE(g.out_h() == 1);
    CHECK(run_im2col(kOneToNine, g) == std::vector<float>{1, 3, 7, 9});
  }
  SUBCASE("dilation 2 with padding 1: a 3x3 output per tap") {
    const auto g = geometry(1, 1, 3, 3, 2, 2, 1, 1, 2);
    REQUIRE(g.out_h() == 3);
    const auto cols = run_im2col(kOneToNine, g);
    CHECK(std::vector<float>(cols.begin(), cols.begin() + 9) == std::vector<float>{0, 0, 0, 0, 1, 2, 0, 4, 5});
    CHECK(std::vector<float>(cols.end() - 9, cols.end()) == std::vector<float>{5, 6, 0, 8, 9, 0, 0, 0, 0});
  }
  SUBCASE("a batch of two images sits side by side in each row") {
    std::vector<float> x = kOneToNine;
    for (float v : kOneToNine) x.push_back(v + 10);
    const auto cols = run_im2col(x, geometry(2, 1, 3, 3, 2, 2, 1, 0, 1));
    CHECK(std::vector<float>(cols.begin(), cols.begin() + 8) == std::vector<float>{1, 2, 4, 5, 11, 12, 14, 15});
  }
}

TEST_CASE("col2im counts how many patches saw each pixel, and is the exact adjoint of im2col") {
  const auto g1 = geometry(1, 1, 3, 3, 2, 2, 1, 0, 1);
  std::vector<float> ones(16, 1.f), x(9, NAN);
  cpu::col2im(ones.data(), g1, x.data());
  CHECK(x == std::vector<float>{1, 2, 1, 2, 4, 2, 1, 2, 1});

  // <im2col(x), c> == <x, col2im(c)> for random x and c, over odd geometries.
  struct Case { int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw; };
  for (const Case& k : {Case{2, 3, 7, 9, 3, 3, 2, 2, 1, 1, 2, 2}, Case{1, 2, 5, 6, 3, 1, 1, 2, 1, 0, 1, 1},
                        Case{3, 1, 4, 4, 1, 1, 2, 1, 0, 1, 1, 1}, Case{1, 1, 6, 5, 2, 3, 3, 2, 2, 1, 2, 1}}) {
    K::ConvGeometry g;
    g.n = k.n; g.c = k.c; g.h = k.h; g.w = k.w; g.kh = k.kh; g.kw = k.kw;
    g.sh = k.sh; g.sw = k.sw; g.ph = k.ph; g.pw = k.pw; g.dh = k.dh; g.dw = k.dw;
    const size_t nx = g.n * g.c * g.h * g.w, nc = g.c * g.kh * g.kw * g.n * g.out_h() * g.out_w();
    const auto xr = random_floats(nx, 1), cr = random_floats(nc, 2);
    std::vector<float> cols(nc, NAN), back(nx, NAN);
    cpu::im2col(xr.data(), g, cols.data());
    cpu::col2im(cr.data(), g, back.data());
    const double lhs = cyclone::test::dot(cols, cr), rhs = cyclone::test::dot(xr, back);
    INFO("geometry n=" << g.n << " c=" << g.c << " h=" << g.h << " w=" << g.w << " k=" << g.kh << "x" << g.kw);
    CHECK(std::fabs(lhs - rhs) <= 1e-5 * cyclone::test::abs_dot(cols, cr));
  }
}

TEST_CASE("batch_norm_stats: known answer, naive double formula, and a large offset") {
  // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25.
  std::vector<float> x = {1, 2, 3, 4}, mean(1, NAN), invstd(1, NAN);
  cpu::batch_norm_stats(x.data(), 2, 1, 2, 1e-5, mean.data(), invstd.data());
  CHECK(mean[0] == 2.5f);
  CHECK(invstd[0] == doctest::Approx(1.0 / std::sqrt(1.25 + 1e-5)).epsilon(1e-7));

  // 1e4 + {0, 1, 2, 3}: a float sum of squares would lose the variance entirely.
  x = {10000, 10001, 10002, 10003};
  cpu::batch_norm_stats(x.data(), 1, 1, 4, 0.0, mean.data(), invstd.data());
  CHECK(mean[0] == 10001.5f);
  CHECK(invstd[0] == doctest::Approx(1.0 / std::sqrt(1.25)).epsilon(1e-7));

  const int64_t n = 3, c = 4, s = 5;
  x = random_floats(n * c * s, 3, -1.f, 3.f);
  mean.assign(c, NAN);
  invstd.assign(c, NAN);
  cpu::batch_norm_stats(x.data(), n, c, s, 1e-3, mean.data(), invstd.data());
  const auto ref = cyclone::test::naive_bn_stats(cyclone::test::to_double(x), n, c, s);
  for (int64_t ch = 0; ch < c; ++ch) {
    CHECK(mean[ch] == doctest::Approx(ref.mean[ch]).epsilon(1e-6));
    CHECK(invstd[ch] == doctest::Approx(1.0 / std::sqrt(ref.var[ch] + 1e-3)).epsilon(1e-6));
  }
}

TEST_CASE("batch_norm_apply: affine, no affine, and the fused ReLU") {
  const int64_t n = 2, c = 3, s = 4;
  const auto x = random_floats(n * c * s, 4);
  const std::vector<float> mean = {0.5f, -0.25f, 1.f}, invstd = {2.f, 0.5f, 1.5f};
  const std::vector<float> weight = {1.5f, -2.f, 0.75f}, bias = {0.1f, 0.2f, -0.3f};
  for (bool affine : {false, true}) {
    for (bool relu : {false, true}) {
      std::vector<float> y(x.size(), NAN), want(x.size());
      cpu::batch_norm_apply(x.data(), n, c, s, mean.data(), invstd.data(), affine ? weight.data() : nullptr,
                            affine ? bias.data() : nullptr, nullptr, relu, y.data());
      for (int64_t i = 0; i < n * c * s; ++i) {
        const int64_t ch = (i / s) % c;
        double v = (x[i] - mean[ch]) * static_cast<double>(invstd[ch]);
        if (affine) v = v * weight[ch] + bias[ch];
        want[i] = static_cast<float>(relu ? std::max(v, 0.0) : v);
      }
      INFO("affine " << affine << " relu " << relu);
      check_close(y, want, 1e-6, 1e-6);
    }
  }
}

namespace {

// L(x) = sum(g * (xhat * w + b)) with batch statistics, in double.
double bn_train_loss(const std::vector<double>& x, const std::vector<float>& g, const std::vector<float>& w,
                     int64_t n, int64_t c, int64_t s, double eps) {
  const auto st = cyclone::test::naive_bn_stats(x, n, c, s);
  double loss = 0;
  for (int64_t i = 0; i < n * c * s; ++i) {
    const int64_t ch = (i / s) % c;
    loss += g[i] * ((x[i] - st.mean[ch]) / std::sqrt(st.var[ch] + eps) * w[ch]);
  }
  return loss;
}

}  // namespace

TEST_CASE("batch norm backward: reductions vs naive sums, dx vs finite differences, eval mode") {
  const int64_t n = 3, c = 2, s = 5;
  const double eps = 1e-5;
  const auto x = random_floats(n * c * s, 5), dy = random_floats(n * c * s, 6);
  const std::vector<float> weight = {1.3f, -0.7f};
  std::vector<float> mean(c), invstd(c), sum_dy(c, NAN), sum_dy_xhat(c, NAN);
  cpu::batch_norm_stats(x.data(), n, c, s, eps, mean.data(), invstd.data());
  cpu::batch_norm_backward_reduce(dy.data(), x.data(), n, c, s, mean.data(), invstd.data(), sum_dy.data(),
                                  sum_dy_xhat.data());
  for (int64_t ch = 0; ch < c; ++ch) {
    double a = 0, b = 0;
    for (int64_t bi = 0; bi < n; ++bi) {
      for (int64_t k = 0; k < s; ++k) {
        const int64_t i = (bi * c + ch) * s + k;
        a += dy[i];
        b += dy[i] * (x[i] - mean[ch]) * static_cast<double>(invstd[ch]);
      }
    }
    CHECK(sum_dy[ch] == doctest::Approx(a).epsilon(1e-6));
    CHECK(sum_dy_xhat[ch] == doctest::Approx(b).epsilon(1e-6));
  }

  std::vector<float> dx(x.size(), NAN);
  cpu::batch_norm_backward_input(dy.data(), x.data(), n, c, s, mean.data(), invstd.data(), weight.data(),
                                 sum_dy.data(), sum_dy_xhat.data(), dx.data());
  auto xd = cyclone::test::to_double(x);
  const double h = 1e-4;
  for (size_t i = 0; i < xd.size(); ++i) {
    const double x0 = xd[i];
    xd[i] = x0 + h;
    const double up = bn_train_loss(xd, dy, weight, n, c, s, eps);
    xd[i] = x0 - h;
    const double down = bn_train_loss(xd, dy, weight, n, c, s, eps);
    xd[i] = x0;
    INFO("element " << i);
    CHECK(dx[i] == doctest::Approx((up - down) / (2 * h)).epsilon(1e-4).scale(1.0));
  }

  // Eval mode (sum_dy null): the statistics are constants, dx = w * invstd * dy.
  cpu::batch_norm_backward_input(dy.data(), x.data(), n, c, s, mean.data(), invstd.data(), nullptr, nullptr, nullptr,
                                 dx.data());
  for (int64_t i = 0; i < n * c * s; ++i) CHECK(dx[i] == doctest::Approx(invstd[(i / s) % c] * dy[i]));
}

TEST_CASE("NN CPU kernels give bitwise the same results with 1 and 3 threads") {
  const int before = cpu::num_threads();
  const auto g = geometry(4, 3, 9, 11, 3, 3, 2, 1, 1);
  const int64_t nx = g.n * g.c * g.h * g.w, nc = g.c * 9 * g.n * g.out_h() * g.out_w();
  const auto x = random_floats(nx, 7), cols = random_floats(nc, 8);
  K::PoolGeometry pg;
  pg.n = g.n; pg.c = g.c; pg.h = g.h; pg.w = g.w; pg.kh = pg.kw = 3; pg.sh = pg.sw = 2; pg.ph = pg.pw = 1;
  pg.oh = 5; pg.ow = 6;
  auto run = [&](int threads) {
    cpu::set_num_threads(threads);
    std::vector<float> out(nc + nx + 2 * g.c + 2 * nx, NAN);
    std::vector<int64_t> idx(g.n * g.c * 30);
    float* p = out.data();
    cpu::im2col(x.data(), g, p);
    cpu::col2im(cols.data(), g, p + nc);
    cpu::batch_norm_stats(x.data(), g.n, g.c, g.h * g.w, 1e-5, p + nc + nx, p + nc + nx + g.c);
    std::vector<float> y(g.n * g.c * 30);
    cpu::max_pool2d_forward(x.data(), pg, y.data(), idx.data());
    cpu::max_pool2d_backward(y.data(), idx.data(), pg, p + nc + nx + 2 * g.c);
    cpu::avg_pool2d_backward(y.data(), pg, false, p + nc + 2 * nx + 2 * g.c);
    return out;
  };
  const auto one = run(1), three = run(3);
  cpu::set_num_threads(before);
  REQUIRE(one.size() == three.size());
  CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
}
