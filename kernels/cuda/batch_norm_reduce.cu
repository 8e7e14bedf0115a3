// CUDA batch-norm reductions over [n, c, s] (s = h*w): the statistics and the
// backward sums (CPU reference: kernels/cpu/batch_norm.cpp). The elementwise
// apply and input gradient are in batch_norm.cu.
//   A channel's n planes are split over `splits` blocks of 512 threads, so that
//   even 16 channels give every SM work (about four blocks per SM, each at
//   least 4096 elements). Consecutive threads read consecutive elements
//   (coalesced), as float4 when s % 4 == 0, 4 loads in flight per thread. Sums
//   are in double; warp shuffles then shared memory combine a block's threads.
//   stats: each block is two-pass over its planes (its mean, then the sum of
//     squares about it, the second read from L1/L2) and writes (count, mean,
//     M2); a second kernel merges a channel's blocks in order with Chan's
//     formula: n = na + nb, d = mb - ma, mean = ma + d nb / n,
//     M2 = M2a + M2b + d^2 na nb / n; var = M2 / count (biased).
//   backward_reduce: sum(dy) and sum(dy (x - mean)) per block, added in order.
// With one block per channel (splits = 1) the block writes the result itself.
// Results do not depend on timing: the same splits always add in one order.
// Napkin bytes per element: stats 4 (+4 from cache), backward_reduce 8.
#include <algorithm>
#include <cstdint>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda_runtime.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kReduceThreads = 512;
constexpr int kUnroll = 4;
constexpr int64_t kMinBlockElements = 4096;

// Calls use(load(offset)) for this thread's share of planes [b0, b0 + nb) of
// channel ch, each of sv vectors: element k = b*sv + sp sits at
// (b*c + ch)*sv + sp, and (b, sp) advance by the block size without division.
// kUnroll loads are issued before their values are used.
template <class Load, class Use>
__device__ __forceinline__ void for_planes(int64_t b0, int64_t nb, int64_t c, int64_t sv, int64_t ch, Load&& load,
                                           Use&& use) {
  const int64_t m = nb * sv, step = blockDim.x;
  if (m <= 0) return;
  const int64_t db = step / sv, ds = step % sv;
  int64_t b = b0 + threadIdx.x / sv, sp = threadIdx.x % sv;
  using Value = decltype(load(int64_t(0)));
  for (int64_t k = threadIdx.x; k < m; k += kUnroll * step) {
    Value v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (k + u * step < m) v[u] = load((b * c + ch) * sv + sp);
      sp += ds;
      b += db;
      if (sp >= sv) {
        sp -= sv;
        ++b;
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (k + u * step < m) use(v[u]);
    }
  }
}

// Per-component helpers so one kernel body serves float and float4.
__device__ __forceinline__ double component_sum(float v) { return v; }
__device__ __forceinline__ double component_sum(float4 v) { return double(v.x) + v.y + v.z + v.w; }
__device__ __forceinline__ double centered_square(float v, double mu) { return (v - mu) * (v - mu); }
__device__ __forceinline__ double centered_square(float4 v, double mu) {
  return centered_square(v.x, mu) + centered_square(v.y, mu) + centered_square(v.z, mu) + centered_square(v.w, mu);
}
__device__ __forceinline__ double centered_dot(float g, float v, double mu) { return g * (v - mu); }
__device__ __forceinline__ double centered_dot(float4 g, float4 v, double mu) {
  return centered_dot(g.x, v.x, mu) + centered_dot(g.y, v.y, mu) + centered_dot(g.z, v.z, mu) +
         centered_dot(g.w, v.w, mu);
}

template <class V>
struct GradAndInput {
  V g, x;
};

// Block (split, ch) takes planes [split * per, ...) of channel ch.
struct Split {
  int64_t b0, nb;
};
__device__ __forceinline__ Split split_of(int64_t n, int64_t per) {
  const int64_t b0 = int64_t(blockIdx.x) * per;
  return {b0, min(per, n - b0)};
}

struct Moments {
  double count, mean, m2;
};

__device__ __forceinline__ void write_stats(double var, double mu, double eps, float* mean, float* invstd, int64_t ch) {
  mean[ch] = static_cast<float>(mu);
  invstd[ch] = static_cast<float>(1.0 / sqrt(var + eps));
}

// V = float4 needs s % 4 == 0 and 16-byte aligned pointers; sv = s / (sizeof(V) / 4), lanes = sizeof(V) / 4.
// splits == 1: writes mean and invstd; else this block's Moments to partial[ch * splits + split].
template <class V>
__global__ void stats_kernel(const V* __restrict__ x, int64_t n, int64_t c, int64_t sv, int64_t per, int lanes,
                             double eps, float* __restrict__ mean, float* __restrict__ invstd,
                             Moments* __restrict__ partial) {
  const int64_t ch = blockIdx.y;
  const Split sp = split_of(n, per);
  const double count = double(sp.nb) * double(sv) * lanes;
  auto load = [&](int64_t i) { return x[i]; };
  double sum = 0;
  for_planes(sp.b0, sp.nb, c, sv, ch, load, [&](V v) { sum += component_sum(v); });
  const double mu = detail::block_sum(sum) / count;
  double sq = 0;
  for_planes(sp.b0, sp.nb, c, sv, ch, load, [&](V v) { sq += centered_square(v, mu); });
  const double m2 = detail::block_sum(sq);
  if (threadIdx.x != 0) return;
  if (gridDim.x == 1) {
    write_stats(m2 / count, mu, eps, mean, invstd, ch);
  } else {
    partial[ch * gridDim.x + blockIdx.x] = {count, mu, m2};
  }
}

// One thread per channel merges its splits' Moments in order (Chan et al.).
__global__ void merge_stats_kernel(const Moments* __restrict__ partial, int64_t c, int splits, double eps,
                                   float* __restrict__ mean, float* __restrict__ invstd) {
  const int64_t ch = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  Moments a = partial[ch * splits];
  for (int s = 1; s < splits; ++s) {
    const Moments b = partial[ch * splits + s];
    const double total = a.count + b.count, d = b.mean - a.mean;
    a.mean += d * (b.count / total);
    a.m2 += b.m2 + d * d * (a.count * b.count / total);
    a.count = total;
  }
  write_stats(a.m2 / a.count, a.mean, eps, mean, invstd, ch);
}

struct GradSums {
  double dy, dy_xmu;
};

template <class V>
__global__ void backward_reduce_kernel(const V* __restrict__ dy, const V* __restrict__ x, int64_t n, int64_t c,
                                       int64_t sv, int64_t per, const float* __restrict__ mean,
                                       const float* __restrict__ invstd, float* __restrict__ sum_dy,
                                       float* __restrict__ sum_dy_xhat, GradSums* __restrict__ partial) {
  const int64_t ch = blockIdx.y;
  const Split sp = split_of(n, per);
  const double mu = mean[ch];
  double sdy = 0, sdyx = 0;
  for_planes(
      sp.b0, sp.nb, c, sv, ch, [&](int64_t i) { return GradAndInput<V>{dy[i], x[i]}; },
      [&](const GradAndInput<V>& p) {
        sdy += component_sum(p.g);
        sdyx += centered_dot(p.g, p.x, mu);
      });
  sdy = detail::block_sum(sdy);
  sdyx = detail::block_sum(sdyx);
  if (threadIdx.x != 0) return;
  if (gridDim.x == 1) {
    sum_dy[ch] = static_cast<float>(sdy);
    sum_dy_xhat[ch] = static_cast<float>(sdyx * invstd[ch]);
  } else {
    partial[ch * gridDim.x + blockIdx.x] = {sdy, sdyx};
  }
}

__global__ void merge_grad_sums_kernel(const GradSums* __restrict__ partial, int64_t c, int splits,
                                       const float* __restrict__ invstd, float* __restrict__ sum_dy,
                                       float* __restrict__ sum_dy_xhat) {
  const int64_t ch = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  double sdy = 0, sdyx = 0;
  for (int s = 0; s < splits; ++s) {
    sdy += partial[ch * splits + s].dy;
    sdyx += partial[ch * splits + s].dy_xmu;
  }
  sum_dy[ch] = static_cast<float>(sdy);
  sum_dy_xhat[ch] = static_cast<float>(sdyx * invstd[ch]);
}

// Every plane of s floats starts 16-byte aligned, so the channel can be read as float4.
bool vectorizable(int64_t s, const float* p) { return s % 4 == 0 && reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Planes per block: about four blocks per SM over all channels, each block at least
// kMinBlockElements elements (or one whole plane).
int64_t planes_per_block(int64_t n, int64_t c, int64_t s) {
  const int64_t want = std::max<int64_t>(1, (4 * int64_t(sm_count()) + c - 1) / c);
  const int64_t most = std::max<int64_t>(1, (n * s) / kMinBlockElements);
  const int64_t splits = std::min({want, most, std::max<int64_t>(n, 1)});
  return (n + splits - 1) / splits;
}

// Grow-only device scratch for the partial results (allocated before any graph capture,
// in the warm-up step; reused in stream order).
void* partial_buffer(size_t bytes) {
  static void* buffer = nullptr;
  static size_t capacity = 0;
  if (bytes > capacity) {
    raw_free(buffer);
    buffer = raw_malloc(bytes);
    capacity = bytes;
  }
  return buffer;
}

}  // namespace

void batch_norm_stats(const float* x, int64_t n, int64_t c, int64_t s, double eps, float* mean, float* invstd) {
  if (c <= 0) return;
  const int64_t per = planes_per_block(n, c, s);
  const int splits = static_cast<int>(n > 0 ? (n + per - 1) / per : 1);
  Moments* partial = splits > 1 ? static_cast<Moments*>(partial_buffer(sizeof(Moments) * size_t(c * splits))) : nullptr;
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(c));
  if (vectorizable(s, x)) {
    launch<stats_kernel<float4>>({grid, kReduceThreads, 0, stream()}, reinterpret_cast<const float4*>(x), n, c, s / 4,
                                 per, 4, eps, mean, invstd, partial);
  } else {
    launch<stats_kernel<float>>({grid, kReduceThreads, 0, stream()}, x, n, c, s, per, 1, eps, mean, invstd, partial);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
  if (splits > 1) {
    launch<merge_stats_kernel>({blocks_for(c, 128), 128, 0, stream()}, partial, c, splits, eps, mean, invstd);
    CYCLONE_CUDA_LAUNCH_CHECK();
  }
}

void batch_norm_backward_reduce(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                                const float* invstd, float* sum_dy, float* sum_dy_xhat) {
  if (c <= 0) return;
  const int64_t per = planes_per_block(n, c, s);
  const int splits = static_cast<int>(n > 0 ? (n + per - 1) / per : 1);
  GradSums* partial =
      splits > 1 ? static_cast<GradSums*>(partial_buffer(sizeof(GradSums) * size_t(c * splits))) : nullptr;
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(c));
  if (vectorizable(s, x) && vectorizable(s, dy)) {
    launch<backward_reduce_kernel<float4>>({grid, kReduceThreads, 0, stream()}, reinterpret_cast<const float4*>(dy),
                                           reinterpret_cast<const float4*>(x), n, c, s / 4, per, mean, invstd, sum_dy,
                                           sum_dy_xhat, partial);
  } else {
    launch<backward_reduce_kernel<float>>({grid, kReduceThreads, 0, stream()}, dy, x, n, c, s, per, mean, invstd,
                                          sum_dy, sum_dy_xhat, partial);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
  if (splits > 1) {
    launch<merge_grad_sums_kernel>({blocks_for(c, 128), 128, 0, stream()}, partial, c, splits, invstd, sum_dy,
                                   sum_dy_xhat);
    CYCLONE_CUDA_LAUNCH_CHECK();
  }
}

}  // namespace cyclone::kernels::cuda
