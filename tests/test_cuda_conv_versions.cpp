// Every CUDA convolution version (kernels/cuda/conv_versions.h) = the CPU
// reference, pass by pass (the TF32 version within its error bound), at ResNet-like shapes (16, 32 and 64 channels,
// stride 2, 1x1 shortcuts), odd sizes, groups, dilation, more output channels
// than one tile holds, and a weight gradient split along k.
#include <cmath>
#include <string>
#include <vector>

#include "kernels/cuda/conv_versions.h"
#include "kernels/nn_contract.h"
#include "test_device_vec.h"
#include "test_helpers.h"
#include "test_tf32.h"
#include "test_nn_kernels_helpers.h"

#if CYCLONE_WITH_CUDA
namespace {

namespace K = cyclone::kernels;
namespace cpu = cyclone::kernels::cpu;
namespace gpu = cyclone::kernels::cuda;
using cyclone::test::check_close;
using cyclone::test::DeviceVec;
using cyclone::test::garbage;

std::vector<float> absolute(std::vector<float> v) {
  for (float& x : v) x = std::fabs(x);
  return v;
}

struct Case {
  int64_t n, c, h, w, k, groups, kernel, stride, pad, dilation;
};

K::ConvShape shape_of(const Case& t) {
  K::ConvShape s;
  s.g.n = t.n; s.g.c = t.c; s.g.h = t.h; s.g.w = t.w;
  s.g.kh = s.g.kw = t.kernel;
  s.g.sh = s.g.sw = t.stride;
  s.g.ph = s.g.pw = t.pad;
  s.g.dh = s.g.dw = t.dilation;
  s.k = t.k;
  s.groups = t.groups;
  return s;
}

const Case kCases[] = {
    {4, 16, 16, 16, 16, 1, 3, 1, 1, 1},  // stage 1: 16-row tiles
    {3, 16, 16, 16, 32, 1, 3, 2, 1, 1},  // into stage 2: stride 2, 32-row tiles
    {2, 32, 8, 8, 64, 1, 3, 2, 1, 1},    // into stage 3: 64-row tiles
    {2, 64, 4, 4, 64, 1, 3, 1, 1, 1},
    {3, 16, 9, 7, 32, 1, 1, 2, 0, 1},    // a 1x1 stride-2 shortcut, odd sizes
    {2, 6, 7, 9, 80, 2, 3, 1, 2, 2},     // groups, dilation, two 64-row tiles
    {2, 3, 11, 5, 5, 1, 5, 3, 1, 1},     // a wide kernel, stride 3
};

}  // namespace

TEST_CASE("every CUDA conv version = CPU, forward, input gradient and weight gradient" * doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  for (const Case& t : kCases) {
    const K::ConvShape s = shape_of(t);
    const K::ConvGeometry& g = s.g;
    const size_t nx = g.n * g.c * g.h * g.w, nw = s.k * (g.c / s.groups) * g.kh * g.kw;
    const size_t ny = g.n * s.k * g.out_h() * g.out_w();
    const auto x = cyclone::test::random_floats(nx, 61), w = cyclone::test::random_floats(nw, 62);
    const auto dy = cyclone::test::random_floats(ny, 63);
    std::vector<float> want_y(ny), want_dx(nx), want_dw(nw);
    std::vector<float> cpu_ws(static_cast<size_t>(cpu::conv2d_workspace_size(s)));
    cpu::conv2d_forward(x.data(), w.data(), s, want_y.data(), cpu_ws.data());
    cpu::conv2d_backward_input(dy.data(), w.data(), s, want_dx.data(), cpu_ws.data());
    cpu::conv2d_backward_weight(x.data(), dy.data(), s, want_dw.data(), cpu_ws.data());
    // sum |x||w| per output: what the TF32 version's error scales with.
    const auto ax = absolute(x), aw = absolute(w), ady = absolute(dy);
    std::vector<float> bound_y(ny), bound_dx(nx), bound_dw(nw);
    cpu::conv2d_forward(ax.data(), aw.data(), s, bound_y.data(), cpu_ws.data());
    cpu::conv2d_backward_input(ady.data(), aw.data(), s, bound_dx.data(), cpu_ws.data());
    cpu::conv2d_backward_weight(ax.data(), ady.data(), s, bound_dw.data(), cpu_ws.data());
    DeviceVec<float> xd(x), wd(w), dyd(dy);
    for (int v = 1; v <= gpu::kConvVersions; ++v) {
      INFO("version " << v << ", n " << t.n << " c " << t.c << " " << t.h << "x" << t.w << " k " << t.k << " groups "
                      << t.groups << " kernel " << t.kernel << " stride " << t.stride << " pad " << t.pad
                      << " dilation " << t.dilation);
      REQUIRE(gpu::conv_version_applies(v, s));
      auto ws = garbage(static_cast<size_t>(gpu::conv2d_workspace_size(s)));
      auto y = garbage(ny), dx = garbage(nx), dw = garbage(nw);
      gpu::conv2d_version(v, gpu::ConvPass::forward, xd.get(), wd.get(), s, y.get(), ws.get());
      gpu::conv2d_version(v, gpu::ConvPass::input_grad, dyd.get(), wd.get(), s, dx.get(), ws.get());
      gpu::conv2d_version(v, gpu::ConvPass::weight_grad, xd.get(), dyd.get(), s, dw.get(), ws.get());
      if (gpu::conv_version_is_tf32(v)) {
        cyclone::test::check_tf32_close(y.host(), want_y, bound_y);
        cyclone::test::check_tf32_close(dx.host(), want_dx, bound_dx);
        cyclone::test::check_tf32_close(dw.host(), want_dw, bound_dw);
      } else {
        check_close(y.host(), want_y, 1e-4, 1e-4);
        check_close(dx.host(), want_dx, 1e-4, 1e-4);
        check_close(dw.host(), want_dw, 1e-4, 1e-4);
      }
    }
  }
}

TEST_CASE("the implicit-GEMM weight gradient splits k over the SMs and adds the slices back" *
          doctest::test_suite("cuda")) {
  if (!cyclone::test::cuda_or_skip()) return;
  const K::ConvShape s = shape_of(kCases[0]);  // k = 4 * 16 * 16 = 1024 pixels
  const int64_t ws = gpu::conv2d_workspace_size(s);
  // At most k / (16 * 8) slices; 3 output tiles want 4 * 132 / 3 of them on an H100.
  CHECK(gpu::conv_weight_grad_splits(s, ws) == 8);
  // With room for only three slices' partial sums, three.
  CHECK(gpu::conv_weight_grad_splits(s, 3 * 16 * 144) == 3);
  CHECK(gpu::conv_weight_grad_splits(s, 0) == 1);
  // The result does not depend on the slicing.
  const size_t nx = 4 * 16 * 16 * 16, nw = 16 * 16 * 9;
  const auto x = cyclone::test::random_floats(nx, 71), dy = cyclone::test::random_floats(nx, 72);
  std::vector<float> want(nw), cpu_ws(static_cast<size_t>(cpu::conv2d_workspace_size(s)));
  cpu::conv2d_backward_weight(x.data(), dy.data(), s, want.data(), cpu_ws.data());
  DeviceVec<float> xd(x), dyd(dy);
  for (int64_t room : {int64_t(0), int64_t(3 * 16 * 144), ws}) {
    INFO("workspace floats " << room);
    auto work = garbage(static_cast<size_t>(ws)), dw = garbage(nw);
    gpu::conv2d_backward_weight_igemm(xd.get(), dyd.get(), s, dw.get(), work.get(), room, false);
    check_close(dw.host(), want, 1e-4, 1e-4);
  }
}
#endif
