// CPU feature detection for the CPU kernels (see cpu_features.h).
#include "kernels/cpu/cpu_features.h"

namespace cyclone::kernels::cpu {

bool cpu_has_avx2_fma() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return yes;
}

bool cpu_has_avx512() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
}

}  // namespace cyclone::kernels::cpu
