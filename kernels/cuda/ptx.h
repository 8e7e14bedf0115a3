// The inline PTX the kernels use (tensor-core MMA, ldmatrix, cp.async, TF32 rounding), as
// small wrappers: the asm under nvcc (sm_80 and later), and in the emulated build
// (CYCLONE_CUDA_EMULATED) C++ that follows the PTX ISA exactly: mma and ldmatrix are warp
// collectives with the ISA's fragment layouts, cp.async copies land at the wait_group that
// retires their group (until then the destination holds a signalling-NaN pattern, and the
// access checks report any access to it).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <cstring>

namespace cyclone::kernels::cuda {

#if defined(CYCLONE_CUDA_EMULATED)

namespace ptx_detail {
// The operand a tensor core reads from a 32-bit register holding a tf32: the top 19 bits
// (sign, exponent, 10 mantissa bits); the low 13 are ignored. NaN stays NaN.
inline double tf32_operand(uint32_t bits) {
  if ((bits & 0x7fffffffu) <= 0x7f800000u) bits &= 0xffffe000u;
  return double(__uint_as_float(bits));
}
// Where a retired cp.async lands: four 4-byte stores by the waiting thread, seen by the access checks.
inline void deliver_async_copy(uint32_t* dst, const uint32_t* words) {
  for (int i = 0; i < 4; ++i) dst[i] = words[i];
}
}  // namespace ptx_detail

// cvt.rna.tf32.f32: round to the nearest tf32 (ties away from zero), as the bits of a float
// whose low 13 mantissa bits are zero. Inf and NaN pass through; a value rounding past the
// largest tf32 becomes inf.
inline uint32_t float_to_tf32(float x) {
  const uint32_t bits = __float_as_uint(x);
  if ((bits & 0x7f800000u) == 0x7f800000u) return bits;
  return (bits + 0x1000u) & 0xffffe000u;  // on sign and magnitude, so ties go away from zero
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32: D (16x8) = A (16x8) B (8x8) + C, all 32
// lanes together. groupID g = lane / 4, threadID_in_group t = lane % 4:
//   A: a0 = A[g][t], a1 = A[g+8][t], a2 = A[g][t+4], a3 = A[g+8][t+4]
//   B: b0 = B[t][g], b1 = B[t+4][g]
//   C, D: c_i = C[g + 8*(i/2)][2t + (i&1)]
// Operands are read as tf32 (low 13 bits ignored), products are exact; the hardware's
// summation order is unspecified: here the 8 products and c are summed exactly (double) and
// rounded to fp32 once.
inline void mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2], const float c[4],
                             CYCLONE_EMU_SITE) {
  const uint32_t mine[6] = {a[0], a[1], a[2], a[3], b[0], b[1]};
  uint32_t all[32 * 6];
  const unsigned lane = ::cyclone::emu::warp_exchange("mma.sync.m16n8k8.tf32", 0xffffffffu, mine, 6, all, file, line);
  const unsigned g = lane / 4, t = lane % 4;
  float out[4];
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned row = g + 8 * (i / 2), col = 2 * t + (i & 1);
    double sum = c[i];
    for (unsigned k = 0; k < 8; ++k) {
      const uint32_t av = all[((row % 8) * 4 + k % 4) * 6 + row / 8 + 2 * (k / 4)];  // A[row][k]
      const uint32_t bv = all[(col * 4 + k % 4) * 6 + 4 + k / 4];                   // B[k][col]
      sum += ptx_detail::tf32_operand(av) * ptx_detail::tf32_operand(bv);
    }
    out[i] = float(sum);
  }
  for (unsigned i = 0; i < 4; ++i) d[i] = out[i];
}

// ldmatrix.sync.aligned.m8n8.x{N}.shared.b16 [.trans]: N 8x8 matrices of 16-bit elements
// (a row is 16 bytes, i.e. 4 floats). Lanes 8j..8j+7 give the addresses of rows 0..7 of
// matrix j (16-byte aligned). Lane l receives in r[j]: without .trans, elements 2(l%4) and
// 2(l%4)+1 of row l/4 (the 32-bit word l%4 of that row); with .trans, element l/4 of rows
// 2(l%4) and 2(l%4)+1 (low and high halves).
template <int N, bool Trans>
inline void ldmatrix(uint32_t (&r)[N], const void* row, const char* file, int line) {
  static_assert(N == 1 || N == 2 || N == 4, "ldmatrix loads 1, 2 or 4 matrices");
  const unsigned self = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  if (self % 32 < 8u * N) ::cyclone::emu::check_vector_alignment(row, 16);
  const auto address = reinterpret_cast<uintptr_t>(row);
  const uint32_t mine[2] = {uint32_t(address), uint32_t(address >> 32)};
  uint32_t all[32 * 2];
  const unsigned lane = ::cyclone::emu::warp_exchange(Trans ? "ldmatrix.trans" : "ldmatrix", 0xffffffffu, mine, 2,
                                                      all, file, line);
  auto row_of = [&](unsigned j, unsigned r_in_matrix) {
    const unsigned src = 8 * j + r_in_matrix;
    return reinterpret_cast<const void*>(uintptr_t(all[2 * src]) | uintptr_t(all[2 * src + 1]) << 32);
  };
  for (unsigned j = 0; j < unsigned(N); ++j) {
    if (Trans) {
      const uint16_t lo = static_cast<const uint16_t*>(row_of(j, 2 * (lane % 4)))[lane / 4];
      const uint16_t hi = static_cast<const uint16_t*>(row_of(j, 2 * (lane % 4) + 1))[lane / 4];
      r[j] = uint32_t(lo) | uint32_t(hi) << 16;
    } else {
      r[j] = static_cast<const uint32_t*>(row_of(j, lane / 4))[lane % 4];
    }
  }
}
template <bool Trans = false>
inline void ldmatrix_x1(uint32_t (&r)[1], const void* row, CYCLONE_EMU_SITE) { ldmatrix<1, Trans>(r, row, file, line); }
template <bool Trans = false>
inline void ldmatrix_x2(uint32_t (&r)[2], const void* row, CYCLONE_EMU_SITE) { ldmatrix<2, Trans>(r, row, file, line); }
template <bool Trans = false>
inline void ldmatrix_x4(uint32_t (&r)[4], const void* row, CYCLONE_EMU_SITE) { ldmatrix<4, Trans>(r, row, file, line); }

// cp.async.cg.shared.global [smem], [gmem], 16, src_bytes: copies src_bytes (0..16) and
// zero-fills the rest of the 16 (both addresses 16-byte aligned). The global bytes are read
// at issue; the shared ones are written when a cp_async_wait retires the copy's group.
inline void cp_async_16_zfill(void* smem, const void* gmem, int src_bytes) {
  ::cyclone::emu::check_vector_alignment(smem, 16);
  if (src_bytes > 0) ::cyclone::emu::check_vector_alignment(gmem, 16);
  uint32_t words[4] = {0, 0, 0, 0};
  if (src_bytes % 4 == 0) {
    for (int i = 0; i < src_bytes / 4; ++i) words[i] = static_cast<const uint32_t*>(gmem)[i];
  } else {
    uint8_t bytes[16] = {};
    for (int i = 0; i < src_bytes && i < 16; ++i) bytes[i] = static_cast<const uint8_t*>(gmem)[i];
    std::memcpy(words, bytes, 16);
  }
  ::cyclone::emu::async_copy_issue(smem, words);
}
inline void cp_async_16(void* smem, const void* gmem) { cp_async_16_zfill(smem, gmem, 16); }
// cp.async.commit_group: this thread's copies issued since the last commit form a group.
inline void cp_async_commit() { ::cyclone::emu::async_copy_commit(); }
// cp.async.wait_group N: waits until at most N of this thread's committed groups are pending.
template <int N>
inline void cp_async_wait() {
  ::cyclone::emu::async_copy_wait(N, &ptx_detail::deliver_async_copy);
}

#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800

// Before sm_80 there are no such instructions: a kernel that uses them traps.
__device__ __forceinline__ uint32_t float_to_tf32(float) { __trap(); return 0; }
__device__ __forceinline__ void mma_m16n8k8_tf32(float*, const uint32_t*, const uint32_t*, const float*) { __trap(); }
template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x1(uint32_t (&)[1], const void*) { __trap(); }
template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&)[2], const void*) { __trap(); }
template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&)[4], const void*) { __trap(); }
__device__ __forceinline__ void cp_async_16_zfill(void*, const void*, int) { __trap(); }
__device__ __forceinline__ void cp_async_16(void*, const void*) { __trap(); }
__device__ __forceinline__ void cp_async_commit() { __trap(); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { __trap(); }

#else  // nvcc, sm_80 and later (and the host pass, which compiles no device code)

// The layouts and semantics are those documented in the emulated branch above.
__device__ __forceinline__ unsigned shared_address(const void* p) {
  return static_cast<unsigned>(__cvta_generic_to_shared(p));
}

__device__ __forceinline__ uint32_t float_to_tf32(float x) {
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
  return r;
}

__device__ __forceinline__ void mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2],
                                                 const float c[4]) {
  asm volatile(
      "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%10, %11, %12, %13};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]),
        "f"(c[3]));
}

template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x1(uint32_t (&r)[1], const void* row) {
  if (Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16 {%0}, [%1];\n" : "=r"(r[0]) : "r"(shared_address(row)));
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x1.shared.b16 {%0}, [%1];\n" : "=r"(r[0]) : "r"(shared_address(row)));
  }
}
template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void* row) {
  if (Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];\n"
                 : "=r"(r[0]), "=r"(r[1]) : "r"(shared_address(row)));
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];\n"
                 : "=r"(r[0]), "=r"(r[1]) : "r"(shared_address(row)));
  }
}
template <bool Trans = false>
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* row) {
  if (Trans) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(row)));
  } else {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(shared_address(row)));
  }
}

__device__ __forceinline__ void cp_async_16_zfill(void* smem, const void* gmem, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(shared_address(smem)), "l"(gmem), "r"(src_bytes)
               : "memory");
}
__device__ __forceinline__ void cp_async_16(void* smem, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(shared_address(smem)), "l"(gmem) : "memory");
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

#endif

}  // namespace cyclone::kernels::cuda
