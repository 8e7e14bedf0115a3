// Known-answer tests for the CPU pooling, log-softmax and cross-entropy
// kernels (kernels/nn_contract.h). The pooling and cross-entropy answers
// agree with PyTorch 1.13 (F.max_pool2d, F.avg_pool2d,
// F.adaptive_avg_pool2d, F.cross_entropy with label_smoothing).
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/nn_contract.h"
#include "test_helpers.h"
#include "test_nn_kernels_helpers.h"

namespace K = cyclone::kernels;
namespace cpu = cyclone::kernels::cpu;
using cyclone::test::check_close;
using cyclone::test::random_floats;

namespace {

K::PoolGeometry pool(int64_t h, int64_t w, int64_t k, int64_t s, int64_t p, int64_t oh, int64_t ow) {
  K::PoolGeometry g;
  g.n = 1; g.c = 1; g.h = h; g.w = w; g.kh = g.kw = k; g.sh = g.sw = s; g.ph = g.pw = p;
  g.oh = oh; g.ow = ow;
  return g;
}

std::vector<float> iota(int64_t n, float start) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

const std::vector<float> kMaxInput = {1, 5, 2, 0, 3, -1, 4, 8, 7, 6, 9, -2, -3, 11, 0, 10};

}  // namespace

TEST_CASE("max_pool2d: argmax indices, padding as -inf, ceil-mode windows, and the backward") {
  std::vector<float> y(4, NAN);
  std::vector<int64_t> idx(4, -7);
  cpu::max_pool2d_forward(kMaxInput.data(), pool(4, 4, 2, 2, 0, 2, 2), y.data(), idx.data());
  CHECK(y == std::vector<float>{5, 8, 11, 10});
  CHECK(idx == std::vector<int64_t>{1, 7, 13, 15});

  // 3x3 windows, stride 2, padding 1: the two lower windows share the 11.
  const auto g = pool(4, 4, 3, 2, 1, 2, 2);
  cpu::max_pool2d_forward(kMaxInput.data(), g, y.data(), idx.data());
  CHECK(y == std::vector<float>{5, 8, 11, 11});
  CHECK(idx == std::vector<int64_t>{1, 7, 13, 13});
  const std::vector<float> dy = {1, 2, 3, 4};
  std::vector<float> dx(16, NAN);
  cpu::max_pool2d_backward(dy.data(), idx.data(), g, dx.data());
  CHECK(dx == std::vector<float>{0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 7, 0, 0});

  // All-negative input: a zero from the padding must never win.
  std::vector<float> neg = iota(9, 1);
  for (float& v : neg) v = -v;
  y.assign(16, NAN);
  idx.assign(16, -7);
  cpu::max_pool2d_forward(neg.data(), pool(3, 3, 2, 1, 1, 4, 4), y.data(), idx.data());
  CHECK(y == std::vector<float>{-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9});
  CHECK(idx == std::vector<int64_t>{0, 0, 1, 2, 0, 0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8});

  // Ceil mode (caller's oh = 3 on a 5x5 input): the last window is clipped.
  const auto x5 = iota(25, 0);
  y.assign(9, NAN);
  idx.assign(9, -7);
  cpu::max_pool2d_forward(x5.data(), pool(5, 5, 2, 2, 0, 3, 3), y.data(), idx.data());
  CHECK(y == std::vector<float>{6, 8, 9, 16, 18, 19, 21, 23, 24});
  CHECK(idx == std::vector<int64_t>{6, 8, 9, 16, 18, 19, 21, 23, 24});
}

TEST_CASE("max_pool2d 2x2 stride 2 (the fast path): first of equal maxima, NaN wins, odd sizes floor") {
  // A 5x7 plane with ties and NaNs, pooled to 2x3: each window scanned row by row, a later
  // value replacing the best when greater or NaN.
  std::vector<float> x = random_floats(2 * 35, 9);
  for (float& v : x) v = std::round(v * 2.0f) / 2.0f;  // many ties
  x[8] = NAN;
  x[35 + 16] = NAN, x[35 + 17] = NAN;
  K::PoolGeometry g = pool(5, 7, 2, 2, 0, 2, 3);
  g.c = 2;
  std::vector<float> y(12, -7);
  std::vector<int64_t> idx(12, -7);
  cpu::max_pool2d_forward(x.data(), g, y.data(), idx.data());
  for (int64_t p = 0; p < 2; ++p) {
    for (int64_t oy = 0; oy < 2; ++oy) {
      for (int64_t ox = 0; ox < 3; ++ox) {
        float best = 0;
        int64_t arg = -1;
        for (int64_t iy = 2 * oy; iy < 2 * oy + 2; ++iy) {
          for (int64_t ix = 2 * ox; ix < 2 * ox + 2; ++ix) {
            const float v = x[p * 35 + iy * 7 + ix];
            if (arg < 0 || v > best || std::isnan(v)) best = v, arg = iy * 7 + ix;
          }
        }
        const int64_t o = (p * 2 + oy) * 3 + ox;
        CAPTURE(o);
        CHECK(idx[o] == arg);
        CHECK((std::isnan(best) ? std::isnan(y[o]) : y[o] == best));
      }
    }
  }
  CHECK(std::isnan(y[0]));  // the window holding x[8] (row 1, column 1)
  CHECK(idx[10] == 17);  // plane 1, window (1, 1) holds two NaNs: the later one
}

TEST_CASE("avg_pool2d: count_include_pad true and false, and windows clipped to the padded input") {
  const auto x3 = iota(9, 1);
  std::vector<float> y(16, NAN);
  cpu::avg_pool2d_forward(x3.data(), pool(3, 3, 2, 1, 1, 4, 4), true, y.data());
  check_close(y, {0.25f, 0.75f, 1.25f, 0.75f, 1.25f, 3, 4, 2.25f, 2.75f, 6, 7, 3.75f, 1.75f, 3.75f, 4.25f, 2.25f});
  cpu::avg_pool2d_forward(x3.data(), pool(3, 3, 2, 1, 1, 4, 4), false, y.data());
  check_close(y, {1, 1.5f, 2.5f, 3, 2.5f, 3, 4, 4.5f, 5.5f, 6, 7, 7.5f, 7, 7.5f, 8.5f, 9});

  // 4x4, k=3, s=2, p=1 in ceil mode (oh = 3): the last window hangs over the
  // padding, so its padded size is 2x2, not 3x3.
  const auto x4 = iota(16, 1);
  y.assign(9, NAN);
  cpu::avg_pool2d_forward(x4.data(), pool(4, 4, 3, 2, 1, 3, 3), true, y.data());
  check_close(y, {14.f / 9, 10.f / 3, 2, 57.f / 9, 11, 6, 4.5f, 7.5f, 4});
  cpu::avg_pool2d_forward(x4.data(), pool(4, 4, 3, 2, 1, 3, 3), false, y.data());
  check_close(y, {3.5f, 5, 6, 9.5f, 11, 12, 13.5f, 15, 16});
}

TEST_CASE("pooling backwards are the exact adjoints of their forwards") {
  struct Case { int64_t h, w, k, s, p, oh, ow; };
  for (const Case& c : {Case{7, 9, 3, 2, 1, 4, 5}, Case{4, 4, 3, 2, 1, 3, 3}, Case{5, 6, 2, 2, 0, 3, 3}}) {
    auto g = pool(c.h, c.w, c.k, c.s, c.p, c.oh, c.ow);
    g.n = 2;
    g.c = 3;
    const auto x = random_floats(g.n * g.c * g.h * g.w, 11), d = random_floats(g.n * g.c * g.oh * g.ow, 12);
    for (bool include_pad : {true, false}) {
      std::vector<float> y(d.size(), NAN), dx(x.size(), NAN);
      cpu::avg_pool2d_forward(x.data(), g, include_pad, y.data());
      cpu::avg_pool2d_backward(d.data(), g, include_pad, dx.data());
      INFO("h=" << c.h << " w=" << c.w << " k=" << c.k << " include_pad " << include_pad);
      CHECK(cyclone::test::dot(y, d) == doctest::Approx(cyclone::test::dot(x, dx)).epsilon(1e-5));
    }
  }
  auto g = pool(5, 7, 1, 1, 0, 3, 2);
  g.c = 2;
  const auto x = random_floats(70, 13), d = random_floats(12, 14);
  std::vector<float> y(12, NAN), dx(70, NAN);
  cpu::adaptive_avg_pool2d_forward(x.data(), g, y.data());
  cpu::adaptive_avg_pool2d_backward(d.data(), g, dx.data());
  CHECK(cyclone::test::dot(y, d) == doctest::Approx(cyclone::test::dot(x, dx)).epsilon(1e-5));
}

TEST_CASE("adaptive_avg_pool2d from 5x7 to 3x2 uses PyTorch's overlapping windows") {
  // Rows {0,1}, {1,2,3}, {3,4}; columns {0..3}, {3..6}; x[r][c] = 7r + c.
  const auto x = iota(35, 0);
  std::vector<float> y(6, NAN);
  const auto g = pool(5, 7, 99, 99, 99, 3, 2);  // kernel, stride and padding are ignored
  cpu::adaptive_avg_pool2d_forward(x.data(), g, y.data());
  check_close(y, {5, 8, 15.5f, 18.5f, 26, 29});
  std::vector<float> dx(35, NAN);
  const std::vector<float> dy = {1, 0, 0, 0, 0, 0};
  cpu::adaptive_avg_pool2d_backward(dy.data(), g, dx.data());
  std::vector<float> want(35, 0.f);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c) want[r * 7 + c] = 0.125f;
  CHECK(dx == want);
}

TEST_CASE("log_softmax: known answer, rows that sum-exp to 1, and the backward formula") {
  const std::vector<float> x3 = {1, 2, 3};
  std::vector<float> y3(3, NAN);
  cpu::log_softmax_forward(x3.data(), 1, 3, y3.data());
  check_close(y3, {-2.40760596f, -1.40760596f, -0.40760596f}, 1e-6, 1e-6);

  const int64_t rows = 5, cols = 13;
  const auto x = random_floats(rows * cols, 21, -20.f, 20.f), dy = random_floats(rows * cols, 22);
  std::vector<float> y(x.size(), NAN), dx(x.size(), NAN);
  cpu::log_softmax_forward(x.data(), rows, cols, y.data());
  cpu::log_softmax_backward(dy.data(), y.data(), rows, cols, dx.data());
  for (int64_t r = 0; r < rows; ++r) {
    double m = -INFINITY, sum_exp = 0, sum_dy = 0, total = 0;
    for (int64_t j = 0; j < cols; ++j) m = std::max(m, static_cast<double>(x[r * cols + j]));
    for (int64_t j = 0; j < cols; ++j) sum_exp += std::exp(x[r * cols + j] - m);
    const double lse = m + std::log(sum_exp);
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t i = r * cols + j;
      CHECK(y[i] == doctest::Approx(x[i] - lse).epsilon(1e-6).scale(1.0));
      total += std::exp(static_cast<double>(y[i]));
      sum_dy += dy[i];
    }
    CHECK(total == doctest::Approx(1.0).epsilon(1e-5));
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t i = r * cols + j;
      CHECK(dx[i] == doctest::Approx(dy[i] - std::exp(x[i] - lse) * sum_dy).epsilon(1e-5).scale(1.0));
    }
  }
}

namespace {

const std::vector<float> kLogits = {1.0f, -2.0f, 0.5f, 3.0f, 0.2f, 0.1f, -0.3f, 0.0f, 2.5f, -1.0f, 1.5f, -0.5f};

std::vector<float> ce_loss(const std::vector<int64_t>& labels, float smoothing, std::vector<float>* lse = nullptr) {
  std::vector<float> loss(3, NAN), l(3, NAN);
  cpu::cross_entropy_forward(kLogits.data(), labels.data(), 3, 4, smoothing, -100, loss.data(), l.data());
  if (lse) *lse = l;
  return loss;
}

}  // namespace

TEST_CASE("cross_entropy matches PyTorch with label smoothing 0 and 0.1, and ignore_index") {
  check_close(ce_loss({3, 0, 2}, 0.f), {0.20225349f, 1.20300198f, 1.37008929f}, 1e-6, 1e-6);
  check_close(ce_loss({3, 0, 2}, 0.1f), {0.43975347f, 1.22300196f, 1.45758927f}, 1e-6, 1e-6);
  check_close(ce_loss({3, -100, 2}, 0.1f), {0.43975347f, 0.f, 1.45758927f}, 1e-6, 1e-6);

  // d(sum of losses)/dx from PyTorch, then the same with row 1 ignored.
  std::vector<float> lse, dx(12, NAN);
  const std::vector<float> ones = {1, 1, 1};
  for (bool ignore : {false, true}) {
    const std::vector<int64_t> labels = {3, ignore ? -100 : 0, 2};
    ce_loss(labels, 0.1f, &lse);
    cpu::cross_entropy_backward(ones.data(), kLogits.data(), lse.data(), labels.data(), 3, 4, 0.1f, -100, dx.data());
    const float r1[4] = {-0.62470859f, 0.24671483f, 0.15713592f, 0.22085775f};
    check_close(dx, {0.08555373f, -0.01949585f, 0.04205422f, -0.10811215f, ignore ? 0.f : r1[0], ignore ? 0.f : r1[1],
                     ignore ? 0.f : r1[2], ignore ? 0.f : r1[3], 0.66567266f, -0.00414349f, -0.67091572f, 0.00938657f},
                1e-6, 1e-5);
  }
}

TEST_CASE("cross_entropy on random logits equals the naive formula, loss and gradient") {
  const int64_t rows = 6, cols = 7;
  const auto x = random_floats(rows * cols, 31, -5.f, 5.f), dloss = random_floats(rows, 32);
  const std::vector<int64_t> labels = {0, 6, -1, 3, 2, -1};  // ignore_index -1
  for (float e : {0.f, 0.1f}) {
    std::vector<float> loss(rows, NAN), lse(rows, NAN), dx(x.size(), NAN);
    cpu::cross_entropy_forward(x.data(), labels.data(), rows, cols, e, -1, loss.data(), lse.data());
    cpu::cross_entropy_backward(dloss.data(), x.data(), lse.data(), labels.data(), rows, cols, e, -1, dx.data());
    for (int64_t r = 0; r < rows; ++r) {
      double sum_exp = 0, sum_x = 0;
      for (int64_t j = 0; j < cols; ++j) sum_exp += std::exp(static_cast<double>(x[r * cols + j]));
      for (int64_t j = 0; j < cols; ++j) sum_x += x[r * cols + j];
      const double l = std::log(sum_exp);
      CHECK(lse[r] == doctest::Approx(l).epsilon(1e-6));
      const bool ignored = labels[r] == -1;
      const double want = ignored ? 0.0 : l - (1 - e) * x[r * cols + labels[r]] - e / cols * sum_x;
      INFO("row " << r << " smoothing " << e);
      CHECK(loss[r] == doctest::Approx(want).epsilon(1e-6).scale(1.0));
      for (int64_t j = 0; j < cols; ++j) {
        const double p = std::exp(x[r * cols + j] - l);
        const double g = ignored ? 0.0 : dloss[r] * (p - (j == labels[r] ? 1 - e : 0.0) - e / cols);
        CHECK(dx[r * cols + j] == doctest::Approx(g).epsilon(1e-6).scale(1.0));
      }
    }
  }
}

TEST_CASE("cross_entropy rejects a label outside [0, cols) with a message naming row, label and classes") {
  const std::vector<int64_t> labels = {3, 7, 2};
  std::vector<float> loss(3), lse(3), dx(12);
  std::string message;
  try {
    cpu::cross_entropy_forward(kLogits.data(), labels.data(), 3, 4, 0.f, -100, loss.data(), lse.data());
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  CHECK(message.find("label 7") != std::string::npos);
  CHECK(message.find("row 1") != std::string::npos);
  CHECK(message.find("4 classes") != std::string::npos);
  const std::vector<int64_t> negative = {3, -100, -2};
  CHECK_THROWS_AS(cpu::cross_entropy_forward(kLogits.data(), negative.data(), 3, 4, 0.f, -100, loss.data(), lse.data()),
                  std::invalid_argument);
  CHECK_THROWS_AS(cpu::cross_entropy_backward(lse.data(), kLogits.data(), lse.data(), labels.data(), 3, 4, 0.f, -100,
                                              dx.data()),
                  std::invalid_argument);
}
