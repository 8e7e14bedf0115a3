// Dispatch for batched matmul: maps broadcast batch dims and transposed views
// onto one strided GEMM call without copying where the strides allow it.
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"

namespace cyclone::dispatch {
namespace {

struct Operand {
  Tensor keep;  // owns the memory the pointer refers to
  const float* ptr = nullptr;
  int64_t ld = 0, batch_stride = 0;
  bool trans = false;
};

// `t` is [batch..., r, c] already expanded to the common batch shape.
Operand as_operand(Tensor t, int64_t batch) {
  const int64_t nd = t.dim();
  // The batch dims must collapse to one stride; otherwise make it contiguous.
  auto batch_stride = [&](const Tensor& v, int64_t& out) {
    out = 0;
    int64_t expect = -1;
    for (int64_t d = nd - 3; d >= 0; --d) {
      if (v.size(d) == 1) continue;
      if (expect >= 0 && v.strides()[d] != expect) return false;
      if (expect < 0) out = v.strides()[d];
      expect = v.strides()[d] * v.size(d);
    }
    return true;
  };
  auto fits = [&](const Tensor& v, Operand& op) {
    const int64_t r = v.size(-2), c = v.size(-1), sr = v.strides()[nd - 2], sc = v.strides()[nd - 1];
    if ((sc == 1 || c == 1) && sr >= c && sr > 0) {
      op.trans = false;
      op.ld = sr;
    } else if ((sr == 1 || r == 1) && sc >= r && sc > 0) {
      op.trans = true;
      op.ld = sc;
    } else {
      return false;
    }
    return batch == 1 || batch_stride(v, op.batch_stride);
  };
  Operand op;
  if (!fits(t, op)) {
    t = t.contiguous();
    if (!fits(t, op)) throw std::logic_error("matmul: contiguous operand does not fit GEMM");
  }
  op.keep = t;
  op.ptr = t.data<float>();
  return op;
}

}  // namespace

Tensor matmul(const Tensor& a0, const Tensor& b0) {
  NoGradGuard no_grad;
  const Device dev = common_device({a0, b0}, "matmul");
  check_dtype(a0, DType::f32, "matmul", "a");
  check_dtype(b0, DType::f32, "matmul", "b");
  if (a0.dim() == 0 || b0.dim() == 0) throw std::invalid_argument("matmul: operands must have at least 1 dim");
  const bool a_vec = a0.dim() == 1, b_vec = b0.dim() == 1;
  const Tensor a = a_vec ? a0.unsqueeze(0) : a0;
  const Tensor b = b_vec ? b0.unsqueeze(-1) : b0;
  const int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  if (b.size(-2) != k) {
    throw std::invalid_argument("matmul: inner dims differ: a is " + shape_str(a0.shape()) + ", b is " +
                                shape_str(b0.shape()));
  }
  const Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch_shape = broadcast_shapes(ba, bb, "matmul (batch dims)");
  const int64_t batch = numel_of(batch_shape);
  Shape ea = batch_shape, eb = batch_shape, out = batch_shape;
  ea.insert(ea.end(), {m, k});
  eb.insert(eb.end(), {k, n});
  out.insert(out.end(), {m, n});
  Tensor c = empty(out, TensorOptions().on(dev));
  if (c.numel() > 0) {
    if (k == 0) {
      fill(c, 0.0);
    } else {
      const Operand A = as_operand(a.expand(ea), batch), B = as_operand(b.expand(eb), batch);
      kernels::GemmArgs g;
      g.batch = batch; g.m = m; g.n = n; g.k = k;
      g.a = A.ptr; g.lda = A.ld; g.stride_a = A.batch_stride; g.trans_a = A.trans;
      g.b = B.ptr; g.ldb = B.ld; g.stride_b = B.batch_stride; g.trans_b = B.trans;
      g.c = c.data<float>(); g.ldc = n; g.stride_c = m * n;
      CYCLONE_CALL(dev, gemm, g);
    }
  }
  if (a_vec) c = c.squeeze(-2);
  if (b_vec) c = c.squeeze(-1);
  return c;
}

}  // namespace cyclone::dispatch
