// Convolution versions 2 and 4: implicit GEMM in fp32 (kernels/cuda/conv_igemm.cuh)
// or on the TF32 tensor cores (conv_igemm_tf32.cuh), for the forward, the input
// gradient and the weight gradient, with no column buffer.
// The weight gradient reduces over every pixel of the batch (k = N*Ho*Wo, up
// to 131,072 at ResNet-20's stage 1, on an output of only 16 x 144), so it is
// split along k into enough slices for about four blocks per SM; each slice
// writes its partial sums to the workspace and reduce_splits adds them in
// slice order (deterministic, no atomics).
// Napkin math, ResNet-20 stage 1 at batch 128 (16 -> 16 channels, 3x3, 32x32):
// 2 * 128*1024 * 16 * 144 = 604 MFLOP per pass, 9 us at 66.9 TFLOP/s; its
// tensors are 8 MiB each, 2.5 us at 3.35 TB/s -- compute-bound if the FMAs
// are kept busy, which the 16-row tiles are for.
#include <algorithm>
#include <climits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/conv_igemm.cuh"
#include "kernels/cuda/conv_igemm_tf32.cuh"
#include "kernels/cuda/conv_igemm_passes.cuh"
#include "kernels/cuda/conv_versions.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kForwardBN = 128, kForwardBK = 8;
constexpr int kWeightBN = 64, kWeightBK = 16;
constexpr int kMinStepsPerSplit = 8;  // a slice is at least this many BK steps

igemm::Geometry geometry_of(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  auto i = [](int64_t v) { return static_cast<int>(v); };
  return {i(g.n), i(g.c), i(g.h), i(g.w), i(s.k), i(g.out_h()), i(g.out_w()), i(g.kh), i(g.kw), i(g.sh),
          i(g.sw), i(g.ph), i(g.pw), i(g.dh), i(g.dw), i(g.c / s.groups), i(s.k / s.groups), i(g.kh * g.kw)};
}

unsigned tiles(int size, int tile) { return static_cast<unsigned>((size + tile - 1) / tile); }

// BM: the smallest of 16, 32, 64 that holds m rows (64 for anything larger).
int block_rows(int m) { return m <= 16 ? 16 : m <= 32 ? 32 : 64; }

// Launches Kernel<block_rows(m)>.
template <class Pass, template <int> class Kernel>
void launch_rows(const Pass& pass, int bn, int groups, int splits, int k_per_split) {
  const int bm = block_rows(pass.m);
  const dim3 grid(tiles(pass.n, bn), tiles(pass.m, bm), static_cast<unsigned>(groups * splits));
  const LaunchShape shape{grid, igemm::kThreads, 0, stream()};
  if (bm == 16) launch<Kernel<16>::kernel>(shape, pass, splits, k_per_split);
  else if (bm == 32) launch<Kernel<32>::kernel>(shape, pass, splits, k_per_split);
  else launch<Kernel<64>::kernel>(shape, pass, splits, k_per_split);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

template <class Pass, int BN, int BK>
struct Fp32Kernel {
  template <int BM>
  struct Rows {
    static constexpr auto kernel = igemm::igemm_kernel<Pass, BM, BN, BK>;
  };
};
template <class Pass, int BN>
struct Tf32Kernel {
  template <int BM>
  struct Rows {
    static constexpr auto kernel = igemm::igemm_tf32_kernel<Pass, BM, BN>;
  };
};

// The fp32 kernel with BK-deep stages, or the TF32 one (8-deep).
template <class Pass, int BN, int BK>
void launch_pass(const Pass& pass, bool tf32, int groups, int splits, int k_per_split) {
  if (tf32) {
    launch_rows<Pass, Tf32Kernel<Pass, BN>::template Rows>(pass, BN, groups, splits, k_per_split);
  } else {
    launch_rows<Pass, Fp32Kernel<Pass, BN, BK>::template Rows>(pass, BN, groups, splits, k_per_split);
  }
}

// dw[g][o][q] = sum over slices of partial[g][slice][o][q], in slice order.
__global__ void reduce_splits(const float* __restrict__ partial, int groups, int splits, int per_group,
                              float* __restrict__ dw) {
  const int total = groups * per_group;
  for (int idx = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x); idx < total;
       idx += static_cast<int>(blockDim.x * gridDim.x)) {
    const int group = idx / per_group, e = idx - group * per_group;
    const float* p = partial + static_cast<int64_t>(group) * splits * per_group + e;
    float sum = 0.f;
    for (int s = 0; s < splits; ++s) sum += p[static_cast<int64_t>(s) * per_group];
    dw[idx] = sum;
  }
}

}  // namespace

bool conv_igemm_applies(const ConvShape& s) {
  const ConvGeometry& g = s.g;
  const int64_t limit = INT_MAX;
  const int64_t x = g.n * g.c * g.h * g.w, y = g.n * s.k * g.out_h() * g.out_w();
  const int64_t w = s.k * (g.c / s.groups) * g.kh * g.kw;
  return x < limit && y < limit && w < limit && g.n * g.h * g.w < limit;
}

int conv_weight_grad_splits(const ConvShape& s, int64_t workspace_floats) {
  const igemm::Geometry g = geometry_of(s);
  const int64_t m = g.kg, n = int64_t(g.cg) * g.taps, k = int64_t(g.n) * g.ho * g.wo;
  const int64_t tiles_mn = int64_t(tiles(static_cast<int>(n), kWeightBN)) * tiles(static_cast<int>(m), block_rows(g.kg)) * (s.groups);
  const int64_t want = (4 * int64_t(sm_count()) + tiles_mn - 1) / tiles_mn;
  const int64_t most_by_k = std::max<int64_t>(1, k / (int64_t(kWeightBK) * kMinStepsPerSplit));
  const int64_t most_by_workspace = std::max<int64_t>(1, workspace_floats / (s.groups * m * n));
  return static_cast<int>(std::clamp<int64_t>(want, 1, std::min(most_by_k, most_by_workspace)));
}

void conv2d_forward_igemm(const float* x, const float* w, const ConvShape& s, float* y, bool tf32) {
  igemm::ForwardPass pass;
  pass.g = geometry_of(s);
  pass.m = pass.g.kg;
  pass.n = pass.g.n * pass.g.ho * pass.g.wo;
  pass.k = pass.g.cg * pass.g.taps;
  pass.x = x;
  pass.w = w;
  pass.y = y;
  if (pass.m == 0 || pass.n == 0) return;
  launch_pass<igemm::ForwardPass, kForwardBN, kForwardBK>(pass, tf32, static_cast<int>(s.groups), 1, pass.k);
}

void conv2d_backward_input_igemm(const float* dy, const float* w, const ConvShape& s, float* dx, bool tf32) {
  igemm::InputGradPass pass;
  pass.g = geometry_of(s);
  pass.m = pass.g.cg;
  pass.n = pass.g.n * pass.g.h * pass.g.w;
  pass.k = pass.g.kg * pass.g.taps;
  pass.dy = dy;
  pass.w = w;
  pass.dx = dx;
  if (pass.m == 0 || pass.n == 0) return;
  launch_pass<igemm::InputGradPass, kForwardBN, kForwardBK>(pass, tf32, static_cast<int>(s.groups), 1, pass.k);
}

void conv2d_backward_weight_igemm(const float* x, const float* dy, const ConvShape& s, float* dw, float* workspace,
                                  int64_t workspace_floats, bool tf32) {
  igemm::WeightGradPass pass;
  pass.g = geometry_of(s);
  pass.m = pass.g.kg;
  pass.n = pass.g.cg * pass.g.taps;
  pass.k = pass.g.n * pass.g.ho * pass.g.wo;
  pass.x = x;
  pass.dy = dy;
  if (pass.m == 0 || pass.n == 0) return;
  const int groups = static_cast<int>(s.groups);
  if (pass.k == 0) {
    CYCLONE_CUDA_CHECK(cudaMemsetAsync(dw, 0, sizeof(float) * size_t(groups) * pass.m * pass.n, stream()));
    return;
  }
  pass.splits = conv_weight_grad_splits(s, workspace_floats);
  // Slices of whole BK steps.
  const int steps = (pass.k + kWeightBK - 1) / kWeightBK;
  const int k_per_split = ((steps + pass.splits - 1) / pass.splits) * kWeightBK;
  pass.splits = (pass.k + k_per_split - 1) / k_per_split;
  pass.out = pass.splits == 1 ? dw : workspace;
  launch_pass<igemm::WeightGradPass, kWeightBN, kWeightBK>(pass, tf32, groups, pass.splits, k_per_split);
  if (pass.splits > 1) {
    const int per_group = pass.m * pass.n;
    launch<reduce_splits>({blocks_for(int64_t(groups) * per_group), 256, 0, stream()}, workspace, groups, pass.splits,
                          per_group, dw);
    CYCLONE_CUDA_LAUNCH_CHECK();
  }
}

}  // namespace cyclone::kernels::cuda
