// CPU reference for the elementwise ops: one loop per op family, the scalar
// math shared with CUDA (kernels/elementwise_ops.h), threads over chunks.
#include "kernels/contract.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/strided.h"

namespace cyclone::kernels::cpu {
namespace {
constexpr int64_t kGrain = 1 << 15;
}

void unary(UnaryOp op, const float* x, Layout lx, float* y, int64_t n, float a, float b) {
  with_unary_op(op, [&](auto opc) {
    parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
      if (lx.contiguous) {
        for (int64_t i = begin; i < end; ++i) y[i] = apply_unary(opc(), x[i], a, b);
        return;
      }
      Cursor cx(lx, begin);
      for (int64_t i = begin; i < end; ++i, cx.next()) y[i] = apply_unary(opc(), x[cx.offset()], a, b);
    });
  });
}

void binary(BinaryOp op, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n, float alpha) {
  with_binary_op(op, [&](auto opc) {
    parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
      if (lx.contiguous && ly.contiguous) {
        for (int64_t i = begin; i < end; ++i) z[i] = apply_binary(opc(), x[i], y[i], alpha);
        return;
      }
      Cursor cx(lx, begin), cy(ly, begin);
      for (int64_t i = begin; i < end; ++i, cx.next(), cy.next()) {
        z[i] = apply_binary(opc(), x[cx.offset()], y[cy.offset()], alpha);
      }
    });
  });
}

void compare(CompareOp op, const float* x, Layout lx, const float* y, Layout ly, uint8_t* z, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    Cursor cx(lx, begin), cy(ly, begin);
    for (int64_t i = begin; i < end; ++i, cx.next(), cy.next()) {
      z[i] = apply_compare(op, x[cx.offset()], y[cy.offset()]) ? 1 : 0;
    }
  });
}

void where(const uint8_t* c, Layout lc, const float* x, Layout lx, const float* y, Layout ly, float* z, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    Cursor cc(lc, begin), cx(lx, begin), cy(ly, begin);
    for (int64_t i = begin; i < end; ++i, cc.next(), cx.next(), cy.next()) {
      z[i] = c[cc.offset()] ? x[cx.offset()] : y[cy.offset()];
    }
  });
}

}  // namespace cyclone::kernels::cpu
