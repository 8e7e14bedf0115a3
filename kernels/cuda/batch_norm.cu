// CUDA batch normalisation over [n, c, s] (s = h*w); CPU reference in
// kernels/cpu/batch_norm.cpp.
//   stats / backward_reduce: one 512-thread block per channel. The block walks
//     the channel's n planes with consecutive threads on consecutive elements
//     (coalesced), as float4 when s % 4 == 0, and each thread loads 4 vectors
//     before using any so that several loads are in flight. Sums accumulate in
//     double (free next to the memory traffic); warp shuffles then shared
//     memory combine the threads. stats is two-pass like the CPU: mean, then
//     sum((x - mean)^2); the second pass mostly hits L2.
//   apply / backward_input: elementwise grid-stride loops, one thread per
//     element, 32-bit index math when the tensor allows it.
// Napkin bytes per element: stats 4 (+4 from L2), apply 8, backward_reduce 8,
// backward_input 12. One block per channel leaves SMs idle when c is small
// (c=16 uses 16 of 132 SMs on an H100); a split reduction with a workspace is
// the next step if the benchmark shows it.
#include <cstdint>

#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/nn_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kReduceThreads = 512;
constexpr int kThreads = 256;
constexpr int kUnroll = 4;

// Calls use(load(offset)) for this thread's share of channel ch, seen as n
// planes of sv vectors: element k = b*sv + sp sits at (b*c + ch)*sv + sp, and
// (b, sp) advance by the block size without division. kUnroll loads are
// issued before their values are used.
template <class Load, class Use>
__device__ __forceinline__ void for_channel(int64_t n, int64_t c, int64_t sv, int64_t ch, Load&& load, Use&& use) {
  const int64_t m = n * sv, step = blockDim.x;
  if (m <= 0) return;
  const int64_t db = step / sv, ds = step % sv;
  int64_t b = threadIdx.x / sv, sp = threadIdx.x % sv;
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

// V = float4 needs s % 4 == 0 and 16-byte aligned pointers; sv = s / (sizeof(V) / 4).
template <class V>
__global__ void stats_kernel(const V* __restrict__ x, int64_t n, int64_t c, int64_t sv, double count, double eps,
                             float* __restrict__ mean, float* __restrict__ invstd) {
  const int64_t ch = blockIdx.x;
  auto load = [&](int64_t i) { return x[i]; };
  double sum = 0;
  for_channel(n, c, sv, ch, load, [&](V v) { sum += component_sum(v); });
  const double mu = detail::block_sum(sum) / count;
  double sq = 0;
  for_channel(n, c, sv, ch, load, [&](V v) { sq += centered_square(v, mu); });
  const double var = detail::block_sum(sq) / count;
  if (threadIdx.x == 0) {
    mean[ch] = static_cast<float>(mu);
    invstd[ch] = static_cast<float>(1.0 / sqrt(var + eps));
  }
}

template <class V>
__global__ void backward_reduce_kernel(const V* __restrict__ dy, const V* __restrict__ x, int64_t n, int64_t c,
                                       int64_t sv, const float* __restrict__ mean, const float* __restrict__ invstd,
                                       float* __restrict__ sum_dy, float* __restrict__ sum_dy_xhat) {
  const int64_t ch = blockIdx.x;
  const double mu = mean[ch];
  double sdy = 0, sdyx = 0;
  for_channel(
      n, c, sv, ch, [&](int64_t i) { return GradAndInput<V>{dy[i], x[i]}; },
      [&](const GradAndInput<V>& p) {
        sdy += component_sum(p.g);
        sdyx += centered_dot(p.g, p.x, mu);
      });
  sdy = detail::block_sum(sdy);
  sdyx = detail::block_sum(sdyx);
  if (threadIdx.x == 0) {
    sum_dy[ch] = static_cast<float>(sdy);
    sum_dy_xhat[ch] = static_cast<float>(sdyx * invstd[ch]);
  }
}

// Index is int32_t when n*c*s leaves headroom for the grid stride, else int64_t.
template <class Index>
__global__ void apply_kernel(const float* x, Index total, Index c, Index s,
                             const float* __restrict__ mean, const float* __restrict__ invstd,
                             const float* __restrict__ weight, const float* __restrict__ bias, bool relu,
                             float* y) {  // y may alias x
  for (Index i = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x); i < total;
       i += Index(blockDim.x) * Index(gridDim.x)) {
    const Index ch = (i / s) % c;
    const float scale = invstd[ch] * (weight ? weight[ch] : 1.f), shift = bias ? bias[ch] : 0.f;
    const float v = (x[i] - mean[ch]) * scale + shift;
    y[i] = (relu && v < 0.f) ? 0.f : v;
  }
}

template <class Index>
__global__ void backward_input_kernel(const float* dy, const float* x, Index total,
                                      Index c, Index s, float m, const float* __restrict__ mean,
                                      const float* __restrict__ invstd, const float* __restrict__ weight,
                                      const float* __restrict__ sum_dy, const float* __restrict__ sum_dy_xhat,
                                      float* dx) {  // dx may alias dy
  for (Index i = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x); i < total;
       i += Index(blockDim.x) * Index(gridDim.x)) {
    const Index ch = (i / s) % c;
    const float k = invstd[ch] * (weight ? weight[ch] : 1.f);
    if (!sum_dy) {
      dx[i] = k * dy[i];
    } else {
      const float a = sum_dy[ch] / m, b = invstd[ch] * sum_dy_xhat[ch] / m;
      dx[i] = k * (dy[i] - a - (x[i] - mean[ch]) * b);
    }
  }
}

bool fits_int32(int64_t total) { return total < (int64_t(1) << 30); }

// Every plane of s floats starts 16-byte aligned, so the channel can be read as float4.
bool vectorizable(int64_t s, const float* p) { return s % 4 == 0 && reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

void batch_norm_stats(const float* x, int64_t n, int64_t c, int64_t s, double eps, float* mean, float* invstd) {
  if (c <= 0) return;
  const double count = static_cast<double>(n * s);
  if (vectorizable(s, x)) {
    launch<stats_kernel<float4>>({static_cast<unsigned>(c), kReduceThreads, 0, stream()}, 
        reinterpret_cast<const float4*>(x), n, c, s / 4, count, eps, mean, invstd);
  } else {
    launch<stats_kernel<float>>({static_cast<unsigned>(c), kReduceThreads, 0, stream()}, x, n, c, s, count, eps, mean,
                                                                                  invstd);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void batch_norm_apply(const float* x, int64_t n, int64_t c, int64_t s, const float* mean, const float* invstd,
                      const float* weight, const float* bias, bool relu, float* y) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  if (fits_int32(total)) {
    launch<apply_kernel<int32_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        x, int32_t(total), int32_t(c), int32_t(s), mean, invstd, weight, bias, relu, y);
  } else {
    launch<apply_kernel<int64_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, x, total, c, s, mean, invstd,
                                                                                 weight, bias, relu, y);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void batch_norm_backward_reduce(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                                const float* invstd, float* sum_dy, float* sum_dy_xhat) {
  if (c <= 0) return;
  if (vectorizable(s, x) && vectorizable(s, dy)) {
    launch<backward_reduce_kernel<float4>>({static_cast<unsigned>(c), kReduceThreads, 0, stream()}, 
        reinterpret_cast<const float4*>(dy), reinterpret_cast<const float4*>(x), n, c, s / 4, mean, invstd, sum_dy,
        sum_dy_xhat);
  } else {
    launch<backward_reduce_kernel<float>>({static_cast<unsigned>(c), kReduceThreads, 0, stream()}, 
        dy, x, n, c, s, mean, invstd, sum_dy, sum_dy_xhat);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void batch_norm_backward_input(const float* dy, const float* x, int64_t n, int64_t c, int64_t s, const float* mean,
                               const float* invstd, const float* weight, const float* sum_dy,
                               const float* sum_dy_xhat, float* dx) {
  const int64_t total = n * c * s;
  if (total <= 0) return;
  const float m = static_cast<float>(n * s);
  if (fits_int32(total)) {
    launch<backward_input_kernel<int32_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        dy, x, int32_t(total), int32_t(c), int32_t(s), m, mean, invstd, weight, sum_dy, sum_dy_xhat, dx);
  } else {
    launch<backward_input_kernel<int64_t>>({blocks_for(total, kThreads), kThreads, 0, stream()}, 
        dy, x, total, c, s, m, mean, invstd, weight, sum_dy, sum_dy_xhat, dx);
  }
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
