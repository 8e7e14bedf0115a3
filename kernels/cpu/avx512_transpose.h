// A 16x16 float transpose in AVX-512 registers, for the CPU kernels that turn 16 vectors of
// one layout into 16 of the other (GEMM panel packing, the direct convolution's output).
// Include only from functions compiled with __attribute__((target("avx512f"))).
#pragma once
#include <immintrin.h>

namespace cyclone::kernels::cpu {

// After the call r[c][p] holds what r[p][c] held. Unpacks within 128-bit lanes give u[4g + m],
// whose lane L holds column 4L + m of rows 4g .. 4g + 3; shuffles across lanes then gather the
// four lanes of each column. Every shuffle is the all-lanes masked form: the plain ones pass
// an undefined vector that GCC 12 then reports as uninitialized.
__attribute__((target("avx512f"), always_inline)) inline void transpose16x16(__m512* r) {
  __m512 u[16];
#pragma GCC unroll 4
  for (int g = 0; g < 4; ++g) {
    const __m512 a = r[4 * g], b = r[4 * g + 1], c = r[4 * g + 2], d = r[4 * g + 3];
    const __m512 t0 = _mm512_mask_unpacklo_ps(a, 0xFFFF, a, b), t1 = _mm512_mask_unpackhi_ps(a, 0xFFFF, a, b);
    const __m512 t2 = _mm512_mask_unpacklo_ps(c, 0xFFFF, c, d), t3 = _mm512_mask_unpackhi_ps(c, 0xFFFF, c, d);
    u[4 * g] = _mm512_mask_shuffle_ps(t0, 0xFFFF, t0, t2, 0x44);
    u[4 * g + 1] = _mm512_mask_shuffle_ps(t0, 0xFFFF, t0, t2, 0xEE);
    u[4 * g + 2] = _mm512_mask_shuffle_ps(t1, 0xFFFF, t1, t3, 0x44);
    u[4 * g + 3] = _mm512_mask_shuffle_ps(t1, 0xFFFF, t1, t3, 0xEE);
  }
#pragma GCC unroll 4
  for (int m = 0; m < 4; ++m) {
    const __m512 x = _mm512_mask_shuffle_f32x4(u[m], 0xFFFF, u[m], u[4 + m], 0x88), y = _mm512_mask_shuffle_f32x4(u[m], 0xFFFF, u[m], u[4 + m], 0xDD);
    const __m512 z = _mm512_mask_shuffle_f32x4(u[8 + m], 0xFFFF, u[8 + m], u[12 + m], 0x88), w = _mm512_mask_shuffle_f32x4(u[8 + m], 0xFFFF, u[8 + m], u[12 + m], 0xDD);
    r[m] = _mm512_mask_shuffle_f32x4(x, 0xFFFF, x, z, 0x88);
    r[4 + m] = _mm512_mask_shuffle_f32x4(y, 0xFFFF, y, w, 0x88);
    r[8 + m] = _mm512_mask_shuffle_f32x4(x, 0xFFFF, x, z, 0xDD);
    r[12 + m] = _mm512_mask_shuffle_f32x4(y, 0xFFFF, y, w, 0xDD);
  }
}

}  // namespace cyclone::kernels::cpu
