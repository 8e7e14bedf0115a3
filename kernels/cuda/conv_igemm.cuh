// The implicit-GEMM convolution kernel (conv version 2, kernels/cuda/conv_versions.h):
// one tiled fp32 GEMM C[m][n] = sum_k A(m, k) B(k, n) whose operands are read
// straight from the tensors by a Pass (conv_igemm_passes.cuh), so no column
// buffer ever reaches global memory. The same kernel runs the forward, the
// input gradient and the weight gradient; blockIdx.z is (group, split-K slice).
//
// Tiles: BM x BN outputs per block of 256 threads (a 16 x 16 grid of threads,
// each with a TM x TN register tile, TM = BM/16, TN = BN/16), BK deep. BM is
// 16, 32 or 64 so that ResNet's 16-, 32- and 64-channel layers fill their
// tiles. Shared memory holds two BK-deep stages of A and B, rows padded by 4
// floats: the loaders' stores along k land in distinct banks, and a thread's
// float4 reads of B (columns tx*4 and BN/2 + tx*4) are consecutive across a
// warp, so neither stores nor reads conflict. The next stage is prefetched
// into registers while the current one is consumed: one barrier per k step.
//
// Loads are scalar (an element may be padding or outside the image). Each
// thread's loaded columns are fixed for the whole kernel, so their index
// decoding (image, row, column, base pointer) is done once, in the Pass's
// Fixed records; only the k index is decoded per element.
#pragma once
#include "kernels/cuda/launch.h"

namespace cyclone::kernels::cuda::igemm {

constexpr int kThreads = 256;
constexpr int kPad = 4;

// Where thread t's l-th load of a tile with `cols` columns and depth bk lands:
// consecutive threads walk k first (along_k: the operand is contiguous in k) or
// the columns first.
struct LoadSlot {
  int kk, col;
  bool live;
};
__device__ __forceinline__ LoadSlot load_slot(int e, int cols, int bk, bool along_k) {
  LoadSlot s;
  s.live = e < cols * bk;
  s.kk = along_k ? e % bk : e / cols;
  s.col = along_k ? e / bk : e % cols;
  return s;
}

// A block's loads of its A (BK x BM) and B (BK x BN) tiles: each thread's
// slots, their decoded columns, and the registers holding the next stage.
template <class Pass, int BM, int BN, int BK>
struct TileLoader {
  static constexpr int kALoads = (BM * BK + kThreads - 1) / kThreads, kBLoads = (BN * BK + kThreads - 1) / kThreads;
  LoadSlot a_slot[kALoads], b_slot[kBLoads];
  typename Pass::AFixed a_fixed[kALoads];
  typename Pass::BFixed b_fixed[kBLoads];
  float ra[kALoads], rb[kBLoads];

  __device__ __forceinline__ void init(const Pass& pass, int t, int group, int m0, int n0) {
#pragma unroll
    for (int l = 0; l < kALoads; ++l) {
      a_slot[l] = load_slot(t + l * kThreads, BM, BK, Pass::kAAlongK);
      a_slot[l].live = a_slot[l].live && m0 + a_slot[l].col < pass.m;
      if (a_slot[l].live) a_fixed[l] = pass.a_fixed(group, m0 + a_slot[l].col);
    }
#pragma unroll
    for (int l = 0; l < kBLoads; ++l) {
      b_slot[l] = load_slot(t + l * kThreads, BN, BK, Pass::kBAlongK);
      b_slot[l].live = b_slot[l].live && n0 + b_slot[l].col < pass.n;
      if (b_slot[l].live) b_fixed[l] = pass.b_fixed(group, n0 + b_slot[l].col);
    }
  }
  // The stage at k0 into registers (0 past k_end, outside the matrix, or in padding).
  __device__ __forceinline__ void load(const Pass& pass, int k0, int k_end) {
#pragma unroll
    for (int l = 0; l < kALoads; ++l) {
      const int kk = k0 + a_slot[l].kk;
      ra[l] = (a_slot[l].live && kk < k_end) ? pass.a(a_fixed[l], kk) : 0.f;
    }
#pragma unroll
    for (int l = 0; l < kBLoads; ++l) {
      const int kk = k0 + b_slot[l].kk;
      rb[l] = (b_slot[l].live && kk < k_end) ? pass.b(b_fixed[l], kk) : 0.f;
    }
  }
  // The registers into shared tiles a[kk * a_stride + col], b[...], through convert.
  template <class T, class Convert>
  __device__ __forceinline__ void store(int t, T* a, int a_stride, T* b, int b_stride, Convert convert) const {
#pragma unroll
    for (int l = 0; l < kALoads; ++l)
      if (t + l * kThreads < BM * BK) a[a_slot[l].kk * a_stride + a_slot[l].col] = convert(ra[l]);
#pragma unroll
    for (int l = 0; l < kBLoads; ++l)
      if (t + l * kThreads < BN * BK) b[b_slot[l].kk * b_stride + b_slot[l].col] = convert(rb[l]);
  }
};

// The block's k range: slice `split` of k_per_split.
struct KRange {
  int begin, end;
};
__device__ __forceinline__ KRange k_range_of(int k, int split, int k_per_split) {
  return {split * k_per_split, min(k, split * k_per_split + k_per_split)};
}

template <class Pass, int BM, int BN, int BK>
__global__ __launch_bounds__(kThreads) void igemm_kernel(Pass pass, int splits, int k_per_split) {
  constexpr int TM = BM / 16, TN = BN / 16;
  constexpr int kAStride = BM + kPad, kBStride = BN + kPad;
  static_assert(TN % 4 == 0 && BN == 16 * TN && BM == 16 * TM, "tile shape");
  __shared__ __align__(16) float As[2][BK][kAStride];
  __shared__ __align__(16) float Bs[2][BK][kBStride];

  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  const int group = static_cast<int>(blockIdx.z) / splits, split = static_cast<int>(blockIdx.z) % splits;
  const int m0 = static_cast<int>(blockIdx.y) * BM, n0 = static_cast<int>(blockIdx.x) * BN;
  const KRange kr = k_range_of(pass.k, split, k_per_split);
  TileLoader<Pass, BM, BN, BK> tiles;
  tiles.init(pass, t, group, m0, n0);
  auto same = [](float v) { return v; };

  float acc[TM][TN];
#pragma unroll
  for (int r = 0; r < TM; ++r)
#pragma unroll
    for (int s = 0; s < TN; ++s) acc[r][s] = 0.f;

  tiles.load(pass, kr.begin, kr.end);
  tiles.store(t, &As[0][0][0], kAStride, &Bs[0][0][0], kBStride, same);
  __syncthreads();
  int cur = 0;
  for (int k0 = kr.begin; k0 < kr.end; k0 += BK) {
    const bool next = k0 + BK < kr.end;
    if (next) tiles.load(pass, k0 + BK, kr.end);
#pragma unroll
    for (int p = 0; p < BK; ++p) {
      float av[TM], bv[TN];
#pragma unroll
      for (int r = 0; r < TM; ++r) av[r] = As[cur][p][ty * TM + r];
#pragma unroll
      for (int q = 0; q < TN / 4; ++q) {
        const float4 b4 = *reinterpret_cast<const float4*>(&Bs[cur][p][q * (BN / (TN / 4)) + tx * 4]);
        bv[q * 4] = b4.x;
        bv[q * 4 + 1] = b4.y;
        bv[q * 4 + 2] = b4.z;
        bv[q * 4 + 3] = b4.w;
      }
#pragma unroll
      for (int r = 0; r < TM; ++r)
#pragma unroll
        for (int s = 0; s < TN; ++s) acc[r][s] = fmaf(av[r], bv[s], acc[r][s]);
    }
    if (next) tiles.store(t, &As[cur ^ 1][0][0], kAStride, &Bs[cur ^ 1][0][0], kBStride, same);
    __syncthreads();
    cur ^= 1;
  }

#pragma unroll
  for (int r = 0; r < TM; ++r) {
    const int m = m0 + ty * TM + r;
    if (m >= pass.m) continue;
#pragma unroll
    for (int s = 0; s < TN; ++s) {
      const int n = n0 + (s / 4) * (BN / (TN / 4)) + tx * 4 + s % 4;
      if (n < pass.n) pass.store(group, split, m, n, acc[r][s]);
    }
  }
}

}  // namespace cyclone::kernels::cuda::igemm
