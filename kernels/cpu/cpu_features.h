// What the CPU running the kernels can do, detected once: the instruction sets the CPU
// kernels pick their fastest versions by.
#pragma once

namespace cyclone::kernels::cpu {

bool cpu_has_avx2_fma();  // AVX2 and FMA
bool cpu_has_avx512();    // AVX-512 F

}  // namespace cyclone::kernels::cpu
