// CUDA GEMM v4 on the tensor cores in TF32: C = alpha op(A) op(B) + beta C, row-major,
// batched through blockIdx.z, as gemm.cu's versions. 128x128x16 block tiles, 8 warps each
// computing a 64x32 warp tile with mma.sync m16n8k8, shared tiles filled by cp.async in a
// 3-stage pipeline (kernels/cuda/ptx.h).
//
// Accuracy: each operand is rounded to tf32 (cvt.rna: 10 mantissa bits, relative error
// <= 2^-11), so each product a*b carries a relative error <= ~2^-10 and
//   |C - C_fp32| <= ~2^-10 * sum_p |a_ip| |b_pj|  +  fp32 accumulation error (~k 2^-24 sum|a||b|)
// against an fp32 product; against the exact product of the rounded operands only the fp32
// accumulation error remains. Not bit-identical to cuBLAS TF32 (another summation order).
#include "kernels/cuda/check.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/ptx.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kTileMN = 128, kTileK = 16, kStages = 3, kThreads = 256;
constexpr int kWarpM = 64, kWarpN = 32;  // 2 x 4 warps

// One operand's tile in shared memory, per stage. K-major operands (k contiguous in global
// memory: A untransposed, B transposed) are kept [128 rows][16 k + 4]: a row stride of 20
// words puts the 8 rows an ldmatrix phase reads, 16 bytes each, on 8 distinct 4-bank groups.
// The others are kept [16 k][128 + 8]: a stride of 8 (mod 32) words makes the fragment loads
// s[t + ...][g + ...] (t = lane % 4, g = lane / 4) hit 32 distinct banks.
template <bool KMajor>
struct Tile {
  static constexpr int kStride = KMajor ? kTileK + 4 : kTileMN + 8;
  static constexpr int kFloats = (KMajor ? kTileMN : kTileK) * kStride;
};

template <bool TA, bool TB>
constexpr size_t shared_bytes() {
  return size_t(kStages) * (Tile<!TA>::kFloats + Tile<TB>::kFloats) * sizeof(float);
}

// Stages a 128 x 16 tile of an operand: rows [r0, r0+128) of `rows`, k [k0, k0+16) of `k`.
// Element (r, p) lives at x[r * ld + p] when KMajor, else at x[p * ld + r]. 512 chunks of 4
// floats, 2 per thread; with Vec (16-byte aligned rows) each is one cp.async, zero-filled
// past the edges, else 4 guarded loads stored directly.
template <bool KMajor, bool Vec>
__device__ __forceinline__ void load_tile(float* s, const float* x, int64_t ld, int64_t r0, int64_t rows, int64_t k0,
                                          int64_t k) {
  constexpr int kChunksPerLine = (KMajor ? kTileK : kTileMN) / 4;
  const int64_t outer0 = KMajor ? r0 : k0, outer_n = KMajor ? rows : k;
  const int64_t inner0 = KMajor ? k0 : r0, inner_n = KMajor ? k : rows;
#pragma unroll
  for (int q = 0; q < 2; ++q) {
    const int c = int(threadIdx.x) + q * kThreads;
    const int o = c / kChunksPerLine, i = (c % kChunksPerLine) * 4;
    float* dst = s + o * Tile<KMajor>::kStride + i;
    const int64_t go = outer0 + o, gi = inner0 + i, left = inner_n - gi;
    const int valid = go >= outer_n || left <= 0 ? 0 : left >= 4 ? 4 : int(left);
    const float* src = x + (valid ? go * ld + gi : 0);
    if (Vec) {
      cp_async_16_zfill(dst, src, valid * 4);
    } else {
#pragma unroll
      for (int e = 0; e < 4; ++e) dst[e] = e < valid ? src[e] : 0.f;
    }
  }
}

// A fragment (16 x 8, rows m.., k kk..), layout a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4],
// a3 = A[g+8][t+4], rounded to tf32.
template <bool KMajor>
__device__ __forceinline__ void load_a(uint32_t (&a)[4], const float* s, int m, int kk, int lane) {
  constexpr int S = Tile<KMajor>::kStride;
  if (KMajor) {
    // ldmatrix.x4: lane supplies row lane % 8 of matrix j = lane / 8, matrix j being
    // rows m + 8 (j & 1), k kk + 4 (j >> 1): a_j comes back as the word t of row g.
    const int j = lane / 8;
    ldmatrix_x4(a, s + (m + lane % 8 + 8 * (j & 1)) * S + kk + 4 * (j >> 1));
#pragma unroll
    for (int r = 0; r < 4; ++r) a[r] = float_to_tf32(__uint_as_float(a[r]));
  } else {
    const int g = lane / 4, t = lane % 4;
#pragma unroll
    for (int r = 0; r < 4; ++r) a[r] = float_to_tf32(s[(kk + t + 4 * (r >> 1)) * S + m + g + 8 * (r & 1)]);
  }
}

// Two B fragments (8 x 8 each, columns n.. and n+8.., k kk..), layout b0 = B[t][g],
// b1 = B[t+4][g], rounded to tf32.
template <bool KMajor>
__device__ __forceinline__ void load_b(uint32_t (&b)[2][2], const float* s, int n, int kk, int lane) {
  constexpr int S = Tile<KMajor>::kStride;
  if (KMajor) {
    // ldmatrix.x4 over the [n][k] tile: matrix j is columns n + 8 (j >> 1), k kk + 4 (j & 1).
    const int j = lane / 8;
    uint32_t r[4];
    ldmatrix_x4(r, s + (n + lane % 8 + 8 * (j >> 1)) * S + kk + 4 * (j & 1));
#pragma unroll
    for (int q = 0; q < 4; ++q) b[q >> 1][q & 1] = float_to_tf32(__uint_as_float(r[q]));
  } else {
    const int g = lane / 4, t = lane % 4;
#pragma unroll
    for (int f = 0; f < 2; ++f)
#pragma unroll
      for (int h = 0; h < 2; ++h) b[f][h] = float_to_tf32(s[(kk + t + 4 * h) * S + n + 8 * f + g]);
  }
}

// As gemm.cu's store_c.
__device__ __forceinline__ void store_c(const GemmArgs& g, float* c, int64_t i, int64_t j, float acc) {
  float& out = c[i * g.ldc + j];
  out = g.beta == 0.f ? g.alpha * acc : g.alpha * acc + g.beta * out;
}

template <bool TA, bool TB, bool Vec>
__global__ __launch_bounds__(kThreads) void gemm_v4(GemmArgs g) {
  constexpr bool kAK = !TA, kBK = TB;  // which operands are K-major
  CYCLONE_DYNAMIC_SHARED(float, smem);
  float* as = smem;                                  // kStages A tiles
  float* bs = smem + kStages * Tile<kAK>::kFloats;  // then kStages B tiles
  const float* a = g.a + blockIdx.z * g.stride_a;
  const float* b = g.b + blockIdx.z * g.stride_b;
  float* c = g.c + blockIdx.z * g.stride_c;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const int wm = (warp / 4) * kWarpM, wn = (warp % 4) * kWarpN;
  const int64_t m0 = int64_t(blockIdx.y) * kTileMN, n0 = int64_t(blockIdx.x) * kTileMN;
  const int k_tiles = int((g.k + kTileK - 1) / kTileK);

  auto load_stage = [&](int tile) {
    const int stage = tile % kStages;
    const int64_t k0 = int64_t(tile) * kTileK;
    load_tile<kAK, Vec>(as + stage * Tile<kAK>::kFloats, a, g.lda, m0, g.m, k0, g.k);
    load_tile<kBK, Vec>(bs + stage * Tile<kBK>::kFloats, b, g.ldb, n0, g.n, k0, g.k);
  };

  float acc[4][4][4];  // [m fragment][n fragment][c_i]
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[i][j][r] = 0.f;

  // Group t of each thread's cp.async groups holds tile t (empty past the last tile).
#pragma unroll
  for (int t = 0; t < kStages - 1; ++t) {
    if (t < k_tiles) load_stage(t);
    cp_async_commit();
  }
  for (int t = 0; t < k_tiles; ++t) {
    cp_async_wait<kStages - 2>();  // this thread's copies of tile t have landed
    __syncthreads();               // everyone's have; and everyone is done with tile t - 1
    if (t + kStages - 1 < k_tiles) load_stage(t + kStages - 1);  // into tile t - 1's stage
    cp_async_commit();
    const float* sa = as + (t % kStages) * Tile<kAK>::kFloats;
    const float* sb = bs + (t % kStages) * Tile<kBK>::kFloats;
#pragma unroll
    for (int kk = 0; kk < kTileK; kk += 8) {
      uint32_t af[4][4], bf[4][2];
#pragma unroll
      for (int i = 0; i < 4; ++i) load_a<kAK>(af[i], sa, wm + 16 * i, kk, lane);
#pragma unroll
      for (int j = 0; j < 4; j += 2) {
        uint32_t pair[2][2];
        load_b<kBK>(pair, sb, wn + 8 * j, kk, lane);
        bf[j][0] = pair[0][0], bf[j][1] = pair[0][1], bf[j + 1][0] = pair[1][0], bf[j + 1][1] = pair[1][1];
      }
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) mma_m16n8k8_tf32(acc[i][j], af[i], bf[j], acc[i][j]);
    }
  }

  // D layout: d_r = D[g + 8 (r / 2)][2 t + (r & 1)].
  const int gid = lane / 4, tig = lane % 4;
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int r2 = 0; r2 < 2; ++r2) {
      const int64_t row = m0 + wm + 16 * i + gid + 8 * r2;
      if (row >= g.m) continue;
#pragma unroll
      for (int j = 0; j < 4; ++j)
#pragma unroll
        for (int r1 = 0; r1 < 2; ++r1) {
          const int64_t col = n0 + wn + 8 * j + 2 * tig + r1;
          if (col < g.n) store_c(g, c, row, col, acc[i][j][2 * r2 + r1]);
        }
    }
}

template <bool TA, bool TB, bool Vec>
void launch_v4(const GemmArgs& g) {
  constexpr auto kernel = &gemm_v4<TA, TB, Vec>;
  constexpr size_t bytes = shared_bytes<TA, TB>();
  static const bool raised = [] {  // over the default 48 KiB of dynamic shared memory
    CYCLONE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
    return true;
  }();
  (void)raised;
  const dim3 grid(unsigned((g.n + kTileMN - 1) / kTileMN), unsigned((g.m + kTileMN - 1) / kTileMN), unsigned(g.batch));
  launch<kernel>({grid, kThreads, bytes, stream()}, g);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

template <bool TA, bool TB>
void launch_v4(const GemmArgs& g) {
  // cp.async moves 16 aligned bytes: every row of A and B (in every batch) must start on 16 bytes.
  auto aligned = [](const float* p, int64_t ld, int64_t stride) {
    return reinterpret_cast<uintptr_t>(p) % 16 == 0 && ld % 4 == 0 && stride % 4 == 0;
  };
  if (aligned(g.a, g.lda, g.stride_a) && aligned(g.b, g.ldb, g.stride_b)) {
    launch_v4<TA, TB, true>(g);
  } else {
    launch_v4<TA, TB, false>(g);
  }
}

}  // namespace

void gemm_tf32(const GemmArgs& g) {
  if (g.trans_a) {
    g.trans_b ? launch_v4<true, true>(g) : launch_v4<true, false>(g);
  } else {
    g.trans_b ? launch_v4<false, true>(g) : launch_v4<false, false>(g);
  }
}

}  // namespace cyclone::kernels::cuda
