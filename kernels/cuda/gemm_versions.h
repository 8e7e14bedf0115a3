// The CUDA SGEMM versions side by side, for tests and bench/. kernels::cuda::gemm
// (the contract) picks the best one in gemm.cu.
#pragma once
#include "kernels/contract.h"

namespace cyclone::kernels::cuda {

constexpr int kGemmVersions = 3;
// v1: naive, one thread per C element reading A and B from global memory.
// v2: 32x32 shared-memory tiles, one thread per C element.
// v3: 128x128x8 block tiles, 256 threads each computing an 8x8 register tile,
//     double-buffered shared memory (A stored k-major), one sync per k step.
void gemm_version(int version, const GemmArgs& args);

}  // namespace cyclone::kernels::cuda
