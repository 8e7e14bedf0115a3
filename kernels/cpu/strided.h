// Walking strided views on the CPU: a Cursor yields the element offsets of a
// Layout in row-major order with one division per dimension at the start and
// an increment per element (Layout::offset divides per element). The op
// helpers turn a runtime op code into a compile-time one, so the loops over
// elements carry no switch.
#pragma once
#include <type_traits>

#include "kernels/elementwise_ops.h"
#include "kernels/layout.h"

namespace cyclone::kernels::cpu {

class Cursor {
 public:
  Cursor(const Layout& l, int64_t start) : l_(l) {
    if (l.contiguous) {
      off_ = start;
      return;
    }
    for (int d = l.ndim - 1; d >= 0; --d) {
      idx_[d] = start % l.sizes[d];
      off_ += idx_[d] * l.strides[d];
      start /= l.sizes[d];
    }
  }
  int64_t offset() const { return off_; }
  void next() {
    if (l_.contiguous) {
      ++off_;
      return;
    }
    for (int d = l_.ndim - 1; d >= 0; --d) {
      off_ += l_.strides[d];
      if (++idx_[d] < l_.sizes[d]) return;
      off_ -= l_.strides[d] * l_.sizes[d];
      idx_[d] = 0;
    }
  }

 private:
  const Layout& l_;
  int64_t off_ = 0;
  int64_t idx_[kMaxDims] = {};
};

template <class F>
void with_unary_op(UnaryOp op, F&& f) {
  using U = UnaryOp;
#define CYCLONE_OP_CASE(name) \
  case U::name: return f(std::integral_constant<U, U::name>{});
  switch (op) {
    CYCLONE_OP_CASE(Neg) CYCLONE_OP_CASE(Exp) CYCLONE_OP_CASE(Log) CYCLONE_OP_CASE(Sqrt) CYCLONE_OP_CASE(Rsqrt)
    CYCLONE_OP_CASE(Abs) CYCLONE_OP_CASE(Sign) CYCLONE_OP_CASE(Square) CYCLONE_OP_CASE(Reciprocal)
    CYCLONE_OP_CASE(Relu) CYCLONE_OP_CASE(Sigmoid) CYCLONE_OP_CASE(Tanh) CYCLONE_OP_CASE(LeakyRelu)
    CYCLONE_OP_CASE(Gelu) CYCLONE_OP_CASE(AddScalar) CYCLONE_OP_CASE(MulScalar) CYCLONE_OP_CASE(PowScalar)
    CYCLONE_OP_CASE(RSubScalar) CYCLONE_OP_CASE(RDivScalar) CYCLONE_OP_CASE(Clamp) CYCLONE_OP_CASE(Erf)
    CYCLONE_OP_CASE(Floor) CYCLONE_OP_CASE(Ceil) CYCLONE_OP_CASE(Round)
  }
#undef CYCLONE_OP_CASE
}

template <class F>
void with_binary_op(BinaryOp op, F&& f) {
  using B = BinaryOp;
#define CYCLONE_OP_CASE(name) \
  case B::name: return f(std::integral_constant<B, B::name>{});
  switch (op) {
    CYCLONE_OP_CASE(Add) CYCLONE_OP_CASE(Sub) CYCLONE_OP_CASE(Mul) CYCLONE_OP_CASE(Div) CYCLONE_OP_CASE(Pow)
    CYCLONE_OP_CASE(Maximum) CYCLONE_OP_CASE(Minimum) CYCLONE_OP_CASE(ReluBackward)
    CYCLONE_OP_CASE(SigmoidBackward) CYCLONE_OP_CASE(TanhBackward) CYCLONE_OP_CASE(LeakyReluBackward)
    CYCLONE_OP_CASE(GeluBackward)
  }
#undef CYCLONE_OP_CASE
}

}  // namespace cyclone::kernels::cpu
