// CPU GEMM, C = alpha op(A) op(B) + beta C (row-major).
// v1 gemm_reference: the triple loop, the specification.
// v2 gemm_blocked: Goto/BLIS blocking. B is packed into KC x NR column panels
//    and A into MC x KC row panels of MR rows; the micro-kernel keeps an MR x NR
//    C tile in registers. Threads split the rows of C (MC blocks) and share the
//    packed B. Micro-kernels (NR = 16):
//      avx512: 16x16, 16 zmm accumulators; per k step 1 load + 16 broadcasts +
//              16 FMAs. 16 rows fit the 16/32/64-channel convs exactly.
//      avx2:   6x16, 12 ymm accumulators; per k step 2 loads + 6 broadcasts +
//              12 FMAs (6-row tiles leave 16 channels as 6 + 6 + 4).
//      generic: the same 6x16 tile in plain C++.
// Napkin math: a 2.5 GHz AVX2 core does 2 FMA x 8 lanes x 2 = 32 flop/cycle,
// 80 GFLOP/s; 1024^3 is 2.1 GFLOP, about 13 ms on two cores at peak.
#include "kernels/cpu/gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/avx512_transpose.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/scratch.h"

namespace cyclone::kernels::cpu {
namespace {

constexpr int NR = 16;
constexpr int64_t KC = 256, MC = 96, NC = 3072;  // MC: a multiple of every MR

inline float load_a(const GemmArgs& g, const float* a, int64_t i, int64_t p) {
  return g.trans_a ? a[p * g.lda + i] : a[i * g.lda + p];
}
inline float load_b(const GemmArgs& g, const float* b, int64_t p, int64_t j) {
  return g.trans_b ? b[j * g.ldb + p] : b[p * g.ldb + j];
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into panels of MR rows: panel r, step p holds MR values.
// Rows of a non-transposed A are read one at a time, each contiguously (reading MR rows
// side by side thrashes the L1 when lda is a power of two).
template <int MR>
void pack_a(const GemmArgs& g, const float* a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* out) {
  for (int64_t ir = 0; ir < mc; ir += MR, out += MR * kc) {
    const int64_t rows = std::min<int64_t>(MR, mc - ir);
    if (!g.trans_a) {
      for (int64_t r = 0; r < MR; ++r) {
        if (r >= rows) {
          for (int64_t p = 0; p < kc; ++p) out[p * MR + r] = 0.f;
          continue;
        }
        const float* src = a + (i0 + ir + r) * g.lda + p0;
        for (int64_t p = 0; p < kc; ++p) out[p * MR + r] = src[p];
      }
      continue;
    }
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * g.lda + i0 + ir;
      for (int64_t r = 0; r < MR; ++r) out[p * MR + r] = r < rows ? src[r] : 0.f;
    }
  }
}

// A full panel of a transposed B, 16 k steps at a time: 16 source rows (panel columns) of 16
// values each are loaded and transposed in registers, so every load and store is a whole
// contiguous vector. out[p * 16 + c] = rows[c][p] for p < kc.
__attribute__((target("avx512f"))) void pack_panel_transposed_avx512(const float* b, int64_t ldb, int64_t kc,
                                                                     float* out) {
  int64_t p = 0;
  for (; p + 16 <= kc; p += 16) {
    __m512 r[16];
#pragma GCC unroll 16
    for (int c = 0; c < 16; ++c) r[c] = _mm512_loadu_ps(b + c * ldb + p);
    transpose16x16(r);
#pragma GCC unroll 16
    for (int q = 0; q < 16; ++q) _mm512_store_ps(out + (p + q) * 16, r[q]);
  }
  for (int c = 0; c < 16; ++c) {
    for (int64_t q = p; q < kc; ++q) out[q * 16 + c] = b[c * ldb + q];
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into panels of NR columns. A transposed B is read one
// source row (one panel column) at a time, contiguously, for the same reason as pack_a.
void pack_b(const GemmArgs& g, const float* b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* out) {
  const int64_t panels = (nc + NR - 1) / NR;
  static const bool use_avx512 = cpu_has_avx512();
  parallel_for(panels, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      const int64_t jr = q * NR, cols = std::min<int64_t>(NR, nc - jr);
      float* dst = out + q * NR * kc;
      if (g.trans_b && cols == NR && use_avx512) {
        pack_panel_transposed_avx512(b + (j0 + jr) * g.ldb + p0, g.ldb, kc, dst);
        continue;
      }
      if (g.trans_b) {
        for (int64_t c = 0; c < NR; ++c) {
          if (c >= cols) {
            for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = 0.f;
            continue;
          }
          const float* src = b + (j0 + jr + c) * g.ldb + p0;
          for (int64_t p = 0; p < kc; ++p) dst[p * NR + c] = src[p];
        }
        continue;
      }
      for (int64_t p = 0; p < kc; ++p, dst += NR) {
        const float* src = b + (p0 + p) * g.ldb + j0 + jr;
        if (cols == NR) {
          std::memcpy(dst, src, NR * sizeof(float));
        } else {
          for (int64_t c = 0; c < NR; ++c) dst[c] = c < cols ? src[c] : 0.f;
        }
      }
    }
  });
}

// C tile (MR x NR, row stride ldc) = [C +] sum_p A_panel[p][:] (x) B_panel[p][:]
constexpr int kMr6 = 6, kMr16 = 16;
void micro_generic(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  constexpr int MR = kMr6;
  float t[MR][NR] = {};
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < MR; ++r) {
      const float av = a[p * MR + r];
      for (int j = 0; j < NR; ++j) t[r][j] += av * b[p * NR + j];
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NR; ++j) c[r * ldc + j] = accumulate ? c[r * ldc + j] + t[r][j] : t[r][j];
  }
}

// row[0:16] = [row +] (lo, hi)
__attribute__((target("avx2,fma"))) inline void store_row_avx2(float* row, bool accumulate, __m256 lo, __m256 hi) {
  if (accumulate) {
    lo = _mm256_add_ps(_mm256_loadu_ps(row), lo);
    hi = _mm256_add_ps(_mm256_loadu_ps(row + 8), hi);
  }
  _mm256_storeu_ps(row, lo);
  _mm256_storeu_ps(row + 8, hi);
}

__attribute__((target("avx2,fma"))) void micro_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                    bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a + 0);
    c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
    a += kMr6;
    b += NR;
  }
  store_row_avx2(c, accumulate, c00, c01); store_row_avx2(c + ldc, accumulate, c10, c11);
  store_row_avx2(c + 2 * ldc, accumulate, c20, c21); store_row_avx2(c + 3 * ldc, accumulate, c30, c31);
  store_row_avx2(c + 4 * ldc, accumulate, c40, c41); store_row_avx2(c + 5 * ldc, accumulate, c50, c51);
}

__attribute__((target("avx512f"))) void micro_avx512(int64_t kc, const float* a, const float* b, float* c,
                                                      int64_t ldc, bool accumulate) {
  __m512 acc[kMr16];
#pragma GCC unroll 16
  for (int r = 0; r < kMr16; ++r) acc[r] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; ++p) {
    const __m512 bv = _mm512_load_ps(b);
#pragma GCC unroll 16
    for (int r = 0; r < kMr16; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(a[r]), bv, acc[r]);
    a += kMr16;
    b += NR;
  }
#pragma GCC unroll 16
  for (int r = 0; r < kMr16; ++r) {
    float* row = c + r * ldc;
    _mm512_storeu_ps(row, accumulate ? _mm512_add_ps(_mm512_loadu_ps(row), acc[r]) : acc[r]);
  }
}

MicroKernel best_micro_kernel() {
  return cpu_has_avx512() ? MicroKernel::avx512 : cpu_has_avx2_fma() ? MicroKernel::avx2 : MicroKernel::generic;
}

MicroKernel g_micro = best_micro_kernel();

thread_local Scratch t_pack_a, t_pack_b;

using MicroFn = void (*)(int64_t, const float*, const float*, float*, int64_t, bool);

template <int MR>
void gemm_one_with(const GemmArgs& g, const float* a, const float* b, float* c, MicroFn micro) {
  const float alpha = g.alpha, beta = g.beta;
  float* const bp = t_pack_b.get(static_cast<size_t>(KC * ((std::min(NC, g.n) + NR - 1) / NR * NR)));
  for (int64_t jc = 0; jc < g.n; jc += NC) {
    const int64_t nc = std::min(NC, g.n - jc);
    for (int64_t pc = 0; pc < g.k; pc += KC) {
      const int64_t kc = std::min(KC, g.k - pc);
      const bool first = pc == 0;
      const bool direct = alpha == 1.f && (!first || beta == 0.f || beta == 1.f);
      pack_b(g, b, pc, kc, jc, nc, bp);
      // Tasks are (row block, column chunk) pairs, so skinny products (few output
      // channels, e.g. a 16-channel conv) still use every thread. Each C element
      // belongs to one task and sums in a fixed order: results do not depend on threads.
      const int64_t mblocks = (g.m + MC - 1) / MC, panels = (nc + NR - 1) / NR;
      const int64_t want = std::max<int64_t>(1, 4 * num_threads() / mblocks);
      const int64_t chunk = std::max<int64_t>(1, (panels + want - 1) / want), nchunks = (panels + chunk - 1) / chunk;
      parallel_for(mblocks * nchunks, 1, [&](int64_t t0, int64_t t1) {
        float* const ap = t_pack_a.get(static_cast<size_t>(MC * kc));
        alignas(32) float acc[MR * NR];
        int64_t packed_blk = -1;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t blk = t / nchunks, ch = t % nchunks;
          const int64_t ic = blk * MC, mc = std::min(MC, g.m - ic);
          if (blk != packed_blk) {
            pack_a<MR>(g, a, ic, mc, pc, kc, ap);
            packed_blk = blk;
          }
          const int64_t j_end = std::min(nc, (ch + 1) * chunk * NR);
          for (int64_t jr = ch * chunk * NR; jr < j_end; jr += NR) {
            const int64_t cols = std::min<int64_t>(NR, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int64_t rows = std::min<int64_t>(MR, mc - ir);
              float* ctile = c + (ic + ir) * g.ldc + jc + jr;
              // Full tiles with alpha 1 go straight to C (same arithmetic as the loop below).
              if (rows == MR && cols == NR && direct) {
                micro(kc, ap + ir * kc, bp + (jr / NR) * NR * kc, ctile, g.ldc, !first || beta == 1.f);
                continue;
              }
              micro(kc, ap + ir * kc, bp + (jr / NR) * NR * kc, acc, NR, false);
              for (int64_t r = 0; r < rows; ++r) {
                float* crow = ctile + r * g.ldc;
                const float* arow = acc + r * NR;
                if (!first) {
                  for (int64_t j = 0; j < cols; ++j) crow[j] += alpha * arow[j];
                } else if (beta == 0.f) {
                  for (int64_t j = 0; j < cols; ++j) crow[j] = alpha * arow[j];
                } else {
                  for (int64_t j = 0; j < cols; ++j) crow[j] = beta * crow[j] + alpha * arow[j];
                }
              }
            }
          }
        }
      });
    }
  }
}

void gemm_one(const GemmArgs& g, const float* a, const float* b, float* c) {
  switch (g_micro) {
    case MicroKernel::avx512: return gemm_one_with<kMr16>(g, a, b, c, micro_avx512);
    case MicroKernel::avx2: return gemm_one_with<kMr6>(g, a, b, c, micro_avx2);
    case MicroKernel::generic: return gemm_one_with<kMr6>(g, a, b, c, micro_generic);
  }
}

}  // namespace

bool gemm_has_avx2() { return cpu_has_avx2_fma(); }

bool gemm_micro_kernel_available(MicroKernel k) {
  return k == MicroKernel::generic || (k == MicroKernel::avx2 && cpu_has_avx2_fma()) ||
         (k == MicroKernel::avx512 && cpu_has_avx512());
}

void set_gemm_micro_kernel(MicroKernel k) {
  if (!gemm_micro_kernel_available(k)) throw std::invalid_argument("set_gemm_micro_kernel: this CPU lacks that kernel's instructions");
  g_micro = k;
}

MicroKernel gemm_micro_kernel() { return g_micro; }

void gemm_reference(const GemmArgs& g) {
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    const float* a = g.a + bi * g.stride_a;
    const float* b = g.b + bi * g.stride_b;
    float* c = g.c + bi * g.stride_c;
    for (int64_t i = 0; i < g.m; ++i) {
      for (int64_t j = 0; j < g.n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < g.k; ++p) acc += static_cast<double>(load_a(g, a, i, p)) * load_b(g, b, p, j);
        float& out = c[i * g.ldc + j];
        out = static_cast<float>(g.alpha * acc + (g.beta == 0.f ? 0.0 : static_cast<double>(g.beta) * out));
      }
    }
  }
}

void gemm_blocked(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  for (int64_t bi = 0; bi < g.batch; ++bi) {
    float* c = g.c + bi * g.stride_c;
    if (g.k == 0) {
      for (int64_t i = 0; i < g.m; ++i) {
        for (int64_t j = 0; j < g.n; ++j) c[i * g.ldc + j] = g.beta == 0.f ? 0.f : g.beta * c[i * g.ldc + j];
      }
      continue;
    }
    gemm_one(g, g.a + bi * g.stride_a, g.b + bi * g.stride_b, c);
  }
}

void gemm(const GemmArgs& g) { gemm_blocked(g); }

}  // namespace cyclone::kernels::cpu
