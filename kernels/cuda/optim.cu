// CUDA fused optimizer updates (kernels/optim_contract.h; CPU reference in
// kernels/cpu/optim.cpp). One launch updates a whole list of tensors: the list
// travels by value as a kernel parameter, and block b works on chunk
// b - block_start[t] of tensor t, where block_start is the prefix sum of each
// tensor's chunk count. Threads stride through the chunk, so loads coalesce.
// Memory-bound: per element SGD with momentum reads p, grad, buf and writes p,
// buf (20 bytes); Adam reads p, grad, m, v and writes p, m, v (28 bytes; 36 with
// amsgrad's vmax).
// The math uses the _rn intrinsics so that nvcc contracts nothing the CPU
// reference does not: the results equal the CPU's bit for bit.
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/optim_contract.h"

namespace cyclone::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kChunk = kThreads * 8;  // elements per block

template <class List>
struct Launch {
  List list;
  int64_t block_start[kOptimMaxTensors + 1];  // first block of each tensor; [count] = total
};
using SgdLaunch = Launch<SgdTensorList>;
using AdamLaunch = Launch<AdamTensorList>;
static_assert(sizeof(SgdLaunch) + sizeof(SgdHyper) <= 4000, "SGD kernel parameters exceed 4 KB");
static_assert(sizeof(AdamLaunch) + sizeof(AdamHyper) <= 4000, "Adam kernel parameters exceed 4 KB");

// Fills block_start from the element counts; returns the total number of blocks.
int64_t fill_block_starts(int count, const int64_t* numel, int64_t* block_start) {
  if (count < 0 || count > kOptimMaxTensors) {
    throw std::invalid_argument("optimizer kernel: a tensor list holds 0 to " +
                                std::to_string(kOptimMaxTensors) + " tensors, got " +
                                std::to_string(count));
  }
  block_start[0] = 0;
  for (int t = 0; t < count; ++t) block_start[t + 1] = block_start[t] + (numel[t] + kChunk - 1) / kChunk;
  if (block_start[count] > 0x7fffffff) throw std::runtime_error("optimizer kernel: tensor list too large for one launch");
  return block_start[count];
}

// The tensor that block `b` works on: the last t with block_start[t] <= b
// (tensors with no elements own no blocks and are stepped over).
__device__ __forceinline__ int tensor_of_block(const int64_t* block_start, int count, int64_t b) {
  int t = 0;
  while (t + 1 < count && b >= block_start[t + 1]) ++t;
  return t;
}

__device__ float max_propagate_nan(float a, float b) {
  if (isnan(a)) return a;
  if (isnan(b)) return b;
  return a > b ? a : b;
}

__global__ void sgd_kernel(const SgdLaunch launch, const SgdHyper h) {
  // Read straight from the parameter (no reference to it), so it stays in the constant bank.
  const int64_t b = blockIdx.x;
  const int t = tensor_of_block(launch.block_start, launch.list.count, b);
  const int64_t begin = (b - launch.block_start[t]) * kChunk;
  const int64_t end = min(begin + kChunk, launch.list.numel[t]);
  float* p = launch.list.param[t];
  const float* grad = launch.list.grad[t];
  float* buf = launch.list.momentum_buffer[t];
  const bool init = launch.list.init_buffer[t] != 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    float d = grad[i];
    const float pi = p[i];
    if (h.has_weight_decay) d = __fmaf_rn(h.weight_decay, pi, d);
    if (h.has_momentum) {
      const float bi = init ? d : __fmaf_rn(h.one_minus_dampening, d, __fmul_rn(buf[i], h.momentum));
      buf[i] = bi;
      d = h.nesterov ? __fmaf_rn(h.momentum, bi, d) : bi;
    }
    p[i] = __fmaf_rn(h.neg_lr, d, pi);
  }
}

__global__ void adam_kernel(const AdamLaunch launch, const AdamHyper h) {
  const int64_t b = blockIdx.x;
  const int t = tensor_of_block(launch.block_start, launch.list.count, b);
  const int64_t begin = (b - launch.block_start[t]) * kChunk;
  const int64_t end = min(begin + kChunk, launch.list.numel[t]);
  float* p = launch.list.param[t];
  const float* grad = launch.list.grad[t];
  float* m = launch.list.exp_avg[t];
  float* v = launch.list.exp_avg_sq[t];
  float* vmax = launch.list.max_exp_avg_sq[t];
  const float neg_step_size = launch.list.neg_step_size[t], bc2_sqrt = launch.list.bias_correction2_sqrt[t];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    float g = grad[i];
    float pi = p[i];
    if (h.coupled_weight_decay) g = __fmaf_rn(h.weight_decay, pi, g);
    if (h.decoupled_weight_decay) pi = __fmul_rn(pi, h.decay);
    const float mi = __fmaf_rn(h.one_minus_beta1, g, __fmul_rn(m[i], h.beta1));
    const float vi = __fmaf_rn(__fmul_rn(h.one_minus_beta2, g), g, __fmul_rn(v[i], h.beta2));
    m[i] = mi;
    v[i] = vi;
    float s = vi;
    if (h.amsgrad) {
      s = max_propagate_nan(vmax[i], vi);
      vmax[i] = s;
    }
    const float denom = __fadd_rn(__fdiv_rn(__fsqrt_rn(s), bc2_sqrt), h.eps);
    p[i] = __fadd_rn(pi, __fdiv_rn(__fmul_rn(neg_step_size, mi), denom));
  }
}

}  // namespace

void sgd_multi(const SgdTensorList& list, const SgdHyper& h) {
  SgdLaunch work{list, {}};
  const int64_t blocks = fill_block_starts(list.count, list.numel, work.block_start);
  if (blocks == 0) return;
  launch<sgd_kernel>({static_cast<unsigned>(blocks), kThreads, 0, stream()}, work, h);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

void adam_multi(const AdamTensorList& list, const AdamHyper& h) {
  AdamLaunch work{list, {}};
  const int64_t blocks = fill_block_starts(list.count, list.numel, work.block_start);
  if (blocks == 0) return;
  launch<adam_kernel>({static_cast<unsigned>(blocks), kThreads, 0, stream()}, work, h);
  CYCLONE_CUDA_LAUNCH_CHECK();
}

}  // namespace cyclone::kernels::cuda
