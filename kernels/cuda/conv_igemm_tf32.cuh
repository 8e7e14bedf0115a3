// The implicit-GEMM convolution on the tensor cores in TF32 (conv version 4,
// kernels/cuda/conv_versions.h): igemm_kernel's tiles, loads and passes
// (conv_igemm.cuh), with the block's 8 warps each computing a 16 x (BN /
// warps along n) piece of the tile with mma.sync m16n8k8 (kernels/cuda/ptx.h).
// Warps: BM/16 along m times 8/(BM/16) along n, so BM = 16 gives 8 warps of
// 16 x 16 (two n8 tiles), BM = 64 four rows of two warps of 16 x 64.
// Values are rounded to tf32 (cvt.rna) once, as they are stored to shared
// memory. The tiles' rows are padded to a stride of 8 (mod 32) words: the
// fragment loads, A[g][t] = As[t][m + g] and B[t][g] = Bs[t][n + g]
// (g = lane / 4, t = lane % 4), then hit 32 distinct banks.
// Accuracy as GEMM v4: |err| <= ~2^-10 sum |a||b| against fp32 (gemm_tf32.cu).
#pragma once
#include "kernels/cuda/conv_igemm.cuh"
#include "kernels/cuda/ptx.h"

namespace cyclone::kernels::cuda::igemm {

template <class Pass, int BM, int BN>
__global__ __launch_bounds__(kThreads) void igemm_tf32_kernel(Pass pass, int splits, int k_per_split) {
  constexpr int BK = 8;
  constexpr int kWarpsM = BM / 16, kWarpsN = (kThreads / 32) / kWarpsM, kWarpN = BN / kWarpsN, kTilesN = kWarpN / 8;
  constexpr int kAStride = BM + 8, kBStride = BN + 8;
  static_assert(BM % 16 == 0 && kWarpsM * kWarpsN == kThreads / 32 && kTilesN >= 1 && kWarpN % 8 == 0, "tile shape");
  __shared__ __align__(16) uint32_t As[2][BK][kAStride];
  __shared__ __align__(16) uint32_t Bs[2][BK][kBStride];

  const int t = threadIdx.x, lane = t % 32, warp = t / 32, g = lane / 4, tq = lane % 4;
  const int wm = (warp % kWarpsM) * 16, wn = (warp / kWarpsM) * kWarpN;
  const int group = static_cast<int>(blockIdx.z) / splits, split = static_cast<int>(blockIdx.z) % splits;
  const int m0 = static_cast<int>(blockIdx.y) * BM, n0 = static_cast<int>(blockIdx.x) * BN;
  const KRange kr = k_range_of(pass.k, split, k_per_split);
  TileLoader<Pass, BM, BN, BK> tiles;
  tiles.init(pass, t, group, m0, n0);
  auto to_tf32 = [](float v) { return float_to_tf32(v); };

  float acc[kTilesN][4];
#pragma unroll
  for (int j = 0; j < kTilesN; ++j)
#pragma unroll
    for (int i = 0; i < 4; ++i) acc[j][i] = 0.f;

  tiles.load(pass, kr.begin, kr.end);
  tiles.store(t, &As[0][0][0], kAStride, &Bs[0][0][0], kBStride, to_tf32);
  __syncthreads();
  int cur = 0;
  for (int k0 = kr.begin; k0 < kr.end; k0 += BK) {
    const bool next = k0 + BK < kr.end;
    if (next) tiles.load(pass, k0 + BK, kr.end);
    // A fragment: a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4], a3 = A[g+8][t+4], A[m][k] = As[k][m].
    const uint32_t a[4] = {As[cur][tq][wm + g], As[cur][tq][wm + g + 8], As[cur][tq + 4][wm + g],
                           As[cur][tq + 4][wm + g + 8]};
#pragma unroll
    for (int j = 0; j < kTilesN; ++j) {
      // B fragment: b0 = B[t][g], b1 = B[t+4][g].
      const uint32_t b[2] = {Bs[cur][tq][wn + j * 8 + g], Bs[cur][tq + 4][wn + j * 8 + g]};
      mma_m16n8k8_tf32(acc[j], a, b, acc[j]);
    }
    if (next) tiles.store(t, &As[cur ^ 1][0][0], kAStride, &Bs[cur ^ 1][0][0], kBStride, to_tf32);
    __syncthreads();
    cur ^= 1;
  }

  // C fragment: c_i = C[g + 8 (i / 2)][2t + (i & 1)].
#pragma unroll
  for (int j = 0; j < kTilesN; ++j)
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int m = m0 + wm + g + 8 * (i / 2), n = n0 + wn + j * 8 + 2 * tq + (i & 1);
      if (m < pass.m && n < pass.n) pass.store(group, split, m, n, acc[j][i]);
    }
}

}  // namespace cyclone::kernels::cuda::igemm
