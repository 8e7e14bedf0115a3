// CUDA SGEMM (fp32, no TF32), C = alpha op(A) op(B) + beta C, row-major, batched
// through blockIdx.z. Napkin math for 4096^3: 137 GFLOP; at cuBLAS's 49.9
// TFLOP/s on an H100 that is 2.75 ms. Bytes are small (3 x 64 MiB), so this is
// compute-bound and register tiling is what matters. Run: bench/bench_matmul.
#include <string>

#include "kernels/cuda/autotune.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/gemm_versions.h"
#include "kernels/cuda/math_mode.h"

namespace cyclone::kernels::cuda {
namespace {

template <bool TA, bool TB>
__device__ __forceinline__ float ld_a(const GemmArgs& g, const float* a, int64_t i, int64_t p) {
  return TA ? a[p * g.lda + i] : a[i * g.lda + p];
}
template <bool TA, bool TB>
__device__ __forceinline__ float ld_b(const GemmArgs& g, const float* b, int64_t p, int64_t j) {
  return TB ? b[j * g.ldb + p] : b[p * g.ldb + j];
}

__device__ __forceinline__ void store_c(const GemmArgs& g, float* c, int64_t i, int64_t j, float acc) {
  float& out = c[i * g.ldc + j];
  out = g.beta == 0.f ? g.alpha * acc : g.alpha * acc + g.beta * out;
}

// v1: thread (i, j) computes C[i][j] alone.
template <bool TA, bool TB>
__global__ void gemm_v1(GemmArgs g) {
  const float* a = g.a + blockIdx.z * g.stride_a;
  const float* b = g.b + blockIdx.z * g.stride_b;
  float* c = g.c + blockIdx.z * g.stride_c;
  const int64_t i = blockIdx.y * int64_t(blockDim.y) + threadIdx.y, j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= g.m || j >= g.n) return;
  float acc = 0.f;
  for (int64_t p = 0; p < g.k; ++p) acc += ld_a<TA, TB>(g, a, i, p) * ld_b<TA, TB>(g, b, p, j);
  store_c(g, c, i, j, acc);
}

// v2: 32x32 tiles of A and B staged through shared memory.
template <bool TA, bool TB>
__global__ void gemm_v2(GemmArgs g) {
  __shared__ float As[32][33], Bs[32][33];
  const float* a = g.a + blockIdx.z * g.stride_a;
  const float* b = g.b + blockIdx.z * g.stride_b;
  float* c = g.c + blockIdx.z * g.stride_c;
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t i = blockIdx.y * 32 + ty, j = blockIdx.x * 32 + tx;
  float acc = 0.f;
  for (int64_t k0 = 0; k0 < g.k; k0 += 32) {
    As[ty][tx] = (i < g.m && k0 + tx < g.k) ? ld_a<TA, TB>(g, a, i, k0 + tx) : 0.f;
    Bs[ty][tx] = (k0 + ty < g.k && j < g.n) ? ld_b<TA, TB>(g, b, k0 + ty, j) : 0.f;
    __syncthreads();
#pragma unroll
    for (int p = 0; p < 32; ++p) acc += As[ty][p] * Bs[p][tx];
    __syncthreads();
  }
  if (i < g.m && j < g.n) store_c(g, c, i, j, acc);
}

// v3: 128x128 block tile, BK = 8, 256 threads with 8x8 register tiles.
// Loads: each thread fetches 4 A and 4 B values per k step into registers
// (coalesced along the stored-contiguous axis), then writes them to the other
// shared buffer while the current one is being consumed.
constexpr int BM = 128, BN = 128, BK = 8;

template <bool TA, bool TB>
__global__ __launch_bounds__(256) void gemm_v3(GemmArgs g) {
  __shared__ __align__(16) float As[2][BK][BM];
  __shared__ __align__(16) float Bs[2][BK][BN];
  const float* a = g.a + blockIdx.z * g.stride_a;
  const float* b = g.b + blockIdx.z * g.stride_b;
  float* c = g.c + blockIdx.z * g.stride_c;
  const int t = threadIdx.x, tx = t % 16, ty = t / 16;
  const int64_t m0 = int64_t(blockIdx.y) * BM, n0 = int64_t(blockIdx.x) * BN;
  float ra[4], rb[4];
  auto load = [&](int64_t k0) {
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const int64_t ai = TA ? m0 + (t % 32) * 4 + q : m0 + t / 2;
      const int64_t ap = TA ? k0 + t / 32 : k0 + (t % 2) * 4 + q;
      ra[q] = (ai < g.m && ap < g.k) ? ld_a<TA, TB>(g, a, ai, ap) : 0.f;
      const int64_t bj = TB ? n0 + t / 2 : n0 + (t % 32) * 4 + q;
      const int64_t bp = TB ? k0 + (t % 2) * 4 + q : k0 + t / 32;
      rb[q] = (bj < g.n && bp < g.k) ? ld_b<TA, TB>(g, b, bp, bj) : 0.f;
    }
  };
  auto store = [&](int buf) {
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      if (TA) As[buf][t / 32][(t % 32) * 4 + q] = ra[q];
      else As[buf][(t % 2) * 4 + q][t / 2] = ra[q];
      if (TB) Bs[buf][(t % 2) * 4 + q][t / 2] = rb[q];
      else Bs[buf][t / 32][(t % 32) * 4 + q] = rb[q];
    }
  };
  float acc[8][8];
#pragma unroll
  for (int r = 0; r < 8; ++r)
#pragma unroll
    for (int s = 0; s < 8; ++s) acc[r][s] = 0.f;

  load(0);
  store(0);
  __syncthreads();
  int cur = 0;
  for (int64_t k0 = 0; k0 < g.k; k0 += BK) {
    const bool next = k0 + BK < g.k;
    if (next) load(k0 + BK);
#pragma unroll
    for (int p = 0; p < BK; ++p) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][p][ty * 8]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][p][ty * 8 + 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][p][tx * 8]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][p][tx * 8 + 4]);
      const float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float bv[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int r = 0; r < 8; ++r)
#pragma unroll
        for (int s = 0; s < 8; ++s) acc[r][s] = fmaf(av[r], bv[s], acc[r][s]);
    }
    if (next) store(cur ^ 1);
    __syncthreads();
    cur ^= 1;
  }
#pragma unroll
  for (int r = 0; r < 8; ++r) {
    const int64_t i = m0 + ty * 8 + r;
    if (i >= g.m) continue;
#pragma unroll
    for (int s = 0; s < 8; ++s) {
      const int64_t j = n0 + tx * 8 + s;
      if (j < g.n) store_c(g, c, i, j, acc[r][s]);
    }
  }
}

template <bool TA, bool TB>
void launch_version(int version, const GemmArgs& g) {
  const auto batch = static_cast<unsigned>(g.batch);
  if (version == 1) {
    const dim3 block(16, 16), grid(static_cast<unsigned>((g.n + 15) / 16), static_cast<unsigned>((g.m + 15) / 16), batch);
    launch<gemm_v1<TA, TB>>({grid, block, 0, stream()}, g);
  } else if (version == 2) {
    const dim3 block(32, 32), grid(static_cast<unsigned>((g.n + 31) / 32), static_cast<unsigned>((g.m + 31) / 32), batch);
    launch<gemm_v2<TA, TB>>({grid, block, 0, stream()}, g);
  } else {
    const dim3 grid(static_cast<unsigned>((g.n + BN - 1) / BN), static_cast<unsigned>((g.m + BM - 1) / BM), batch);
    launch<gemm_v3<TA, TB>>({grid, 256, 0, stream()}, g);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace

void gemm_version(int version, const GemmArgs& g) {
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  if (version == 4) return gemm_tf32(g);  // TF32 tensor cores, in gemm_tf32.cu
  if (g.trans_a) {
    g.trans_b ? launch_version<true, true>(version, g) : launch_version<true, false>(version, g);
  } else {
    g.trans_b ? launch_version<false, true>(version, g) : launch_version<false, false>(version, g);
  }
}

// The contract's GEMM: the version the autotuner picks for the shape, checked against
// v1; v4 (TF32) is a candidate only where allow_tf32_matmul (kernels/cuda/math_mode.h). A trial writes into a copy of C's footprint, since C is read where beta != 0.
void gemm(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  const int64_t footprint = (g.batch - 1) * g.stride_c + (g.m - 1) * g.ldc + g.n;
  TuneTrial t;
  t.family = "gemm";
  t.shape = std::to_string(g.batch) + "x" + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" +
            std::to_string(g.k) + (g.trans_a ? "t" : "n") + (g.trans_b ? "t" : "n") + (g.beta != 0.f ? "+c" : "");
  t.out_floats = footprint;
  t.reference = 1;
  if (allow_tf32_matmul() && tf32_tensor_cores()) t.candidates.push_back({4, kTf32TuneTolerance});
  for (int v = 3; v >= 1; --v) t.candidates.push_back({v, 1e-3});
  t.run = [&](int version, float* out) {
    if (g.beta != 0.f) {
      CYCLONE_CUDA_CHECK(cudaMemcpyAsync(out, g.c, sizeof(float) * size_t(footprint), cudaMemcpyDeviceToDevice, stream()));
    }
    GemmArgs trial = g;
    trial.c = out;
    gemm_version(version, trial);
  };
  gemm_version(tuned_version(t), g);
}

}  // namespace cyclone::kernels::cuda
