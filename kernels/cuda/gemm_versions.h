// The CUDA SGEMM versions side by side, for tests and bench/. kernels::cuda::gemm
// (the contract) picks the best one in gemm.cu.
#pragma once
#include "kernels/contract.h"

namespace cyclone::kernels::cuda {

constexpr int kGemmVersions = 4;
// v1: naive, one thread per C element reading A and B from global memory.
// v2: 32x32 shared-memory tiles, one thread per C element.
// v3: 128x128x8 block tiles, 256 threads each computing an 8x8 register tile,
//     double-buffered shared memory (A stored k-major), one sync per k step.
// v4: TF32 tensor cores (mma.sync m16n8k8), 128x128x16 block tiles, 8 warps of 64x32,
//     a 3-stage cp.async pipeline; not fp32-exact: operands rounded to tf32, so
//     |err| <= ~2^-10 sum|a||b| (gemm_tf32.cu). Needs sm_80 or later.
void gemm_version(int version, const GemmArgs& args);
// v4's launcher (gemm_tf32.cu); gemm_version(4, args) calls it.
void gemm_tf32(const GemmArgs& args);

}  // namespace cyclone::kernels::cuda
