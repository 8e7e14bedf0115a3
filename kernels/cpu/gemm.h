// CPU GEMM internals exposed for tests and benchmarks: the plain triple loop
// (the specification) next to the packed, blocked, threaded version that
// kernels::cpu::gemm uses.
#pragma once
#include "kernels/contract.h"

namespace cyclone::kernels::cpu {

void gemm_reference(const GemmArgs& args);  // v1: naive, double accumulation
void gemm_blocked(const GemmArgs& args);    // v2: BLIS-style packing + 6x16 AVX2/FMA micro-kernel
bool gemm_has_avx2();                       // whether v2 uses the AVX2 micro-kernel on this CPU

}  // namespace cyclone::kernels::cpu
