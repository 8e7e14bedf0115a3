// Dispatch for batch norm and pooling (kernels/nn_contract.h): checks, dense
// inputs, output allocation, and the backend call.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "autograd/node.h"
#include "tensor/dispatch.h"
#include "tensor/dispatch_call.h"
#include "tensor/dispatch_nn.h"

namespace cyclone::dispatch {
namespace {

const float* ptr_or_null(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

// N, C and S (values per plane) of a batch-norm input [N, C, ...].
struct Planes {
  int64_t n, c, s;
};

Planes planes_of(const Tensor& x, const char* op) {
  if (x.dim() < 2) throw std::invalid_argument(std::string(op) + ": expected input [N, C, ...], got " + shape_str(x.shape()));
  const int64_t n = x.size(0), c = x.size(1);
  return {n, c, x.numel() / std::max<int64_t>(1, n * c)};
}

// An optional per-channel [C] float32 tensor, dense, or undefined.
Tensor per_channel(const Tensor& t, int64_t c, const char* op, const char* arg) {
  if (!t.defined()) return t;
  if (t.dim() != 1 || t.size(0) != c) {
    throw std::invalid_argument(std::string(op) + ": " + arg + " must be [" + std::to_string(c) + "], got " +
                                shape_str(t.shape()));
  }
  return dense(t, DType::f32, op, arg);
}

Shape input_shape(const PoolGeometry& g) { return {g.n, g.c, g.h, g.w}; }
Shape output_shape(const PoolGeometry& g) { return {g.n, g.c, g.oh, g.ow}; }

}  // namespace

BatchStats batch_norm_stats(const Tensor& x0, double eps) {
  NoGradGuard no_grad;
  const Tensor x = dense(x0, DType::f32, "batch_norm", "input");
  const Planes p = planes_of(x, "batch_norm");
  BatchStats st{empty({p.c}, TensorOptions().on(x.device())), empty({p.c}, TensorOptions().on(x.device()))};
  CYCLONE_CALL(x.device(), batch_norm_stats, x.data<float>(), p.n, p.c, p.s, eps, st.mean.data<float>(),
               st.invstd.data<float>());
  return st;
}

Tensor batch_norm_apply(const Tensor& x0, const Tensor& mean0, const Tensor& invstd0, const Tensor& weight0,
                        const Tensor& bias0, bool relu, const Tensor& residual0) {
  NoGradGuard no_grad;
  const Device dev = common_device({x0, mean0, invstd0, weight0, bias0, residual0}, "batch_norm");
  const Tensor x = dense(x0, DType::f32, "batch_norm", "input");
  const Planes p = planes_of(x, "batch_norm");
  const Tensor mean = per_channel(mean0, p.c, "batch_norm", "mean"), invstd = per_channel(invstd0, p.c, "batch_norm", "invstd");
  const Tensor w = per_channel(weight0, p.c, "batch_norm", "weight"), b = per_channel(bias0, p.c, "batch_norm", "bias");
  Tensor residual;
  if (residual0.defined()) {
    if (residual0.shape() != x.shape()) {
      throw std::invalid_argument("batch_norm: the residual " + shape_str(residual0.shape()) +
                                  " must have the input's shape " + shape_str(x.shape()));
    }
    residual = dense(residual0, DType::f32, "batch_norm", "residual");
  }
  Tensor y = empty(x.shape(), TensorOptions().on(dev));
  CYCLONE_CALL(dev, batch_norm_apply, x.data<float>(), p.n, p.c, p.s, mean.data<float>(), invstd.data<float>(),
               ptr_or_null(w), ptr_or_null(b), ptr_or_null(residual), relu, y.data<float>());
  return y;
}

BatchNormSums batch_norm_backward_reduce(const Tensor& dy0, const Tensor& x0, const Tensor& mean0,
                                         const Tensor& invstd0) {
  NoGradGuard no_grad;
  const Device dev = common_device({dy0, x0, mean0, invstd0}, "batch_norm backward");
  const Tensor x = dense(x0, DType::f32, "batch_norm backward", "input");
  const Tensor dy = dense(dy0, DType::f32, "batch_norm backward", "grad");
  check_shape(dy, x.shape(), "batch_norm backward", "grad");
  const Planes p = planes_of(x, "batch_norm backward");
  const Tensor mean = per_channel(mean0, p.c, "batch_norm backward", "mean");
  const Tensor invstd = per_channel(invstd0, p.c, "batch_norm backward", "invstd");
  BatchNormSums sums{empty({p.c}, TensorOptions().on(dev)), empty({p.c}, TensorOptions().on(dev))};
  CYCLONE_CALL(dev, batch_norm_backward_reduce, dy.data<float>(), x.data<float>(), p.n, p.c, p.s, mean.data<float>(),
               invstd.data<float>(), sums.sum_dy.data<float>(), sums.sum_dy_xhat.data<float>());
  return sums;
}

Tensor batch_norm_backward_input(const Tensor& dy0, const Tensor& x0, const Tensor& mean0, const Tensor& invstd0,
                                 const Tensor& weight0, const BatchNormSums& sums0) {
  NoGradGuard no_grad;
  const Device dev = common_device({dy0, x0, mean0, invstd0, weight0, sums0.sum_dy, sums0.sum_dy_xhat},
                                   "batch_norm backward");
  const Tensor x = dense(x0, DType::f32, "batch_norm backward", "input");
  const Tensor dy = dense(dy0, DType::f32, "batch_norm backward", "grad");
  check_shape(dy, x.shape(), "batch_norm backward", "grad");
  const Planes p = planes_of(x, "batch_norm backward");
  const char* op = "batch_norm backward";
  const Tensor mean = per_channel(mean0, p.c, op, "mean"), invstd = per_channel(invstd0, p.c, op, "invstd");
  const Tensor w = per_channel(weight0, p.c, op, "weight");
  if (sums0.sum_dy.defined() != sums0.sum_dy_xhat.defined()) {
    throw std::invalid_argument("batch_norm backward: give both sums (training) or neither (eval)");
  }
  const Tensor sum_dy = per_channel(sums0.sum_dy, p.c, op, "sum_dy");
  const Tensor sum_dy_xhat = per_channel(sums0.sum_dy_xhat, p.c, op, "sum_dy_xhat");
  Tensor dx = empty(x.shape(), TensorOptions().on(dev));
  CYCLONE_CALL(dev, batch_norm_backward_input, dy.data<float>(), x.data<float>(), p.n, p.c, p.s, mean.data<float>(),
               invstd.data<float>(), ptr_or_null(w), ptr_or_null(sum_dy), ptr_or_null(sum_dy_xhat), dx.data<float>());
  return dx;
}

MaxPoolResult max_pool2d_forward(const Tensor& x0, const PoolGeometry& g) {
  NoGradGuard no_grad;
  const Tensor x = dense(x0, DType::f32, "max_pool2d", "input");
  check_shape(x, input_shape(g), "max_pool2d", "input");
  MaxPoolResult r{empty(output_shape(g), TensorOptions().on(x.device())),
                  empty(output_shape(g), TensorOptions(DType::i64).on(x.device()))};
  CYCLONE_CALL(x.device(), max_pool2d_forward, x.data<float>(), g, r.y.data<float>(), r.indices.data<int64_t>());
  return r;
}

Tensor max_pool2d_backward(const Tensor& dy0, const Tensor& indices0, const PoolGeometry& g) {
  NoGradGuard no_grad;
  const Device dev = common_device({dy0, indices0}, "max_pool2d backward");
  const Tensor dy = dense(dy0, DType::f32, "max_pool2d backward", "grad");
  const Tensor idx = dense(indices0, DType::i64, "max_pool2d backward", "indices");
  check_shape(dy, output_shape(g), "max_pool2d backward", "grad");
  check_shape(idx, output_shape(g), "max_pool2d backward", "indices");
  Tensor dx = empty(input_shape(g), TensorOptions().on(dev));
  CYCLONE_CALL(dev, max_pool2d_backward, dy.data<float>(), idx.data<int64_t>(), g, dx.data<float>());
  return dx;
}

Tensor avg_pool2d_forward(const Tensor& x0, const PoolGeometry& g, bool count_include_pad) {
  NoGradGuard no_grad;
  const Tensor x = dense(x0, DType::f32, "avg_pool2d", "input");
  check_shape(x, input_shape(g), "avg_pool2d", "input");
  Tensor y = empty(output_shape(g), TensorOptions().on(x.device()));
  CYCLONE_CALL(x.device(), avg_pool2d_forward, x.data<float>(), g, count_include_pad, y.data<float>());
  return y;
}

Tensor avg_pool2d_backward(const Tensor& dy0, const PoolGeometry& g, bool count_include_pad) {
  NoGradGuard no_grad;
  const Tensor dy = dense(dy0, DType::f32, "avg_pool2d backward", "grad");
  check_shape(dy, output_shape(g), "avg_pool2d backward", "grad");
  Tensor dx = empty(input_shape(g), TensorOptions().on(dy.device()));
  CYCLONE_CALL(dy.device(), avg_pool2d_backward, dy.data<float>(), g, count_include_pad, dx.data<float>());
  return dx;
}

Tensor adaptive_avg_pool2d_forward(const Tensor& x0, const PoolGeometry& g) {
  NoGradGuard no_grad;
  const Tensor x = dense(x0, DType::f32, "adaptive_avg_pool2d", "input");
  check_shape(x, input_shape(g), "adaptive_avg_pool2d", "input");
  Tensor y = empty(output_shape(g), TensorOptions().on(x.device()));
  CYCLONE_CALL(x.device(), adaptive_avg_pool2d_forward, x.data<float>(), g, y.data<float>());
  return y;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& dy0, const PoolGeometry& g) {
  NoGradGuard no_grad;
  const Tensor dy = dense(dy0, DType::f32, "adaptive_avg_pool2d backward", "grad");
  check_shape(dy, output_shape(g), "adaptive_avg_pool2d backward", "grad");
  Tensor dx = empty(input_shape(g), TensorOptions().on(dy.device()));
  CYCLONE_CALL(dy.device(), adaptive_avg_pool2d_backward, dy.data<float>(), g, dx.data<float>());
  return dx;
}

}  // namespace cyclone::dispatch
