// The backend contract: every function the tensor layer may call on a backend.
// kernels::cpu and kernels::cuda export exactly these names and signatures
// (the list is written once below and declared in both namespaces), on dense
// buffers described by pointer + Layout. Kernels know nothing about autograd.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/elementwise_ops.h"
#include "kernels/layout.h"
#include "kernels/dtype.h"

namespace cyclone::kernels {

enum class ReduceOp : uint8_t { Sum, Mean, Max, Min, LogSumExp };

// C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], row-major, for b < batch.
// op(A) is m x k: A is stored m x k (lda >= k) or, if trans_a, k x m (lda >= m).
struct GemmArgs {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  const float* a = nullptr; int64_t lda = 0, stride_a = 0; bool trans_a = false;
  const float* b = nullptr; int64_t ldb = 0, stride_b = 0; bool trans_b = false;
  float* c = nullptr; int64_t ldc = 0, stride_c = 0;
  float alpha = 1.f, beta = 0.f;
};

}  // namespace cyclone::kernels

// clang-format off
#define CYCLONE_BACKEND_CONTRACT                                                              \
  /* y[i] = f(x[layout_x(i)]), y contiguous with n elements */                                \
  void unary(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b);   \
  /* z[i] = f(x[lx(i)], y[ly(i)]); broadcasting is expressed by stride-0 layouts */           \
  void binary(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z,    \
              int64_t n, float alpha);                                                        \
  void compare(CompareOp op, const float* x, Layout lx, const float* y, Layout ly,            \
               uint8_t* z, int64_t n);                                                        \
  void where(const uint8_t* cond, Layout lc, const float* x, Layout lx, const float* y,       \
             Layout ly, float* z, int64_t n);                                                 \
  /* Row reductions of a contiguous rows x cols matrix. */                                    \
  void reduce_rows(ReduceOp op, const float* x, float* out, int64_t rows, int64_t cols);      \
  void argmax_rows(const float* x, int64_t* out, int64_t rows, int64_t cols);                 \
  void gemm(const GemmArgs& args);                                                            \
  /* dst[ld(i)] = cast(src[ls(i)]) for i < n: strided copy with dtype conversion */           \
  void copy(DType src_type, const void* src, Layout ls, DType dst_type, void* dst, Layout ld, \
            int64_t n);                                                                       \
  void fill(DType type, void* dst, int64_t n, double value);                                  \
  /* Philox4x32-10 random numbers: element i uses counter (offset + i / 4, seed). */          \
  void random_uniform(float* out, int64_t n, uint64_t seed, uint64_t offset, float lo,        \
                      float hi);                                                              \
  void random_normal(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean,       \
                     float std);
// clang-format on

namespace cyclone::kernels::cpu { CYCLONE_BACKEND_CONTRACT }
namespace cyclone::kernels::cuda { CYCLONE_BACKEND_CONTRACT }
