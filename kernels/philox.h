// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"),
// a counter-based generator: the same (seed, counter) gives the same numbers on
// the CPU and on any GPU thread, which is what makes CPU and CUDA agree.
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/layout.h"

namespace cyclone::kernels {

struct Philox4 { uint32_t v[4]; };

CYCLONE_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// Ten rounds over the 128-bit counter (counter, 0) keyed by the 64-bit seed.
CYCLONE_HD Philox4 philox4x32(uint64_t counter, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, c0, hi0, lo0);
    mulhilo32(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) from the top 24 bits: exactly representable, identical on every backend.
CYCLONE_HD float uint_to_unit(uint32_t x) { return static_cast<float>(x >> 8) * (1.0f / 16777216.0f); }

CYCLONE_HD float philox_uniform(uint64_t seed, uint64_t offset, int64_t i) {
  const Philox4 r = philox4x32(offset + static_cast<uint64_t>(i) / 4, seed);
  return uint_to_unit(r.v[i % 4]);
}

// A float multiply and an add, each rounded on its own on every backend: nvcc
// would otherwise fuse lo + (hi - lo) * u into one fma with a single rounding,
// and CUDA's rand(lo, hi) would differ from the CPU's by an ulp.
CYCLONE_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
CYCLONE_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

// Standard normal by Box-Muller on the lanes (0,1) -> element 2j, (2,3) -> 2j+1 of one block.
CYCLONE_HD float philox_normal(uint64_t seed, uint64_t offset, int64_t i) {
  const Philox4 r = philox4x32(offset + static_cast<uint64_t>(i) / 2, seed);
  const int lane = static_cast<int>(i % 2) * 2;
  const float u1 = (static_cast<float>(r.v[lane] >> 8) + 1.0f) * (1.0f / 16777216.0f);  // (0,1]
  const float u2 = uint_to_unit(r.v[lane + 1]);
  return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853071795865f * u2);
}

// Element i of rand(lo, hi) and of randn(mean, std): the same float on every backend,
// except that a GPU's logf and cosf differ from glibc's by up to 1 and 2 ulp, so
// randn agrees to a few ulp there (tests/test_cuda.cpp states the bound).
CYCLONE_HD float philox_uniform_in(uint64_t seed, uint64_t offset, int64_t i, float lo, float hi) {
  return add_rn(lo, mul_rn(hi - lo, philox_uniform(seed, offset, i)));
}
CYCLONE_HD float philox_normal_with(uint64_t seed, uint64_t offset, int64_t i, float mean, float std) {
  return add_rn(mean, mul_rn(std, philox_normal(seed, offset, i)));
}

}  // namespace cyclone::kernels
