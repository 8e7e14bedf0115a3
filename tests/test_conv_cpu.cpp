// The CPU convolution kernels (conv2d_* of kernels/nn_contract.h, one image at a time) against
// a naive double-precision convolution, for strides, padding, dilation, groups,
// 1x1 and rectangular kernels, with batches that leave a partial weight-gradient
// chunk, on both paths (im2col + GEMM, and the direct convolution where it applies);
// and bitwise independence from the thread count.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/parallel.h"
#include "tests/test_nn_kernels_helpers.h"

namespace {

using namespace cyclone;
namespace cpu = cyclone::kernels::cpu;
namespace K = cyclone::kernels;
using cyclone::test::random_floats;

struct Case {
  int64_t n, c, h, w, k, kh, kw, stride, pad, dil, groups;
};

K::ConvShape shape_of(const Case& t) {
  K::ConvShape s;
  s.g.n = t.n; s.g.c = t.c; s.g.h = t.h; s.g.w = t.w;
  s.g.kh = t.kh; s.g.kw = t.kw; s.g.sh = s.g.sw = t.stride; s.g.ph = s.g.pw = t.pad; s.g.dh = s.g.dw = t.dil;
  s.k = t.k;
  s.groups = t.groups;
  return s;
}

// Calls fn(b, k, oy, ox, ch, i, j, x_index, w_index) for every product term of the convolution.
template <class F>
void for_each_term(const K::ConvShape& s, F&& fn) {
  const auto& g = s.g;
  const int64_t cg = g.c / s.groups, kg = s.k / s.groups;
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t k = 0; k < s.k; ++k)
      for (int64_t oy = 0; oy < g.out_h(); ++oy)
        for (int64_t ox = 0; ox < g.out_w(); ++ox)
          for (int64_t cl = 0; cl < cg; ++cl)
            for (int64_t i = 0; i < g.kh; ++i)
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t iy = oy * g.sh - g.ph + i * g.dh, ix = ox * g.sw - g.pw + j * g.dw;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const int64_t ch = (k / kg) * cg + cl;
                const int64_t yi = ((b * s.k + k) * g.out_h() + oy) * g.out_w() + ox;
                fn(yi, ((b * g.c + ch) * g.h + iy) * g.w + ix, ((k * cg + cl) * g.kh + i) * g.kw + j);
              }
}

void check_close(const std::vector<float>& got, const std::vector<double>& want, const char* what) {
  REQUIRE(got.size() == want.size());
  double scale = 0;
  for (double v : want) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(what << " element " << i);
    REQUIRE(std::fabs(got[i] - want[i]) <= 1e-5 * scale + 1e-6);
  }
}

}  // namespace

TEST_CASE("CPU conv kernels match a naive double convolution: forward, input and weight gradients") {
  const Case cases[] = {
      {19, 4, 9, 7, 6, 3, 3, 2, 1, 1, 2},  // stride 2, padding, groups; 3 weight chunks, the last partial
      {3, 5, 6, 6, 4, 1, 1, 1, 0, 1, 1},   // pointwise: the image is its own columns
      {1, 3, 10, 9, 2, 3, 2, 1, 2, 2, 1},  // dilation 2, rectangular kernel, one image
      {9, 6, 5, 5, 6, 3, 3, 1, 1, 1, 6},   // depthwise
      // The direct convolution's cases (16k output channels, output width 16k or 8):
      {5, 3, 16, 16, 16, 3, 3, 1, 1, 1, 1},   // 3 input channels (a stem); the input gradient falls back
      {3, 16, 8, 8, 32, 3, 3, 1, 1, 1, 1},    // width 8: tiles of two rows; direct input gradient
      {2, 16, 32, 32, 16, 3, 3, 2, 1, 1, 1},  // stride 2
      {2, 16, 20, 16, 16, 5, 5, 1, 2, 1, 1},  // 5x5, padding 2, 20 rows of 16
      {3, 16, 16, 16, 16, 1, 1, 2, 0, 1, 1},  // 1x1 stride 2 (a downsampling shortcut)
      {2, 32, 10, 18, 16, 3, 3, 1, 0, 1, 1},  // no padding: output 8 x 16; the input gradient's width 18
      {3, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1},  // width 14: partial row tiles; 196 pixels: a partial dy block
      {2, 32, 7, 7, 16, 3, 3, 1, 1, 1, 1},    // width 7, odd height
      {2, 16, 28, 28, 16, 3, 3, 2, 1, 1, 1},  // stride 2 to 14 x 14
      {2, 16, 9, 35, 16, 3, 3, 1, 1, 1, 1},   // width 35: 16 + 16 + 3
  };
  const cpu::ConvPath before = cpu::conv_path();
  for (const cpu::ConvPath path : {cpu::ConvPath::im2col, cpu::ConvPath::direct})
  for (const Case& t : cases) {
    cpu::set_conv_path(path);
    CAPTURE(static_cast<int>(path)); CAPTURE(t.c); CAPTURE(t.k); CAPTURE(t.h); CAPTURE(t.w);
    const K::ConvShape s = shape_of(t);
    CAPTURE(t.n); CAPTURE(t.kh); CAPTURE(t.groups);
    const int64_t nx = t.n * t.c * t.h * t.w, nw = t.k * (t.c / t.groups) * t.kh * t.kw;
    const int64_t ny = t.n * t.k * s.g.out_h() * s.g.out_w();
    const auto x = random_floats(nx, 1), w = random_floats(nw, 2), dy = random_floats(ny, 3);
    std::vector<double> y_ref(ny, 0.0), dx_ref(nx, 0.0), dw_ref(nw, 0.0);
    for_each_term(s, [&](int64_t yi, int64_t xi, int64_t wi) {
      y_ref[yi] += double(x[xi]) * w[wi];
      dx_ref[xi] += double(dy[yi]) * w[wi];
      dw_ref[wi] += double(dy[yi]) * x[xi];
    });
    std::vector<float> y(ny, NAN), dx(nx, NAN), dw(nw, NAN);
    std::vector<float> ws(static_cast<size_t>(cpu::conv2d_workspace_size(s)));
    cpu::conv2d_forward(x.data(), w.data(), s, y.data(), ws.data());
    cpu::conv2d_backward_input(dy.data(), w.data(), s, dx.data(), ws.data());
    cpu::conv2d_backward_weight(x.data(), dy.data(), s, dw.data(), ws.data());
    check_close(y, y_ref, "y");
    check_close(dx, dx_ref, "dx");
    check_close(dw, dw_ref, "dw");
  }
  cpu::set_conv_path(before);
}

TEST_CASE("CPU conv kernels give bitwise the same results with 1, 2 and 3 threads") {
  const int before = cpu::num_threads();
  for (const Case& t : {Case{11, 4, 8, 8, 8, 3, 3, 1, 1, 1, 1}, Case{11, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1}}) {
  const K::ConvShape s = shape_of(t);
  const int64_t nx = t.n * t.c * t.h * t.w, nw = t.k * t.c * 9, ny = t.n * t.k * 64;
  const auto x = random_floats(nx, 4), w = random_floats(nw, 5), dy = random_floats(ny, 6);
  auto run = [&](int threads) {
    cpu::set_num_threads(threads);
    std::vector<float> out(ny + nx + nw, NAN);
    std::vector<float> ws(static_cast<size_t>(cpu::conv2d_workspace_size(s)));
    cpu::conv2d_forward(x.data(), w.data(), s, out.data(), ws.data());
    cpu::conv2d_backward_input(dy.data(), w.data(), s, out.data() + ny, ws.data());
    cpu::conv2d_backward_weight(x.data(), dy.data(), s, out.data() + ny + nx, ws.data());
    return out;
  };
  const auto one = run(1), two = run(2), three = run(3);
  cpu::set_num_threads(before);
  CHECK(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)) == 0);
  CHECK(std::memcmp(one.data(), three.data(), one.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("the direct convolution takes ResNet-20's and SmallCNN's convs on an AVX-512 CPU") {
  if (!cpu::gemm_micro_kernel_available(cpu::MicroKernel::avx512)) {
    MESSAGE("skipped: this CPU has no AVX-512, so every conv takes the im2col path");
    return;
  }
  for (const Case& t : {Case{128, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1}, Case{128, 16, 32, 32, 32, 3, 3, 2, 1, 1, 1},
                        Case{128, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1}, Case{128, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1},
                        Case{128, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1}, Case{128, 16, 14, 14, 32, 3, 3, 1, 1, 1, 1},
                        Case{128, 32, 7, 7, 64, 3, 3, 1, 1, 1, 1}}) {
    CAPTURE(t.c); CAPTURE(t.k); CAPTURE(t.h);
    CHECK(cpu::conv_direct_applies(shape_of(t).g, t.k, t.groups));
    CHECK(cpu::conv_direct_weight_applies(shape_of(t).g, t.k, t.groups));
  }
  CHECK_FALSE(cpu::conv_direct_applies(shape_of(Case{1, 16, 8, 8, 12, 3, 3, 1, 1, 1, 1}).g, 12, 1));  // 12 channels
  CHECK_FALSE(cpu::conv_direct_applies(shape_of(Case{1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 2}).g, 16, 2));  // groups
}
