// CUDA = CPU for every kernel of the NN contract (kernels/nn_contract.h), on
// odd sizes. Device outputs are pre-filled with NaN (0xAB bytes for indices)
// so an element the kernel fails to write cannot pass. Skipped, with a
// notice, where no GPU is present.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/cuda_runtime.h"
#include "kernels/nn_contract.h"
#include "test_device_vec.h"
#include "test_helpers.h"
#include "test_nn_kernels_helpers.h"

using cyclone::test::check_close;
using cyclone::test::cuda_or_skip;
using cyclone::test::random_floats;
namespace K = cyclone::kernels;
namespace cpu = cyclone::kernels::cpu;
namespace gpu = cyclone::kernels::cuda;

#if CYCLONE_WITH_CUDA
using cyclone::test::DeviceVec;
using cyclone::test::garbage;
using cyclone::test::garbage_indices;

namespace {

K::ConvGeometry conv(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                     int64_t dw) {
  K::ConvGeometry g;
  g.n = 3; g.c = 5; g.h = 7; g.w = 9;
  g.kh = kh; g.kw = kw; g.sh = sh; g.sw = sw; g.ph = ph; g.pw = pw; g.dh = dh; g.dw = dw;
  return g;
}

K::PoolGeometry pool(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool ceil_mode) {
  K::PoolGeometry g;
  g.n = 3; g.c = 5; g.h = 7; g.w = 9;
  g.kh = kh; g.kw = kw; g.sh = sh; g.sw = sw; g.ph = ph; g.pw = pw;
  auto out = [ceil_mode](int64_t in, int64_t k, int64_t s, int64_t p) {
    const int64_t span = in + 2 * p - k;
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + p) --o;  // PyTorch: the last window starts inside the input
    return o;
  };
  g.oh = out(g.h, kh, sh, ph);
  g.ow = out(g.w, kw, sw, pw);
  return g;
}

}  // namespace

TEST_CASE("im2col and col2im: CUDA = CPU for 1x1, 3x3 and 3x1 kernels with stride, padding, dilation" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const K::ConvGeometry& g : {conv(1, 1, 1, 1, 0, 0, 1, 1), conv(3, 3, 1, 1, 1, 1, 1, 1),
                                   conv(3, 3, 2, 2, 1, 1, 2, 2), conv(3, 1, 2, 1, 1, 0, 1, 1),
                                   conv(3, 1, 1, 2, 0, 1, 2, 1), conv(1, 1, 2, 2, 1, 1, 1, 1)}) {
    INFO("kernel " << g.kh << "x" << g.kw << " stride " << g.sh << "," << g.sw << " pad " << g.ph << "," << g.pw
                   << " dilation " << g.dh << "," << g.dw);
    const size_t nx = g.n * g.c * g.h * g.w, nc = g.c * g.kh * g.kw * g.n * g.out_h() * g.out_w();
    const auto x = random_floats(nx, 41), c = random_floats(nc, 42);
    std::vector<float> want_cols(nc), want_x(nx);
    cpu::im2col(x.data(), g, want_cols.data());
    cpu::col2im(c.data(), g, want_x.data());
    DeviceVec<float> xd(x), cd(c);
    auto got_cols = garbage(nc), got_x = garbage(nx);
    gpu::im2col(xd.get(), g, got_cols.get());
    gpu::col2im(cd.get(), g, got_x.get());
    CHECK(got_cols.host() == want_cols);
    check_close(got_x.host(), want_x, 1e-6, 1e-6);
  }
}

TEST_CASE("conv2d forward, input and weight backward: CUDA (whole batch) = CPU (per image), with groups" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  struct Case {
    K::ConvGeometry g;
    int64_t k, groups;
  };
  for (const Case& t : {Case{conv(3, 3, 1, 1, 1, 1, 1, 1), 4, 1}, Case{conv(1, 1, 1, 1, 0, 0, 1, 1), 6, 1},
                        Case{conv(3, 3, 2, 2, 1, 1, 2, 2), 10, 5}, Case{conv(3, 1, 2, 1, 1, 0, 1, 1), 3, 1}}) {
    const K::ConvShape s{t.g, t.k, t.groups};
    INFO("kernel " << t.g.kh << "x" << t.g.kw << " stride " << t.g.sh << " k " << t.k << " groups " << t.groups);
    const size_t nx = t.g.n * t.g.c * t.g.h * t.g.w, nw = t.k * (t.g.c / t.groups) * t.g.kh * t.g.kw;
    const size_t ny = t.g.n * t.k * t.g.out_h() * t.g.out_w();
    const auto x = random_floats(nx, 51), w = random_floats(nw, 52), dy = random_floats(ny, 53);
    std::vector<float> want_y(ny), want_dx(nx), want_dw(nw);
    std::vector<float> cpu_ws(static_cast<size_t>(cpu::conv2d_workspace_size(s)));
    cpu::conv2d_forward(x.data(), w.data(), s, want_y.data(), cpu_ws.data());
    cpu::conv2d_backward_input(dy.data(), w.data(), s, want_dx.data(), cpu_ws.data());
    cpu::conv2d_backward_weight(x.data(), dy.data(), s, want_dw.data(), cpu_ws.data());
    DeviceVec<float> xd(x), wd(w), dyd(dy);
    auto got_y = garbage(ny), got_dx = garbage(nx), got_dw = garbage(nw);
    auto ws = garbage(static_cast<size_t>(gpu::conv2d_workspace_size(s)));
    gpu::conv2d_forward(xd.get(), wd.get(), s, got_y.get(), ws.get());
    gpu::conv2d_backward_input(dyd.get(), wd.get(), s, got_dx.get(), ws.get());
    gpu::conv2d_backward_weight(xd.get(), dyd.get(), s, got_dw.get(), ws.get());
    check_close(got_y.host(), want_y, 1e-5, 1e-5);
    check_close(got_dx.host(), want_dx, 1e-5, 1e-5);
    check_close(got_dw.host(), want_dw, 1e-5, 1e-5);
  }
}

TEST_CASE("batch norm stats, apply and backward: CUDA (channels split over blocks) = CPU" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  struct Shape { int64_t n, c, s; float offset; };
  for (const Shape& sh : {Shape{3, 5, 63, 0.f}, Shape{16, 3, 1000, 0.f}, Shape{37, 9, 1, 0.f},
                          Shape{2, 4, 777, 1000.f}, Shape{1, 1, 70000, 0.f},
                          // split over several blocks per channel: 16 (float4) and 10 (float, offset) blocks
                          Shape{64, 2, 1024, 0.f}, Shape{128, 2, 333, 1000.f}}) {
    const int64_t n = sh.n, c = sh.c, s = sh.s, total = n * c * s;
    INFO("n=" << n << " c=" << c << " s=" << s << " offset " << sh.offset);
    auto x = random_floats(total, 51, -1.f, 3.f);
    for (float& v : x) v += sh.offset;
    const auto dy = random_floats(total, 52), w = random_floats(c, 53), b = random_floats(c, 54);
    std::vector<float> mean(c), invstd(c), sum_dy(c), sum_dy_xhat(c);
    cpu::batch_norm_stats(x.data(), n, c, s, 1e-5, mean.data(), invstd.data());
    cpu::batch_norm_backward_reduce(dy.data(), x.data(), n, c, s, mean.data(), invstd.data(), sum_dy.data(),
                                    sum_dy_xhat.data());
    DeviceVec<float> xd(x), dyd(dy), wd(w), bd(b), meand(mean), invstdd(invstd), sdyd(sum_dy), sdyxd(sum_dy_xhat);

    auto gm = garbage(c), gi = garbage(c);
    gpu::batch_norm_stats(xd.get(), n, c, s, 1e-5, gm.get(), gi.get());
    check_close(gm.host(), mean, 1e-5, 1e-6);
    check_close(gi.host(), invstd, 1e-5, 1e-5);

    auto gs = garbage(c), gsx = garbage(c);
    gpu::batch_norm_backward_reduce(dyd.get(), xd.get(), n, c, s, meand.get(), invstdd.get(), gs.get(), gsx.get());
    check_close(gs.host(), sum_dy, 1e-4, 1e-5);
    check_close(gsx.host(), sum_dy_xhat, 1e-4, 1e-5);

    for (bool affine : {false, true}) {
      for (bool relu : {false, true}) {
        for (bool with_residual : {false, true}) {
          std::vector<float> want(total);
          const float* r = with_residual ? dy.data() : nullptr;  // any [n, c, s] values
          cpu::batch_norm_apply(x.data(), n, c, s, mean.data(), invstd.data(), affine ? w.data() : nullptr,
                                affine ? b.data() : nullptr, r, relu, want.data());
          auto got = garbage(total);
          gpu::batch_norm_apply(xd.get(), n, c, s, meand.get(), invstdd.get(), affine ? wd.get() : nullptr,
                                affine ? bd.get() : nullptr, with_residual ? dyd.get() : nullptr, relu, got.get());
          INFO("apply affine " << affine << " relu " << relu << " residual " << with_residual);
          check_close(got.host(), want, 1e-5, 1e-5);
        }
      }
      for (bool train : {false, true}) {
        std::vector<float> want(total);
        cpu::batch_norm_backward_input(dy.data(), x.data(), n, c, s, mean.data(), invstd.data(),
                                       affine ? w.data() : nullptr, train ? sum_dy.data() : nullptr,
                                       train ? sum_dy_xhat.data() : nullptr, want.data());
        auto got = garbage(total);
        gpu::batch_norm_backward_input(dyd.get(), xd.get(), n, c, s, meand.get(), invstdd.get(),
                                       affine ? wd.get() : nullptr, train ? sdyd.get() : nullptr,
                                       train ? sdyxd.get() : nullptr, got.get());
        INFO("backward_input affine " << affine << " train " << train);
        check_close(got.host(), want, 1e-5, 1e-5);
      }
    }
  }
}

TEST_CASE("max, average and adaptive pooling, forward and backward: CUDA = CPU" * doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const K::PoolGeometry& g : {pool(3, 3, 2, 2, 1, 1, false), pool(2, 2, 2, 2, 0, 0, true),
                                   pool(3, 1, 2, 1, 1, 0, false), pool(1, 1, 1, 1, 0, 0, false),
                                   pool(3, 3, 2, 2, 1, 1, true), pool(3, 3, 1, 1, 1, 1, false),
                                   pool(3, 3, 3, 3, 1, 1, true)}) {
    INFO("kernel " << g.kh << "x" << g.kw << " stride " << g.sh << "," << g.sw << " pad " << g.ph << "," << g.pw
                   << " out " << g.oh << "x" << g.ow);
    const size_t nx = g.n * g.c * g.h * g.w, ny = g.n * g.c * g.oh * g.ow;
    auto x = random_floats(nx, 61);
    x[5] = x[6] = 5.f;  // a tied maximum: the first one must win on both backends
    const auto dy = random_floats(ny, 62);
    DeviceVec<float> xd(x), dyd(dy);

    std::vector<float> want_y(ny), want_dx(nx);
    std::vector<int64_t> want_idx(ny);
    cpu::max_pool2d_forward(x.data(), g, want_y.data(), want_idx.data());
    cpu::max_pool2d_backward(dy.data(), want_idx.data(), g, want_dx.data());
    auto y = garbage(ny), dx = garbage(nx);
    auto idx = garbage_indices(ny);
    gpu::max_pool2d_forward(xd.get(), g, y.get(), idx.get());
    CHECK(y.host() == want_y);
    CHECK(idx.host() == want_idx);
    gpu::max_pool2d_backward(dyd.get(), idx.get(), g, dx.get());
    check_close(dx.host(), want_dx, 1e-6, 1e-6);

    for (bool include_pad : {true, false}) {
      INFO("count_include_pad " << include_pad);
      cpu::avg_pool2d_forward(x.data(), g, include_pad, want_y.data());
      cpu::avg_pool2d_backward(dy.data(), g, include_pad, want_dx.data());
      auto ay = garbage(ny), adx = garbage(nx);
      gpu::avg_pool2d_forward(xd.get(), g, include_pad, ay.get());
      gpu::avg_pool2d_backward(dyd.get(), g, include_pad, adx.get());
      check_close(ay.host(), want_y, 1e-6, 1e-6);
      check_close(adx.host(), want_dx, 1e-6, 1e-6);
    }
  }
  for (const auto& out : std::vector<std::pair<int64_t, int64_t>>{{3, 2}, {1, 1}, {7, 9}, {4, 5}, {10, 11}}) {
    const int64_t oh = out.first, ow = out.second;
    K::PoolGeometry g = pool(1, 1, 1, 1, 0, 0, false);
    g.oh = oh;
    g.ow = ow;
    INFO("adaptive 7x9 -> " << oh << "x" << ow);
    const size_t nx = g.n * g.c * g.h * g.w, ny = g.n * g.c * oh * ow;
    const auto x = random_floats(nx, 63), dy = random_floats(ny, 64);
    std::vector<float> want_y(ny), want_dx(nx);
    cpu::adaptive_avg_pool2d_forward(x.data(), g, want_y.data());
    cpu::adaptive_avg_pool2d_backward(dy.data(), g, want_dx.data());
    DeviceVec<float> xd(x), dyd(dy);
    auto y = garbage(ny), dx = garbage(nx);
    gpu::adaptive_avg_pool2d_forward(xd.get(), g, y.get());
    gpu::adaptive_avg_pool2d_backward(dyd.get(), g, dx.get());
    check_close(y.host(), want_y, 1e-6, 1e-6);
    check_close(dx.host(), want_dx, 1e-6, 1e-6);
  }
}

TEST_CASE("log_softmax forward and backward: CUDA = CPU over warp-sized and block-sized rows" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const auto& shape : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {3, 7}, {37, 10}, {5, 129}, {4, 1000}, {3, 1024}, {3, 1025}, {2, 5000}, {2049, 3}}) {
    const int64_t rows = shape.first, cols = shape.second;
    INFO("rows " << rows << " cols " << cols);
    const auto x = random_floats(rows * cols, 71, -10.f, 10.f), dy = random_floats(rows * cols, 72);
    std::vector<float> want_y(x.size()), want_dx(x.size());
    cpu::log_softmax_forward(x.data(), rows, cols, want_y.data());
    cpu::log_softmax_backward(dy.data(), want_y.data(), rows, cols, want_dx.data());
    DeviceVec<float> xd(x), dyd(dy), yd(want_y);
    auto y = garbage(x.size()), dx = garbage(x.size());
    gpu::log_softmax_forward(xd.get(), rows, cols, y.get());
    gpu::log_softmax_backward(dyd.get(), yd.get(), rows, cols, dx.get());
    check_close(y.host(), want_y, 1e-5, 1e-5);
    check_close(dx.host(), want_dx, 1e-5, 1e-5);
  }
}

TEST_CASE("cross_entropy forward and backward: CUDA = CPU, smoothing, ignore_index, invalid labels give NaN" *
          doctest::test_suite("cuda")) {
  if (!cuda_or_skip()) return;
  for (const auto& shape : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {37, 10}, {5, 100}, {3, 1000}, {4, 1500}}) {
    const int64_t rows = shape.first, cols = shape.second;
    const auto x = random_floats(rows * cols, 81, -8.f, 8.f), dloss = random_floats(rows, 82);
    std::vector<int64_t> labels(rows);
    for (int64_t r = 0; r < rows; ++r) labels[r] = (r % 4 == 2) ? -100 : (r * 7 + 3) % cols;
    DeviceVec<float> xd(x), dld(dloss);
    DeviceVec<int64_t> ld(labels);
    for (float e : {0.f, 0.1f}) {
      INFO("rows " << rows << " cols " << cols << " smoothing " << e);
      std::vector<float> loss(rows), lse(rows), dx(x.size());
      cpu::cross_entropy_forward(x.data(), labels.data(), rows, cols, e, -100, loss.data(), lse.data());
      cpu::cross_entropy_backward(dloss.data(), x.data(), lse.data(), labels.data(), rows, cols, e, -100, dx.data());
      auto gl = garbage(rows), glse = garbage(rows), gdx = garbage(x.size());
      gpu::cross_entropy_forward(xd.get(), ld.get(), rows, cols, e, -100, gl.get(), glse.get());
      gpu::cross_entropy_backward(dld.get(), xd.get(), glse.get(), ld.get(), rows, cols, e, -100, gdx.get());
      check_close(gl.host(), loss, 1e-5, 1e-5);
      check_close(glse.host(), lse, 1e-5, 1e-5);
      check_close(gdx.host(), dx, 1e-5, 1e-5);
    }
  }
  // Row 1 holds an out-of-range label: its loss and gradient are NaN, the rest unchanged.
  const int64_t rows = 3, cols = 10;
  const auto x = random_floats(rows * cols, 83);
  const std::vector<int64_t> valid = {4, -100, 9}, invalid = {4, 10, 9};
  const std::vector<float> ones(rows, 1.f);
  std::vector<float> loss(rows), lse(rows), dx(x.size());
  cpu::cross_entropy_forward(x.data(), valid.data(), rows, cols, 0.1f, -100, loss.data(), lse.data());
  cpu::cross_entropy_backward(ones.data(), x.data(), lse.data(), valid.data(), rows, cols, 0.1f, -100, dx.data());
  DeviceVec<float> xd(x), onesd(ones);
  DeviceVec<int64_t> ld(invalid);
  auto gl = garbage(rows), glse = garbage(rows), gdx = garbage(x.size());
  gpu::cross_entropy_forward(xd.get(), ld.get(), rows, cols, 0.1f, -100, gl.get(), glse.get());
  gpu::cross_entropy_backward(onesd.get(), xd.get(), glse.get(), ld.get(), rows, cols, 0.1f, -100, gdx.get());
  const auto got = gl.host(), got_dx = gdx.host();
  CHECK(std::isnan(got[1]));
  CHECK(got[0] == doctest::Approx(loss[0]).epsilon(1e-5));
  CHECK(got[2] == doctest::Approx(loss[2]).epsilon(1e-5));
  check_close(glse.host(), lse, 1e-5, 1e-5);
  for (int64_t j = 0; j < cols; ++j) {
    CHECK(std::isnan(got_dx[cols + j]));
    CHECK(got_dx[j] == doctest::Approx(dx[j]).epsilon(1e-5).scale(1.0));
  }
}
#else
TEST_CASE("CUDA NN kernels" * doctest::test_suite("cuda")) {
  MESSAGE("skipped: this build has no CUDA backend");
  CHECK(!cyclone::cuda_built());
}
#endif
