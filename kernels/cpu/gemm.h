// CPU GEMM internals exposed for tests and benchmarks: the plain triple loop
// (the specification) next to the packed, blocked, threaded version that
// kernels::cpu::gemm uses.
#pragma once
#include "kernels/contract.h"

namespace cyclone::kernels::cpu {

void gemm_reference(const GemmArgs& args);  // v1: naive, double accumulation
void gemm_blocked(const GemmArgs& args);    // v2: BLIS-style packing + a register-tile micro-kernel
bool gemm_has_avx2();                       // whether this CPU has AVX2 and FMA

// gemm_blocked's micro-kernel: 16x16 with AVX-512, 6x16 with AVX2+FMA, or 6x16 in plain
// C++. The default is the best the CPU has; tests and benchmarks may force one it has.
enum class MicroKernel { generic, avx2, avx512 };
bool gemm_micro_kernel_available(MicroKernel k);
void set_gemm_micro_kernel(MicroKernel k);  // throws std::invalid_argument if unavailable
MicroKernel gemm_micro_kernel();

}  // namespace cyclone::kernels::cpu
