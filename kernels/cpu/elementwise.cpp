// CPU reference for the elementwise ops: one loop per op family, the scalar
// math shared with CUDA (kernels/elementwise_ops.h), threads over chunks.
#include "kernels/contract.h"
#include "kernels/cpu/parallel.h"

namespace cyclone::kernels::cpu {
namespace {
constexpr int64_t kGrain = 1 << 15;
}

void unary(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    if (lx.contiguous) {
      for (int64_t i = begin; i < end; ++i) y[i] = apply_unary(op, x[i], a, b);
    } else {
      for (int64_t i = begin; i < end; ++i) y[i] = apply_unary(op, x[lx.offset(i)], a, b);
    }
  });
}

void binary(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n, float alpha) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    if (lx.contiguous && ly.contiguous) {
      for (int64_t i = begin; i < end; ++i) z[i] = apply_binary(op, x[i], y[i], alpha);
    } else {
      for (int64_t i = begin; i < end; ++i) z[i] = apply_binary(op, x[lx.offset(i)], y[ly.offset(i)], alpha);
    }
  });
}

void compare(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z[i] = apply_compare(op, x[lx.offset(i)], y[ly.offset(i)]) ? 1 : 0;
  });
}

void where(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z[i] = c[lc.offset(i)] ? x[lx.offset(i)] : y[ly.offset(i)];
  });
}

}  // namespace cyclone::kernels::cpu
